import { describe, expect, it } from 'vitest';
import { SAFETY_POINTS } from '../kafka/coverage.ts';
import { runScenario } from '../run/run-scenario.ts';
import { loadScenario, resolveScenarioPath } from '../scenario/load.ts';
import { coverageTable } from './coverage.ts';

describe('protocol coverage', () => {
  it('counts the protections a run reached: a lost ack in idempotent mode hits sequence dedup, at-least-once does not', () => {
    const s = loadScenario(resolveScenarioPath('lost-ack'));
    const idempotent = runScenario(s, { mode: 'idempotent', seed: 1, bugs: [] }).coverage;
    expect(idempotent['ProducerStateManager duplicate batch, window position 0']).toBeGreaterThan(0);
    const alo = runScenario(s, { mode: 'at-least-once', seed: 1, bugs: [] }).coverage;
    expect(Object.keys(alo).filter((k) => k.startsWith('ProducerStateManager duplicate'))).toEqual([]);
  });

  it('aggregates runs and seeds per point, and lists the safety checks no run reached', () => {
    const t = coverageTable([
      { seed: 1, coverage: { 'Produce INVALID_PRODUCER_EPOCH': 2, 'x': 1 } },
      { seed: 1, coverage: { 'Produce INVALID_PRODUCER_EPOCH': 1 } },
      { seed: 2, coverage: {} },
    ]);
    expect(t.runs).toBe(3);
    expect(t.points).toEqual([
      { point: 'Produce INVALID_PRODUCER_EPOCH', hits: 3, runs: 2, seeds: 1 },
      { point: 'x', hits: 1, runs: 1, seeds: 1 },
    ]);
    expect(t.neverReached).toEqual(SAFETY_POINTS.filter((p) => p !== 'Produce INVALID_PRODUCER_EPOCH'));
  });
});
