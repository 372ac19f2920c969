import { describe, expect, it } from 'vitest';
import { RandomStream, RandomStreams } from './random.ts';

function draws(s: RandomStream, n: number): number[] {
  return Array.from({ length: n }, () => s.float());
}

describe('RandomStream', () => {
  it('gives the same sequence for the same (seed, name)', () => {
    expect(draws(new RandomStream('network', 7), 50)).toEqual(draws(new RandomStream('network', 7), 50));
  });

  it('gives different sequences for different names or seeds', () => {
    const a = draws(new RandomStream('network', 7), 20);
    expect(draws(new RandomStream('faults', 7), 20)).not.toEqual(a);
    expect(draws(new RandomStream('network', 8), 20)).not.toEqual(a);
    // Name and seed are not simply concatenated: ("1", seed 11) and ("11", seed 1) differ.
    expect(draws(new RandomStream('1', 11), 20)).not.toEqual(draws(new RandomStream('11', 1), 20));
  });

  it('floats are in [0, 1) and not constant', () => {
    const s = new RandomStream('f', 1);
    const xs = draws(s, 1000);
    for (const x of xs) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    expect(new Set(xs).size).toBeGreaterThan(990);
  });

  it('int(n) stays in [0, n) and reaches both ends', () => {
    const s = new RandomStream('int', 3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const x = s.int(6);
      expect(Number.isInteger(x)).toBe(true);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(6);
      seen.add(x);
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(s.int(1)).toBe(0);
  });

  it('int rejects n < 1 and NaN', () => {
    const s = new RandomStream('int', 3);
    expect(() => s.int(0)).toThrow(/n must be >= 1/);
    expect(() => s.int(-3)).toThrow();
    expect(() => s.int(Number.NaN)).toThrow();
  });

  it('between(lo, hi) is inclusive at both ends', () => {
    const s = new RandomStream('between', 3);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const x = s.between(-2, 2);
      expect(x).toBeGreaterThanOrEqual(-2);
      expect(x).toBeLessThanOrEqual(2);
      seen.add(x);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([-2, -1, 0, 1, 2]);
    expect(s.between(5, 5)).toBe(5);
  });

  it('chance(0) never and chance(1) always', () => {
    const s = new RandomStream('chance', 9);
    for (let i = 0; i < 200; i++) {
      expect(s.chance(0)).toBe(false);
      expect(s.chance(1)).toBe(true);
    }
  });

  it('exponential is non-negative with roughly the given mean', () => {
    const s = new RandomStream('exp', 5);
    let sum = 0;
    let negative = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const x = s.exponential(300);
      if (x < 0) negative++;
      sum += x;
    }
    expect(negative).toBe(0);
    expect(sum / n).toBeGreaterThan(280);
    expect(sum / n).toBeLessThan(320);
  });

  it('pick returns an element of the list', () => {
    const s = new RandomStream('pick', 5);
    const items = ['a', 'b', 'c'];
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) seen.add(s.pick(items));
    expect([...seen].sort()).toEqual(items);
  });
});

describe('RandomStreams', () => {
  it('returns the same stream object for a name', () => {
    const r = new RandomStreams(1);
    expect(r.stream('a')).toBe(r.stream('a'));
    expect(r.stream('a')).not.toBe(r.stream('b'));
  });

  it('a stream equals a fresh RandomStream of the same (seed, name)', () => {
    const r = new RandomStreams(99);
    expect(draws(r.stream('client:producer-1'), 30)).toEqual(draws(new RandomStream('client:producer-1', 99), 30));
  });

  it('creating and drawing other streams does not shift an existing stream', () => {
    const alone = new RandomStreams(12);
    const a = alone.stream('network');
    const expected = [...draws(a, 10), ...draws(a, 10)];

    const busy = new RandomStreams(12);
    const b = busy.stream('network');
    const got = draws(b, 10);
    // Another concern appears mid-run and draws heavily; then more streams are created.
    draws(busy.stream('faults'), 1000);
    busy.stream('client:consumer-1').int(10);
    got.push(...draws(b, 10));
    expect(got).toEqual(expected);

    // Creating a stream before the first draw does not shift it either.
    const early = new RandomStreams(12);
    early.stream('faults').float();
    expect(draws(early.stream('network'), 20)).toEqual(expected);
  });
});
