// History format v1: the checker's only input (docs/history-format.md is the contract). One JSON Lines
// file: a header line, operation lines, then optional final lines. This module holds the types (parse.ts
// validates and serialises them); it imports nothing from the model, so other harnesses can produce the same.

export const HISTORY_VERSION = 1;

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';
export type OpF = 'send' | 'poll' | 'txn' | 'commit' | 'assign' | 'subscribe' | 'crash' | 'apply' | 'fault' | 'charge' | 'ledger';
export const OP_TYPES: readonly OpType[] = ['invoke', 'ok', 'fail', 'info'];
export const OP_FS: readonly OpF[] = ['send', 'poll', 'txn', 'commit', 'assign', 'subscribe', 'crash', 'apply', 'fault', 'charge', 'ledger'];
/** How an operation ended: an invoke that never completes counts as info (its effect is unknown). */
export type Outcome = Exclude<OpType, 'invoke'>;

/** "topic/partition", e.g. "payments/0". */
export type Key = string;

export type SendMop = ['send', Key, string] | ['send', Key, [number | null, string]];
export type PollMop = ['poll'] | ['poll', Record<Key, [number, string][]>];
export type CommitMop = ['commit', string, Record<Key, number>];
export type ApplyMop = ['apply', string, string];
export type Mop = SendMop | PollMop | CommitMop | ApplyMop | PaymentMop;

// Past Kafka's boundary (docs/history-format.md, "Payments"): a charge at a payment gateway (f "charge")
// and a ledger database transaction (f "ledger": book, mark and offsets statements, all or nothing).
export interface ChargeFacts {
  amountCents: number;
  /** Idempotency key sent with the charge; null when none was. */
  key: string | null;
  /** The record the charge was made for: [key, offset]. */
  from: [Key, number];
  /** On an ok completion: the gateway's charge id. */
  chargeId?: string;
}
export type ChargeMop = ['charge', string, string, ChargeFacts];
export type BookMop = ['book', string, string, { amountCents: number; row: string | null }];
export type MarkMop = ['mark', string, string];
export type DbOffsetsMop = ['offsets', string, Record<Key, number>];
export type PaymentMop = ChargeMop | BookMop | MarkMop | DbOffsetsMop;

export interface PaymentsDescription {
  /** Every committed record of these topics is a payment that must be charged exactly once. */
  topics: string[];
  gateway: string;
  ledger: string;
}

export type Isolation = 'read_committed' | 'read_uncommitted';
export const ISOLATIONS: readonly Isolation[] = ['read_committed', 'read_uncommitted'];
export const ACKS: readonly ProducerDescription['acks'][] = ['0', '1', 'all'];

export interface ProducerDescription {
  acks: '0' | '1' | 'all';
  idempotence: boolean;
  maxInFlight: number;
  retries: number;
  transactional: boolean;
}

export interface SinkDescription {
  /** Sink name used in apply micro-ops and the final sink line. */
  name: string;
  /** Every committed record of these topics must be applied to this sink exactly once. */
  topics: string[];
}

export interface HistoryHeader {
  history: 'eos-sim';
  version: 1;
  scenario: string;
  mode: string;
  seed: number;
  bugs: string[];
  isolation: Isolation;
  /** The Kafka release the run modelled (e.g. "4.2"); informational, absent from other harnesses. */
  kafka?: string;
  /** Producer settings that change what is legal (order is promised with idempotence or maxInFlight 1). */
  producer?: ProducerDescription;
  sinks?: SinkDescription[];
  payments?: PaymentsDescription;
  /**
   * false when the run ended at its time limit without quiescing (a liveness failure): what was still in
   * flight then is not judged as lost. Absent: the run quiesced, or the harness does not say.
   */
  quiesced?: boolean;
}

/**
 * What a header that leaves a field out means. Only `history` and `version` are required. read_committed is
 * Jepsen's judgement too: its checker treats every read of failed or uncommitted data as an anomaly.
 */
export const HEADER_DEFAULTS: Pick<HistoryHeader, 'scenario' | 'mode' | 'seed' | 'isolation'> = {
  scenario: 'unnamed', mode: 'unknown', seed: 0, isolation: 'read_committed',
};

export interface Op {
  index: number;
  id: number;
  time: number;
  process: string;
  type: OpType;
  f: OpF;
  /**
   * A list of micro-ops for send/poll/txn/commit/apply; a list of keys/topics for assign/subscribe; null
   * for crash, and for a fail/info completion that has nothing to add to its invoke; for fault (process
   * "nemesis") a one-element list describing the fault.
   */
  value: Mop[] | string[] | null;
  /**
   * txn only: when the application asked for the commit (commitTransaction, i.e. EndTxn(commit) sent), in
   * µs. A read_committed poll that returned the transaction's data before this time read uncommitted data.
   */
  commit?: number;
  error?: string;
}

export interface RecordMeta {
  pid: number | null;
  epoch: number | null;
  seq: number | null;
  /** Outcome of the record's transaction; null for a non-transactional record. */
  txn: TxnOutcome | null;
}
export type TxnOutcome = 'committed' | 'aborted';
export const TXN_OUTCOMES: readonly TxnOutcome[] = ['committed', 'aborted'];

export interface FinalLog {
  final: 'log';
  key: Key;
  hw: number;
  lso: number;
  /** Data records below hw, in offset order; control records are omitted, their offsets left as gaps. */
  records: [number, string, RecordMeta][];
}
export interface FinalOffsets { final: 'offsets'; group: string; offsets: Record<Key, number> }
export interface FinalSink { final: 'sink'; name: string; applied: [string, string, number][] }
/** The gateway's own account of every charge it made: [chargeId, paymentId, amountCents, idempotencyKey]. */
export interface FinalGateway { final: 'gateway'; name: string; charges: [string, string, number, string | null][] }
/** The ledger database's committed entries [paymentId, amountCents] and its balance. */
export interface FinalLedger { final: 'ledger'; name: string; entries: [string, number][]; balanceCents: number }
export type FinalLine = FinalLog | FinalOffsets | FinalSink | FinalGateway | FinalLedger;

export interface History {
  header: HistoryHeader;
  ops: Op[];
  finals: FinalLine[];
}

/** The topic of a key: everything before the last "/" ("payments/0" → "payments"). */
export function topicOf(key: Key): string {
  return key.slice(0, key.lastIndexOf('/'));
}
