// The invokes each process has open (not yet completed), by operation id, each with a number the caller
// keeps for it (a line, a position). The parser and the index both keep one: a completion finds its
// invoke here, and is then removed.
// A process rarely has more than a few operations open at once, so each keeps a short list searched
// from its newest entry. A Map per process cost more than the rest of a line's bookkeeping: a million
// lines meant a million deletions, and a Map shrinks (allocates a new table) when one empties it.

export class OpenInvokes {
  /** Per process id: the open ids and their numbers, oldest first. */
  private readonly ids: number[][] = [];
  private readonly values: number[][] = [];

  /** Notes an open invoke of `proc` with operation id `id` (replacing the number of one already open). */
  open(proc: number, id: number, value: number): void {
    while (this.ids.length <= proc) {
      this.ids.push([]);
      this.values.push([]);
    }
    const at = this.find(proc, id);
    if (at >= 0) {
      this.values[proc][at] = value;
      return;
    }
    this.ids[proc].push(id);
    this.values[proc].push(value);
  }

  /** The number noted with `proc`'s open invoke `id`; undefined when it has none. */
  get(proc: number, id: number): number | undefined {
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

  private find(proc: number, id: number): number {
    const ids = this.ids[proc];
    if (ids === undefined) return -1;
    for (let i = ids.length - 1; i >= 0; i--) if (ids[i] === id) return i;
    return -1;
  }
}
