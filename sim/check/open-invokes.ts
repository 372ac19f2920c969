// The invokes each process has open (not yet completed), by operation id, each with what the caller
// keeps for it (a line number, an open operation's facts). The parser and the index both keep one: a completion finds its
// invoke here, and is then removed.
// A process rarely has more than a few operations open at once, so each keeps a short list searched
// from its newest entry. A Map per process cost more than the rest of a line's bookkeeping: a million
// lines meant a million deletions, and a Map shrinks (allocates a new table) when one empties it.

export class OpenInvokes<T> {
  /** Per process id: the open ids and their values, oldest first. */
  private readonly ids: number[][] = [];
  private readonly values: T[][] = [];

  /** Notes an open invoke of `proc` with operation id `id`; returns the value it replaces, of one already open. */
  open(proc: number, id: number, value: T): T | undefined {
    while (this.ids.length <= proc) {
      this.ids.push([]);
      this.values.push([]);
    }
    const at = this.find(proc, id);
    if (at >= 0) {
      const replaced = this.values[proc][at];
      this.values[proc][at] = value;
      return replaced;
    }
    this.ids[proc].push(id);
    this.values[proc].push(value);
    return undefined;
  }

  /** The value noted with `proc`'s open invoke `id`; undefined when it has none. */
  get(proc: number, id: number): T | undefined {
    const at = this.find(proc, id);
    return at < 0 ? undefined : this.values[proc][at];
  }

  /** Removes `proc`'s open invoke `id` (keeping the others in order). */
  close(proc: number, id: number): void {
    const at = this.find(proc, id);
    if (at < 0) return;
    const ids = this.ids[proc];
    const values = this.values[proc];
    for (let i = at + 1; i < ids.length; i++) {
      ids[i - 1] = ids[i];
      values[i - 1] = values[i];
    }
    ids.pop();
    values.pop();
  }

  /** Every value still open, process by process. */
  remaining(): T[] {
    return this.values.flat();
  }

  private find(proc: number, id: number): number {
    const ids = this.ids[proc];
    if (ids === undefined) return -1;
    for (let i = ids.length - 1; i >= 0; i--) if (ids[i] === id) return i;
    return -1;
  }
}
