// The EDN reader's fast lane, as scan.ts is the JSON Lines reader's: the lines of a Jepsen history (and of
// eos-sim's own EDN export) are read straight from the file's bytes when they keep to a plain subset of
// EDN, because edn-data took ~60% of the time of checking a large EDN history.
// The subset: one map per line (optionally tagged #jepsen.history.Op, as newer Jepsen writes), holding
// maps, vectors, nil, true, false, integers of at most 15 digits without sign or leading zero (or with a
// minus), keywords of plain characters, and strings of printable ASCII without escapes; elements
// separated by whitespace or commas. That is every line Jepsen's Kafka workload and eos-sim's export write.
// The lane decides nothing on its own: it returns exactly what edn-data's parseEDNString returns with the
// EDN reader's options (EDN_PARSE_OPTIONS in edn.ts: maps as objects, keywords as their names), or
// undefined for anything else (lists, sets, floats, big integers, symbols, escapes, non-ASCII, repeated
// map keys, an element not followed by a separator, anything after the map), which the caller then hands
// to edn-data, accepting or rejecting it with its own message.

import {
  CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, Cursor, MINUS, NINE, NOT_TAKEN, OPEN_BRACE, OPEN_BRACKET, QUOTE, ZERO,
} from './scan.ts';

const TAB = 0x09;
const CR = 0x0d;
const SPACE = 0x20;
const HASH = 0x23;
const OP_TAG = '#jepsen.history.Op';

/** Bytes a keyword may hold after its first letter: no delimiter, quote, '#', ':' or '\'. */
const KEYWORD_BYTE = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./?!*') KEYWORD_BYTE[c.charCodeAt(0)] = 1;

/**
 * Keywords seen so far by their bytes' hash, so that the few names a history repeats on every line (:index,
 * :type, :send, ...) are made into strings once, not once a line; bounded, for a history of many names.
 */
const KEYWORDS = new Map<number, string>();
const MAX_KEYWORDS = 1024;

function isLetter(b: number): boolean {
  return (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a);
}

function isSpace(b: number): boolean {
  return b === SPACE || b === COMMA || b === TAB || b === CR;
}

/** The JSON lane's cursor (scan.ts), with EDN's values; every read either advances it or throws NOT_TAKEN. */
class EdnCursor extends Cursor {
  skipSpace(): void {
    while (this.at < this.end && isSpace(this.bytes[this.at])) this.at++;
  }

  /** After an element: whitespace, then the container's closing byte or the next element. */
  separator(close: number): void {
    const before = this.at;
    this.skipSpace();
    if (this.at === before && this.peek() !== close) throw NOT_TAKEN;
  }

  value(): unknown {
    const b = this.peek();
    if (b === OPEN_BRACE) return this.map();
    if (b === OPEN_BRACKET) return this.vector();
    if (b === QUOTE) return this.ednString();
    if (b === COLON) return this.keyword();
    if (b === MINUS || (b >= ZERO && b <= NINE)) return this.integer(true);
    if (b === 0x6e) return this.word('nil', null);
    if (b === 0x74) return this.word('true', true);
    if (b === 0x66) return this.word('false', false);
    throw NOT_TAKEN;
  }

  private word<T>(name: string, v: T): T {
    for (let i = 0; i < name.length; i++) if (this.at + i >= this.end || this.bytes[this.at + i] !== name.charCodeAt(i)) throw NOT_TAKEN;
    this.at += name.length;
    return v;
  }

  map(): Record<string, unknown> {
    this.at++;
    this.skipSpace();
    const out: Record<string, unknown> = {};
    while (this.peek() !== CLOSE_BRACE) {
      const k = this.mapKey();
      // edn-data keeps the last of a repeated key, and "__proto__" would set the object's prototype here.
      if (Object.hasOwn(out, k) || k === '__proto__') throw NOT_TAKEN;
      this.separator(CLOSE_BRACE);
      if (this.peek() === CLOSE_BRACE) throw NOT_TAKEN;
      out[k] = this.value();
      this.separator(CLOSE_BRACE);
    }
    this.at++;
    return out;
  }

  /** A map's key as edn-data names the field: a keyword's name, a string, an integer's digits. */
  private mapKey(): string {
    const b = this.peek();
    if (b === COLON) return this.keyword();
    if (b === QUOTE) return this.ednString();
    if (b === MINUS || (b >= ZERO && b <= NINE)) return String(this.integer(true));
    throw NOT_TAKEN;
  }

  vector(): unknown[] {
    this.at++;
    this.skipSpace();
    const out: unknown[] = [];
    while (this.peek() !== CLOSE_BRACKET) {
      out.push(this.value());
      this.separator(CLOSE_BRACKET);
    }
    this.at++;
    return out;
  }

  /** A string of printable ASCII without `\`, possibly empty: its bytes are its characters. */
  ednString(): string {
    const from = this.stringStart();
    return this.bytes.toString('latin1', from, this.at - 1);
  }

  /** `:name` or `:ns/name`, a letter first: its name, as keywordAs 'string' gives it. */
  keyword(): string {
    this.at++;
    const { bytes, end } = this;
    const from = this.at;
    if (from >= end || !isLetter(bytes[from])) throw NOT_TAKEN;
    let i = from + 1;
    let hash = bytes[from];
    while (i < end && bytes[i] < 128 && KEYWORD_BYTE[bytes[i]] === 1) hash = Math.imul(hash, 31) + bytes[i++] | 0;
    this.at = i;
    const known = KEYWORDS.get(hash);
    if (known !== undefined && known.length === i - from) {
      let j = 0;
      while (j < known.length && known.charCodeAt(j) === bytes[from + j]) j++;
      if (j === known.length) return known;
    }
    const name = bytes.toString('latin1', from, i);
    if (known === undefined && KEYWORDS.size < MAX_KEYWORDS) KEYWORDS.set(hash, name);
    return name;
  }

  /** `#jepsen.history.Op` right before the map, which the reader's tag handler returns as it is. */
  tag(): void {
    for (let i = 0; i < OP_TAG.length; i++) {
      if (this.at >= this.end || this.bytes[this.at] !== OP_TAG.charCodeAt(i)) throw NOT_TAKEN;
      this.at++;
    }
  }
}

/**
 * The map on bytes[start, end) as edn-data reads it (EDN_PARSE_OPTIONS), when the line keeps to the lane's
 * subset; undefined otherwise (the caller then parses the line with edn-data).
 */
export function scanEdnLine(bytes: Buffer, start: number, end: number): Record<string, unknown> | undefined {
  const c = new EdnCursor(bytes, start, end);
  try {
    c.skipSpace();
    if (c.peek() === HASH) c.tag();
    if (c.peek() !== OPEN_BRACE) return undefined;
    const m = c.map();
    c.skipSpace();
    return c.done() ? m : undefined;
  } catch (e) {
    if (e === NOT_TAKEN) return undefined;
    throw e;
  }
}
