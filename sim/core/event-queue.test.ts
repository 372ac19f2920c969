import { describe, expect, it } from 'vitest';
import { EventQueue } from './event-queue.ts';
import { RandomStream } from './random.ts';

/** Pops everything, returning the labels in pop order and checking peekTime agrees with each pop. */
function drain(q: EventQueue, fired: string[]): { time: number; label: string }[] {
  const out: { time: number; label: string }[] = [];
  while (q.size > 0) {
    const t = q.peekTime();
    const before = fired.length;
    q.runNext();
    expect(fired.length).toBe(before + 1);
    out.push({ time: t, label: fired[fired.length - 1] });
  }
  return out;
}

describe('EventQueue', () => {
  it('pops in time order', () => {
    const q = new EventQueue();
    const fired: string[] = [];
    for (const t of [50, 10, 40, 30, 20, 0]) q.push(t, () => fired.push(`t${t}`));
    expect(q.size).toBe(6);
    const out = drain(q, fired);
    expect(out.map((e) => e.time)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(fired).toEqual(['t0', 't10', 't20', 't30', 't40', 't50']);
    expect(q.size).toBe(0);
  });

  it('breaks ties in time by insertion order, for many equal times', () => {
    const q = new EventQueue();
    const fired: string[] = [];
    // Interleave three times so the heap has to reorder equal keys across levels.
    for (let i = 0; i < 300; i++) {
      const t = [7, 3, 7, 5][i % 4];
      q.push(t, () => fired.push(`${t}:${i}`));
    }
    drain(q, fired);
    const expected: string[] = [];
    for (const t of [3, 5, 7]) for (let i = 0; i < 300; i++) if ([7, 3, 7, 5][i % 4] === t) expected.push(`${t}:${i}`);
    expect(fired).toEqual(expected);
  });

  it('keeps insertion order among equal times pushed while popping', () => {
    const q = new EventQueue();
    const fired: string[] = [];
    q.push(1, () => {
      fired.push('a');
      q.push(1, () => fired.push('c'));
      q.push(1, () => fired.push('d'));
    });
    q.push(1, () => fired.push('b'));
    q.push(2, () => fired.push('e'));
    while (q.size > 0) q.runNext();
    expect(fired).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('matches a stable sort of (time, seq) on random interleaved pushes and pops', () => {
    const rng = new RandomStream('event-queue-test', 42);
    for (let round = 0; round < 20; round++) {
      const q = new EventQueue();
      // Reference: the pending events, kept so that the minimum (time, seq) is found by a linear scan.
      const pending: { time: number; seq: number }[] = [];
      const popped: number[] = [];
      const expected: number[] = [];
      let seq = 0;
      let now = 0;
      let sizeMismatches = 0;
      const peeked: number[] = [];
      const expectedTimes: number[] = [];
      const ops = 2000;
      for (let k = 0; k < ops; k++) {
        if (pending.length === 0 || rng.chance(0.6)) {
          // Narrow time range so that equal times are frequent.
          const time = now + rng.int(round % 2 === 0 ? 5 : 1000);
          const s = seq++;
          pending.push({ time, seq: s });
          q.push(time, () => popped.push(s));
        } else {
          let best = 0;
          for (let i = 1; i < pending.length; i++) {
            const a = pending[i];
            const b = pending[best];
            if (a.time < b.time || (a.time === b.time && a.seq < b.seq)) best = i;
          }
          const [e] = pending.splice(best, 1);
          expected.push(e.seq);
          peeked.push(q.peekTime());
          expectedTimes.push(e.time);
          now = e.time;
          q.runNext();
        }
        if (q.size !== pending.length) sizeMismatches++;
      }
      pending.sort((a, b) => a.time - b.time || a.seq - b.seq);
      for (const e of pending) {
        expected.push(e.seq);
        peeked.push(q.peekTime());
        expectedTimes.push(e.time);
        q.runNext();
      }
      expect(sizeMismatches).toBe(0);
      expect(q.size).toBe(0);
      expect(peeked).toEqual(expectedTimes);
      expect(popped).toEqual(expected);
    }
  });

  it('runs typed events with their payload, in one (time, seq) order with closures', () => {
    const q = new EventQueue();
    const fired: string[] = [];
    const kind = q.register((a, b) => fired.push(`typed ${a},${b}`));
    const other = q.register((a) => fired.push(`other ${a}`));
    q.pushEvent(5, kind, 1, 2);
    q.push(5, () => fired.push('closure'));
    q.pushEvent(3, other, 2 ** 40, 0);
    q.pushEvent(5, other, -7, 0);
    q.pushEvent(4, kind, 0, 0);
    while (q.size > 0) q.runNext();
    expect(fired).toEqual([`other ${2 ** 40}`, 'typed 0,0', 'typed 1,2', 'closure', 'other -7']);
  });

  it('refuses a kind that was never registered, and the closure kind', () => {
    const q = new EventQueue();
    const kind = q.register(() => {});
    expect(() => q.pushEvent(1, kind + 1, 0, 0)).toThrow(/kind 2 is not registered/);
    expect(() => q.pushEvent(1, 0, 0, 0)).toThrow(/kind 0 is not registered/);
    expect(q.size).toBe(0);
  });

  it('grows past its first capacity and reuses the slots of events that ran', () => {
    const q = new EventQueue();
    const seen: number[] = [];
    const kind = q.register((a) => seen.push(a));
    // 5,000 pending at once (the arrays double several times), half typed and half closures, in reverse time.
    for (let i = 0; i < 5000; i++) {
      if (i % 2 === 0) q.pushEvent(5000 - i, kind, i, 0);
      else q.push(5000 - i, () => seen.push(i));
    }
    for (let i = 0; i < 2500; i++) q.runNext();
    // Refill the freed slots; every earlier event must still run with its own payload.
    for (let i = 5000; i < 7500; i++) q.pushEvent(10_000 + i, kind, i, 0);
    while (q.size > 0) q.runNext();
    const expected = [...Array.from({ length: 5000 }, (_, k) => 4999 - k), ...Array.from({ length: 2500 }, (_, k) => 5000 + k)];
    expect(seen).toEqual(expected);
  });
});
