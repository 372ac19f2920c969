// Every tunable of the model in one place, with Kafka's config names in the comments and units in the
// field names. Scenario files use these field names; defaults follow Kafka's where the value matters to
// safety, and are scaled down where it only matters to speed (noted).

export type Acks = 0 | 1 | 'all';

export interface ProducerConfig {
  /** acks */
  acks: Acks;
  /** enable.idempotence: PID + per-partition sequence numbers, broker-side dedup. Requires acks=all. */
  enableIdempotence: boolean;
  /** retries (0 = give up after the first failed attempt). */
  retries: number;
  /** max.in.flight.requests.per.connection (idempotence requires <= 5). */
  maxInFlightRequestsPerConnection: number;
  /** request.timeout.ms */
  requestTimeoutMs: number;
  /** delivery.timeout.ms: after this a record's fate is reported as unknown (history type info). */
  deliveryTimeoutMs: number;
  /** retry.backoff.ms */
  retryBackoffMs: number;
  /** Most records drained into one batch (a stand-in for batch.size). */
  batchMaxRecords: number;
  /** transactional.id set (issue 3); false for plain producers. */
  transactional: boolean;
  /** transaction.timeout.ms (issue 3). */
  transactionTimeoutMs: number;
}

export interface ConsumerConfig {
  /** isolation.level */
  isolationLevel: 'read_uncommitted' | 'read_committed';
  /** enable.auto.commit */
  enableAutoCommit: boolean;
  /** auto.commit.interval.ms */
  autoCommitIntervalMs: number;
  /** When the application commits its position: before processing a polled batch (at-most-once) or after. */
  commitOrder: 'before-processing' | 'after-processing';
  /** max.poll.records */
  maxPollRecords: number;
  /** fetch.max.wait.ms: how long a broker parks an empty fetch. */
  fetchMaxWaitMs: number;
  /** request.timeout.ms */
  requestTimeoutMs: number;
  /** retry.backoff.ms */
  retryBackoffMs: number;
  /** Virtual time the application spends processing one record. */
  processingTimeMs: number;
  /** session.timeout.ms: the coordinator removes a member not heard from for this long (Kafka: 45000; scaled down). */
  sessionTimeoutMs: number;
  /** heartbeat.interval.ms: how often a member heartbeats; it learns of a rebalance this way (Kafka: 3000). */
  heartbeatIntervalMs: number;
  /**
   * The rebalance timeout the member sends in JoinGroup (Kafka: max.poll.interval.ms, 300000): how long the
   * coordinator waits for the known members to rejoin before it drops the ones that did not.
   */
  rebalanceTimeoutMs: number;
  /** partition.assignment.strategy: the assignor the group leader runs (Kafka's RangeAssignor or RoundRobinAssignor). */
  partitionAssignmentStrategy: 'range' | 'roundrobin';
}

export interface BrokerConfig {
  /** min.insync.replicas */
  minInsyncReplicas: number;
  /** unclean.leader.election.enable (a bug mode: an out-of-sync replica may become leader and lose data). */
  uncleanLeaderElectionEnable: boolean;
  /** replica.lag.time.max.ms (Kafka: 30000; scaled down so runs stay short). */
  replicaLagTimeMaxMs: number;
  /** replica.fetch.wait.max.ms */
  replicaFetchWaitMaxMs: number;
  /** broker.heartbeat.interval.ms (KRaft) */
  brokerHeartbeatIntervalMs: number;
  /** broker.session.timeout.ms (KRaft; Kafka: 9000) */
  brokerSessionTimeoutMs: number;
  /**
   * How often the page cache reaches the disk. Kafka leaves fsync to the OS (log.flush.interval.* unset);
   * a power loss drops whatever was written since the last flush.
   */
  flushIntervalMs: number;
  /** Time for a crashed broker's process to come back when a scenario restarts it without a delay. */
  restartDelayMs: number;
  /**
   * group.initial.rebalance.delay.ms: the first rebalance of an empty group waits this long (again while
   * members keep arriving) so they form one generation (Kafka: 3000; scaled down).
   */
  groupInitialRebalanceDelayMs: number;
}

export interface NetworkConfig {
  /** Smallest one-way latency of a message. */
  latencyUsMin: number;
  /** Mean one-way latency (min + exponential tail). */
  latencyUsMean: number;
}

export const DEFAULT_PRODUCER: ProducerConfig = {
  acks: 'all',
  enableIdempotence: false,
  retries: 2147483647,
  maxInFlightRequestsPerConnection: 5,
  requestTimeoutMs: 1_000, // Kafka: 30000; scaled down.
  deliveryTimeoutMs: 10_000, // Kafka: 120000; scaled down, still > request timeout + linger.
  retryBackoffMs: 100,
  batchMaxRecords: 16,
  transactional: false,
  transactionTimeoutMs: 10_000,
};

export const DEFAULT_CONSUMER: ConsumerConfig = {
  isolationLevel: 'read_uncommitted',
  enableAutoCommit: false,
  autoCommitIntervalMs: 500,
  commitOrder: 'after-processing',
  maxPollRecords: 50,
  fetchMaxWaitMs: 100, // Kafka: 500
  requestTimeoutMs: 1_000,
  retryBackoffMs: 100,
  processingTimeMs: 1,
  sessionTimeoutMs: 1_500, // Kafka: 45000; kept at 1.5x the request timeout, as Kafka's 45000 : 30000
  heartbeatIntervalMs: 300, // Kafka: 3000; below a third of the session timeout
  rebalanceTimeoutMs: 3_000, // Kafka: max.poll.interval.ms = 300000
  partitionAssignmentStrategy: 'range',
};

export const DEFAULT_BROKER: BrokerConfig = {
  minInsyncReplicas: 1,
  uncleanLeaderElectionEnable: false,
  replicaLagTimeMaxMs: 2_000,
  replicaFetchWaitMaxMs: 100,
  brokerHeartbeatIntervalMs: 200,
  brokerSessionTimeoutMs: 1_000,
  flushIntervalMs: 1_000,
  restartDelayMs: 0,
  groupInitialRebalanceDelayMs: 100, // Kafka: 3000
};

export const DEFAULT_NETWORK: NetworkConfig = {
  latencyUsMin: 200,
  latencyUsMean: 500,
};
