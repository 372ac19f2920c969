// The facts every anomaly family reads, built once per history in a few linear passes. Everything is
// addressed by position in history.ops (not by the op's `index` field, which only witnesses report), and
// every list is in history order, so the families can iterate without sorting and stay deterministic.
import type {
  FinalLog, FinalOffsets, FinalSink, History, Key, Mop, Op, OpF, Outcome, RecordMeta,
} from './history.ts';

/** Errors after which a transactional producer instance is a zombie: Kafka treats both as fatal. */
export const FENCING_ERRORS: readonly string[] = ['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH'];

/** One ["send", key, value] of a send or txn operation. */
export interface Write {
  value: string;
  key: Key;
  process: string;
  /** Positions in history.ops of the invoke and the completion line; -1 where there is none. */
  invoke: number;
  done: number;
  /** The send operation's outcome, or for a send inside a transaction the transaction's. */
  type: Outcome;
  /** The offset a completion claimed for the record; null when none was given (acks=0, no ack). */
  offset: number | null;
  /** Index into `txns` of the transaction the send belongs to; -1 for a plain send. */
  txn: number;
}

export interface Txn {
  process: string;
  invoke: number;
  done: number;
  type: Outcome;
  /** The completion's error, e.g. PRODUCER_FENCED. */
  error: string | undefined;
  /** Indexes into `writes`, in micro-op order. */
  writes: number[];
}

/** One [offset, value] returned by an ok poll. */
export interface Read {
  process: string;
  key: Key;
  offset: number;
  value: string;
  /** Position of the poll's completion line. */
  pos: number;
}

/** One ["apply", sink, value] of an apply operation. */
export interface Apply {
  process: string;
  sink: string;
  value: string;
  /** Position of the completion line (the invoke's when the operation never completed). */
  pos: number;
  type: Outcome;
}

export interface LogView {
  log: FinalLog;
  /** offset → index into log.records. */
  at: Map<number, number>;
  /** value → indexes into log.records, in offset order. */
  recordsOf: Map<string, number[]>;
}

/** A record of a final log, with its key. */
export interface KeyedRecord { key: Key; record: FinalLog['records'][number] }

/**
 * The offsets of a key that readers must not jump over, ascending, with their values: the final log's
 * records a reader of the header's isolation can see, or without a final log the offsets any poll read
 * (Jepsen's inferred version order).
 */
export interface VersionOrder { offsets: number[]; values: string[] }

/** Whether a write's value is readable at the end of the run. */
export type Presence = 'present' | 'absent' | 'unknown';

export interface HistoryIndex {
  history: History;
  ops: Op[];
  seed: number;
  readCommitted: boolean;
  /** The producer settings promise per-partition order: idempotence, or one request in flight. */
  ordered: boolean;
  /** Position of the other line of an invoke/completion pair; -1 for a lone line. */
  partner: Int32Array;
  /** Position of the same process's previous line; -1 for its first. */
  prevOfProcess: Int32Array;
  writes: Write[];
  txns: Txn[];
  reads: Read[];
  applies: Apply[];
  writesOf: Map<string, number[]>;
  readsOf: Map<string, number[]>;
  logs: Map<Key, LogView>;
  finalOffsets: Map<string, FinalOffsets>;
  finalSinks: Map<string, FinalSink>;
  versionOrder: Map<Key, VersionOrder>;
  /** Per txn: the final-log records that are provably its own (see ownRecords()). */
  ownRecords: KeyedRecord[][];
  /** Per txn: 1 when the history proves it committed. */
  txnCommitted: Uint8Array;
  /** Per txn: position of the fencing error that makes it a zombie's transaction, or -1. */
  fencedAt: Int32Array;
  /** Per write: 1 when the write is known to have taken effect (ok, or proven by a read). */
  committed: Uint8Array;
  presence: Presence[];
  /** Per write: position of the poll that read past an absent write with no final log to judge by, or -1. */
  passedBy: Int32Array;
}

export const isAborted = (meta: RecordMeta): boolean => meta.txn === 'aborted';

/** Position of an operation's first line. */
export const firstPos = (o: { invoke: number; done: number }): number => (o.invoke >= 0 ? o.invoke : o.done);

const CARRIES_MOPS: ReadonlySet<OpF> = new Set<OpF>(['send', 'poll', 'txn', 'commit', 'apply']);

/** The micro-ops of an op; none for the fs whose value is not a list of micro-ops, or a null completion. */
export function mopsOf(op: Op): Mop[] {
  return CARRIES_MOPS.has(op.f) && op.value !== null ? (op.value as Mop[]) : [];
}

/** The final-log record at an offset, if the final log holds that value there. */
export function recordHolding(ix: HistoryIndex, key: Key, offset: number, value: string): RecordMeta | undefined {
  const view = ix.logs.get(key);
  const i = view?.at.get(offset);
  return view === undefined || i === undefined || view.log.records[i][1] !== value ? undefined : view.log.records[i][2];
}

export function wasRead(ix: HistoryIndex, key: Key, value: string): boolean {
  return (ix.readsOf.get(value) ?? []).some((r) => ix.reads[r].key === key);
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}

/**
 * The sends of an operation: those on the invoke, then any only on the completion, with the offset the
 * completion claims. Harnesses may log a transaction's sends on either line, so both are read. The
 * completion usually lists the invoke's sends in the same order, so each is looked for there first.
 */
function sendsOf(invoke: Op | undefined, done: Op | undefined): { key: Key; value: string; offset: number | null }[] {
  const out: { key: Key; value: string; offset: number | null }[] = [];
  for (const op of [invoke, done]) {
    if (op === undefined) continue;
    const mops = mopsOf(op);
    for (let j = 0; j < mops.length; j++) {
      const m = mops[j];
      if (m[0] !== 'send') continue;
      const [, key, r] = m;
      const value = typeof r === 'string' ? r : r[1];
      const offset = typeof r === 'string' ? null : r[0];
      let found = j < out.length && out[j].key === key && out[j].value === value ? j : -1;
      for (let i = 0; found < 0 && i < out.length; i++) if (out[i].key === key && out[i].value === value) found = i;
      if (found < 0) out.push({ key, value, offset });
      else if (offset !== null) out[found].offset = offset;
    }
  }
  return out;
}

function pairLines(ops: Op[]): { partner: Int32Array; prevOfProcess: Int32Array } {
  const partner = new Int32Array(ops.length).fill(-1);
  const prevOfProcess = new Int32Array(ops.length).fill(-1);
  // Per process: its last line, and its open invokes by id.
  const processes = new Map<string, { last: number; open: Map<number, number> }>();
  for (let p = 0; p < ops.length; p++) {
    const op = ops[p];
    let proc = processes.get(op.process);
    if (proc === undefined) processes.set(op.process, (proc = { last: -1, open: new Map() }));
    prevOfProcess[p] = proc.last;
    proc.last = p;
    if (op.type === 'invoke') {
      proc.open.set(op.id, p);
      continue;
    }
    const invoke = proc.open.get(op.id);
    if (invoke !== undefined && ops[invoke].f === op.f) {
      partner[p] = invoke;
      partner[invoke] = p;
      proc.open.delete(op.id);
    }
  }
  return { partner, prevOfProcess };
}

export function buildIndex(history: History): HistoryIndex {
  const ops = history.ops;
  const { partner, prevOfProcess } = pairLines(ops);
  const writes: Write[] = [];
  const txns: Txn[] = [];
  const applies: Apply[] = [];
  // Operations in the order of their first line, so writes are in the order they were invoked.
  for (let p = 0; p < ops.length; p++) {
    const op = ops[p];
    if (op.type !== 'invoke' && partner[p] >= 0) continue;
    const invoke = op.type === 'invoke' ? p : -1;
    const done = op.type === 'invoke' ? partner[p] : p;
    const type: Outcome = done >= 0 ? (ops[done].type as Outcome) : 'info';
    const invokeOp = invoke >= 0 ? ops[invoke] : undefined;
    const doneOp = done >= 0 ? ops[done] : undefined;
    if (op.f === 'send' || op.f === 'txn') {
      const txn = op.f === 'txn' ? txns.length : -1;
      const ids: number[] = [];
      for (const { key, value, offset } of sendsOf(invokeOp, doneOp)) {
        ids.push(writes.length);
        writes.push({ value, key, process: op.process, invoke, done, type, offset, txn });
      }
      if (op.f === 'txn') txns.push({ process: op.process, invoke, done, type, error: doneOp?.error, writes: ids });
    } else if (op.f === 'apply') {
      // The completion's micro-ops, unless it has none (a completion may carry null).
      const doneMops = doneOp === undefined ? [] : mopsOf(doneOp);
      for (const m of doneMops.length > 0 || invokeOp === undefined ? doneMops : mopsOf(invokeOp)) {
        if (m[0] === 'apply') applies.push({ process: op.process, sink: m[1], value: m[2], pos: done >= 0 ? done : invoke, type });
      }
    }
  }

  const reads: Read[] = [];
  for (let p = 0; p < ops.length; p++) {
    const op = ops[p];
    if (op.type !== 'ok' || (op.f !== 'poll' && op.f !== 'txn')) continue;
    for (const m of mopsOf(op)) {
      if (m[0] !== 'poll' || m.length !== 2) continue;
      for (const key of Object.keys(m[1])) {
        for (const [offset, value] of m[1][key]) reads.push({ process: op.process, key, offset, value, pos: p });
      }
    }
  }

  const writesOf = new Map<string, number[]>();
  writes.forEach((w, i) => push(writesOf, w.value, i));
  const readsOf = new Map<string, number[]>();
  reads.forEach((r, i) => push(readsOf, r.value, i));

  const logs = new Map<Key, LogView>();
  const finalOffsets = new Map<string, FinalOffsets>();
  const finalSinks = new Map<string, FinalSink>();
  for (const f of history.finals) {
    if (f.final === 'offsets') finalOffsets.set(f.group, f);
    else if (f.final === 'sink') finalSinks.set(f.name, f);
    else if (f.final === 'log') {
      const at = new Map<number, number>();
      const recordsOf = new Map<string, number[]>();
      f.records.forEach(([offset, value], i) => {
        at.set(offset, i);
        push(recordsOf, value, i);
      });
      logs.set(f.key, { log: f, at, recordsOf });
    }
  }

  const readCommitted = history.header.isolation === 'read_committed';
  const producer = history.header.producer;
  const ix: HistoryIndex = {
    history, ops, seed: history.header.seed, readCommitted,
    ordered: producer !== undefined && (producer.idempotence || producer.maxInFlight === 1),
    partner, prevOfProcess, writes, txns, reads, applies, writesOf, readsOf, logs, finalOffsets, finalSinks,
    versionOrder: buildVersionOrder(reads, logs, readCommitted),
    ownRecords: [], txnCommitted: new Uint8Array(txns.length), fencedAt: new Int32Array(txns.length).fill(-1),
    committed: new Uint8Array(writes.length), presence: [], passedBy: new Int32Array(0),
  };
  ix.ownRecords = txns.map((t) => ownRecords(ix, t));
  txns.forEach((t, i) => { ix.txnCommitted[i] = txnProvenCommitted(ix, t, ix.ownRecords[i]) ? 1 : 0; });
  markFenced(ix);
  writes.forEach((w, i) => {
    const committed = w.txn >= 0 ? ix.txnCommitted[w.txn] === 1 : w.type === 'ok' || (w.type === 'info' && wasRead(ix, w.key, w.value));
    ix.committed[i] = committed ? 1 : 0;
  });
  ({ presence: ix.presence, passedBy: ix.passedBy } = presences(ix));
  return ix;
}

function buildVersionOrder(reads: Read[], logs: Map<Key, LogView>, readCommitted: boolean): Map<Key, VersionOrder> {
  const orders = new Map<Key, VersionOrder>();
  for (const [key, { log }] of logs) {
    // Control records are gaps already; aborted records are invisible to read_committed readers.
    const visible = log.records.filter(([, , meta]) => !(readCommitted && isAborted(meta)));
    orders.set(key, { offsets: visible.map((r) => r[0]), values: visible.map((r) => r[1]) });
  }
  const seen = new Map<Key, Map<number, string>>();
  for (const r of reads) {
    if (logs.has(r.key)) continue;
    let byOffset = seen.get(r.key);
    if (byOffset === undefined) seen.set(r.key, (byOffset = new Map()));
    if (!byOffset.has(r.offset)) byOffset.set(r.offset, r.value);
  }
  for (const [key, byOffset] of seen) {
    const offsets = [...byOffset.keys()].sort((a, b) => a - b);
    orders.set(key, { offsets, values: offsets.map((o) => byOffset.get(o)!) });
  }
  return orders;
}

/**
 * The final-log records that are provably the transaction's own: the record at the offset its completion
 * claimed, or, for a value no other operation sent to that key, every record of the value. A value
 * resent by an application-level retry cannot be pinned to one attempt, so it is left out.
 */
function ownRecords(ix: HistoryIndex, t: Txn): KeyedRecord[] {
  const own: KeyedRecord[] = [];
  for (const wi of t.writes) {
    const w = ix.writes[wi];
    const view = ix.logs.get(w.key);
    if (view === undefined) continue;
    const atOffset = w.offset === null ? undefined : view.at.get(w.offset);
    if (atOffset !== undefined && view.log.records[atOffset][1] === w.value) {
      own.push({ key: w.key, record: view.log.records[atOffset] });
    } else if (ix.writesOf.get(w.value)!.every((o) => o === wi || ix.writes[o].key !== w.key)) {
      for (const i of view.recordsOf.get(w.value) ?? []) own.push({ key: w.key, record: view.log.records[i] });
    }
  }
  return own;
}

/**
 * ok proves a commit and fail an abort. For info the final log decides when it holds the transaction's
 * records; without them a read_committed reader that saw one of its values proves the commit (the same
 * rule Jepsen applies to info writes).
 */
function txnProvenCommitted(ix: HistoryIndex, t: Txn, own: KeyedRecord[]): boolean {
  if (t.type !== 'info') return t.type === 'ok';
  const outcomes = own.map((r) => r.record[2].txn);
  if (outcomes.includes('committed')) return true;
  if (outcomes.includes('aborted')) return false;
  return ix.readCommitted && t.writes.some((wi) => wasRead(ix, ix.writes[wi].key, ix.writes[wi].value));
}

/**
 * A transaction is a zombie's when its own completion reports fencing, or when its process was told it
 * was fenced before the transaction began and has not crashed (restarted as a new instance) since.
 */
function markFenced(ix: HistoryIndex): void {
  const txnStartingAt = new Map<number, number>();
  ix.txns.forEach((t, i) => txnStartingAt.set(firstPos(t), i));
  const fencedSince = new Map<string, number>();
  ix.ops.forEach((op, p) => {
    const t = txnStartingAt.get(p);
    if (t !== undefined) ix.fencedAt[t] = fencedSince.get(op.process) ?? -1;
    if (op.f === 'crash') fencedSince.delete(op.process);
    else if (op.error !== undefined && FENCING_ERRORS.includes(op.error) && !fencedSince.has(op.process)) {
      fencedSince.set(op.process, p);
    }
  });
  ix.txns.forEach((t, i) => {
    if (ix.fencedAt[i] < 0 && t.error !== undefined && FENCING_ERRORS.includes(t.error)) ix.fencedAt[i] = t.done;
  });
}

/**
 * With a final log a write is present when a record of its value is not aborted. Without one it is
 * present once read, and absent when polls read past it (Jepsen's "unseen"): past its acknowledged
 * offset, or, with no offset (acks=0), a value the same process first sent only after this send
 * completed (one connection is FIFO; another client's request may overtake). `passedBy` names the read.
 */
function presences(ix: HistoryIndex): { presence: Presence[]; passedBy: Int32Array } {
  // Per key, the read at the highest offset; per key and sending process, the read of the value first sent latest.
  const furthest = new Map<Key, Read>();
  const latest = new Map<string, { read: Read; sentAt: number }>();
  for (const r of ix.reads) {
    if (r.offset > (furthest.get(r.key)?.offset ?? -1)) furthest.set(r.key, r);
    const firstWrite = ix.writesOf.get(r.value)?.[0];
    if (firstWrite === undefined) continue;
    const w = ix.writes[firstWrite];
    const kp = `${r.key}\u0000${w.process}`;
    if (firstPos(w) > (latest.get(kp)?.sentAt ?? -1)) latest.set(kp, { read: r, sentAt: firstPos(w) });
  }
  const passedBy = new Int32Array(ix.writes.length).fill(-1);
  const presence = ix.writes.map((w, i): Presence => {
    const view = ix.logs.get(w.key);
    if (view !== undefined) {
      const records = view.recordsOf.get(w.value) ?? [];
      return records.some((r) => !isAborted(view.log.records[r][2])) ? 'present' : 'absent';
    }
    if (wasRead(ix, w.key, w.value)) return 'present';
    const far = furthest.get(w.key);
    const late = latest.get(`${w.key}\u0000${w.process}`);
    const past = w.offset !== null
      ? (far !== undefined && far.offset > w.offset ? far : undefined)
      : (late !== undefined && w.done >= 0 && late.sentAt > w.done ? late.read : undefined);
    if (past === undefined) return 'unknown';
    passedBy[i] = past.pos;
    return 'absent';
  });
  return { presence, passedBy };
}

/** Positions of the invoke and completion lines of the first `limit` sends of a value to a key, for witnesses. */
export function sendPositions(ix: HistoryIndex, key: Key, value: string, limit = 2): number[] {
  return (ix.writesOf.get(value) ?? []).filter((w) => ix.writes[w].key === key).slice(0, limit)
    .flatMap((w) => [ix.writes[w].invoke, ix.writes[w].done]);
}
