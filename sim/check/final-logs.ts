// The final logs as the checker keeps them: each log's records as columns of numbers (offset, value id,
// producer id, epoch, sequence, transaction outcome), not a [offset, value, meta] array and a meta object
// per record. A final log holds a record per write: a million-operation history's are 400,000 records,
// and as objects they were 60 MB of heap built, promoted and traced, more than all the other columns of
// the index together, on a machine where every fresh page of memory costs ~15 µs. Families read a
// record's fields one by one (offset(i), value(i), aborted(i)); meta(i) and record(i) build the objects
// on request for the few places (witnesses, a transaction's own records) that want them.
import type { FinalLog, Key, RecordMeta, TxnOutcome } from './history.ts';
import type { Interner } from './interner.ts';
import { Column, Groups, lowerBound } from './tables.ts';
import type { Rows } from './tables.ts';

/** A record's transaction outcome as a number: 0 for a non-transactional record (txn null). */
const TXN_CODES: readonly (TxnOutcome | null)[] = [null, 'committed', 'aborted'];
export const txnCode = (txn: TxnOutcome | null): number => TXN_CODES.indexOf(txn);
const ABORTED = txnCode('aborted');

/** `null` as a producer id, epoch or sequence (which are never negative). */
const NONE = -1;
const orNull = (n: number): number | null => (n === NONE ? null : n);

/**
 * One final log's records, in offset order, as columns. Values are ids of `values`, the checker's value
 * interner, so value(i) is the one shared string of the value.
 */
export class FinalLogColumns {
  private readonly offsets: Column;
  private readonly vids: Column;
  private readonly pids: Column;
  private readonly epochs: Column;
  private readonly seqs: Column;
  private readonly txns: Column;

  /** `capacity`: how many records to make room for at once (see Column: an estimate, more only costs growing). */
  constructor(readonly key: Key, readonly hw: number, readonly lso: number, private readonly values: Interner, capacity = 16) {
    this.offsets = new Column(capacity);
    this.vids = new Column(capacity);
    // Epochs are small, and producer ids often are: bytes until one is not (widening copies only the rows so far).
    this.pids = new Column(capacity, true);
    this.epochs = new Column(capacity, true);
    this.seqs = new Column(capacity);
    this.txns = new Column(capacity, true);
  }

  /** The columns of a parsed final log, its values interned in record order. */
  static of(log: FinalLog, values: Interner): FinalLogColumns {
    const columns = new FinalLogColumns(log.key, log.hw, log.lso, values, log.records.length);
    for (const [offset, value, m] of log.records) columns.push(offset, values.id(value), m.pid, m.epoch, m.seq, txnCode(m.txn));
    return columns;
  }

  get length(): number {
    return this.offsets.length;
  }

  /** Appends a record; `vid` may be set later (setVid) by a reader that interns a line's values only once it is taken. */
  push(offset: number, vid: number, pid: number | null, epoch: number | null, seq: number | null, txn: number): void {
    this.offsets.push(offset);
    this.vids.push(vid);
    this.pids.push(pid ?? NONE);
    this.epochs.push(epoch ?? NONE);
    this.seqs.push(seq ?? NONE);
    this.txns.push(txn);
  }

  setVid(i: number, vid: number): void {
    this.vids.set(i, vid);
  }

  offset(i: number): number {
    return this.offsets.get(i);
  }

  /** Every record's offset, ascending, as one array (a view: valid until the next push). */
  offsetRows(): Rows {
    return this.offsets.rows();
  }

  vid(i: number): number {
    return this.vids.get(i);
  }

  /** Every record's value id, as one array (a view: valid until the next push). */
  valueIds(): Int32Array {
    return this.vids.rows() as Int32Array;
  }

  value(i: number): string {
    return this.values.name(this.vids.get(i));
  }

  pid(i: number): number | null {
    return orNull(this.pids.get(i));
  }

  epoch(i: number): number | null {
    return orNull(this.epochs.get(i));
  }

  seq(i: number): number | null {
    return orNull(this.seqs.get(i));
  }

  txn(i: number): TxnOutcome | null {
    return TXN_CODES[this.txns.get(i)];
  }

  /** Whether the record belongs to an aborted transaction (invisible to read_committed readers). */
  aborted(i: number): boolean {
    return this.txns.get(i) === ABORTED;
  }

  meta(i: number): RecordMeta {
    return { pid: this.pid(i), epoch: this.epoch(i), seq: this.seq(i), txn: this.txn(i) };
  }

  /** The record as the history format writes it. */
  record(i: number): FinalLog['records'][number] {
    return [this.offset(i), this.value(i), this.meta(i)];
  }
}

/** A final log with ways in: by offset (a binary search of its ascending offsets) and by value. */
export class LogView {
  private readonly offsets: Rows;
  /**
   * The record after the last one indexAt found: a key's acknowledgements and reads mostly come in offset
   * order, so the next question is usually about it, answered without a search.
   */
  private next = 0;

  /**
   * `log` is complete. `byValue` groups the records of every final log by value id, numbering them
   * across the logs, this log's from `first` on.
   */
  constructor(readonly log: FinalLogColumns, private readonly first: number, private readonly byValue: Groups) {
    this.offsets = log.offsetRows();
  }

  /** Index into the log of the record at `offset`; -1 when the log holds none there. */
  indexAt(offset: number): number {
    const { offsets, next } = this;
    const i = next < offsets.length && offsets[next] === offset ? next : lowerBound(offsets, offset);
    if (i >= offsets.length || offsets[i] !== offset) return -1;
    this.next = i + 1;
    return i;
  }

  /** Index into the log of the record at `offset` when it holds value id `vid`; -1 when the log holds no such record. */
  holding(offset: number, vid: number): number {
    const i = this.indexAt(offset);
    return i >= 0 && this.log.vid(i) === vid ? i : -1;
  }

  /** Indexes into the log of the records of value id `vid`, in offset order. */
  recordsOf(vid: number): number[] {
    const out: number[] = [];
    this.eachRecordOf(vid, (i) => { out.push(i); return false; });
    return out;
  }

  /**
   * Calls `visit` with the index into the log of each record of value id `vid`, in offset order, until it
   * returns true; returns whether one did. (recordsOf without an array: the index asks this of every write.)
   */
  eachRecordOf(vid: number, visit: (i: number) => boolean): boolean {
    if (vid < 0) return false;
    const { start, items } = this.byValue;
    const end = this.first + this.log.length;
    for (let k = start[vid]; k < start[vid + 1]; k++) {
      const g = items[k];
      if (g >= this.first && g < end && visit(g - this.first)) return true;
    }
    return false;
  }
}
