// The checker's fast lane for the lines that make up almost all of a large history: send, poll and txn
// operation lines exactly as historyToJsonl writes them (fields in its order, no spaces, strings of
// printable ASCII without escapes, integers without signs, fractions or exponents). Such a line is read
// straight from the file's bytes: no line string, no JSON.parse of generic objects, one string per name
// or value. A million-line history spent more time in JSON.parse and in checking each parsed field than
// in all of its checking.
// The lane decides nothing on its own: it returns the Op that parseOp would return for the line, or
// undefined for anything it does not take (other fields or field orders, whitespace, escapes, non-ASCII,
// other fs, invalid values), and the caller then hands the line to JSON.parse and the full parser, which
// accepts or rejects it with its precise message. Within the form it takes, JSON.parse would read the
// same values: no escapes or non-ASCII means a string's bytes are its characters, at most 15 digits
// means an integer is exact, and a key "topic/partition" is never an array index, so object fields keep
// their order.
import type { Key, Mop, Op, OpF, OpType } from './history.ts';

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

const TYPES: readonly OpType[] = ['invoke', 'ok', 'fail', 'info'];
const FS: readonly OpF[] = ['send', 'poll', 'txn'];

/** Thrown (and caught in scanOpLine, and in edn-scan.ts's scanEdnLine) when the line leaves the form the lane takes. */
export const NOT_TAKEN = new Error('not in the fast lane');

/** A cursor over one line's bytes; every read either advances it or throws NOT_TAKEN. The EDN lane extends it. */
export class Cursor {
  at: number;

  constructor(protected readonly bytes: Buffer, start: number, protected readonly end: number) {
    this.at = start;
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
    this.expect(QUOTE);
    for (let i = 0; i < name.length; i++) this.expect(name.charCodeAt(i));
    this.expect(QUOTE);
    this.expect(COLON);
  }

  /** A field name or value of printable ASCII other than `"` and `\`, returned with its start and end. */
  protected stringBounds(): [number, number] {
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
    return [from, i];
  }

  /** A non-empty string. */
  string(): string {
    const [from, to] = this.stringBounds();
    if (to === from) throw NOT_TAKEN;
    return this.bytes.toString('latin1', from, to);
  }

  /** One of a few names, without making a string of it. */
  oneOf<T extends string>(names: readonly T[]): T {
    const [from, to] = this.stringBounds();
    for (const name of names) {
      if (name.length !== to - from) continue;
      let i = 0;
      while (i < name.length && name.charCodeAt(i) === this.bytes[from + i]) i++;
      if (i === name.length) return name;
    }
    throw NOT_TAKEN;
  }

  /** A key "topic/partition": a topic without "/", then a partition without leading zeros. */
  key(): Key {
    const [from, to] = this.stringBounds();
    const { bytes } = this;
    let slash = -1;
    for (let i = from; i < to; i++) if (bytes[i] === SLASH) { slash = i; break; }
    if (slash <= from || slash === to - 1) throw NOT_TAKEN;
    if (bytes[slash + 1] === ZERO && to - slash > 2) throw NOT_TAKEN;
    for (let i = slash + 1; i < to; i++) if (bytes[i] < ZERO || bytes[i] > NINE) throw NOT_TAKEN;
    return bytes.toString('latin1', from, to);
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

/** ["send", key, value] or, on a completion, ["send", key, [offset|null, value]]; the cursor is past "send". */
function sendMop(c: Cursor, completion: boolean): Mop {
  c.expect(COMMA);
  const key = c.key();
  c.expect(COMMA);
  if (c.peek() === QUOTE) {
    const value = c.string();
    c.expect(CLOSE_BRACKET);
    return ['send', key, value];
  }
  if (!completion) throw NOT_TAKEN;
  c.expect(OPEN_BRACKET);
  const offset = c.isNull() ? null : c.integer();
  c.expect(COMMA);
  const value = c.string();
  c.expect(CLOSE_BRACKET);
  c.expect(CLOSE_BRACKET);
  return ['send', key, [offset, value]];
}

/** ["poll"] or, on a completion, ["poll", {key: [[offset, value], ...], ...}]; the cursor is past "poll". */
function pollMop(c: Cursor, completion: boolean): Mop {
  if (c.peek() === CLOSE_BRACKET) {
    c.at++;
    return ['poll'];
  }
  if (!completion) throw NOT_TAKEN;
  c.expect(COMMA);
  c.expect(OPEN_BRACE);
  const byKey: Record<Key, [number, string][]> = {};
  if (c.peek() !== CLOSE_BRACE) {
    for (;;) {
      const key = c.key();
      // JSON.parse keeps the last of a repeated field; the lane leaves that rare case to it.
      if (Object.hasOwn(byKey, key)) throw NOT_TAKEN;
      c.expect(COLON);
      c.expect(OPEN_BRACKET);
      const records: [number, string][] = [];
      if (c.peek() !== CLOSE_BRACKET) {
        for (;;) {
          c.expect(OPEN_BRACKET);
          const offset = c.integer();
          c.expect(COMMA);
          records.push([offset, c.string()]);
          c.expect(CLOSE_BRACKET);
          if (c.peek() !== COMMA) break;
          c.at++;
        }
      }
      c.expect(CLOSE_BRACKET);
      byKey[key] = records;
      if (c.peek() !== COMMA) break;
      c.at++;
    }
  }
  c.expect(CLOSE_BRACE);
  c.expect(CLOSE_BRACKET);
  return ['poll', byKey];
}

/** The micro-ops of a send, poll or txn line: sends and polls, as quickOp in parse.ts takes them. */
function mops(c: Cursor, f: OpF, completion: boolean): Mop[] {
  const out: Mop[] = [];
  c.expect(OPEN_BRACKET);
  if (c.peek() !== CLOSE_BRACKET) {
    for (;;) {
      c.expect(OPEN_BRACKET);
      const name = c.oneOf(['send', 'poll'] as const);
      if (name === 'send' ? f === 'poll' : f === 'send') throw NOT_TAKEN;
      out.push(name === 'send' ? sendMop(c, completion) : pollMop(c, completion));
      if (c.peek() !== COMMA) break;
      c.at++;
    }
  }
  c.expect(CLOSE_BRACKET);
  // Sends and polls carry at least one micro-op; a txn may have none.
  if (out.length === 0 && f !== 'txn') throw NOT_TAKEN;
  return out;
}

/**
 * The operation at bytes[start, end) when the line is a send, poll or txn line in historyToJsonl's form,
 * as parseOp would return it; undefined otherwise (the caller then parses the line in full).
 */
export function scanOpLine(bytes: Buffer, start: number, end: number): Op | undefined {
  const c = new Cursor(bytes, start, end);
  try {
    c.expect(OPEN_BRACE);
    c.field('index');
    const index = c.integer();
    c.expect(COMMA);
    c.field('id');
    const id = c.integer(true);
    c.expect(COMMA);
    c.field('time');
    const time = c.integer();
    c.expect(COMMA);
    c.field('process');
    const process = c.string();
    c.expect(COMMA);
    c.field('type');
    const type = c.oneOf(TYPES);
    c.expect(COMMA);
    c.field('f');
    const f = c.oneOf(FS);
    c.expect(COMMA);
    c.field('value');
    // A completion cut short may carry null: only fail and info.
    let value: Mop[] | null = null;
    if (!c.isNull()) value = mops(c, f, type !== 'invoke');
    else if (type !== 'fail' && type !== 'info') return undefined;
    const op: Op = { index, id, time, process, type, f, value };
    // Then `commit` (txn lines only) and `error`, each optional, in that order.
    if (f === 'txn' && c.peek() === COMMA && bytes[c.at + 2] === 0x63) {
      c.at++;
      c.field('commit');
      op.commit = c.integer();
    }
    if (c.peek() === COMMA) {
      c.at++;
      c.field('error');
      op.error = c.string();
    }
    c.expect(CLOSE_BRACE);
    return c.done() ? op : undefined;
  } catch (e) {
    if (e === NOT_TAKEN) return undefined;
    throw e;
  }
}
