// The facts every anomaly family reads, built in one pass over the operation lines as they are read, then
// a few linear passes over what that pass collected. Everything is
// addressed by position in history.ops (not by the op's `index` field, which only witnesses report), and
// every list is in history order, so the families can iterate without sorting and stay deterministic.
import type {
  FinalGateway, FinalLedger, FinalLine, FinalLog, FinalOffsets, FinalSink, History, HistoryHeader, Key, Mop, Op, OpF, Outcome, RecordMeta,
} from './history.ts';

type PaymentFinal = FinalGateway | FinalLedger;

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
  /** When the commit was requested (µs, the `commit` field of its lines); -1 when the history does not say. */
  commitAt: number;
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
  header: HistoryHeader;
  /** Every operation line without its micro-ops, by position. */
  ops: OpHead[];
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
  /** Position of the same process's previous line; -1 for its first. */
  prevOfProcess: Int32Array;
  writes: Write[];
  txns: Txn[];
  reads: Read[];
  applies: Apply[];
  writesOf: Map<string, number[]>;
  readsOf: Map<string, number[]>;
  /** Per process, the consumer groups whose offsets it commits (in commit micro-ops). */
  groupsOf: Map<string, Set<string>>;
  logs: Map<Key, LogView>;
  finalOffsets: Map<string, FinalOffsets>;
  finalSinks: Map<string, FinalSink>;
  /** The gateways' and ledgers' final lines (payments past Kafka: payments.ts). */
  paymentFinals: PaymentFinal[];
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

/** The sends of one micro-op list: [key, value, offset|null]. */
function sendMops(op: Op): { key: Key; value: string; offset: number | null }[] {
  const out: { key: Key; value: string; offset: number | null }[] = [];
  for (const m of mopsOf(op)) {
    if (m[0] !== 'send') continue;
    const r = m[2];
    out.push(typeof r === 'string' ? { key: m[1], value: r, offset: null } : { key: m[1], value: r[1], offset: r[0] });
  }
  return out;
}

/** An operation line without its micro-ops: what the families read of every line. */
export type OpHead = Omit<Op, 'value'>;

/**
 * How the index gets a whole line back (for witnesses): the Op itself, or where the line starts in the
 * file it was streamed from (a byte offset), for the builder's `lineAt` to read it again.
 */
export type OpSource = Op | number;

/** One open invoke of a send/txn/apply operation, until its completion. */
interface Pending { writes: number[]; txn: number; applies: Mop[] | null }

/**
 * Builds the index in one pass over the operation lines, as they are read: a line's micro-ops are turned
 * into writes, reads and applies at once and then dropped, so a streamed file never holds its parsed
 * operations (only each line's head, and its source to show in witnesses). Writes are numbered in the
 * order of their operation's first line; a send only a completion lists joins its operation's writes.
 */
export class IndexBuilder {
  private readonly heads: OpHead[] = [];
  private readonly sources: OpSource[] = [];
  private readonly partner: number[] = [];
  private readonly prevOfProcess: number[] = [];
  private readonly writes: Write[] = [];
  private readonly txns: Txn[] = [];
  private readonly reads: Read[] = [];
  private readonly applies: Apply[] = [];
  private readonly groupsOf = new Map<string, Set<string>>();
  /** Per process: its last line, and its open invokes by id. */
  private readonly processes = new Map<string, { name: string; last: number; open: Map<number, number> }>();
  private readonly pending = new Map<number, Pending>();
  /** A write was appended after writes of a later operation (a send only its completion listed). */
  private disordered = false;
  private readonly atomicBatches: boolean;

  /** `lineAt` reads back a streamed line by the byte offset it was added with. */
  constructor(private readonly header: HistoryHeader, private readonly lineAt?: (offset: number) => Op) {
    this.atomicBatches = header.producer === undefined || header.producer.transactional;
  }

  /** Adds the next operation line; `source` is the op itself (in memory) or its line's byte offset (streamed). */
  add(op: Op, source: OpSource): void {
    const p = this.heads.length;
    let proc = this.processes.get(op.process);
    if (proc === undefined) this.processes.set(op.process, (proc = { name: op.process, last: -1, open: new Map() }));
    // Streamed lines each carry their own copy of the process name: share one.
    const process = proc.name;
    if (source === op) {
      this.heads.push(op);
    } else {
      const head: OpHead = { index: op.index, id: op.id, time: op.time, process, type: op.type, f: op.f };
      if (op.commit !== undefined) head.commit = op.commit;
      if (op.error !== undefined) head.error = op.error;
      this.heads.push(head);
    }
    this.sources.push(source);
    this.prevOfProcess.push(proc.last);
    proc.last = p;
    this.partner.push(-1);
    let invoke = -1;
    if (op.type === 'invoke') {
      proc.open.set(op.id, p);
    } else {
      const q = proc.open.get(op.id);
      if (q !== undefined && this.heads[q].f === op.f) {
        invoke = q;
        this.partner[p] = q;
        this.partner[q] = p;
        proc.open.delete(op.id);
      }
    }
    if (op.f === 'send' || op.f === 'txn') this.addSends(op, p, invoke, process);
    else if (op.f === 'apply') this.addApplies(op, p, invoke, process);
    if (op.type === 'ok' && (op.f === 'poll' || op.f === 'txn')) this.addReads(op, p, process);
    for (const m of mopsOf(op)) {
      if (m[0] !== 'commit') continue;
      let groups = this.groupsOf.get(process);
      if (groups === undefined) this.groupsOf.set(process, (groups = new Set()));
      groups.add(m[1]);
    }
  }

  private addSends(op: Op, p: number, invoke: number, process: string): void {
    const sends = sendMops(op);
    let pending = invoke >= 0 ? this.pending.get(invoke) : undefined;
    if (pending === undefined) {
      // The operation's first line (an invoke, or a completion without one).
      const isTxn = op.f === 'txn' || (this.atomicBatches && sends.length > 1);
      const done = op.type === 'invoke' ? -1 : p;
      const type: Outcome = op.type === 'invoke' ? 'info' : op.type;
      const txn = isTxn ? this.txns.length : -1;
      const ids: number[] = [];
      for (const { key, value, offset } of sends) {
        // One write per key and value within an operation; a later claim of an offset wins.
        const same = ids.find((w) => this.writes[w].key === key && this.writes[w].value === value);
        if (same !== undefined) {
          if (offset !== null) this.writes[same].offset = offset;
          continue;
        }
        ids.push(this.writes.length);
        this.writes.push({ value, key, process, invoke: op.type === 'invoke' ? p : -1, done, type, offset, txn });
      }
      if (isTxn) {
        this.txns.push({ process, invoke: op.type === 'invoke' ? p : -1, done, type, error: op.type === 'invoke' ? undefined : op.error, commitAt: op.commit ?? -1, writes: ids });
      }
      if (op.type === 'invoke') this.pending.set(p, (pending = { writes: ids, txn, applies: null }));
      return;
    }
    // The completion: its outcome, and the offsets it claims, for the invoke's sends (in the same order,
    // usually) and any send only the completion lists.
    this.pending.delete(invoke);
    const type = op.type as Outcome;
    for (const w of pending.writes) {
      this.writes[w].done = p;
      this.writes[w].type = type;
    }
    const ids = pending.writes;
    const known = ids.length;
    for (let j = 0; j < sends.length; j++) {
      const { key, value, offset } = sends[j];
      let found = j < known && this.writes[ids[j]].key === key && this.writes[ids[j]].value === value ? ids[j] : -1;
      for (let i = 0; found < 0 && i < ids.length; i++) if (this.writes[ids[i]].key === key && this.writes[ids[i]].value === value) found = ids[i];
      if (found >= 0) {
        if (offset !== null) this.writes[found].offset = offset;
        continue;
      }
      if (this.writes.length > 0 && firstPos(this.writes[this.writes.length - 1]) > invoke) this.disordered = true;
      ids.push(this.writes.length);
      this.writes.push({ value, key, process, invoke, done: p, type, offset, txn: pending.txn });
    }
    if (pending.txn >= 0) {
      const t = this.txns[pending.txn];
      t.done = p;
      t.type = type;
      t.error = op.error;
      if (op.commit !== undefined) t.commitAt = op.commit;
    }
  }

  private addApplies(op: Op, p: number, invoke: number, process: string): void {
    if (op.type === 'invoke') {
      this.pending.set(p, { writes: [], txn: -1, applies: mopsOf(op) });
      return;
    }
    // The completion's micro-ops, unless it has none (a completion may carry null).
    const own = mopsOf(op);
    const mops = own.length > 0 || invoke < 0 ? own : this.pending.get(invoke)?.applies ?? [];
    if (invoke >= 0) this.pending.delete(invoke);
    for (const m of mops) if (m[0] === 'apply') this.applies.push({ process, sink: m[1], value: m[2], pos: p, type: op.type as Outcome });
  }

  private addReads(op: Op, p: number, process: string): void {
    for (const m of mopsOf(op)) {
      if (m[0] !== 'poll' || m.length !== 2) continue;
      for (const key of Object.keys(m[1])) {
        for (const [offset, value] of m[1][key]) this.reads.push({ process, key, offset, value, pos: p });
      }
    }
  }

  /** The index, once every operation line was added; the final lines complete it. */
  finish(finals: FinalLine[]): HistoryIndex {
    const { header, heads, sources, txns, reads, lineAt } = this;
    // Apply operations that never completed: their effect is unknown.
    for (const [invoke, pending] of this.pending) {
      for (const m of pending.applies ?? []) {
        if (m[0] === 'apply') this.applies.push({ process: heads[invoke].process, sink: m[1], value: m[2], pos: invoke, type: 'info' });
      }
    }
    let writes = this.writes;
    if (this.disordered) {
      // Back into the order of their operation's first line (a stable sort), renumbering each txn's writes.
      const order = writes.map((_, i) => i).sort((a, b) => firstPos(writes[a]) - firstPos(writes[b]) || a - b);
      const renumbered = new Int32Array(writes.length);
      order.forEach((old, i) => { renumbered[old] = i; });
      writes = order.map((i) => writes[i]);
      for (const t of txns) t.writes = t.writes.map((w) => renumbered[w]);
    }
    const writesOf = new Map<string, number[]>();
    writes.forEach((w, i) => push(writesOf, w.value, i));
    const readsOf = new Map<string, number[]>();
    reads.forEach((r, i) => push(readsOf, r.value, i));

    const logs = new Map<Key, LogView>();
    const finalOffsets = new Map<string, FinalOffsets>();
    const finalSinks = new Map<string, FinalSink>();
    const paymentFinals: PaymentFinal[] = [];
    for (const f of finals) {
      if (f.final === 'offsets') finalOffsets.set(f.group, f);
      else if (f.final === 'sink') finalSinks.set(f.name, f);
      else if (f.final === 'gateway' || f.final === 'ledger') paymentFinals.push(f);
      else {
        const at = new Map<number, number>();
        const recordsOf = new Map<string, number[]>();
        f.records.forEach(([offset, value], i) => {
          at.set(offset, i);
          push(recordsOf, value, i);
        });
        logs.set(f.key, { log: f, at, recordsOf });
      }
    }

    const producer = header.producer;
    const readCommitted = header.isolation === 'read_committed';
    const ix: HistoryIndex = {
      header, ops: heads, opAt: (p) => { const s = sources[p]; return typeof s === 'number' ? lineAt!(s) : s; }, seed: header.seed, readCommitted, atomicBatches: this.atomicBatches,
      ordered: producer === undefined || producer.idempotence || producer.maxInFlight === 1,
      partner: Int32Array.from(this.partner), prevOfProcess: Int32Array.from(this.prevOfProcess),
      writes, txns, reads, applies: this.applies, writesOf, readsOf, groupsOf: this.groupsOf, logs, finalOffsets, finalSinks, paymentFinals,
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
}

export function buildIndex(history: History): HistoryIndex {
  const builder = new IndexBuilder(history.header);
  for (const op of history.ops) builder.add(op, op);
  return builder.finish(history.finals);
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
