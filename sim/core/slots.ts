// Objects parked under small integer handles. A typed event carries two integers, not an object
// (event-queue.ts), so code that schedules an event about an object (a message on its way, a parked
// request's timeout) parks the object here and passes its slot: the object is taken back when the event
// runs. A slot is reused once taken, so the table stays as large as the most objects parked at once,
// and parking allocates nothing after the first few.
//
// Which slot an object gets depends only on the order of park and take calls, which the simulation
// defines; slots never reach the trace.

export class Slots<T> {
  private readonly items: (T | undefined)[] = [];
  /** Free slots, a stack. */
  private readonly free: number[] = [];

  /** Parks `item` and returns its slot. */
  park(item: T): number {
    if (this.free.length > 0) {
      const slot = this.free.pop()!;
      this.items[slot] = item;
      return slot;
    }
    this.items.push(item);
    return this.items.length - 1;
  }

  /** Takes back the item parked in `slot`, which becomes free. */
  take(slot: number): T {
    const item = this.items[slot];
    if (item === undefined) throw new Error(`Slots.take: slot ${slot} holds nothing`);
    this.items[slot] = undefined;
    this.free.push(slot);
    return item;
  }
}
