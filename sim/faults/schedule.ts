// A fault schedule is plain data: a list of timed fault events. Scripted scenarios write it by hand; the
// random mode draws it up front from the `faults` stream, so every run's schedule is an explicit value
// that can be printed, edited, replayed and shrunk.

/**
 * Which broker a fault strikes: a broker id, or a role resolved when the fault fires: whoever leads a
 * partition (internal topics too), the transaction coordinator of a transactional.id (the leader of its
 * __transaction_state partition) or the group coordinator of a consumer group (of its __consumer_offsets partition).
 */
export type BrokerTarget = number | `leader:${string}` | `txn-coordinator:${string}` | `group-coordinator:${string}`;

/** The RPCs a message fault can match (Kafka's ApiKeys names). */
export const API_NAMES = [
  'Produce', 'Fetch', 'Metadata', 'InitProducerId', 'FindCoordinator', 'OffsetCommit', 'OffsetFetch',
  'BrokerHeartbeat', 'AlterPartition', 'JoinGroup', 'SyncGroup', 'Heartbeat', 'LeaveGroup', 'TxnOffsetCommit',
  'AddPartitionsToTxn', 'AddOffsetsToTxn', 'EndTxn', 'WriteTxnMarkers',
  // Calls past Kafka's boundary (sim/external): the payment gateway and the ledger database.
  'Charge', 'LedgerRead', 'LedgerTxn',
] as const;
export type ApiName = (typeof API_NAMES)[number];

export const CRASH_KINDS = ['process', 'power-loss'] as const;
/** process: the page cache survives, nothing written is lost. power-loss: the unflushed tail is lost. */
export type CrashKind = (typeof CRASH_KINDS)[number];

/**
 * Protocol steps a `failpoint` fault can strike at; the broker where the step happened crashes right after it.
 * after-prepare-commit / after-prepare-abort: the transaction coordinator has written PrepareCommit /
 * PrepareAbort and answered the client, but sent no marker yet. after-commit-marker: a partition leader
 * appended a COMMIT marker. after-offset-commit: a group coordinator appended a committed offset.
 */
export const FAILPOINTS = ['after-prepare-commit', 'after-prepare-abort', 'after-commit-marker', 'after-offset-commit'] as const;
export type Failpoint = (typeof FAILPOINTS)[number];

export const FAULT_KINDS = [
  'crash-broker', 'restart-broker', 'stall-broker', 'drop', 'delay', 'isolate', 'split', 'one-way', 'heal',
  'crash-client', 'restart-client', 'pause-client', 'replace-client', 'failpoint',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One sentence per fault kind, shown by `eos-sim list`. */
export const FAULT_DESCRIPTIONS: Record<FaultKind, string> = {
  'crash-broker': 'crash a broker (process crash keeps the page cache; power-loss drops the unflushed tail)',
  'restart-broker': 'restart a crashed broker; it truncates to its leader and catches up',
  'stall-broker': 'stall a broker process for forMs (a long GC pause, a stuck request handler or disk): its traffic waits both ways, then the requests it received meanwhile are served, late',
  drop: 'drop the next N requests or responses of an API (a dropped response is a lost ack) and reset the connection',
  delay: 'hold the next N messages of an API back for delayMs inside their connection; a request its client gave up on meanwhile is still served',
  isolate: 'cut every link to and from one node; what is sent over a cut link waits for the heal, then arrives',
  split: 'partition the nodes into groups that cannot reach each other',
  'one-way': 'cut the link from one node to another, leaving the way back open',
  heal: 'remove every partition and pending message rule',
  'crash-client': 'crash a client process (producer-N or consumer-N); it loses its in-memory state (permanent: true keeps it down for good)',
  'restart-client': 'start a crashed client again',
  'pause-client': 'stall a client process for forMs (a GC or VM pause): it does nothing and its traffic waits, then it carries on as if nothing happened',
  failpoint: 'from atMs on, crash the broker where a protocol step next happens (e.g. right after PrepareCommit is written); with times: N, the next N times',
  'replace-client': 'start a second instance of a client\'s application with the same transactional.id and group (named <client>.2); the first, if alive, becomes a zombie',
};

interface At { atMs: number }
export type FaultEvent =
  | (At & { fault: 'crash-broker'; broker: BrokerTarget; crash: CrashKind; restartAfterMs?: number })
  | (At & { fault: 'restart-broker'; broker: number })
  | (At & { fault: 'stall-broker'; broker: BrokerTarget; forMs: number })
  | (At & { fault: 'drop'; api: ApiName; message: 'request' | 'response'; node?: string; count: number })
  | (At & { fault: 'delay'; api: ApiName; message: 'request' | 'response'; node?: string; count: number; delayMs: number })
  | (At & { fault: 'isolate'; node: string })
  | (At & { fault: 'split'; groups: string[][] })
  | (At & { fault: 'one-way'; from: string; to: string })
  | (At & { fault: 'heal' })
  | (At & {
    fault: 'crash-client'; client: string; restartAfterMs?: number;
    /** The application is gone for good (decommissioned, its host lost): the end-of-schedule heal leaves it down. */
    permanent?: boolean;
  })
  | (At & { fault: 'restart-client'; client: string })
  | (At & { fault: 'pause-client'; client: string; forMs: number })
  | (At & { fault: 'replace-client'; client: string })
  | (At & { fault: 'failpoint'; point: Failpoint; crash: CrashKind; restartAfterMs?: number; times?: number });

/** Random schedule: kinds and rate; drawn once, before the run, from the `faults` stream. */
export interface RandomFaults {
  kinds: FaultKind[];
  /** Mean time between two faults (exponentially distributed). */
  meanIntervalMs: number;
  fromMs: number;
  untilMs: number;
}

export type FaultSchedule = FaultEvent[];
