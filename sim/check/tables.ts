// The storage of the checker's index (index.ts): rows kept as columns of numbers, strings kept once and
// named by integer ids. A million-operation history has a million operation lines and hundreds of
// thousands of writes and reads; as objects, each row is one more object that the garbage collector
// copies out of the young generation and traces at every full collection, and that cost (not the
// checking) dominated a checked history's time. Columns are a few typed arrays however many rows there
// are. The tables hand a row out as a plain object on request (`at`), built afresh: families read rows as
// before, and what they drop at once costs the collector next to nothing.
import { OP_FS, OP_TYPES } from './history.ts';
import type { Key, Op, OpF, OpType, Outcome } from './history.ts';
import { Interner } from './interner.ts';

/** First index in the ascending list whose value is >= `value` (the list's length when none is). */
export function lowerBound(sorted: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How wide a column's array is: it only ever widens, to the first width that holds a value pushed or set. */
const BYTES = 0;
const INT32 = 1;
const FLOAT64 = 2;

export type Rows = Uint8Array | Int32Array | Float64Array;

function newRows(width: number, length: number): Rows {
  return width === BYTES ? new Uint8Array(length) : width === INT32 ? new Int32Array(length) : new Float64Array(length);
}

/**
 * One numeric field of many rows, in a typed array that doubles when full: Int32 while every value fits
 * (ids, positions, and usually offsets and times too), Float64 from the first one that does not
 * (integers up to 2^53 are exact); a column of small codes (a line's type and f, an outcome) starts in
 * bytes. It starts with room for `capacity` rows: memory the process never writes costs nothing (the
 * system hands out zeroed pages on first touch), while every doubling writes the rows again into new
 * memory, and first touches are much of what a large check pays for (on a virtual machine ~15 µs a
 * page): hence the narrowest array that holds the values.
 */
export class Column {
  private data: Rows;
  private width: number;
  length = 0;

  /**
   * `small`: the values are codes, or ids of which a history usually has few (processes, keys), kept in
   * bytes until one is 256 or more.
   */
  constructor(capacity = 1024, small = false) {
    this.width = small ? BYTES : INT32;
    this.data = newRows(this.width, Math.max(capacity, 16));
  }

  push(value: number): void {
    if (this.length === this.data.length) this.data = this.copy(this.width, this.data.length * 2);
    if (!this.fits(value)) this.widen(value);
    this.data[this.length++] = value;
  }

  get(i: number): number {
    return this.data[i];
  }

  set(i: number, value: number): void {
    if (!this.fits(value)) this.widen(value);
    this.data[i] = value;
  }

  /** The rows, as one array (a view of the column's: valid until the next push or set). */
  rows(): Rows {
    return this.data.subarray(0, this.length);
  }

  /** Rearranges the rows: row i becomes the old row order[i]. */
  permute(order: Int32Array): void {
    const old = this.data;
    this.data = this.copy(this.width, old.length, false);
    for (let i = 0; i < order.length; i++) this.data[i] = old[order[i]];
  }

  private fits(value: number): boolean {
    return this.width === FLOAT64 || (this.width === INT32 ? (value | 0) === value : (value & 0xff) === value);
  }

  private widen(value: number): void {
    this.width = (value | 0) === value ? INT32 : FLOAT64;
    this.data = this.copy(this.width, this.data.length);
  }

  /**
   * A new array of `length` rows of `width`, with the rows so far copied unless `keep` is false (only
   * those: a column widened early, at its first null, does not write its whole capacity again).
   */
  private copy(width: number, length: number, keep = true): Rows {
    const bigger = newRows(width, length);
    if (keep) bigger.set(this.data.subarray(0, this.length));
    return bigger;
  }
}

/**
 * Items grouped by an integer id, e.g. the writes of each value: group g is items[start[g]] up to
 * items[start[g + 1]] (exclusive), in item order. Two flat arrays built by a stable counting sort in two
 * linear passes, where a Map of small arrays would allocate one array per value.
 */
export class Groups {
  readonly start: Int32Array;
  readonly items: Int32Array;

  /** `groupOf[i]` is the group of item i, in 0 .. groups - 1. */
  constructor(groupOf: Int32Array, groups: number) {
    this.start = groupStarts(groupOf, groups);
    this.items = groupItems(groupOf, this.start);
  }

  /** The items of group g, in order (none for g = -1, an id the history never gave out). */
  of(g: number): Int32Array {
    return g < 0 ? this.items.subarray(0, 0) : this.items.subarray(this.start[g], this.start[g + 1]);
  }
}

// Groups' two passes are functions of their own: loops in one function are optimised one by one while
// they run (on-stack replacement), and the code so made for the first left the optimised code at the
// second, on every call.

/** Where each group starts in the items (a prefix sum of the groups' sizes), and where the last ends. */
function groupStarts(groupOf: Int32Array, groups: number): Int32Array {
  const start = new Int32Array(groups + 1);
  for (let i = 0; i < groupOf.length; i++) start[groupOf[i] + 1]++;
  for (let g = 0; g < groups; g++) start[g + 1] += start[g];
  return start;
}

/** The items, group by group, each group's in item order. */
function groupItems(groupOf: Int32Array, start: Int32Array): Int32Array {
  const next = start.slice(0, start.length - 1);
  const items = new Int32Array(groupOf.length);
  for (let i = 0; i < groupOf.length; i++) items[next[groupOf[i]]++] = i;
  return items;
}

/** The strings the tables' ids stand for (HistoryIndex.value(), keys, processes). */
export interface Names {
  values: Interner;
  keys: Interner;
  processes: Interner;
}

/** Interners for a history's names; `values`: how many distinct values to make room for (see Interner). */
export const newNames = (values?: number): Names => ({ values: new Interner(values), keys: new Interner(), processes: new Interner() });

const OUTCOMES: readonly Outcome[] = ['ok', 'info', 'fail'];
const outcomeCode = (o: Outcome): number => OUTCOMES.indexOf(o);

/** A table's rows in order, each built by `at`. */
abstract class Table<T> {
  abstract readonly length: number;
  abstract at(i: number): T;

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  forEach(visit: (row: T, i: number) => void): void {
    for (let i = 0; i < this.length; i++) visit(this.at(i), i);
  }
}

/**
 * An operation line without its micro-ops and operation id: what the families read of every line (the id
 * only pairs an invoke with its completion, which the index has done: HistoryIndex.partner).
 */
export type OpHead = Omit<Op, 'value' | 'id'>;

/** A line's type and f as one code: type in the low two bits. */
const headCode = (type: OpType, f: OpF): number => (OP_FS.indexOf(f) << 2) | OP_TYPES.indexOf(type);

/** Every operation line's head, by position; the hot loops read single fields (f, type, process). */
export class OpHeads extends Table<OpHead> {
  private readonly index: Column;
  private readonly time: Column;
  private readonly procs: Column;
  /** Type and f (headCode). */
  private readonly codes: Column;
  /** The optional fields, by position: few lines have them. */
  private readonly commits = new Map<number, number>();
  private readonly errors = new Map<number, string>();

  /** `capacity`: the number of lines expected (see Column). */
  constructor(private readonly names: Names, capacity?: number) {
    super();
    this.index = new Column(capacity);
    this.time = new Column(capacity);
    this.procs = new Column(capacity, true);
    this.codes = new Column(capacity, true);
  }

  get length(): number {
    return this.index.length;
  }

  push(head: Omit<OpHead, 'process'>, proc: number): void {
    const p = this.index.length;
    this.index.push(head.index);
    this.time.push(head.time);
    this.procs.push(proc);
    this.codes.push(headCode(head.type, head.f));
    if (head.commit !== undefined) this.commits.set(p, head.commit);
    if (head.error !== undefined) this.errors.set(p, head.error);
  }

  at(p: number): OpHead {
    const head: OpHead = {
      index: this.index.get(p), time: this.time.get(p), process: this.process(p), type: this.type(p), f: this.f(p),
    };
    const commit = this.commits.get(p);
    if (commit !== undefined) head.commit = commit;
    const error = this.errors.get(p);
    if (error !== undefined) head.error = error;
    return head;
  }

  /** The line's `index` field (what witnesses and messages call it). */
  indexOf(p: number): number {
    return this.index.get(p);
  }

  timeOf(p: number): number {
    return this.time.get(p);
  }

  process(p: number): string {
    return this.names.processes.name(this.procs.get(p));
  }

  /** The process's id (HistoryIndex.processes). */
  proc(p: number): number {
    return this.procs.get(p);
  }

  type(p: number): OpType {
    return OP_TYPES[this.codes.get(p) & 3];
  }

  f(p: number): OpF {
    return OP_FS[this.codes.get(p) >> 2];
  }

  error(p: number): string | undefined {
    return this.errors.get(p);
  }
}

/** One ["send", key, value] of a send or txn operation. */
export interface Write {
  value: string;
  /** The value's id (HistoryIndex.value() gives it back as a string). */
  vid: number;
  key: Key;
  /** The key's id (HistoryIndex.keys). */
  kid: number;
  process: string;
  /** The process's id (HistoryIndex.processes). */
  proc: number;
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

/** What writes and reads both are: a value at a key (and offset), by a process. */
abstract class ValueRows<T> extends Table<T> {
  protected readonly vids: Column;
  protected readonly kids: Column;
  protected readonly procs: Column;
  protected readonly offsets: Column;

  /** `capacity`: the number of rows expected (see Column). */
  constructor(protected readonly names: Names, capacity?: number) {
    super();
    this.vids = new Column(capacity);
    this.kids = new Column(capacity, true);
    this.procs = new Column(capacity, true);
    this.offsets = new Column(capacity);
  }

  get length(): number {
    return this.vids.length;
  }

  vid(i: number): number {
    return this.vids.get(i);
  }

  /** Every row's value id, as one array (a view: valid until the next push). */
  valueIds(): Int32Array {
    return this.vids.rows() as Int32Array;
  }

  kid(i: number): number {
    return this.kids.get(i);
  }

  /** The offset; for a write, -1 when none was claimed (Write.offset null). */
  offset(i: number): number {
    return this.offsets.get(i);
  }

  proc(i: number): number {
    return this.procs.get(i);
  }
}

/** Every write; the builder (index.ts) completes a write's outcome and offset when its completion comes. */
export class Writes extends ValueRows<Write> {
  private readonly invokes: Column;
  private readonly dones: Column;
  private readonly types: Column;
  private readonly txns: Column;

  /** `capacity`: the number of writes expected (see Column). */
  constructor(names: Names, capacity?: number) {
    super(names, capacity);
    this.invokes = new Column(capacity);
    this.dones = new Column(capacity);
    this.types = new Column(capacity, true);
    this.txns = new Column(capacity);
  }

  push(vid: number, kid: number, proc: number, w: Pick<Write, 'invoke' | 'done' | 'type' | 'offset' | 'txn'>): void {
    this.vids.push(vid);
    this.kids.push(kid);
    this.procs.push(proc);
    this.invokes.push(w.invoke);
    this.dones.push(w.done);
    this.types.push(outcomeCode(w.type));
    this.offsets.push(w.offset ?? -1);
    this.txns.push(w.txn);
  }

  at(i: number): Write {
    const { names } = this;
    const vid = this.vids.get(i);
    const kid = this.kids.get(i);
    const proc = this.procs.get(i);
    const offset = this.offsets.get(i);
    return {
      value: names.values.name(vid), vid, key: names.keys.name(kid), kid, process: names.processes.name(proc), proc,
      invoke: this.invokes.get(i), done: this.dones.get(i), type: OUTCOMES[this.types.get(i)], offset: offset < 0 ? null : offset,
      txn: this.txns.get(i),
    };
  }

  /** Index into `txns` of the write's transaction, or -1. */
  txn(i: number): number {
    return this.txns.get(i);
  }

  type(i: number): Outcome {
    return OUTCOMES[this.types.get(i)];
  }

  done(i: number): number {
    return this.dones.get(i);
  }

  /** Position of the write's operation's first line. */
  firstPos(i: number): number {
    const invoke = this.invokes.get(i);
    return invoke >= 0 ? invoke : this.dones.get(i);
  }

  setOffset(i: number, offset: number): void {
    this.offsets.set(i, offset);
  }

  complete(i: number, done: number, type: Outcome): void {
    this.dones.set(i, done);
    this.types.set(i, outcomeCode(type));
  }

  /** Rearranges the writes: write i becomes the old write order[i]. */
  permute(order: Int32Array): void {
    for (const c of [this.vids, this.kids, this.procs, this.invokes, this.dones, this.types, this.offsets, this.txns]) c.permute(order);
  }
}

/** One [offset, value] returned by an ok poll. */
export interface Read {
  process: string;
  proc: number;
  key: Key;
  kid: number;
  offset: number;
  value: string;
  vid: number;
  /** Position of the poll's completion line. */
  pos: number;
}

export class Reads extends ValueRows<Read> {
  private readonly positions: Column;

  /** `capacity`: the number of reads expected (see Column). */
  constructor(names: Names, capacity?: number) {
    super(names, capacity);
    this.positions = new Column(capacity);
  }

  push(proc: number, kid: number, offset: number, vid: number, pos: number): void {
    this.procs.push(proc);
    this.kids.push(kid);
    this.offsets.push(offset);
    this.vids.push(vid);
    this.positions.push(pos);
  }

  at(i: number): Read {
    const { names } = this;
    const proc = this.procs.get(i);
    const kid = this.kids.get(i);
    const vid = this.vids.get(i);
    return {
      process: names.processes.name(proc), proc, key: names.keys.name(kid), kid, offset: this.offsets.get(i),
      value: names.values.name(vid), vid, pos: this.positions.get(i),
    };
  }

  pos(i: number): number {
    return this.positions.get(i);
  }
}
