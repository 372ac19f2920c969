// The checker's fast lane for the lines that make up almost all of a large history: send, poll and txn
// operation lines exactly as historyToJsonl writes them (fields in its order, no spaces, strings of
// printable ASCII without escapes, integers without signs, fractions or exponents). Such a line is read
// straight from the file's bytes into the index's row form (op-row.ts): no line string, no JSON.parse,
// no Op or micro-op objects, and no string per name or value: names are looked up by their bytes
// (interner.ts), so only a name seen for the first time becomes a string. A million-line history spent
// more time in JSON.parse, in building those objects and in looking their strings up than in all of
// its checking.
// The lane decides nothing on its own: it fills the row that rowOfOp would fill from parseOp's Op for the
// line, or declines anything it does not take (other fields or field orders, whitespace, escapes,
// non-ASCII, other fs, invalid values), and the caller then hands the line to JSON.parse and the full
// parser, which accepts or rejects it with its precise message. Within the form it takes, JSON.parse would
// read the same values: no escapes or non-ASCII means a string's bytes are its characters, at most 15
// digits means an integer is exact, and a key "topic/partition" is never an array index, so object fields
// keep their order. A line's names are interned only once the whole line is taken, in rowOfOp's order.
import { OP_TYPES } from './history.ts';
import { FinalLogColumns, txnCode } from './final-logs.ts';
import type { OpF } from './history.ts';
import type { Interner } from './interner.ts';
import { OpRow, readsCount } from './op-row.ts';
import type { Names } from './tables.ts';

export const QUOTE = 0x22;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const MINUS = 0x2d;
const SLASH = 0x2f;
export const ZERO = 0x30;
export const NINE = 0x39;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
/** 15 decimal digits are below 2^53: every such integer is exact, as JSON.parse would read it. */
const MAX_DIGITS = 15;

const FS: readonly OpF[] = ['send', 'poll', 'txn'];
/** How every final line historyToJsonl writes begins. */
const FINAL_PREFIX = Buffer.from('{"final"');
/** The one kind of final line the fast lane reads (a final line's `final` field). */
const FINAL_LOG = ['log'] as const;
const MOP_NAMES = ['send', 'poll'] as const;

/** Thrown (and caught in RowScanner.scan, scanFinalLogLine and edn-scan.ts's scanEdnLine) when the line leaves the form the lane takes. */
export const NOT_TAKEN = new Error('not in the fast lane');

/** A cursor over one line's bytes; every read either advances it or throws NOT_TAKEN. The EDN lane extends it. */
export class Cursor {
  at: number;

  constructor(protected bytes: Buffer, start: number, protected end: number) {
    this.at = start;
  }

  /** Moves the cursor to another line (one cursor serves a whole file). */
  reset(bytes: Buffer, start: number, end: number): void {
    this.bytes = bytes;
    this.at = start;
    this.end = end;
  }

  peek(): number {
    return this.at < this.end ? this.bytes[this.at] : -1;
  }

  expect(byte: number): void {
    if (this.peek() !== byte) throw NOT_TAKEN;
    this.at++;
  }

  /** `"name":` */
  field(name: string): void {
    const { bytes } = this;
    let at = this.at;
    // Every line has several: one bounds check for the whole, then the bytes.
    if (at + name.length + 3 > this.end || bytes[at] !== QUOTE) throw NOT_TAKEN;
    at++;
    for (let i = 0; i < name.length; i++, at++) if (bytes[at] !== name.charCodeAt(i)) throw NOT_TAKEN;
    if (bytes[at] !== QUOTE || bytes[at + 1] !== COLON) throw NOT_TAKEN;
    this.at = at + 2;
  }

  /**
   * A field name or value of printable ASCII other than `"` and `\`: returns where it starts; it ends
   * before the closing quote, at `this.at - 1`.
   */
  protected stringStart(): number {
    this.expect(QUOTE);
    const from = this.at;
    const { bytes, end } = this;
    let i = from;
    for (; i < end; i++) {
      const b = bytes[i];
      if (b === QUOTE) break;
      if (b < 0x20 || b > 0x7e || b === 0x5c) throw NOT_TAKEN;
    }
    if (i === end) throw NOT_TAKEN;
    this.at = i + 1;
    return from;
  }

  /** A non-empty string, left in the bytes: returns where it starts (it ends at `this.at - 1`). */
  span(): number {
    const from = this.stringStart();
    if (this.at - 1 === from) throw NOT_TAKEN;
    return from;
  }

  /** A non-empty string. */
  string(): string {
    const from = this.span();
    return this.bytes.toString('latin1', from, this.at - 1);
  }

  /** One of a few names, without making a string of it. */
  oneOf<T extends string>(names: readonly T[]): T {
    const from = this.stringStart();
    const to = this.at - 1;
    for (const name of names) {
      if (name.length !== to - from) continue;
      let i = 0;
      while (i < name.length && name.charCodeAt(i) === this.bytes[from + i]) i++;
      if (i === name.length) return name;
    }
    throw NOT_TAKEN;
  }

  /** A key "topic/partition" (a topic without "/", then a partition without leading zeros), left in the bytes as span() is. */
  keySpan(): number {
    const from = this.stringStart();
    const to = this.at - 1;
    const { bytes } = this;
    let slash = -1;
    for (let i = from; i < to; i++) if (bytes[i] === SLASH) { slash = i; break; }
    if (slash <= from || slash === to - 1) throw NOT_TAKEN;
    if (bytes[slash + 1] === ZERO && to - slash > 2) throw NOT_TAKEN;
    for (let i = slash + 1; i < to; i++) if (bytes[i] < ZERO || bytes[i] > NINE) throw NOT_TAKEN;
    return from;
  }

  /** An integer >= 0 (or any integer with `signed`) of at most 15 digits, without leading zeros. */
  integer(signed = false): number {
    let negative = false;
    if (signed && this.peek() === MINUS) {
      negative = true;
      this.at++;
    }
    const from = this.at;
    let n = 0;
    for (let b = this.peek(); b >= ZERO && b <= NINE; b = this.peek()) {
      n = n * 10 + (b - ZERO);
      this.at++;
    }
    const digits = this.at - from;
    if (digits === 0 || digits > MAX_DIGITS || (digits > 1 && this.bytes[from] === ZERO)) throw NOT_TAKEN;
    // "-0" is -0 to JSON.parse, an integer that is not worth a special case here.
    if (negative && n === 0) throw NOT_TAKEN;
    return negative ? -n : n;
  }

  /** `"name":` and an integer (see integer), then the comma before the next field. */
  integerField(name: string, signed = false): number {
    this.field(name);
    const n = this.integer(signed);
    this.expect(COMMA);
    return n;
  }

  /** `null` */
  isNull(): boolean {
    if (this.peek() !== 0x6e) return false;
    this.expect(0x6e);
    this.expect(0x75);
    this.expect(0x6c);
    this.expect(0x6c);
    return true;
  }

  done(): boolean {
    return this.at === this.end;
  }
}


/** Whether bytes[a, a + n) and bytes[b, b + n) are the same. */
function sameBytes(bytes: Buffer, a: number, b: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (bytes[a + i] !== bytes[b + i]) return false;
  return true;
}

/**
 * Reads operation lines into one OpRow (`row`), reused line after line. While a line is scanned, its
 * names are only noted as spans of its bytes: [from, to) of each send's key and value, each polled
 * record's key and value; they are interned once the whole line is taken.
 */
export class RowScanner {
  readonly row = new OpRow();
  /** Per send: key from, key to, value from, value to, offset (-1: none). */
  private readonly sendSpans: number[] = [];
  private sendCount = 0;
  /** Per polled record: key from, key to, offset, value from, value to. */
  private readonly readSpans: number[] = [];
  private readCount = 0;
  /** The keys of the poll micro-op being scanned: from, to. */
  private readonly pollKeys: number[] = [];

  private readonly cursor = new Cursor(Buffer.alloc(0), 0, 0);

  constructor(private readonly names: Names) {}

  /**
   * Fills `row` from the line at bytes[start, end) when it is a send, poll or txn line in historyToJsonl's
   * form and returns true; false otherwise (the caller then parses the line in full).
   */
  scan(bytes: Buffer, start: number, end: number): boolean {
    const { row, cursor: c } = this;
    c.reset(bytes, start, end);
    this.sendCount = 0;
    this.readCount = 0;
    try {
      c.expect(OPEN_BRACE);
      const index = c.integerField('index');
      const id = c.integerField('id', true);
      const time = c.integerField('time');
      c.field('process');
      const process = c.span();
      const processEnd = c.at - 1;
      c.expect(COMMA);
      c.field('type');
      const type = c.oneOf(OP_TYPES);
      c.expect(COMMA);
      c.field('f');
      const f = c.oneOf(FS);
      c.expect(COMMA);
      c.field('value');
      // A completion cut short may carry null: only fail and info.
      if (!c.isNull()) this.mops(c, bytes, f, type !== 'invoke');
      else if (type !== 'fail' && type !== 'info') return false;
      let commit: number | undefined;
      let error: string | undefined;
      // Then `commit` (txn lines only) and `error`, each optional, in that order.
      if (f === 'txn' && c.peek() === COMMA && bytes[c.at + 2] === 0x63) {
        c.at++;
        c.field('commit');
        commit = c.integer();
      }
      if (c.peek() === COMMA) {
        c.at++;
        c.field('error');
        error = c.string();
      }
      c.expect(CLOSE_BRACE);
      if (!c.done()) return false;
      row.clear();
      row.index = index;
      row.id = id;
      row.time = time;
      row.proc = this.names.processes.idOfBytes(bytes, process, processEnd);
      row.type = type;
      row.f = f;
      row.commit = commit;
      row.error = error;
      this.intern(bytes, readsCount(type, f));
      return true;
    } catch (e) {
      if (e === NOT_TAKEN) return false;
      throw e;
    }
  }

  /** The noted names, interned into the row: every send's key and value, then (when they count) the reads'. */
  private intern(bytes: Buffer, withReads: boolean): void {
    const { row, sendSpans: s, readSpans: r } = this;
    const { keys, values } = this.names;
    for (let i = 0; i < this.sendCount * 5; i += 5) {
      const offset = s[i + 4];
      row.addSend(keys.idOfBytes(bytes, s[i], s[i + 1]), values.idOfBytes(bytes, s[i + 2], s[i + 3]), offset < 0 ? null : offset);
    }
    if (!withReads) return;
    let kid = -1;
    let keyFrom = -1;
    for (let i = 0; i < this.readCount * 5; i += 5) {
      // A poll's records come key by key: look each key up once.
      if (r[i] !== keyFrom) {
        keyFrom = r[i];
        kid = keys.idOfBytes(bytes, r[i], r[i + 1]);
      }
      row.addRead(kid, r[i + 2], values.idOfBytes(bytes, r[i + 3], r[i + 4]));
    }
  }

  /** The micro-ops of a send, poll or txn line: sends and polls, as parseOp's quick path takes them. */
  private mops(c: Cursor, bytes: Buffer, f: OpF, completion: boolean): void {
    let count = 0;
    c.expect(OPEN_BRACKET);
    if (c.peek() !== CLOSE_BRACKET) {
      for (;;) {
        c.expect(OPEN_BRACKET);
        const name = c.oneOf(MOP_NAMES);
        if (name === 'send' ? f === 'poll' : f === 'send') throw NOT_TAKEN;
        if (name === 'send') this.sendMop(c, completion);
        else this.pollMop(c, bytes, completion);
        count++;
        if (c.peek() !== COMMA) break;
        c.at++;
      }
    }
    c.expect(CLOSE_BRACKET);
    // Sends and polls carry at least one micro-op; a txn may have none.
    if (count === 0 && f !== 'txn') throw NOT_TAKEN;
  }

  /** ["send", key, value] or, on a completion, ["send", key, [offset|null, value]]; the cursor is past "send". */
  private sendMop(c: Cursor, completion: boolean): void {
    c.expect(COMMA);
    const key = c.keySpan();
    const keyEnd = c.at - 1;
    c.expect(COMMA);
    let offset = -1;
    const claimed = c.peek() !== QUOTE;
    if (claimed) {
      if (!completion) throw NOT_TAKEN;
      c.expect(OPEN_BRACKET);
      if (!c.isNull()) offset = c.integer();
      c.expect(COMMA);
    }
    const value = c.span();
    const valueEnd = c.at - 1;
    if (claimed) c.expect(CLOSE_BRACKET);
    c.expect(CLOSE_BRACKET);
    const s = this.sendSpans;
    const i = this.sendCount++ * 5;
    s[i] = key;
    s[i + 1] = keyEnd;
    s[i + 2] = value;
    s[i + 3] = valueEnd;
    s[i + 4] = offset;
  }

  /** ["poll"] or, on a completion, ["poll", {key: [[offset, value], ...], ...}]; the cursor is past "poll". */
  private pollMop(c: Cursor, bytes: Buffer, completion: boolean): void {
    if (c.peek() === CLOSE_BRACKET) {
      c.at++;
      return;
    }
    if (!completion) throw NOT_TAKEN;
    c.expect(COMMA);
    c.expect(OPEN_BRACE);
    const r = this.readSpans;
    const keys = this.pollKeys;
    let keyCount = 0;
    let records = this.readCount * 5;
    if (c.peek() !== CLOSE_BRACE) {
      for (;;) {
        const key = c.keySpan();
        const keyEnd = c.at - 1;
        // JSON.parse keeps the last of a repeated field; the lane leaves that rare case to it.
        for (let k = 0; k < keyCount * 2; k += 2) {
          if (keys[k + 1] - keys[k] === keyEnd - key && sameBytes(bytes, keys[k], key, keyEnd - key)) throw NOT_TAKEN;
        }
        keys[keyCount * 2] = key;
        keys[keyCount * 2 + 1] = keyEnd;
        keyCount++;
        c.expect(COLON);
        c.expect(OPEN_BRACKET);
        if (c.peek() !== CLOSE_BRACKET) {
          for (;;) {
            c.expect(OPEN_BRACKET);
            const offset = c.integer();
            c.expect(COMMA);
            const value = c.span();
            r[records] = key;
            r[records + 1] = keyEnd;
            r[records + 2] = offset;
            r[records + 3] = value;
            r[records + 4] = c.at - 1;
            records += 5;
            c.expect(CLOSE_BRACKET);
            if (c.peek() !== COMMA) break;
            c.at++;
          }
        }
        c.expect(CLOSE_BRACKET);
        if (c.peek() !== COMMA) break;
        c.at++;
      }
    }
    this.readCount = records / 5;
    c.expect(CLOSE_BRACE);
    c.expect(CLOSE_BRACKET);
  }
}

const TXN_OUTCOMES_SCANNED = ['committed', 'aborted'] as const;
/** The shortest record a final log can hold, `[0,"v",{"pid":0,"epoch":0,"seq":0,"txn":null}],`: a line holds at most its length / this. */
const MIN_RECORD_BYTES = 47;

/**
 * One record of a final log, `[offset, "value", {"pid":..,"epoch":..,"seq":..,"txn":..}]`, appended to
 * `log` with where its value's bytes start in place of its value id (interned once the line is taken);
 * false when its offset is not above the previous record's and below `hw`.
 */
function finalRecord(c: Cursor, hw: number, log: FinalLogColumns): boolean {
  c.expect(OPEN_BRACKET);
  const offset = c.integer();
  if ((log.length > 0 && offset <= log.offset(log.length - 1)) || offset >= hw) return false;
  c.expect(COMMA);
  const value = c.span();
  c.expect(COMMA);
  c.expect(OPEN_BRACE);
  c.field('pid');
  const pid = nullableCount(c);
  c.expect(COMMA);
  c.field('epoch');
  const epoch = nullableCount(c);
  c.expect(COMMA);
  c.field('seq');
  const seq = nullableCount(c);
  c.expect(COMMA);
  c.field('txn');
  const txn = c.isNull() ? null : c.oneOf(TXN_OUTCOMES_SCANNED);
  c.expect(CLOSE_BRACE);
  c.expect(CLOSE_BRACKET);
  log.push(offset, value, pid, epoch, seq, txnCode(txn));
  return true;
}

// The two loops over a log's records are functions of their own: a loop inside scanFinalLogLine is
// optimised while it runs (on-stack replacement), without feedback for the code after it, and that code
// then left the optimised code on every final log line.

/** The records of a final log, up to the closing bracket; false when one is out of order (see finalRecord). */
function finalRecords(c: Cursor, hw: number, log: FinalLogColumns): boolean {
  if (c.peek() === CLOSE_BRACKET) return true;
  for (;;) {
    if (!finalRecord(c, hw, log)) return false;
    if (c.peek() !== COMMA) return true;
    c.at++;
  }
}

/** The records' values interned, in record order: until then each one's value id is where its bytes start. */
function internValues(bytes: Buffer, log: FinalLogColumns, values: Interner): void {
  for (let i = 0; i < log.length; i++) {
    // The value ends at the next quote (the lane took it without escapes).
    const from = log.vid(i);
    let to = from;
    while (bytes[to] !== QUOTE) to++;
    log.setVid(i, values.idOfBytes(bytes, from, to));
  }
}

/** `null` or an integer >= 0. */
function nullableCount(c: Cursor): number | null {
  return c.isNull() ? null : c.integer();
}

/**
 * A final-log line in historyToJsonl's form, read straight from its bytes into columns: the records that
 * parseFinal would return for it, its values interned in `names` (in record order, after the key);
 * undefined for anything else, including every line the full parser rejects (an offset out of order or
 * not below hw, lso above hw), which the caller then parses in full.
 * A final log holds a record per write: a million-operation history's are 30 MB of JSON, whose parse
 * (and a string per value, and looking each up again, and an object per record) cost as much as all its
 * send lines.
 */
export function scanFinalLogLine(bytes: Buffer, start: number, end: number, names: Names): FinalLogColumns | undefined {
  // Most lines that reach here are other operation lines (commits, crashes, …): no cursor, no throw for them.
  if (end - start < FINAL_PREFIX.length || bytes.compare(FINAL_PREFIX, 0, FINAL_PREFIX.length, start, start + FINAL_PREFIX.length) !== 0) return undefined;
  const c = new Cursor(bytes, start, end);
  try {
    c.expect(OPEN_BRACE);
    c.field('final');
    c.oneOf(FINAL_LOG);
    c.expect(COMMA);
    c.field('key');
    const keyFrom = c.keySpan();
    const keyTo = c.at - 1;
    c.expect(COMMA);
    const hw = c.integerField('hw');
    const lso = c.integerField('lso');
    if (lso > hw) return undefined;
    c.field('records');
    c.expect(OPEN_BRACKET);
    // Nothing is interned unless the whole line is taken: until then a record's value id is where its
    // value starts in the bytes (no list of spans: a log's line is megabytes). The columns are sized for
    // as many records as the line can hold, so they are never copied (pages never written cost nothing).
    const log = new FinalLogColumns(bytes.toString('latin1', keyFrom, keyTo), hw, lso, names.values, Math.ceil((end - start) / MIN_RECORD_BYTES));
    if (!finalRecords(c, hw, log)) return undefined;
    c.expect(CLOSE_BRACKET);
    c.expect(CLOSE_BRACE);
    if (!c.done()) return undefined;
    names.keys.idOfBytes(bytes, keyFrom, keyTo);
    internValues(bytes, log, names.values);
    return log;
  } catch (e) {
    if (e === NOT_TAKEN) return undefined;
    throw e;
  }
}
