// The event queue: a binary min-heap ordered by (time, insertion seq). Ties in time break by the order
// of scheduling, which the simulation itself defines, so the order of execution is deterministic.
//
// An event is typed or a closure. A typed event is a kind, naming a handler registered once with the
// queue (`register`), and two integer payload slots (`pushEvent`): scheduling one allocates nothing, which
// is what the hot paths want (a message delivery per event, millions per run), as in TigerBeetle's and
// FoundationDB's simulators. A closure (`push`) costs an allocation per event and reads better for the
// many one-off timers. Both go through the same heap and the same (time, seq) order, so converting a
// call site from one to the other changes no run.
//
// Layout, all in preallocated typed arrays that double when full: the heap holds (time, seq, slot) in
// heap order; an event's kind and payload (or its closure) stay in its slot, which is taken from a free
// list when the event is pushed and given back when it runs, so sifting moves three numbers, not five.

export type Action = () => void;

/** Runs a typed event, given its two payload integers. */
export type Handler = (a: number, b: number) => void;

/** The kind of a closure event; registered kinds start at 1. */
const CLOSURE = 0;
const INITIAL_CAPACITY = 256;

export class EventQueue {
  private capacity = INITIAL_CAPACITY;
  private n = 0;
  private nextSeq = 0;
  // The heap, in heap order.
  private times = new Float64Array(INITIAL_CAPACITY);
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private slots = new Int32Array(INITIAL_CAPACITY);
  // Per slot.
  private kinds = new Int32Array(INITIAL_CAPACITY);
  private payloadA = new Float64Array(INITIAL_CAPACITY);
  private payloadB = new Float64Array(INITIAL_CAPACITY);
  private actions: (Action | null)[] = new Array<Action | null>(INITIAL_CAPACITY).fill(null);
  /** Free slots, a stack: slots[freeSlots[0..free)] are unused. */
  private freeSlots = Int32Array.from({ length: INITIAL_CAPACITY }, (_, i) => INITIAL_CAPACITY - 1 - i);
  private free = INITIAL_CAPACITY;
  private readonly handlers: Handler[] = [() => { throw new Error('EventQueue: kind 0 is the closure kind'); }];

  get size(): number {
    return this.n;
  }

  /** Registers the handler of a kind of typed event; returns the kind for pushEvent. */
  register(handler: Handler): number {
    this.handlers.push(handler);
    return this.handlers.length - 1;
  }

  /** Schedules a closure at timeUs. */
  push(timeUs: number, action: Action): void {
    const slot = this.takeSlot();
    this.kinds[slot] = CLOSURE;
    this.actions[slot] = action;
    this.siftUp(timeUs, slot);
  }

  /** Schedules a typed event at timeUs: its registered kind's handler runs with (a, b). */
  pushEvent(timeUs: number, kind: number, a: number, b: number): void {
    if (!(kind >= 1 && kind < this.handlers.length)) throw new Error(`EventQueue.pushEvent: kind ${kind} is not registered`);
    const slot = this.takeSlot();
    this.kinds[slot] = kind;
    this.payloadA[slot] = a;
    this.payloadB[slot] = b;
    this.siftUp(timeUs, slot);
  }

  /** Time of the earliest event; only valid when size > 0. */
  peekTime(): number {
    return this.times[0];
  }

  /** Removes the earliest event and runs it (its time is what peekTime returned). Only valid when size > 0. */
  runNext(): void {
    const slot = this.popSlot();
    const kind = this.kinds[slot];
    if (kind === CLOSURE) {
      const action = this.actions[slot]!;
      this.actions[slot] = null;
      this.freeSlots[this.free++] = slot;
      action();
    } else {
      const a = this.payloadA[slot];
      const b = this.payloadB[slot];
      this.freeSlots[this.free++] = slot;
      this.handlers[kind](a, b);
    }
  }

  private takeSlot(): number {
    if (this.free === 0) this.grow();
    return this.freeSlots[--this.free];
  }

  private siftUp(timeUs: number, slot: number): void {
    const times = this.times;
    const seqs = this.seqs;
    const slots = this.slots;
    const seq = this.nextSeq++;
    let i = this.n++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent];
      if (pt < timeUs || (pt === timeUs && seqs[parent] < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent];
      slots[i] = slots[parent];
      i = parent;
    }
    times[i] = timeUs;
    seqs[i] = seq;
    slots[i] = slot;
  }

  /** Removes the heap's top and returns its slot (still holding the event). */
  private popSlot(): number {
    const times = this.times;
    const seqs = this.seqs;
    const slots = this.slots;
    const top = slots[0];
    const n = --this.n;
    if (n > 0) {
      const lastTime = times[n];
      const lastSeq = seqs[n];
      const lastSlot = slots[n];
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
        slots[i] = slots[c];
        i = c;
      }
      times[i] = lastTime;
      seqs[i] = lastSeq;
      slots[i] = lastSlot;
    }
    return top;
  }

  /** Doubles every array; the new slots go on the free list. Only called when every slot is in use. */
  private grow(): void {
    const old = this.capacity;
    const capacity = old * 2;
    const widen = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.times = widen(this.times, (k) => new Float64Array(k));
    this.seqs = widen(this.seqs, (k) => new Float64Array(k));
    this.slots = widen(this.slots, (k) => new Int32Array(k));
    this.kinds = widen(this.kinds, (k) => new Int32Array(k));
    this.payloadA = widen(this.payloadA, (k) => new Float64Array(k));
    this.payloadB = widen(this.payloadB, (k) => new Float64Array(k));
    for (let s = old; s < capacity; s++) this.actions.push(null);
    this.freeSlots = widen(this.freeSlots, (k) => new Int32Array(k));
    for (let s = capacity - 1; s >= old; s--) this.freeSlots[this.free++] = s;
    this.capacity = capacity;
  }
}
