// The validated, defaults-applied shape of a scenario file (see docs/scenarios.md). `load.ts` turns a
// YAML/JSON file into this or into a ScenarioError naming the file, the field path and what is allowed.
import type { BrokerConfig, ConsumerConfig, NetworkConfig, ProducerConfig } from '../kafka/config.ts';
import type { FaultSchedule, RandomFaults } from '../faults/schedule.ts';
import type { GatewayConfig, LedgerDbConfig, SinkConfig } from '../external/config.ts';

export const MODES = ['at-most-once', 'at-least-once', 'idempotent', 'exactly-once'] as const;
export type Mode = (typeof MODES)[number];

/** Bug modes: each switches off one protection. */
export const BUGS = [
  'no-seq-dedup', 'no-fencing', 'read-uncommitted', 'offsets-outside-txn', 'random-txn-id', 'unclean-election',
] as const;
export type Bug = (typeof BUGS)[number];

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
}

export interface ClusterSpec {
  brokers: number;
  topics: TopicSpec[];
  broker: Partial<BrokerConfig>;
}

export interface WorkloadSpec {
  /** Number of payments producers (producer-1 …). */
  producers: number;
  /** Payments each producer sends. */
  paymentsPerProducer: number;
  /** Virtual time between two payments of one producer. */
  sendIntervalMs: number;
  /** Consumers (consumer-1 …) that apply payments to the ledger sink. */
  consumers: number;
  /** Topic the producers write (and, without processors, the consumers read); `topics[0]` when that is set. */
  topic: string;
  /**
   * Several topics instead of one: the producers are spread over them (producer-i writes
   * topics[(i - 1) mod n]), and the processors (or, without processors, the consumers) read them all.
   */
  topics?: string[];
  /** Consume-transform-produce processors (processor-1 …) from `topic` to `outputTopic`; the consumers then read `outputTopic`. */
  processors: number;
  outputTopic: string;
  /**
   * Several output topics: a processor writes the output of an input read from topics[j] to
   * outputTopics[j mod m], so one transaction spans several topics; the consumers read them all.
   */
  outputTopics?: string[];
  /** Payments per transaction of a transactional producer. */
  transactionSize: number;
  /** Chance a processor aborts a transaction on purpose. */
  abortProbability: number;
  /**
   * How a transactional processor hands its input offsets to the transaction: with its consumer's group
   * metadata (KIP-447, `sendOffsetsToTransaction(offsets, groupMetadata)`), or with the group id only (as
   * Kafka's TransactionalMessageCopier does without --use-group-metadata, and Spring Kafka 2.x's EOS mode
   * V1/ALPHA): the group coordinator then checks no generation, and only the transactional.id fences a zombie.
   */
  offsetsApi: OffsetsApi;
  /**
   * Where a processor resumes after an aborted transaction: the group's committed offsets (Kafka's
   * TransactionalMessageCopier) or the first offsets of the aborted batch as it holds them in memory
   * (Spring Kafka's DefaultAfterRollbackProcessor seeks there).
   */
  afterAbort: AfterAbort;
}

export const OFFSETS_APIS = ['group-metadata', 'group-id'] as const;
export type OffsetsApi = (typeof OFFSETS_APIS)[number];
export const AFTER_ABORT = ['seek-to-committed', 'rewind-batch'] as const;
export type AfterAbort = (typeof AFTER_ABORT)[number];

/** Client and broker options a case or the scenario sets on top of the mode preset. */
export interface Overrides {
  producer: Partial<ProducerConfig>;
  consumer: Partial<ConsumerConfig>;
}

/** An expectation: running this mode (with these overrides/bugs) over the scenario's seeds finds exactly these anomaly kinds. */
export interface ExpectCase extends Overrides {
  mode: Mode;
  bugs: Bug[];
  /** Anomaly kinds that must each appear for at least one seed; nothing else may appear for any seed. */
  anomalies: string[];
  /** Kinds that may appear but need not (e.g. reordering that retries can but rarely do cause). */
  mayAlsoFind: string[];
  /** A short label for the suite table, e.g. "acks=1". */
  label?: string;
  /** The Kafka release this case models (default: the scenario's). */
  kafka?: string;
}

export interface Scenario extends Overrides {
  /** Path the scenario was loaded from (for messages and the reproduce command). */
  file: string;
  name: string;
  description: string;
  cluster: ClusterSpec;
  network: Partial<NetworkConfig>;
  workload: WorkloadSpec;
  /**
   * Past Kafka's boundary: with a `sink` section the consumers charge a payment gateway and book a ledger
   * database over the network (sim/external) instead of applying to the in-process ledger.
   */
  sink?: Partial<SinkConfig>;
  gateway?: Partial<GatewayConfig>;
  ledgerDb?: Partial<LedgerDbConfig>;
  faults: { schedule: FaultSchedule; random?: RandomFaults };
  /** The Kafka release the scenario models (default: the newest, see sim/kafka/releases.ts). */
  kafka?: string;
  /** Hard stop for the run's virtual time; a run that has not quiesced by then is a liveness failure. */
  runLimitMs: number;
  /** Seeds 1..seeds run by the suite and by npm test. */
  seeds: number;
  expect: ExpectCase[];
  /**
   * Modes the scenario's story says nothing about, each with the reason; every other mode has an expect
   * case. A loaded file always has it (default []); scenarios built in code may leave it out.
   */
  notMeaningful?: NotMeaningful[];
}

/** A mode a scenario deliberately does not run, and why (e.g. no transactions: the faults strike nothing). */
export interface NotMeaningful {
  mode: Mode;
  reason: string;
}
