// The facts every anomaly family reads, built in one pass over the operation lines as they are read, then
// a few linear passes over what that pass collected. Everything is
// addressed by position in history.ops (not by the op's `index` field, which only witnesses report), and
// every list is in history order, so the families can iterate without sorting and stay deterministic.
// A million-operation history has hundreds of thousands of values, each written, read and logged: the
// lines, writes, reads and final logs' records are kept as columns (tables.ts, final-logs.ts), values,
// keys and processes get integer ids (a string made only when asked for), and "the writes of a value" is
// a slice of one typed array (Groups), not a Map of small arrays.
import { FinalLogColumns, LogView } from './final-logs.ts';
import type {
  FinalGateway, FinalLedger, FinalLine, FinalLog, FinalOffsets, FinalSink, History, HistoryHeader, Key, Mop, Op, OpF, Outcome,
} from './history.ts';
import type { Interner } from './interner.ts';
import { rowOfOp, OpRow } from './op-row.ts';
import { OpenInvokes } from './open-invokes.ts';
import { Column, Groups, newNames, OpHeads, Reads, Writes } from './tables.ts';
import type { Names } from './tables.ts';

export type { OpHead, Read, Write } from './tables.ts';

type PaymentFinal = FinalGateway | FinalLedger;

/** Errors after which a transactional producer instance is a zombie: Kafka treats both as fatal. */
export const FENCING_ERRORS: readonly string[] = ['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH'];

export interface Txn {
  process: string;
  invoke: number;
  done: number;
  type: Outcome;
  /** The completion's error, e.g. PRODUCER_FENCED. */
  error: string | undefined;
  /** When the commit was requested (µs, the `commit` field of its lines); -1 when the history does not say. */
  commitAt: number;
  /** Indexes into `writes`, in micro-op order. */
  writes: number[];
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

/** A record of a final log, with its key. */
export interface KeyedRecord { key: Key; record: FinalLog['records'][number] }

/**
 * The offsets of a key that readers must not jump over, ascending, with their values' ids: the final
 * log's records a reader of the header's isolation can see, or without a final log the offsets any poll
 * read (Jepsen's inferred version order).
 */
export interface VersionOrder { offsets: ArrayLike<number>; vids: ArrayLike<number> }

/** Whether a write's value is readable at the end of the run. */
export type Presence = 'present' | 'absent' | 'unknown';

export interface HistoryIndex {
  header: HistoryHeader;
  /** Every operation line without its micro-ops, by position. */
  ops: OpHeads;
  /** The whole line at a position, micro-ops included (for witnesses). */
  opAt: (pos: number) => Op;
  seed: number;
  readCommitted: boolean;
  /**
   * The producer settings promise per-partition order: idempotence, or one request in flight. A header
   * that says nothing about the producer is judged as Jepsen does: order promised.
   */
  ordered: boolean;
  /**
   * A send operation with several sends is one transaction (all or nothing): in a transactional history,
   * or when the header says nothing about the producer (Jepsen treats every operation as a transaction).
   */
  atomicBatches: boolean;
  /** Position of the other line of an invoke/completion pair; -1 for a lone line. */
  partner: Int32Array;
  /**
   * Position of the same process's previous line; -1 for its first. Only witnesses ask (a history without
   * anomalies never does): the table is built at the first question.
   */
  prevOfProcess: (pos: number) => number;
  writes: Writes;
  txns: Txn[];
  reads: Reads;
  applies: Apply[];
  /**
   * Every value sent, read or in a final log, by id (ids in first-seen order): its string, made at the
   * first request (a check that finds nothing needs few).
   */
  value: (vid: number) => string;
  valueCount: number;
  /** Whether value `vid` holds the ASCII character `char` (without making its string). */
  valueIncludes: (vid: number, char: string) => boolean;
  /** The id of a value; -1 when no send, read or final-log record has it. */
  valueId: (value: string) => number;
  /** Every key sent to, read from or with a final log, by id; and every process, by id. */
  keys: Key[];
  keyId: (key: Key) => number;
  processes: string[];
  /** Per value id, indexes into `writes` and into `reads`, in history order. */
  writesOf: Groups;
  readsOf: Groups;
  /** Per process, the consumer groups whose offsets it commits (in commit micro-ops). */
  groupsOf: Map<string, Set<string>>;
  logs: Map<Key, LogView>;
  /** The final log of each key id (undefined for a key without one): `logs` for loops over key ids. */
  logOf: (LogView | undefined)[];
  finalOffsets: Map<string, FinalOffsets>;
  finalSinks: Map<string, FinalSink>;
  /** The gateways' and ledgers' final lines (payments past Kafka: payments.ts). */
  paymentFinals: PaymentFinal[];
  /** By key id: undefined for a key no poll read and without a final log. */
  versionOrder: (VersionOrder | undefined)[];
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

/** Position of an operation's first line. */
export const firstPos = (o: { invoke: number; done: number }): number => (o.invoke >= 0 ? o.invoke : o.done);

const CARRIES_MOPS: ReadonlySet<OpF> = new Set<OpF>(['send', 'poll', 'txn', 'commit', 'apply']);

/** The micro-ops of an op; none for the fs whose value is not a list of micro-ops, or a null completion. */
export function mopsOf(op: Op): Mop[] {
  return CARRIES_MOPS.has(op.f) && op.value !== null ? (op.value as Mop[]) : [];
}

/** Whether a poll read value id `vid` from key id `kid`. */
function wasRead(ix: HistoryIndex, vid: number, kid: number): boolean {
  const { start, items } = ix.readsOf;
  for (let k = start[vid]; k < start[vid + 1]; k++) if (ix.reads.kid(items[k]) === kid) return true;
  return false;
}

/** The writes of an invoke that has none (shared: never added to). */
const NO_WRITES: number[] = [];

/**
 * How the index gets a whole line back (for witnesses): the Op itself, or where the line starts in the
 * file it was streamed from (a byte offset), for the builder's `lineAt` to read it again.
 */
export type OpSource = Op | number;

/**
 * One open invoke, until its completion: its position, and for a send, txn or apply operation its writes
 * (indexes into `writes`), its transaction (index into `txns`, or -1) and its apply micro-ops.
 */
interface Pending { pos: number; writes: number[]; txn: number; applies: Mop[] | null }

/**
 * Builds the index in one pass over the operation lines, as they are read: a line's micro-ops are turned
 * into writes, reads and applies at once and then dropped, so a streamed file never holds its parsed
 * operations (only each line's head, and its source to show in witnesses). Writes are numbered in the
 * order of their operation's first line; a send only a completion lists joins its operation's writes.
 */
export class IndexBuilder {
  private readonly heads: OpHeads;
  /** How to show each line again: the Ops themselves (in memory), or their lines' byte offsets (streamed). */
  private readonly sources: Op[] = [];
  private readonly offsets: Column;
  private readonly partner: Column;
  private readonly writes: Writes;
  private readonly txns: Txn[] = [];
  private readonly reads: Reads;
  private readonly applies: Apply[] = [];
  private readonly groupsOf = new Map<string, Set<string>>();
  /** Per process id: its open invokes by id. */
  private readonly open = new OpenInvokes<Pending>();
  /** Open invokes another invoke of the same process and id replaced (a history the parser did not check). */
  private readonly replaced: Pending[] = [];
  /**
   * The final logs the fast lane read (scan.ts: scanFinalLogLine), in file order. They come before any
   * final log parsed in full: the lane takes none after one.
   */
  private readonly scannedLogs: FinalLogColumns[] = [];
  /** The invoke the line just added opened or completed; undefined for a lone completion. */
  private pending: Pending | undefined;
  /** A write was appended after writes of a later operation (a send only its completion listed). */
  private disordered = false;
  private readonly atomicBatches: boolean;
  /** The row add() fills from an Op. */
  private readonly row = new OpRow();

  /**
   * `lineAt` reads back a streamed line by the byte offset it was added with. `names` are the interners
   * the rows given to addRow name things by (the streaming parser's lane shares them). `expected`, the
   * number of lines, writes and reads to make room for at once (see Column), is an estimate: more only
   * costs growing.
   */
  constructor(
    private readonly header: HistoryHeader, private readonly lineAt?: (offset: number) => Op, readonly names: Names = newNames(),
    expected: { lines: number; writes: number; reads: number } = { lines: 1024, writes: 1024, reads: 1024 },
  ) {
    this.atomicBatches = header.producer === undefined || header.producer.transactional;
    this.heads = new OpHeads(names, expected.lines);
    this.offsets = new Column(lineAt === undefined ? 0 : expected.lines);
    this.partner = new Column(expected.lines);
    this.writes = new Writes(names, expected.writes);
    this.reads = new Reads(names, expected.reads);
  }

  /** Adds the next operation line; `source` is the op itself (in memory) or its line's byte offset (streamed). */
  add(op: Op, source: OpSource): void {
    const p = this.addRow(rowOfOp(op, this.names, this.row), source);
    // What rows do not carry: applies and the groups commit micro-ops name (never in the fast lane).
    if (op.f === 'apply') this.addApplies(op, p);
    if (op.f !== 'commit' && op.f !== 'txn') return;
    const process = this.names.processes.name(this.row.proc);
    for (const m of mopsOf(op)) {
      if (m[0] !== 'commit') continue;
      let groups = this.groupsOf.get(process);
      if (groups === undefined) this.groupsOf.set(process, (groups = new Set()));
      groups.add(m[1]);
    }
  }

  /** Adds the next operation line as a row (see add); returns its position. */
  addRow(row: OpRow, source: OpSource): number {
    const p = this.heads.length;
    const { proc } = row;
    this.heads.push(row, proc);
    if (typeof source === 'number') this.offsets.push(source);
    else this.sources.push(source);
    this.partner.push(-1);
    const { open } = this;
    this.pending = undefined;
    if (row.type === 'invoke') {
      this.pending = { pos: p, writes: NO_WRITES, txn: -1, applies: null };
      const replaced = open.open(proc, row.id, this.pending);
      if (replaced !== undefined) this.replaced.push(replaced);
    } else {
      const q = open.get(proc, row.id);
      if (q !== undefined && this.heads.f(q.pos) === row.f) {
        this.pending = q;
        this.partner.set(p, q.pos);
        this.partner.set(q.pos, p);
        open.close(proc, row.id);
      }
    }
    if (row.f === 'send' || row.f === 'txn') this.addSends(row, p, this.pending);
    for (let i = 0; i < row.reads; i++) this.reads.push(proc, row.readKids[i], row.readOffsets[i], row.readVids[i], p);
    return p;
  }

  /** Operation lines added so far. */
  get operations(): number {
    return this.heads.length;
  }

  /** Final logs added by addFinalLog so far (finish takes the others from the History). */
  get finalLogsAdded(): number {
    return this.scannedLogs.length;
  }

  /** Adds a final log the fast lane read, its values interned as it was read (finish adds the others). */
  addFinalLog(log: FinalLogColumns): void {
    this.scannedLogs.push(log);
  }

  /** The write of `ids` with this key and value, or -1. */
  private find(ids: number[], kid: number, vid: number): number {
    for (const w of ids) if (this.writes.kid(w) === kid && this.writes.vid(w) === vid) return w;
    return -1;
  }

  /** `pending`: the invoke this line opens or completes (see addRow). */
  private addSends(row: OpRow, p: number, pending: Pending | undefined): void {
    const { writes } = this;
    const { proc, type: opType } = row;
    if (pending === undefined || opType === 'invoke') {
      // The operation's first line (an invoke, or a completion without one).
      const isTxn = row.f === 'txn' || (this.atomicBatches && row.sends > 1);
      const done = opType === 'invoke' ? -1 : p;
      const type: Outcome = opType === 'invoke' ? 'info' : opType;
      const txn = isTxn ? this.txns.length : -1;
      const ids: number[] = [];
      for (let j = 0; j < row.sends; j++) {
        const kid = row.sendKids[j];
        const vid = row.sendVids[j];
        const offset = row.sendOffsets[j];
        // One write per key and value within an operation; a later claim of an offset wins.
        const same = this.find(ids, kid, vid);
        if (same >= 0) {
          if (offset >= 0) writes.setOffset(same, offset);
          continue;
        }
        ids.push(writes.length);
        writes.push(vid, kid, proc, { invoke: opType === 'invoke' ? p : -1, done, type, offset: offset < 0 ? null : offset, txn });
      }
      if (isTxn) {
        this.txns.push({
          process: this.names.processes.name(proc), invoke: opType === 'invoke' ? p : -1, done, type,
          error: opType === 'invoke' ? undefined : row.error, commitAt: row.commit ?? -1, writes: ids,
        });
      }
      if (pending !== undefined) {
        pending.writes = ids;
        pending.txn = txn;
      }
      return;
    }
    // The completion: its outcome, and the offsets it claims, for the invoke's sends (in the same order,
    // usually) and any send only the completion lists.
    const invoke = pending.pos;
    const type = opType as Outcome;
    for (const w of pending.writes) writes.complete(w, p, type);
    const ids = pending.writes;
    const known = ids.length;
    for (let j = 0; j < row.sends; j++) {
      const kid = row.sendKids[j];
      const vid = row.sendVids[j];
      const offset = row.sendOffsets[j];
      // Usually the completion repeats the invoke's sends in order.
      const found = j < known && writes.kid(ids[j]) === kid && writes.vid(ids[j]) === vid ? ids[j] : this.find(ids, kid, vid);
      if (found >= 0) {
        if (offset >= 0) writes.setOffset(found, offset);
        continue;
      }
      if (writes.length > 0 && writes.firstPos(writes.length - 1) > invoke) this.disordered = true;
      ids.push(writes.length);
      writes.push(vid, kid, proc, { invoke, done: p, type, offset: offset < 0 ? null : offset, txn: pending.txn });
    }
    if (pending.txn >= 0) {
      const t = this.txns[pending.txn];
      t.done = p;
      t.type = type;
      t.error = row.error;
      if (row.commit !== undefined) t.commitAt = row.commit;
    }
  }

  private addApplies(op: Op, p: number): void {
    const process = this.names.processes.name(this.row.proc);
    const { pending } = this;
    if (op.type === 'invoke') {
      pending!.applies = mopsOf(op);
      return;
    }
    // The completion's micro-ops, unless it has none (a completion may carry null).
    const own = mopsOf(op);
    const mops = own.length > 0 || pending === undefined ? own : pending.applies ?? [];
    for (const m of mops) if (m[0] === 'apply') this.applies.push({ process, sink: m[1], value: m[2], pos: p, type: op.type as Outcome });
  }

  /** The index, once every operation line was added; the final lines complete it. */
  finish(finals: FinalLine[]): HistoryIndex {
    const { header, heads, sources, offsets, txns, reads, writes, lineAt, names } = this;
    // Apply operations that never completed: their effect is unknown. In the order of their invokes.
    const unfinished = [...this.open.remaining(), ...this.replaced].filter((o) => o.applies !== null).sort((a, b) => a.pos - b.pos);
    for (const { pos, applies } of unfinished) {
      for (const m of applies!) {
        if (m[0] === 'apply') this.applies.push({ process: heads.process(pos), sink: m[1], value: m[2], pos, type: 'info' });
      }
    }
    if (this.disordered) {
      // Back into the order of their operation's first line (a stable sort), renumbering each txn's writes.
      const order = Int32Array.from({ length: writes.length }, (_, i) => i)
        .sort((a, b) => writes.firstPos(a) - writes.firstPos(b) || a - b);
      const renumbered = new Int32Array(writes.length);
      order.forEach((old, i) => { renumbered[old] = i; });
      writes.permute(order);
      for (const t of txns) t.writes = t.writes.map((w) => renumbered[w]);
    }
    const finalOffsets = new Map<string, FinalOffsets>();
    const finalSinks = new Map<string, FinalSink>();
    const paymentFinals: PaymentFinal[] = [];
    // The final logs' keys and values get ids too (those the lane read, as it read them), before any
    // grouping by value id.
    const { values } = names;
    const finalLogs = [...this.scannedLogs];
    for (const f of finals) {
      if (f.final === 'offsets') finalOffsets.set(f.group, f);
      else if (f.final === 'sink') finalSinks.set(f.name, f);
      else if (f.final === 'gateway' || f.final === 'ledger') paymentFinals.push(f);
      else {
        names.keys.id(f.key);
        finalLogs.push(FinalLogColumns.of(f, values));
      }
    }
    // Records are numbered across the logs, log by log.
    const recordVids = new Int32Array(finalLogs.reduce((n, f) => n + f.length, 0));
    let g = 0;
    for (const f of finalLogs) {
      recordVids.set(f.valueIds(), g);
      g += f.length;
    }
    const valueCount = values.size;
    const recordsByValue = new Groups(recordVids, valueCount);
    const logs = new Map<Key, LogView>();
    g = 0;
    for (const f of finalLogs) {
      logs.set(f.key, new LogView(f, g, recordsByValue));
      g += f.length;
    }
    const writesOf = new Groups(writes.valueIds(), valueCount);
    const readsOf = new Groups(reads.valueIds(), valueCount);

    const keys = names.keys.all();
    const producer = header.producer;
    const readCommitted = header.isolation === 'read_committed';
    const ix: HistoryIndex = {
      header, ops: heads, opAt: (p) => (lineAt === undefined ? sources[p] : lineAt(offsets.get(p))), seed: header.seed, readCommitted, atomicBatches: this.atomicBatches,
      ordered: producer === undefined || producer.idempotence || producer.maxInFlight === 1,
      partner: this.partner.rows() as Int32Array, prevOfProcess: previousOfProcess(heads, names.processes.size),
      writes, txns, reads, applies: this.applies,
      value: (vid) => values.name(vid), valueCount, valueIncludes: (vid, char) => values.includes(vid, char),
      valueId: (value) => values.find(value), keys,
      keyId: (key) => names.keys.find(key),
      processes: names.processes.all(), writesOf, readsOf,
      groupsOf: this.groupsOf, logs, logOf: keys.map((k) => logs.get(k)), finalOffsets, finalSinks, paymentFinals,
      versionOrder: buildVersionOrder(reads, logs, readCommitted, names.keys),
      ownRecords: [], txnCommitted: new Uint8Array(txns.length), fencedAt: new Int32Array(txns.length).fill(-1),
      committed: new Uint8Array(writes.length), presence: [], passedBy: new Int32Array(0),
    };
    ix.ownRecords = txns.map((t) => ownRecords(ix, t));
    txns.forEach((t, i) => { ix.txnCommitted[i] = txnProvenCommitted(ix, t, ix.ownRecords[i]) ? 1 : 0; });
    markFenced(ix);
    for (let i = 0; i < writes.length; i++) {
      const txn = writes.txn(i);
      const type = writes.type(i);
      const committed = txn >= 0 ? ix.txnCommitted[txn] === 1 : type === 'ok' || (type === 'info' && wasRead(ix, writes.vid(i), writes.kid(i)));
      ix.committed[i] = committed ? 1 : 0;
    }
    ({ presence: ix.presence, passedBy: ix.passedBy } = presences(ix));
    return ix;
  }
}

/** Per line, the position of the same process's previous line (-1 for its first), from one pass over the heads made at the first call. */
function previousOfProcess(heads: OpHeads, processes: number): (pos: number) => number {
  let previous: Int32Array | undefined;
  return (pos) => {
    if (previous === undefined) {
      previous = new Int32Array(heads.length);
      const last = new Int32Array(processes).fill(-1);
      for (let p = 0; p < heads.length; p++) {
        const proc = heads.proc(p);
        previous[p] = last[proc];
        last[proc] = p;
      }
    }
    return previous[pos];
  };
}

export function buildIndex(history: History): HistoryIndex {
  const n = history.ops.length;
  const builder = new IndexBuilder(history.header, undefined, newNames(), { lines: n, writes: n, reads: n });
  for (const op of history.ops) builder.add(op, op);
  return builder.finish(history.finals);
}

function buildVersionOrder(reads: Reads, logs: Map<Key, LogView>, readCommitted: boolean, keys: Interner): (VersionOrder | undefined)[] {
  const orders = new Array<VersionOrder | undefined>(keys.size).fill(undefined);
  for (const [key, { log }] of logs) {
    const kid = keys.find(key);
    // Control records are gaps already; aborted records are invisible to read_committed readers. The
    // log's own columns serve unless some records are to be left out.
    let visible = log.length;
    if (readCommitted) for (let i = 0; i < log.length; i++) if (log.aborted(i)) visible--;
    if (visible === log.length) {
      orders[kid] = { offsets: log.offsetRows(), vids: log.valueIds() };
      continue;
    }
    const offsets = new Float64Array(visible);
    const vids = new Int32Array(visible);
    for (let i = 0, n = 0; i < log.length; i++) {
      if (log.aborted(i)) continue;
      offsets[n] = log.offset(i);
      vids[n++] = log.vid(i);
    }
    orders[kid] = { offsets, vids };
  }
  // Per key id without a final log: the value id first read at each offset.
  const seen = new Map<number, Map<number, number>>();
  for (let i = 0; i < reads.length; i++) {
    const kid = reads.kid(i);
    // A key with a final log has its order already (the ones read without one are added below).
    if (orders[kid] !== undefined) continue;
    let byOffset = seen.get(kid);
    if (byOffset === undefined) seen.set(kid, (byOffset = new Map()));
    const offset = reads.offset(i);
    if (!byOffset.has(offset)) byOffset.set(offset, reads.vid(i));
  }
  for (const [kid, byOffset] of seen) {
    const offsets = [...byOffset.keys()].sort((a, b) => a - b);
    orders[kid] = { offsets, vids: offsets.map((o) => byOffset.get(o)!) };
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
    const w = ix.writes.at(wi);
    const view = ix.logs.get(w.key);
    if (view === undefined) continue;
    const atOffset = w.offset === null ? -1 : view.holding(w.offset, w.vid);
    if (atOffset >= 0) {
      own.push({ key: w.key, record: view.log.record(atOffset) });
    } else if (ix.writesOf.of(w.vid).every((o) => o === wi || ix.writes.kid(o) !== w.kid)) {
      for (const i of view.recordsOf(w.vid)) own.push({ key: w.key, record: view.log.record(i) });
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
  return ix.readCommitted && t.writes.some((wi) => wasRead(ix, ix.writes.vid(wi), ix.writes.kid(wi)));
}

/**
 * A transaction is a zombie's when its own completion reports fencing, or when its process was told it
 * was fenced before the transaction began and has not crashed (restarted as a new instance) since.
 */
function markFenced(ix: HistoryIndex): void {
  // Without transactions there is nothing to mark (and no need to look at every line).
  if (ix.txns.length === 0) return;
  const txnStartingAt = new Map<number, number>();
  ix.txns.forEach((t, i) => txnStartingAt.set(firstPos(t), i));
  const fencedSince = new Map<string, number>();
  const { ops } = ix;
  for (let p = 0; p < ops.length; p++) {
    const t = txnStartingAt.get(p);
    if (t !== undefined) ix.fencedAt[t] = fencedSince.get(ops.process(p)) ?? -1;
    const error = ops.error(p);
    if (ops.f(p) === 'crash') fencedSince.delete(ops.process(p));
    else if (error !== undefined && FENCING_ERRORS.includes(error) && !fencedSince.has(ops.process(p))) {
      fencedSince.set(ops.process(p), p);
    }
  }
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
  // Per key id, the read at the highest offset; per (key id, sending process id), the read of the value
  // first sent latest. Reads by their index into ix.reads.
  const { reads, writes } = ix;
  const furthest = new Int32Array(ix.keys.length).fill(-1);
  const latest = new Map<number, number>();
  // When the value a read returned was first sent: its first write's first line.
  const sentAt = (r: number): number => writes.firstPos(ix.writesOf.items[ix.writesOf.start[reads.vid(r)]]);
  const procs = ix.processes.length;
  const { start, items } = ix.writesOf;
  for (let r = 0; r < reads.length; r++) {
    const kid = reads.kid(r);
    const vid = reads.vid(r);
    if (reads.offset(r) > (furthest[kid] < 0 ? -1 : reads.offset(furthest[kid]))) furthest[kid] = r;
    if (start[vid] === start[vid + 1]) continue;
    const kp = kid * procs + writes.proc(items[start[vid]]);
    const before = latest.get(kp);
    if (sentAt(r) > (before === undefined ? -1 : sentAt(before))) latest.set(kp, r);
  }
  const passedBy = new Int32Array(writes.length).fill(-1);
  const presence: Presence[] = new Array<Presence>(writes.length);
  for (let i = 0; i < writes.length; i++) {
    const kid = writes.kid(i);
    const vid = writes.vid(i);
    const view = ix.logOf[kid];
    if (view !== undefined) {
      const { log } = view;
      presence[i] = view.eachRecordOf(vid, (r) => !log.aborted(r)) ? 'present' : 'absent';
      continue;
    }
    if (wasRead(ix, vid, kid)) {
      presence[i] = 'present';
      continue;
    }
    const far = furthest[kid];
    const late = latest.get(kid * procs + writes.proc(i));
    const offset = writes.offset(i);
    const done = writes.done(i);
    const past = offset >= 0
      ? (far >= 0 && reads.offset(far) > offset ? far : -1)
      : (late !== undefined && done >= 0 && sentAt(late) > done ? late : -1);
    if (past < 0) {
      presence[i] = 'unknown';
      continue;
    }
    passedBy[i] = reads.pos(past);
    presence[i] = 'absent';
  }
  return { presence, passedBy };
}

/** Positions of the invoke and completion lines of the first `limit` sends of a value to a key, for witnesses. */
export function sendPositions(ix: HistoryIndex, key: Key, value: string, limit = 2): number[] {
  return Array.from(ix.writesOf.of(ix.valueId(value))).filter((w) => ix.writes.at(w).key === key).slice(0, limit)
    .flatMap((w) => [ix.writes.at(w).invoke, ix.writes.at(w).done]);
}
