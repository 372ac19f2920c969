// The event queue: a binary min-heap ordered by (time, insertion seq). Ties in time break by the order
// of scheduling, which the simulation itself defines, so the order of execution is deterministic.
// Parallel arrays instead of an array of objects: no allocation per event beyond the action closure.

export type Action = () => void;

export class EventQueue {
  private times: number[] = [];
  private seqs: number[] = [];
  private actions: Action[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.times.length;
  }

  push(timeUs: number, action: Action): void {
    const times = this.times;
    const seqs = this.seqs;
    const actions = this.actions;
    const seq = this.nextSeq++;
    let i = times.length;
    times.push(timeUs);
    seqs.push(seq);
    actions.push(action);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent];
      if (pt < timeUs || (pt === timeUs && seqs[parent] < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent];
      actions[i] = actions[parent];
      i = parent;
    }
    times[i] = timeUs;
    seqs[i] = seq;
    actions[i] = action;
  }

  /** Time of the earliest event; only valid when size > 0. */
  peekTime(): number {
    return this.times[0];
  }

  /** Removes the earliest event and returns its action (its time is what peekTime returned). */
  pop(): Action {
    const times = this.times;
    const seqs = this.seqs;
    const actions = this.actions;
    const top = actions[0];
    const lastTime = times.pop()!;
    const lastSeq = seqs.pop()!;
    const lastAction = actions.pop()!;
    const n = times.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && (times[r] < times[l] || (times[r] === times[l] && seqs[r] < seqs[l]))) c = r;
        if (times[c] > lastTime || (times[c] === lastTime && seqs[c] > lastSeq)) break;
        times[i] = times[c];
        seqs[i] = seqs[c];
        actions[i] = actions[c];
        i = c;
      }
      times[i] = lastTime;
      seqs[i] = lastSeq;
      actions[i] = lastAction;
    }
    return top;
  }
}
