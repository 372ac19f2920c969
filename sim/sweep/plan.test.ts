// The plan is the contract between shards: one fixed order, distinct keys, and shards that cover it once.
import { describe, expect, it } from 'vitest';
import { resolveScenarioPath } from '../scenario/load.ts';
import { checkPlan, planSuite, planSweep, shardTasks } from './plan.ts';
import { loadWithSource } from './scenarios.ts';

const loaded = ['lost-ack', 'random-faults'].map((n) => loadWithSource(resolveScenarioPath(n)));

describe('planSweep', () => {
  const tasks = planSweep(loaded, { seeds: { from: 5, to: 14 }, modes: ['idempotent', 'at-least-once'], bugs: ['no-fencing'], kafka: '3.6', swarm: true, outDir: null });

  it('plans scenario × mode × seed in order, with distinct keys and a reproduce command for each', () => {
    expect(tasks).toHaveLength(2 * 2 * 10);
    expect(tasks.slice(0, 11).map((t) => `${t.mode} ${t.seed}`)).toEqual([...Array.from({ length: 10 }, (_, i) => `idempotent ${i + 5}`), 'at-least-once 5']);
    expect(new Set(tasks.map((t) => t.key)).size).toBe(tasks.length);
    expect(tasks[0].reproduce).toBe('npx eos-sim run lost-ack --mode idempotent --bug no-fencing --kafka 3.6 --swarm --seed 5');
  });

  it('cuts shards that cover every task once, the same way every time', () => {
    for (const count of [1, 3, 7, 40, 41]) {
      const shards = Array.from({ length: count }, (_, i) => shardTasks(tasks, { index: i + 1, count }));
      expect(shards.flat().map((t) => t.key).sort()).toEqual(tasks.map((t) => t.key).sort());
      expect(shardTasks(tasks, { index: 1, count })).toEqual(shards[0]);
    }
  });
});

describe('checkPlan', () => {
  it('refuses a combination the model cannot configure, naming the file, before anything runs', () => {
    const tasks = planSweep(loaded, { seeds: { from: 1, to: 2 }, modes: ['at-least-once', 'idempotent'], bugs: [], swarm: false, outDir: null });
    expect(() => checkPlan(tasks, loaded)).not.toThrow();
    const acks1 = tasks.map((t) => ({ ...t, overrides: { producer: { acks: 1 as const }, consumer: {} } }));
    expect(() => checkPlan(acks1, loaded)).toThrow(/lost-ack\.yaml: mode idempotent: enable\.idempotence requires acks=all/);
  });
});

describe('planSuite', () => {
  it('plans every expectation case over the scenario\'s seeds, or the given number', () => {
    const own = planSuite(loaded, undefined, null);
    expect(own).toHaveLength(loaded.reduce((n, l) => n + l.scenario.expect.length * l.scenario.seeds, 0));
    const three = planSuite(loaded, 3, null);
    expect(three).toHaveLength(loaded.reduce((n, l) => n + l.scenario.expect.length * 3, 0));
    expect(three[0]).toMatchObject({ case: 1, seed: 1, reproduce: 'npx eos-sim run lost-ack --case 1 --seed 1' });
  });
});
