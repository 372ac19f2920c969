// Kafka's error codes and the request/response bodies the model exchanges, named as in Kafka's protocol
// (org.apache.kafka.common.protocol.Errors and the *Request/*Response classes). Bodies carry only the
// fields the model needs.
import type { Acks } from './config.ts';
import type { GroupMetadataValue } from './group-protocol.ts';
import type { TransactionState } from './transaction-state.ts';

export type ErrorCode =
  | 'NONE'
  | 'NOT_LEADER_OR_FOLLOWER'
  | 'UNKNOWN_TOPIC_OR_PARTITION'
  | 'NOT_ENOUGH_REPLICAS'
  | 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'
  | 'OUT_OF_ORDER_SEQUENCE_NUMBER'
  | 'INVALID_PRODUCER_EPOCH'
  | 'PRODUCER_FENCED'
  | 'UNKNOWN_PRODUCER_ID'
  | 'REQUEST_TIMED_OUT'
  | 'NETWORK_EXCEPTION'
  | 'FENCED_LEADER_EPOCH'
  | 'UNKNOWN_LEADER_EPOCH'
  | 'OFFSET_OUT_OF_RANGE'
  | 'COORDINATOR_NOT_AVAILABLE'
  | 'NOT_COORDINATOR'
  | 'COORDINATOR_LOAD_IN_PROGRESS'
  | 'INVALID_UPDATE_VERSION'
  | 'STALE_BROKER_EPOCH'
  | 'INELIGIBLE_REPLICA'
  | 'CONCURRENT_TRANSACTIONS'
  | 'INVALID_PRODUCER_ID_MAPPING'
  | 'INVALID_TXN_STATE'
  | 'TRANSACTION_COORDINATOR_FENCED';

/** Errors after which a client may retry the same request (Kafka's RetriableException subclasses). */
export const RETRIABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'NOT_LEADER_OR_FOLLOWER', 'UNKNOWN_TOPIC_OR_PARTITION', 'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'REQUEST_TIMED_OUT', 'NETWORK_EXCEPTION', 'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH', 'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR', 'COORDINATOR_LOAD_IN_PROGRESS',
  'CONCURRENT_TRANSACTIONS',
]);

/** Errors that mean the client's view of who leads is stale: refresh metadata before retrying. */
export const STALE_METADATA: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'NOT_LEADER_OR_FOLLOWER', 'UNKNOWN_TOPIC_OR_PARTITION', 'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH',
  'REQUEST_TIMED_OUT', 'NETWORK_EXCEPTION', 'NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE',
]);

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;

/** A record in an internal topic (__consumer_offsets): the offset commit of one group and partition. */
export interface OffsetCommitValue {
  type: 'offset';
  group: string;
  key: string;
  offset: number;
}
/** A record in __transaction_state: the transaction coordinator's TransactionMetadata after a transition. */
export interface TxnStateValue {
  type: 'txn';
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  lastProducerEpoch: number;
  state: TransactionState;
  /** Partitions in the transaction, sorted. */
  partitions: string[];
  timeoutMs: number;
  /** Virtual time the transaction started (its first partition was added). */
  startUs: number;
}
export type RecordValue = string | OffsetCommitValue | TxnStateValue | GroupMetadataValue;

/** A record batch as written by a producer (the broker assigns offsets). */
export interface ProducerBatch {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  records: RecordValue[];
}

export type ControlType = 'COMMIT' | 'ABORT';

/** A record batch in a log. Control batches (COMMIT/ABORT markers) hold no application records. */
export interface RecordBatch extends ProducerBatch {
  baseOffset: number;
  lastOffset: number;
  partitionLeaderEpoch: number;
  control: ControlType | null;
  /** Control batches: the epoch of the transaction coordinator that wrote the marker. */
  coordinatorEpoch: number;
}

export interface PartitionRegistration {
  key: string;
  topic: string;
  partition: number;
  replicas: number[];
  isr: number[];
  /** -1 when no replica can lead (offline). */
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
}

export interface MetadataImage {
  version: number;
  /** Brokers that are registered and not fenced. */
  liveBrokers: number[];
  partitions: PartitionRegistration[];
}

export interface ProduceRequest {
  key: string;
  /** Set for transactional batches: the leader verifies the partition is in the transaction (KIP-890). */
  transactionalId: string | null;
  acks: Acks;
  timeoutMs: number;
  batch: ProducerBatch;
}
export interface ProduceResponse {
  error: ErrorCode;
  baseOffset: number;
}

export interface FetchRequest {
  key: string;
  fetchOffset: number;
  /** -1 for consumers; the broker id for followers. */
  replicaId: number;
  /** Followers: the broker epoch (incarnation) that sent the fetch (KIP-903's ReplicaState.ReplicaEpoch); -1 for consumers. */
  replicaEpoch: number;
  currentLeaderEpoch: number;
  /** Followers: epoch of the last batch they hold, to detect divergence (KIP-595 style). */
  lastFetchedEpoch: number;
  isolationLevel: 'read_uncommitted' | 'read_committed';
  maxWaitMs: number;
  maxRecords: number;
}
export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}
export interface FetchResponse {
  error: ErrorCode;
  /** -1 to a consumer while a new leader cannot tell where its log ends (Partition.endOffsetsKnown). */
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  batches: RecordBatch[];
  abortedTransactions: AbortedTransaction[];
  /** Set when the follower's log diverged from the leader's: truncate to endOffset, then fetch again. */
  divergingEpoch: { epoch: number; endOffset: number } | null;
}

/** KIP-320: a consumer asks the leader where the epoch of its position's last record ends in the leader's log. */
export interface OffsetsForLeaderEpochRequest {
  key: string;
  /** The leader epoch the consumer knows (fenced if older than the broker's, as in Fetch). */
  currentLeaderEpoch: number;
  /** The epoch of the record before the consumer's position. */
  leaderEpoch: number;
}
export interface OffsetsForLeaderEpochResponse {
  error: ErrorCode;
  /** The largest epoch at or below the one asked for that the leader's log has. */
  leaderEpoch: number;
  /** Where that epoch ends in the leader's log: a position beyond it was truncated away. */
  endOffset: number;
}

export interface MetadataResponse {
  image: MetadataImage;
}

export interface InitProducerIdRequest {
  /** null for an idempotent producer without transactions. */
  transactionalId: string | null;
  transactionTimeoutMs: number;
  /** Existing id and epoch when the producer bumps its epoch after an unresolved sequence (KIP-360). */
  producerId: number;
  producerEpoch: number;
}
export interface InitProducerIdResponse {
  error: ErrorCode;
  producerId: number;
  producerEpoch: number;
}

export interface FindCoordinatorRequest {
  keyType: 'group' | 'transaction';
  key: string;
}
export interface FindCoordinatorResponse {
  error: ErrorCode;
  nodeId: number;
}

export interface OffsetCommitRequest {
  group: string;
  offsets: Record<string, number>;
}
export interface OffsetCommitResponse {
  error: ErrorCode;
}
export interface OffsetFetchRequest {
  group: string;
  keys: string[];
}
export interface OffsetFetchResponse {
  error: ErrorCode;
  /** -1 for a partition with no committed offset. */
  offsets: Record<string, number>;
}

export interface BrokerHeartbeatRequest {
  brokerId: number;
  /** Changes on every restart (KRaft's incarnation id / broker epoch). */
  incarnation: number;
  metadataVersion: number;
}
export interface BrokerHeartbeatResponse {
  error: ErrorCode;
  image: MetadataImage | null;
}

export interface AlterPartitionRequest {
  brokerId: number;
  key: string;
  leaderEpoch: number;
  partitionEpoch: number;
  newIsr: number[];
  /** KIP-903's newIsrWithEpochs: the broker epoch of each newIsr member as the leader last saw it fetch (-1: not known). */
  newIsrBrokerEpochs: number[];
}
export interface AlterPartitionResponse {
  error: ErrorCode;
  registration: PartitionRegistration | null;
}

/**
 * Keys by topic and partition, each built once: a key names its partition in requests, maps and
 * coordinator look-ups many times a run, and a string built anew is allocated and hashed anew.
 */
const PARTITION_KEYS = new Map<string, string[]>();

export function partitionKey(topic: string, partition: number): string {
  if (!(Number.isInteger(partition) && partition >= 0)) return `${topic}/${partition}`;
  let keys = PARTITION_KEYS.get(topic);
  if (keys === undefined) PARTITION_KEYS.set(topic, (keys = []));
  return (keys[partition] ??= `${topic}/${partition}`);
}

/**
 * A partition's registration in a metadata image, or undefined (no image, or no such partition). A loop
 * rather than find(): clients and coordinators ask on every fetch, produce and marker, and find() made a
 * closure each time.
 */
export function registrationIn(image: MetadataImage | null, key: string): PartitionRegistration | undefined {
  if (image === null) return undefined;
  const partitions = image.partitions;
  for (let i = 0; i < partitions.length; i++) if (partitions[i].key === key) return partitions[i];
  return undefined;
}

export interface AddPartitionsToTxnRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  partitions: string[];
  /** KIP-890: a partition leader asks whether the partitions are already in the ongoing transaction. */
  verifyOnly: boolean;
}
export interface AddOffsetsToTxnRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  group: string;
}
export interface EndTxnRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  committed: boolean;
}
/** Transaction coordinator answers: an error, and the producer id/epoch to use next (KIP-890 bumps it). */
export interface TxnResponse {
  error: ErrorCode;
  producerId: number;
  producerEpoch: number;
}
export interface WriteTxnMarkersRequest {
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  result: ControlType;
  partitions: string[];
}
export interface WriteTxnMarkersResponse {
  errors: Record<string, ErrorCode>;
}
