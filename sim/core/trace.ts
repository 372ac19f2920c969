// The canonical trace: one record per delivered message, state change and fault. Every record is folded
// into a 64-bit (two 32-bit lanes) FNV-1a-style hash as it is written, so the hash costs no memory; the
// records' text is kept only when asked for (--trace), since a run can write millions.
//
// A record is hashed from its fields, not from its text: a time is folded in as a number, a text as its
// characters, and the hot records (a message delivered, see sim/net/network.ts) as a few integers, so that
// a run that keeps no records builds no strings for them. The hash is the same whether or not records are
// kept; it is a function of the same information as the text (what, where, when), not of the text itself.
//
// A hot record is a RecordKind, declared once beside the code that writes it, and written with
// Simulation.logf(kind, a, b, ...): its fields are integers, names among them (node ids, partition keys,
// APIs) as intern(name), which is the name's traceToken, so a name hashes the same in every run whatever
// was interned before it. The kind renders the text from the fields, only when records are kept.
//
// A text record written often, whose hash must stay what its text gives (changing how a record is hashed
// changes every run's hash), is written with Simulation.logt, a tagged template: textParts() folds the
// template's parts and values as the built text would fold, and the text is built only when records are kept.

const P1 = 0x01000193;
const P2 = 0x5bd1e995;
/** Field tags, so that a text field and a large number's text never fold like an integer field. */
const TAG_TEXT = 0x1_0002;
const TAG_BIG = 0x1_0003;
const MINUS = 0x2d;
const ZERO = 0x30;
/** Scratch for digits(): a safe integer has at most 16 decimal digits. */
const DIGITS = new Uint8Array(16);

/** A 32-bit FNV-1a hash of a string: a stable integer stand-in for a name (node id, API) in a record. */
export function traceToken(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), P1);
  return h | 0;
}

/** Renders a record of its kind from its fields (names through trace.name); the time is prefixed by the writer. */
export type RecordRender = (trace: Trace, a: number, b: number, c: number, d: number, e: number, f: number) => string;

/** A kind of hot record: a name, how many integer fields (at most six) it has, and how it reads. */
export class RecordKind {
  readonly token: number;

  constructor(readonly name: string, readonly fields: number, readonly render: RecordRender) {
    if (!(Number.isInteger(fields) && fields >= 0 && fields <= 6)) throw new Error(`RecordKind ${name}: ${fields} fields (0 to 6 allowed)`);
    this.token = traceToken(name);
  }
}

export class Trace {
  private h1 = 0x811c9dc5;
  private h2 = P1 ^ P2;
  private count = 0;
  readonly records: string[] | null;
  /** Interned names by token, to render records and to catch two names with one token. */
  private readonly names = new Map<number, string>();
  private readonly tokens = new Map<string, number>();

  constructor(keepRecords: boolean) {
    this.records = keepRecords ? [] : null;
  }

  /** A name as a record field: its traceToken, remembered so that name() can give it back. */
  intern(name: string): number {
    let token = this.tokens.get(name);
    if (token !== undefined) return token;
    token = traceToken(name);
    const other = this.names.get(token);
    // Two names folding alike would make records about either hash the same: refuse rather than blur.
    if (other !== undefined) throw new Error(`Trace.intern: "${name}" and "${other}" have the same token ${token}`);
    this.names.set(token, name);
    this.tokens.set(name, token);
    return token;
  }

  /** The name an intern() token stands for. */
  name(token: number): string {
    const name = this.names.get(token);
    if (name === undefined) throw new Error(`Trace.name: ${token} is not an interned name`);
    return name;
  }

  /** Folds an integer field into the record being written (any number is taken, see big()). */
  int(x: number): void {
    const lo = x | 0;
    if (lo !== x) {
      this.big(x);
      return;
    }
    let h1 = Math.imul(this.h1 ^ lo, P1);
    let h2 = Math.imul(this.h2 ^ lo, P2);
    h1 ^= h1 >>> 16;
    h2 ^= h2 >>> 13;
    this.h1 = h1;
    this.h2 = h2;
  }

  /** Beyond 32 bits (a time past 35 virtual minutes) or not an integer: fold its decimal text. */
  private big(x: number): void {
    this.int(TAG_BIG);
    this.text(String(x));
  }

  /** Folds a text field into the record being written. */
  text(s: string): void {
    this.openText();
    this.chars(s);
    this.closeText(s.length);
  }

  /**
   * Folds a text field given as a template's parts, exactly as text() folds the string the template
   * builds (`strings[0] + values[0] + strings[1] + ...`, numbers as their decimal text). Integers are
   * folded digit by digit, so a record made of names and integers builds no string.
   */
  textParts(strings: readonly string[], values: readonly (string | number)[]): void {
    this.openText();
    let length = 0;
    for (let i = 0; i < strings.length; i++) {
      this.chars(strings[i]);
      length += strings[i].length;
      if (i >= values.length) continue;
      const v = values[i];
      if (typeof v === 'string') {
        this.chars(v);
        length += v.length;
      } else if (Number.isSafeInteger(v)) {
        length += this.digits(v);
      } else {
        const text = String(v);
        this.chars(text);
        length += text.length;
      }
    }
    this.closeText(length);
  }

  private openText(): void {
    this.h1 = Math.imul(this.h1 ^ TAG_TEXT, P1);
    this.h2 = Math.imul(this.h2 ^ TAG_TEXT, P2);
  }

  private chars(s: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, P1);
      h2 = Math.imul(h2 ^ c, P2);
    }
    this.h1 = h1;
    this.h2 = h2;
  }

  /** Folds a safe integer's decimal text (as String(n) spells it) and returns its length. */
  private digits(n: number): number {
    let h1 = this.h1;
    let h2 = this.h2;
    let length = 0;
    if (n < 0) {
      h1 = Math.imul(h1 ^ MINUS, P1);
      h2 = Math.imul(h2 ^ MINUS, P2);
      length++;
      n = -n;
    }
    let d = 0;
    if (n <= 0x7fffffff) {
      // Small integers (nearly every field: offsets, epochs, sequences, ids): 32-bit arithmetic.
      let m = n | 0;
      do {
        DIGITS[d++] = ZERO + (m % 10);
        m = (m / 10) | 0;
      } while (m > 0);
    } else {
      do {
        DIGITS[d++] = ZERO + (n % 10);
        n = Math.floor(n / 10);
      } while (n > 0);
    }
    for (let i = d - 1; i >= 0; i--) {
      h1 = Math.imul(h1 ^ DIGITS[i], P1);
      h2 = Math.imul(h2 ^ DIGITS[i], P2);
    }
    this.h1 = h1;
    this.h2 = h2;
    return length + d;
  }

  private closeText(length: number): void {
    // Fold in the length so that ["ab","c"] and ["a","bc"] differ as fields.
    const h1 = this.h1;
    this.h1 = Math.imul(h1 ^ length, P1);
    this.h2 = Math.imul(this.h2 ^ length, P2) ^ (h1 >>> 15);
  }

  /**
   * Ends the record whose fields were just folded in. `text` is its readable form, stored when records
   * are kept: callers build it only when `records` is not null, and pass null otherwise.
   */
  end(text: string | null): void {
    // Separate records so that a record boundary is never the same as a field boundary.
    const h1 = this.h1;
    this.h1 = Math.imul(h1 ^ 0x0a, P1);
    this.h2 = Math.imul(this.h2 ^ 0x0a, P2) ^ (h1 >>> 15);
    this.count++;
    if (this.records !== null) {
      if (text === null) throw new Error('Trace.end: records are kept but the record has no text');
      this.records.push(text);
    }
  }

  /** A record that is a single text. */
  record(text: string): void {
    this.text(text);
    this.end(text);
  }

  get recordCount(): number {
    return this.count;
  }

  /** 16 hex digits. */
  hash(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }
}
