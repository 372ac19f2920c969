// The protections whose reach `--coverage` reports. Each is a point the model counts with `sim.cover`
// (see Broker.answer for the errors, which are named "<Api> <ERROR>"): a safety check that no run
// reaches is a check nothing would tell us had broken.
export const SAFETY_POINTS: readonly string[] = [
  // The partition's producer state (sequence dedup and epoch fencing).
  'ProducerStateManager duplicate batch, window position 0',
  'ProducerStateManager duplicate batch, window position 1',
  'ProducerStateManager duplicate batch, window position 4',
  'ProducerStateManager OUT_OF_ORDER_SEQUENCE_NUMBER (sequence-gap)',
  'ProducerStateManager OUT_OF_ORDER_SEQUENCE_NUMBER (new-epoch-not-at-zero)',
  'Produce INVALID_PRODUCER_EPOCH',
  'Partition verification rejected a transaction\'s first write (KIP-890)',
  // Replication.
  'Partition truncate to the diverging epoch',
  'Produce NOT_ENOUGH_REPLICAS',
  'Controller fenced a broker (session expired)',
  'Controller fenced a broker (restarted)',
  // The transaction coordinator.
  'InitProducerId CONCURRENT_TRANSACTIONS',
  'InitProducerId PRODUCER_FENCED',
  'AddPartitionsToTxn PRODUCER_FENCED',
  'EndTxn PRODUCER_FENCED',
  'EndTxn CONCURRENT_TRANSACTIONS',
  'TransactionState Ongoing -> PrepareEpochFence (transaction.timeout.ms)',
  'TransactionState Ongoing -> PrepareEpochFence (a new instance)',
  'WriteTxnMarkers INVALID_PRODUCER_EPOCH',
  // The group coordinator (KIP-447 fencing of zombie processors).
  'OffsetCommit ILLEGAL_GENERATION',
  'TxnOffsetCommit ILLEGAL_GENERATION',
  'TxnOffsetCommit UNKNOWN_MEMBER_ID',
  'OffsetFetch UNSTABLE_OFFSET_COMMIT',
  // Consumers.
  'Fetch bounded by the last stable offset (read_committed)',
  'Consumer skipped a batch of an aborted transaction (read_committed)',
  // Late requests (served after the client gave up on them).
  'Produce served after its client closed the connection',
  'EndTxn served after its client closed the connection',
];
