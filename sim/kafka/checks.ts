// The model's safety checks, each one a protection of Kafka that can be switched off for testing
// (`--disable-check`). A check that can be switched off without any scenario noticing is a check nothing
// would tell us had broken: the necessity test (sim/necessity) switches each off in turn and requires a
// shipped scenario to show an anomaly. The bug modes (sim/workload/bugs.ts) are the user-facing
// switches: an application's or operator's choice; some of them are sets of these checks.
//
// Only checks whose absence is itself a behaviour are listed. A check whose absence would drive the
// model into a state Kafka's own state machine forbids (CONCURRENT_TRANSACTIONS while a transaction is
// being prepared, say) is not switchable: turning it off would break a model invariant (exit 3), which
// proves nothing about the protection.

export interface ModelCheckInfo {
  /** Where Kafka performs the check, by its own class and method names. */
  where: string;
  /** What the check protects, and what happens without it. */
  protects: string;
  /** The coverage points (sim/kafka/coverage.ts) a run reaches when the check acts. */
  points: readonly string[];
}

export const MODEL_CHECKS = {
  'duplicate-batch': {
    where: 'ProducerStateManager / ProducerAppendInfo (UnifiedLog.analyzeAndValidateProducerState)',
    protects: 'a retried batch equal to one of its producer\'s last five is answered as a duplicate with its offsets; without it the retry is refused as out of order, the producer gives up on a batch that may be written, and the application resends it',
    points: [
      'ProducerStateManager duplicate batch, window position 0',
      'ProducerStateManager duplicate batch, window position 1',
      'ProducerStateManager duplicate batch, window position 4',
    ],
  },
  'sequence-gap': {
    where: 'ProducerAppendInfo.checkSequence',
    protects: 'a batch whose sequence does not follow the last one is refused (OUT_OF_ORDER_SEQUENCE_NUMBER) and retried in order; without it batches land out of order',
    points: ['ProducerStateManager OUT_OF_ORDER_SEQUENCE_NUMBER (sequence-gap)'],
  },
  'epoch-start-sequence': {
    where: 'ProducerAppendInfo.checkSequence (inSequence with a new epoch)',
    protects: 'the first batch of a new producer epoch must have sequence 0; without it a later batch of the epoch can land before its first',
    points: ['ProducerStateManager OUT_OF_ORDER_SEQUENCE_NUMBER (new-epoch-not-at-zero)'],
  },
  'produce-epoch': {
    where: 'ProducerAppendInfo.checkProducerEpoch',
    protects: 'a batch of an older producer epoch (a fenced instance, a zombie) is refused with INVALID_PRODUCER_EPOCH; without it the zombie writes',
    points: ['Produce INVALID_PRODUCER_EPOCH'],
  },
  'marker-producer-epoch': {
    where: 'ProducerAppendInfo.appendEndTxnMarker',
    protects: 'a transaction marker of an older producer epoch is refused; without it a late marker ends a newer transaction',
    points: ['WriteTxnMarkers INVALID_PRODUCER_EPOCH'],
  },
  'coordinator-producer-epoch': {
    where: 'TransactionCoordinator (handleAddPartitionsToTransaction, handleEndTransaction)',
    protects: 'AddPartitionsToTxn, AddOffsetsToTxn and EndTxn of an older producer epoch are answered PRODUCER_FENCED; without it a zombie adds partitions and commits',
    points: ['AddPartitionsToTxn PRODUCER_FENCED', 'EndTxn PRODUCER_FENCED'],
  },
  'init-producer-id-fence': {
    where: 'TransactionCoordinator.handleInitProducerId (prepareInitProducerIdTransit, prepareFenceProducerEpoch)',
    protects: 'a new instance\'s InitProducerId bumps the epoch and aborts the previous instance\'s open transaction; without it the new instance gets the current epoch and both instances write as one',
    points: ['TransactionState Ongoing -> PrepareEpochFence (a new instance)', 'InitProducerId CONCURRENT_TRANSACTIONS'],
  },
  'init-producer-id-expected-epoch': {
    where: 'TransactionCoordinator.handleInitProducerId (KIP-360 expected producer id and epoch)',
    protects: 'an InitProducerId naming an older producer id or epoch is a replaced instance\'s and is answered PRODUCER_FENCED; without it a zombie takes its transactional.id back',
    points: ['InitProducerId PRODUCER_FENCED'],
  },
  'transaction-timeout': {
    where: 'TransactionCoordinator.abortTimedOutTransactions (transaction.timeout.ms)',
    protects: 'a transaction left open longer than its timeout is aborted by the coordinator; without it an abandoned transaction pins the last stable offset for good',
    points: ['TransactionState Ongoing -> PrepareEpochFence (transaction.timeout.ms)'],
  },
  'partition-verification': {
    where: 'ReplicaManager.appendRecords via AddPartitionsToTxnManager (KIP-890 part 1, 3.6+)',
    protects: 'a transaction\'s first write to a partition is checked with the coordinator; without it a late write of an ended transaction opens a new one on the partition',
    points: ['Partition verification rejected a transaction\'s first write (KIP-890)'],
  },
  'min-insync-replicas': {
    where: 'Partition.appendRecordsToLeader (min.insync.replicas)',
    protects: 'an acks=all write is refused while the ISR is smaller than min.insync.replicas; without it a write acknowledged by one replica is lost with it',
    points: ['Produce NOT_ENOUGH_REPLICAS'],
  },
  'diverging-epoch-truncation': {
    where: 'AbstractFetcherThread.truncateOnFetchResponse (KIP-101/KIP-279 diverging epoch)',
    protects: 'a follower cuts the suffix of its log that diverges from the new leader\'s; without it the follower ignores the divergence and keeps records the leader never had (it stops replicating that partition, while its log may still be chosen later)',
    points: ['Partition truncate to the diverging epoch'],
  },
  'broker-fencing': {
    where: 'QuorumController (BrokerHeartbeatManager, ReplicationControlManager)',
    protects: 'the controller fences a broker whose session expired or that restarted, and moves leadership away; without it a dead or restarted broker stays leader and in the ISR',
    points: ['Controller fenced a broker (session expired)', 'Controller fenced a broker (restarted)'],
  },
  'group-generation': {
    where: 'GroupCoordinator.validateOffsetCommit (KIP-447)',
    protects: 'an OffsetCommit or TxnOffsetCommit of an earlier generation or an unknown member is refused; without it a zombie processor commits offsets for partitions it lost',
    points: ['OffsetCommit ILLEGAL_GENERATION', 'TxnOffsetCommit ILLEGAL_GENERATION', 'TxnOffsetCommit UNKNOWN_MEMBER_ID'],
  },
  'unstable-offset-commit': {
    where: 'GroupCoordinator.handleFetchOffsets (require_stable, KIP-447)',
    protects: 'an OffsetFetch while a transactional offset commit is pending is answered UNSTABLE_OFFSET_COMMIT and retried; without it a new owner starts from offsets about to be replaced',
    points: ['OffsetFetch UNSTABLE_OFFSET_COMMIT'],
  },
  'aborted-transaction-filter': {
    where: 'the consumer\'s Fetcher (CompletedFetch, abortedProducerIds) with isolation.level=read_committed',
    protects: 'a read_committed consumer drops the batches of aborted transactions; without it it hands them to the application',
    points: ['Consumer skipped a batch of an aborted transaction (read_committed)'],
  },
  'last-stable-offset': {
    where: 'Partition.fetchRecords / LocalLog.read (FetchIsolation.TXN_COMMITTED)',
    protects: 'a read_committed fetch returns nothing past the last stable offset; without it open transactions\' data is read up to the high watermark',
    points: ['Fetch bounded by the last stable offset (read_committed)'],
  },
} as const satisfies Record<string, ModelCheckInfo>;

export type ModelCheck = keyof typeof MODEL_CHECKS;

export const MODEL_CHECK_NAMES = Object.keys(MODEL_CHECKS) as ModelCheck[];

export function isModelCheck(name: string): name is ModelCheck {
  return Object.hasOwn(MODEL_CHECKS, name);
}

/** Which checks a run performs: every one, unless switched off for testing. Immutable. */
export class ModelChecks {
  static readonly ALL_ON = new ModelChecks([]);

  /**
   * Whether each check is on, as one object with a field per check: on() is asked on per-batch and
   * per-request paths with a literal name, which V8 turns into one field load (a Set lookup hashed the
   * name each time).
   */
  private readonly enabled: Readonly<Record<ModelCheck, boolean>>;

  constructor(off: Iterable<ModelCheck>) {
    const offSet = new Set(off);
    this.enabled = Object.fromEntries(MODEL_CHECK_NAMES.map((c) => [c, !offSet.has(c)])) as Record<ModelCheck, boolean>;
  }

  on(check: ModelCheck): boolean {
    return this.enabled[check];
  }

  /** The checks switched off, in the table's order. */
  switchedOff(): ModelCheck[] {
    return MODEL_CHECK_NAMES.filter((c) => !this.enabled[c]);
  }
}
