// Integer ids for the strings of a history (values, keys, processes), given out in first-seen order.
// A million-operation history names a value about three times (sent, acknowledged, read) and a key or a
// process on every line. The streamed check reads those names straight from the file's bytes (scan.ts):
// looking the bytes up here, in a hash table over a byte arena, costs no string per occurrence, and a
// name's string is made only when something asks for it (name()): a history without anomalies has
// hundreds of thousands of values and the checker may never need their text (their ids do). Through a
// Map<string, number> each occurrence was a new string to build, hash and compare, and then garbage;
// that was the largest share of building the index.
// Strings handed in as strings (the full parser's, a History in memory) are looked up by the same bytes
// when they are ASCII, so both ways in agree on every id; a string with any other character cannot come
// from the byte lane (it takes printable ASCII only) and is kept in a Map of its own.

/** FNV-1a over bytes; Math.imul keeps it in 32-bit integers. */
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
/** The largest character code the byte table holds a name by. */
const MAX_ASCII = 0x7f;
/** Names' strings are kept in blocks of 2^BLOCK_BITS ids, a block made when one of its strings is. */
const BLOCK_BITS = 12;
const BLOCK = 1 << BLOCK_BITS;
/** Entries of the cache of recent lookups (a power of two): 32 KB. */
const RECENT = 4096;

export class Interner {
  private count = 0;
  /**
   * The names' strings made so far, by id, in blocks of BLOCK ids: a block only once one of its names
   * was asked for (name()), so a check that asks for few makes no list as long as the values either.
   * Names outside ASCII, which are not in the arena, are kept from the start.
   */
  private readonly strings: (string[] | undefined)[] = [];
  /** Names with a character outside ASCII (never from the byte lane). */
  private readonly others = new Map<string, number>();
  /** The bytes of every ASCII name, one after another; `text` is the same memory, to decode names from. */
  private arena: Uint8Array;
  private text: Buffer;
  private used = 0;
  /** Per id, two entries: where its bytes start in the arena, and how many there are (-1: one of `others`). */
  private spans: Int32Array;
  /**
   * Open addressing with linear probing, two entries a slot: the name's hash, and its id + 1 (0: free).
   * The hash beside the id settles most probes without reading the name.
   */
  private slots: Int32Array;
  private inTable = 0;
  /**
   * The ids last looked up, by the low bits of their hash (id + 1, 0: none), checked before the table. A
   * history names a value again a few lines after it first did (sent, acknowledged, read), and this small
   * array stays in the processor's cache where the table, megabytes large, costs a cache miss a lookup.
   */
  private readonly recent = new Int32Array(2 * RECENT);
  /** Where `id(name)` writes an ASCII name's bytes to look them up. */
  private scratch = new Uint8Array(256);

  /**
   * `expected`: how many names to make room for at once (an estimate; more only costs growing, and
   * growing rewrites the table and lists into new memory).
   */
  constructor(expected = 1024) {
    const n = Math.max(expected, 1024);
    this.arena = new Uint8Array(n * 16);
    this.text = Buffer.from(this.arena.buffer, this.arena.byteOffset, this.arena.byteLength);
    this.spans = new Int32Array(n * 2);
    // Two entries a slot, at most half the slots full: a power of two >= 4n entries.
    this.slots = new Int32Array(2 ** Math.ceil(Math.log2(n * 4)));
  }

  /** How many names there are (ids 0 .. size - 1). */
  get size(): number {
    return this.count;
  }

  /** The string of name `id` (made once, at the first request). */
  name(id: number): string {
    const block = this.blockOf(id);
    const s = block[id & (BLOCK - 1)];
    if (s !== undefined) return s;
    const at = this.spans[2 * id];
    const made = this.text.toString('latin1', at, at + this.spans[2 * id + 1]);
    block[id & (BLOCK - 1)] = made;
    return made;
  }

  /** Every name, by id (making the strings not made yet: for interners of few names, or tests). */
  all(): string[] {
    return Array.from({ length: this.size }, (_, id) => this.name(id));
  }

  /** Whether name `id` holds the ASCII character `char`, without making its string. */
  includes(id: number, char: string): boolean {
    if (this.spans[2 * id + 1] < 0) return this.name(id).includes(char);
    const code = char.charCodeAt(0);
    const { arena } = this;
    const at = this.spans[2 * id];
    const end = at + this.spans[2 * id + 1];
    for (let i = at; i < end; i++) if (arena[i] === code) return true;
    return false;
  }

  /** The id of bytes[from, to), a name of ASCII bytes; a new id when first seen. */
  idOfBytes(bytes: Buffer, from: number, to: number): number {
    const hash = hashOf(bytes, from, to);
    const found = this.lookup(hash, bytes, from, to);
    return found >= 0 ? found : this.insert(hash, bytes, from, to);
  }

  /** The id of a name; a new id when first seen. */
  id(name: string): number {
    const n = this.encode(name);
    if (n < 0) {
      let id = this.others.get(name);
      if (id === undefined) {
        id = this.newId(0, -1);
        this.others.set(name, id);
        this.blockOf(id)[id & (BLOCK - 1)] = name;
      }
      return id;
    }
    const hash = hashOf(this.scratch, 0, n);
    const found = this.lookup(hash, this.scratch, 0, n);
    return found >= 0 ? found : this.insert(hash, this.scratch, 0, n);
  }

  /** The id of a name, or -1 when it was never seen. */
  find(name: string): number {
    const n = this.encode(name);
    if (n < 0) return this.others.get(name) ?? -1;
    return this.lookup(hashOf(this.scratch, 0, n), this.scratch, 0, n);
  }

  /** The block of strings that holds name `id`'s, made now if none of its names' was. */
  private blockOf(id: number): string[] {
    return (this.strings[id >> BLOCK_BITS] ??= new Array<string>(BLOCK));
  }

  /** Writes an ASCII name's bytes to `scratch` and returns their number; -1 for any other name. */
  private encode(name: string): number {
    if (name.length > this.scratch.length) this.scratch = new Uint8Array(name.length * 2);
    const { scratch } = this;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c > MAX_ASCII) return -1;
      scratch[i] = c;
    }
    return name.length;
  }

  private lookup(hash: number, bytes: Uint8Array, from: number, to: number): number {
    const { slots, recent } = this;
    const at = 2 * (hash & (RECENT - 1));
    // The hash first: a name not looked up lately (a new one, most often) then costs no read of the
    // arena, which for a name of long ago is a cache miss.
    const r = recent[at + 1] - 1;
    if (r >= 0 && recent[at] === hash && this.holds(r, bytes, from, to)) return r;
    const mask = (slots.length >> 1) - 1;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const entry = slots[2 * s + 1];
      if (entry === 0) return -1;
      if (slots[2 * s] !== hash || !this.holds(entry - 1, bytes, from, to)) continue;
      recent[at] = hash;
      recent[at + 1] = entry;
      return entry - 1;
    }
  }

  /** Whether name `id` is bytes[from, to). */
  private holds(id: number, bytes: Uint8Array, from: number, to: number): boolean {
    const { spans, arena } = this;
    const n = to - from;
    if (spans[2 * id + 1] !== n) return false;
    const at = spans[2 * id];
    let i = 0;
    while (i < n && arena[at + i] === bytes[from + i]) i++;
    return i === n;
  }

  /** The next id, its bytes at arena[from, from + n) (n = -1: a name of `others`, not in the arena). */
  private newId(from: number, n: number): number {
    const id = this.count++;
    if (2 * id === this.spans.length) this.spans = grown(this.spans, this.spans.length * 2);
    this.spans[2 * id] = from;
    this.spans[2 * id + 1] = n;
    return id;
  }

  /** A new name, bytes[from, to). */
  private insert(hash: number, bytes: Uint8Array, from: number, to: number): number {
    const n = to - from;
    if (this.used + n > this.arena.length) {
      this.arena = grown(this.arena, Math.max(this.arena.length * 2, this.used + n));
      this.text = Buffer.from(this.arena.buffer, this.arena.byteOffset, this.arena.byteLength);
    }
    // Names are short: a loop beats Buffer.copy's call.
    const { arena, used } = this;
    for (let i = 0; i < n; i++) arena[used + i] = bytes[from + i];
    const id = this.newId(used, n);
    this.used += n;
    // At most half full, so probes stay short.
    if (++this.inTable * 4 > this.slots.length) this.rehash();
    this.place(hash, id + 1);
    const at = 2 * (hash & (RECENT - 1));
    this.recent[at] = hash;
    this.recent[at + 1] = id + 1;
    return id;
  }

  private place(hash: number, entry: number): void {
    const { slots } = this;
    const mask = (slots.length >> 1) - 1;
    let s = hash & mask;
    while (slots[2 * s + 1] !== 0) s = (s + 1) & mask;
    slots[2 * s] = hash;
    slots[2 * s + 1] = entry;
  }

  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    for (let s = 0; s < old.length; s += 2) if (old[s + 1] !== 0) this.place(old[s], old[s + 1]);
  }
}

function hashOf(bytes: Uint8Array, from: number, to: number): number {
  let h = FNV_OFFSET;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  return h;
}

/** A copy of `a`, `length` long. */
export function grown<T extends Int32Array | Uint8Array | Float64Array>(a: T, length: number): T {
  const bigger = new (a.constructor as new (n: number) => T)(length);
  bigger.set(a);
  return bigger;
}
