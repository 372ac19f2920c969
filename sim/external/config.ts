// Options of the systems past Kafka's boundary, with their units in their names and their defaults in one
// place. Scenario files use these field names (docs/scenarios.md, sections `gateway`, `ledgerDb`, `sink`).

/** A service's time to handle one request: min + an exponential tail with the given mean (ms). */
export interface ServiceLatency {
  latencyMsMin: number;
  latencyMsMean: number;
}

export interface GatewayConfig extends ServiceLatency {
  /**
   * The gateway honours idempotency keys: a charge whose key it has seen returns the original charge and
   * charges nothing (Stripe's Idempotency-Key). Off, every request is a new charge.
   */
  honoursIdempotencyKeys: boolean;
}

/** latency: executing a transaction and fsyncing its commit record. */
export type LedgerDbConfig = ServiceLatency;

/**
 * How the consumer application applies a payment past Kafka (sim/workload/payment-sink.ts tells each in
 * full): naive: charge, book, commit offsets to Kafka after the batch; dedup-table: check a processed-table
 * before charging, mark in the same database transaction as the booking; idempotency-key: the payment id
 * goes to the gateway as idempotency key and keys the ledger row (an upsert); db-offsets: the consumed
 * offsets go into the same database transaction as the booking and the consumer resumes from the database;
 * txn-coordinates: each record's coordinates (partition, offset) key the charge and a table of applied
 * coordinates, so a replayed record is discarded (Kafka Connect's approach).
 */
export const SINK_PATTERNS = ['naive', 'dedup-table', 'idempotency-key', 'db-offsets', 'txn-coordinates'] as const;
export type SinkPattern = (typeof SINK_PATTERNS)[number];

export interface SinkConfig {
  pattern: SinkPattern;
  /** How long the application waits for the gateway or the database before it treats a call as failed. */
  requestTimeoutMs: number;
  /** Wait before trying a failed call again (the application retries until the call succeeds). */
  retryBackoffMs: number;
}

export const DEFAULT_GATEWAY: GatewayConfig = { latencyMsMin: 2, latencyMsMean: 5, honoursIdempotencyKeys: true };
export const DEFAULT_LEDGER_DB: LedgerDbConfig = { latencyMsMin: 1, latencyMsMean: 2 };
/** Without a pattern the mode decides: idempotency-key where the mode promises an idempotent sink, else naive. */
export const DEFAULT_SINK: Omit<SinkConfig, 'pattern'> = { requestTimeoutMs: 100, retryBackoffMs: 20 };

/** Node ids of the external systems on the network (and as fault targets). */
export const GATEWAY_NODE = 'gateway';
export const LEDGER_DB_NODE = 'ledger-db';
