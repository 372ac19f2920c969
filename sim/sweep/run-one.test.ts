// One run as the sweep records it: the swarm draw applied and recorded, the replay file complete enough
// to run again with the same trace hash, and a scenario without random faults refused for the swarm.
import { describe, expect, it } from 'vitest';
import { resolveScenarioPath } from '../scenario/load.ts';
import type { Mode } from '../scenario/types.ts';
import { replayScenario } from './replay-file.ts';
import { executeRun, type RunSpec } from './run-one.ts';
import { loadWithSource } from './scenarios.ts';

function spec(name: string, mode: Mode, seed: number, swarm: boolean): RunSpec {
  const { scenario, source } = loadWithSource(resolveScenarioPath(name));
  return { scenario, source, case: null, mode, bugs: [], overrides: { producer: {}, consumer: {} }, seed, swarm, reproduce: 'r' };
}

describe('executeRun', () => {
  it('runs a swarm seed with only the drawn fault kinds, and records the draw in the summary and the replay file', () => {
    let failing = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const { summary, run, replay } = executeRun(spec('random-faults', 'at-least-once', seed, true));
      expect(summary.swarm).not.toBeNull();
      for (const e of run!.schedule) expect([...summary.swarm!.kinds, 'heal']).toContain(e.fault);
      if (replay) {
        failing++;
        expect(replay.swarm).toEqual(summary.swarm);
      }
    }
    expect(failing).toBeGreaterThan(0);
  });

  it('writes a replay file that runs again, from its own content, to the same trace hash and anomalies', () => {
    const r = [1, 2, 3, 4, 5].map((seed) => executeRun(spec('random-faults', 'at-least-once', seed, true)).replay).find((x) => x !== null)!;
    const again = executeRun({
      scenario: replayScenario(JSON.parse(JSON.stringify(r)), 'x.json'), source: r.scenario, case: null, mode: r.mode as Mode, bugs: [],
      overrides: r.overrides, seed: r.seed, swarm: false, schedule: r.schedule, reproduce: 'r',
    });
    expect(again.summary.traceHash).toBe(r.traceHash);
    expect(again.summary.kinds).toEqual(r.anomalies);
  });

  it('keeps a run\'s non-default budget in its replay file, so the replay runs under the same one', () => {
    const budget = { maxEvents: 1000, maxQueuedEvents: 1_000_000 };
    const first = executeRun({ ...spec('lost-ack', 'at-least-once', 1, false), budget });
    expect(first.summary.verdict).toBe('budget-exceeded');
    const r = JSON.parse(JSON.stringify(first.replay!));
    expect(r.budget).toEqual(budget);
    const again = executeRun({
      scenario: replayScenario(r, 'x.json'), source: r.scenario, case: null, mode: r.mode as Mode, bugs: [],
      overrides: r.overrides, seed: r.seed, swarm: false, schedule: r.schedule, budget: r.budget, reproduce: 'r',
    });
    expect(again.summary.traceHash).toBe(first.summary.traceHash);
  });

  it('refuses the swarm for a scenario with only a scripted schedule, saying why', () => {
    expect(() => executeRun(spec('lost-ack', 'at-least-once', 1, true))).toThrow(/--swarm needs faults\.random/);
  });
});
