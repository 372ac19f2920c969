// What travels between the consumer application and the external systems: request and response bodies of
// the Charge, LedgerRead and LedgerTxn calls.

export interface ChargeRequest {
  paymentId: string;
  amountCents: number;
  /** Idempotency key sent with the charge; null when the application sends none. */
  idempotencyKey: string | null;
}

export interface ChargeResponse {
  chargeId: string;
  /** The gateway recognised the idempotency key and returned an earlier charge. */
  replayed: boolean;
}

/** One statement of a ledger database transaction. */
export type DbStatement =
  /** Adds a ledger entry; with a row key, an upsert: nothing happens when the row exists. */
  | { op: 'book'; paymentId: string; amountCents: number; row: string | null }
  /** Inserts into the processed-table (primary key): the whole transaction fails if the key is there. */
  | { op: 'mark'; key: string }
  /**
   * Stores the consumer's next offsets (keys "topic/partition"). Offsets only move forward: the whole
   * transaction rolls back if a partition's stored offset has already reached the new one (that record
   * was applied), which makes a retried transaction harmless.
   */
  | { op: 'offsets'; offsets: Record<string, number> };

export interface LedgerTxnRequest {
  statements: DbStatement[];
}

export interface LedgerTxnResponse {
  /** false: rolled back (nothing of the transaction happened), for `reason`. */
  committed: boolean;
  reason?: 'DUPLICATE_KEY' | 'STALE_OFFSETS';
  /** Entries the transaction added (an upsert of an existing row adds none). */
  booked: number;
}

export interface LedgerReadRequest {
  /** Which of these processed-table keys exist. */
  keys: string[];
  /** Stored offsets for these partitions. */
  partitions: string[];
}

export interface LedgerReadResponse {
  present: string[];
  offsets: Record<string, number>;
}
