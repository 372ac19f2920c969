// Swarm draws: a subset of the scenario's kinds at a scaled rate, a pure function of the seed.
import { describe, expect, it } from 'vitest';
import { RandomStream } from '../core/random.ts';
import { drawSwarm } from './random-schedule.ts';
import type { RandomFaults } from './schedule.ts';

const spec: RandomFaults = { kinds: ['crash-broker', 'drop', 'delay', 'isolate', 'one-way', 'crash-client', 'pause-client'], meanIntervalMs: 300, fromMs: 100, untilMs: 1500 };

describe('drawSwarm', () => {
  it('switches a non-empty subset of the kinds on, at between twice and a quarter of the rate, the same for the same seed', () => {
    const sizes = new Set<number>();
    for (let seed = 1; seed <= 200; seed++) {
      const a = drawSwarm(spec, new RandomStream('swarm', seed));
      expect(drawSwarm(spec, new RandomStream('swarm', seed))).toEqual(a);
      expect(a.kinds.length).toBeGreaterThan(0);
      for (const k of a.kinds) expect(spec.kinds).toContain(k);
      expect(a.kinds).toEqual(spec.kinds.filter((k) => a.kinds.includes(k)));
      expect(a.meanIntervalMs).toBeGreaterThanOrEqual(150);
      expect(a.meanIntervalMs).toBeLessThanOrEqual(1200);
      sizes.add(a.kinds.length);
    }
    // Subsets of many sizes, not all kinds every time: that is the point of a swarm.
    expect(sizes.size).toBeGreaterThan(3);
  });
});
