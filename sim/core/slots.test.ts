import { describe, expect, it } from 'vitest';
import { Slots } from './slots.ts';

describe('Slots', () => {
  it('gives back what was parked, by slot', () => {
    const slots = new Slots<string>();
    const a = slots.park('a');
    const b = slots.park('b');
    expect(a).not.toBe(b);
    expect(slots.take(b)).toBe('b');
    expect(slots.take(a)).toBe('a');
  });

  it('reuses a taken slot, so the table grows only with the most parked at once', () => {
    const slots = new Slots<number>();
    const first = slots.park(1);
    slots.park(2);
    slots.take(first);
    expect(slots.park(3)).toBe(first);
    expect(slots.take(first)).toBe(3);
  });

  it('refuses to take a slot twice or one never parked', () => {
    const slots = new Slots<number>();
    const s = slots.park(7);
    slots.take(s);
    expect(() => slots.take(s)).toThrow(/holds nothing/);
    expect(() => slots.take(5)).toThrow(/holds nothing/);
  });
});
