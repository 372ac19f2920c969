// Every shipped scenario's expectations, in both directions: each expected anomaly kind appears for some
// seed, and no seed shows a kind that is neither expected nor allowed. One test per case, so a failure
// names the scenario, the case and the command that reproduces the first offending seed.
import { describe, expect, it } from 'vitest';
import { listScenarios, loadScenario } from '../sim/scenario/load.ts';
import { MODES } from '../sim/scenario/types.ts';
import { caseLabel, runCase } from '../sim/suite/suite.ts';

const scenarios = listScenarios().map((s) => loadScenario(s.file));

describe('shipped scenarios', () => {
  it('ship the stories the first slice promises', () => {
    expect(scenarios.map((s) => s.name)).toEqual(expect.arrayContaining(['lost-ack', 'leader-crash', 'leader-partitioned', 'consumer-crash']));
  });

  it('try every mode on every scenario: an expectation, or a reason why the mode says nothing there', () => {
    const untried = scenarios.flatMap((s) => MODES
      .filter((m) => !s.expect.some((c) => c.mode === m) && !(s.notMeaningful ?? []).some((n) => n.mode === m))
      .map((m) => `${s.name}: ${m}`));
    expect(untried, 'add an expect case (measured over the seeds) or a notMeaningful entry with its reason').toEqual([]);
  });

  for (const s of scenarios) {
    s.expect.forEach((c, i) => {
      it(`${s.name}: ${caseLabel(c)} finds exactly [${c.anomalies.join(', ')}] over seeds 1..${s.seeds}`, () => {
        const r = runCase(s, i, s.seeds);
        const detail = r.found.map((f) => `${f.kind} in ${f.seeds} seeds, first: ${f.reproduce}`).join('\n');
        expect(r.missing, `expected but never found\n${detail}`).toEqual([]);
        expect(r.unexpected, `found but not expected\n${detail}`).toEqual([]);
      });
    });
  }
});
