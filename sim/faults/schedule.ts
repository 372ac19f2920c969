// A fault schedule is plain data: a list of timed fault events. Scripted scenarios write it by hand; the
// random mode draws it up front from the `faults` stream, so every run's schedule is an explicit value
// that can be printed, edited, replayed and shrunk.

/** Which broker a fault strikes: a broker id, or whoever leads a partition when the fault fires. */
export type BrokerTarget = number | `leader:${string}`;

/** The RPCs a message fault can match (Kafka's ApiKeys names). */
export const API_NAMES = [
  'Produce', 'Fetch', 'Metadata', 'InitProducerId', 'FindCoordinator', 'OffsetCommit', 'OffsetFetch',
  'BrokerHeartbeat', 'AlterPartition', 'UpdateMetadata',
] as const;
export type ApiName = (typeof API_NAMES)[number];

export const CRASH_KINDS = ['process', 'power-loss'] as const;
/** process: the page cache survives, nothing written is lost. power-loss: the unflushed tail is lost. */
export type CrashKind = (typeof CRASH_KINDS)[number];

export const FAULT_KINDS = [
  'crash-broker', 'restart-broker', 'drop', 'delay', 'isolate', 'split', 'one-way', 'heal',
  'crash-client', 'restart-client',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** One sentence per fault kind, shown by `eos-sim list`. */
export const FAULT_DESCRIPTIONS: Record<FaultKind, string> = {
  'crash-broker': 'crash a broker (process crash keeps the page cache; power-loss drops the unflushed tail)',
  'restart-broker': 'restart a crashed broker; it truncates to its leader and catches up',
  drop: 'drop the next N requests or responses of an API (a dropped response is a lost ack) and reset the connection',
  delay: 'hold the next N messages of an API back for delayMs; they arrive late, after any retry',
  isolate: 'cut every link to and from one node',
  split: 'partition the nodes into groups that cannot reach each other',
  'one-way': 'cut the link from one node to another, leaving the way back open',
  heal: 'remove every partition and pending message rule',
  'crash-client': 'crash a client process (producer-N or consumer-N); it loses its in-memory state',
  'restart-client': 'start a crashed client again',
};

interface At { atMs: number }
export type FaultEvent =
  | (At & { fault: 'crash-broker'; broker: BrokerTarget; crash: CrashKind; restartAfterMs?: number })
  | (At & { fault: 'restart-broker'; broker: number })
  | (At & { fault: 'drop'; api: ApiName; message: 'request' | 'response'; node?: string; count: number })
  | (At & { fault: 'delay'; api: ApiName; message: 'request' | 'response'; node?: string; count: number; delayMs: number })
  | (At & { fault: 'isolate'; node: string })
  | (At & { fault: 'split'; groups: string[][] })
  | (At & { fault: 'one-way'; from: string; to: string })
  | (At & { fault: 'heal' })
  | (At & { fault: 'crash-client'; client: string; restartAfterMs?: number })
  | (At & { fault: 'restart-client'; client: string });

/** Random schedule: kinds and rate; drawn once, before the run, from the `faults` stream. */
export interface RandomFaults {
  kinds: FaultKind[];
  /** Mean time between two faults (exponentially distributed). */
  meanIntervalMs: number;
  fromMs: number;
  untilMs: number;
}

export type FaultSchedule = FaultEvent[];
