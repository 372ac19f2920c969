// The checker's result as plain data (docs/anomalies.md explains every kind). Formatters in sim/report
// turn it into text, JSON, HTML or JUnit; nothing here formats beyond the one-sentence message.
import { canonicalOp } from './parse.ts';
import type { Key, Op } from './history.ts';
import type { HistoryIndex } from './index.ts';
import { PAYMENT_ANOMALY_DESCRIPTIONS, PAYMENT_ANOMALY_KINDS } from './payment-kinds.ts';

/** Every kind, in the order the checker runs its families and reports them. Jepsen's names where they match. */
export const ANOMALY_KINDS = [
  'lost-write',
  'duplicate',
  'inconsistent-offsets',
  'order-violation',
  'nonmonotonic-poll',
  'poll-skip',
  'duplicate-processing',
  'lost-processing',
  'aborted-read',
  'uncommitted-read',
  'broken-atomicity',
  'zombie-write',
  'pipeline-violation',
  'hanging-transaction',
  'liveness',
  ...PAYMENT_ANOMALY_KINDS,
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** One sentence per kind, for listings and report legends. */
export const ANOMALY_DESCRIPTIONS: Record<AnomalyKind, string> = {
  'lost-write': 'an acknowledged or committed write is not readable at the end (Jepsen: lost-write / unseen)',
  duplicate: 'one value stands at two offsets (Jepsen: duplicate)',
  'inconsistent-offsets': 'two different values are claimed for one offset (Jepsen: inconsistent-offsets)',
  'order-violation': "one producer's acknowledged sends to a partition landed out of send order where order is promised (Jepsen: nonmonotonic-send)",
  'nonmonotonic-poll': "a consumer's position went back without an assign or crash (Jepsen: nonmonotonic-poll)",
  'poll-skip': 'a consumer jumped over records without an assign or crash (Jepsen: poll-skip)',
  'duplicate-processing': 'one value was applied to an external sink more than once',
  'lost-processing': 'a committed record of a sink\'s topics was never applied to the sink',
  'aborted-read': 'a read_committed consumer read data of an aborted transaction (Jepsen/Adya: G1a)',
  'uncommitted-read': 'a read_committed consumer read past the last stable offset, into undecided data',
  'broken-atomicity': 'a transaction took effect in part, or a failed transaction took effect',
  'zombie-write': "a fenced producer epoch's data took effect",
  'pipeline-violation': 'a consumed and committed input has no committed output, or more than one',
  'hanging-transaction': 'a transaction was still open at the end of the run, pinning the last stable offset',
  liveness: 'the run did not quiesce: it ended at its time limit with work still unfinished',
  ...PAYMENT_ANOMALY_DESCRIPTIONS,
};

/** The evidence for one anomaly: the facts it is about and the history lines that prove it. */
export interface Witness {
  value?: string;
  /** Two or more values, when the anomaly is about their relation (conflicting claims, order). */
  values?: string[];
  key?: Key;
  offsets?: number[];
  process?: string;
  pid?: number;
  epoch?: number;
  /** zombie-write: [the fenced epoch, the newer epoch that fenced it]. */
  epochs?: number[];
  seq?: number;
  group?: string;
  sink?: string;
  /** How many times a value was applied to a sink. */
  times?: number;
  lso?: number;
  hw?: number;
  /** The `index` fields of the operation lines that prove the anomaly, ascending. */
  opIndexes: number[];
  /** Those lines plus their invoke/completion partners and the process's preceding line; at most MAX_EVENTS. */
  events: Op[];
  /** The run's seed, so the witness can be replayed. */
  seed: number;
}

export interface Anomaly {
  kind: AnomalyKind;
  /** One readable sentence. */
  message: string;
  witness: Witness;
}

export interface OutcomeCounts { ok: number; info: number; fail: number }

export interface CheckStats {
  /** Operation lines. */
  ops: number;
  /** Send micro-ops outside transactions, by outcome (an invoke that never completed counts as info). */
  sends: OutcomeCounts;
  /** Transactions, by outcome. */
  txns: OutcomeCounts;
  /** Polls that completed ok. */
  polls: number;
  /** [offset, value] pairs those polls returned. */
  valuesRead: number;
  /** Apply micro-ops that completed ok. */
  applies: number;
  finalLogs: number;
  finalRecords: number;
}

export interface CheckResult {
  verdict: 'pass' | 'fail';
  /** At most MAX_REPORTED_PER_KIND per kind, kinds in ANOMALY_KINDS order, each kind in history order. */
  anomalies: Anomaly[];
  /** Every anomaly found, reported or not. */
  counts: Record<AnomalyKind, number>;
  stats: CheckStats;
}

export const MAX_REPORTED_PER_KIND = 20;
export const MAX_EVENTS = 8;

/** What a family knows about an anomaly; the op indexes, events and seed are filled in from the index. */
export type WitnessFacts = Omit<Witness, 'opIndexes' | 'events' | 'seed'> & {
  /** Positions in history.ops of the proving lines. */
  positions: number[];
};

const ascending = (a: number, b: number) => a - b;

export function makeAnomaly(ix: HistoryIndex, kind: AnomalyKind, message: string, facts: WitnessFacts): Anomaly {
  const proving = [...new Set(facts.positions.filter((p) => p >= 0))].sort(ascending);
  // The proving lines come first, so the cap can only drop context.
  const shown = new Set<number>(proving.slice(0, MAX_EVENTS));
  const add = (p: number) => { if (p >= 0 && shown.size < MAX_EVENTS) shown.add(p); };
  for (const p of proving) add(ix.partner[p]);
  for (const p of proving) add(ix.prevOfProcess(p));
  // Fields in the order Witness declares them, so equal anomalies serialise to equal bytes.
  const witness: Witness = {
    value: facts.value, values: facts.values, key: facts.key, offsets: facts.offsets, process: facts.process,
    pid: facts.pid, epoch: facts.epoch, epochs: facts.epochs, seq: facts.seq, group: facts.group, sink: facts.sink,
    times: facts.times, lso: facts.lso, hw: facts.hw,
    opIndexes: proving.map((p) => ix.ops.indexOf(p)),
    events: [...shown].sort(ascending).map((p) => canonicalOp(ix.opAt(p))),
    seed: ix.seed,
  };
  for (const field of Object.keys(witness) as (keyof Witness)[]) {
    if (witness[field] === undefined) delete witness[field];
  }
  return { kind, message, witness };
}

/** How messages name a history line: by its `index` field, as witnesses do. */
export const opRef = (ix: HistoryIndex, pos: number): string => `op ${ix.ops.indexOf(pos)}`;

/** "offsets 3, 5 and 8" */
export function listed(items: (string | number)[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
