// Integer ids for the strings of a history (values, keys, processes), given out in first-seen order.
// A million-operation history names a value about three times (sent, acknowledged, read) and a key or a
// process on every line. The streamed check reads those names straight from the file's bytes (scan.ts):
// looking the bytes up here, in a hash table over a byte arena, costs no string per occurrence, only one
// per distinct name. Through a Map<string, number> each occurrence was a new string to build, hash and
// compare, and then garbage; that was the largest share of building the index.
// Strings handed in as strings (the full parser's, a History in memory) are looked up by the same bytes
// when they are ASCII, so both ways in agree on every id; a string with any other character cannot come
// from the byte lane (it takes printable ASCII only) and is kept in a Map of its own.

/** FNV-1a over bytes; Math.imul keeps it in 32-bit integers. */
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
/** The largest character code the byte table holds a name by. */
const MAX_ASCII = 0x7f;

export class Interner {
  /** Every name, by id. */
  readonly names: string[] = [];
  /** Names with a character outside ASCII (never from the byte lane). */
  private readonly others = new Map<string, number>();
  /** The bytes of every ASCII name, one after another; name id i is arena[from[i], from[i] + length[i]). */
  private arena: Buffer = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  private from: Int32Array = new Int32Array(1024);
  private length: Int32Array = new Int32Array(1024);
  private hashes: Int32Array = new Int32Array(1024);
  /** Open addressing with linear probing: each slot holds a name id + 1, 0 when free. */
  private slots: Int32Array = new Int32Array(1 << 12);
  private inTable = 0;
  /** Where `id(name)` writes an ASCII name's bytes to look them up. */
  private scratch: Buffer = Buffer.allocUnsafe(256);

  /** The id of bytes[from, to), a name of ASCII bytes; a new id (and its one string) when first seen. */
  idOfBytes(bytes: Buffer, from: number, to: number): number {
    const hash = hashOf(bytes, from, to);
    const found = this.lookup(hash, bytes, from, to);
    return found >= 0 ? found : this.insert(hash, bytes, from, to, bytes.toString('latin1', from, to));
  }

  /** The id of a name; a new id when first seen. */
  id(name: string): number {
    const n = this.encode(name);
    if (n < 0) {
      let id = this.others.get(name);
      if (id === undefined) {
        id = this.newId(-1);
        this.others.set(name, id);
        this.names.push(name);
      }
      return id;
    }
    const hash = hashOf(this.scratch, 0, n);
    const found = this.lookup(hash, this.scratch, 0, n);
    return found >= 0 ? found : this.insert(hash, this.scratch, 0, n, name);
  }

  /** The id of a name, or -1 when it was never seen. */
  find(name: string): number {
    const n = this.encode(name);
    if (n < 0) return this.others.get(name) ?? -1;
    return this.lookup(hashOf(this.scratch, 0, n), this.scratch, 0, n);
  }

  /** Writes an ASCII name's bytes to `scratch` and returns their number; -1 for any other name. */
  private encode(name: string): number {
    if (name.length > this.scratch.length) this.scratch = Buffer.allocUnsafe(name.length * 2);
    const { scratch } = this;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i);
      if (c > MAX_ASCII) return -1;
      scratch[i] = c;
    }
    return name.length;
  }

  private lookup(hash: number, bytes: Buffer, from: number, to: number): number {
    const { slots, arena } = this;
    const mask = slots.length - 1;
    const n = to - from;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const entry = slots[s];
      if (entry === 0) return -1;
      const id = entry - 1;
      if (this.hashes[id] !== hash || this.length[id] !== n) continue;
      const at = this.from[id];
      let i = 0;
      while (i < n && arena[at + i] === bytes[from + i]) i++;
      if (i === n) return id;
    }
  }

  /** The next id, its arena length set to `n` (-1: a name of `others`, not in the arena). */
  private newId(n: number): number {
    const id = this.names.length;
    if (id === this.from.length) {
      this.from = grown(this.from);
      this.length = grown(this.length);
      this.hashes = grown(this.hashes);
    }
    this.length[id] = n;
    return id;
  }

  private insert(hash: number, bytes: Buffer, from: number, to: number, name: string): number {
    const n = to - from;
    const id = this.newId(n);
    if (this.used + n > this.arena.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.used + n));
      this.arena.copy(bigger, 0, 0, this.used);
      this.arena = bigger;
    }
    bytes.copy(this.arena, this.used, from, to);
    this.from[id] = this.used;
    this.hashes[id] = hash;
    this.used += n;
    this.names.push(name);
    // At most half full, so probes stay short.
    if (++this.inTable * 2 > this.slots.length) this.rehash();
    else this.place(id);
    return id;
  }

  private place(id: number): void {
    const { slots } = this;
    const mask = slots.length - 1;
    let s = this.hashes[id] & mask;
    while (slots[s] !== 0) s = (s + 1) & mask;
    slots[s] = id + 1;
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    for (let id = 0; id < this.names.length; id++) if (this.length[id] >= 0) this.place(id);
  }
}

function hashOf(bytes: Buffer, from: number, to: number): number {
  let h = FNV_OFFSET;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  return h;
}

function grown(a: Int32Array): Int32Array {
  const bigger = new Int32Array(a.length * 2);
  bigger.set(a);
  return bigger;
}
