// The end table's data: counts per scenario × mode, kinds by the seeds that showed them, the lowest
// failing seed whatever order the runs finished in, and simulator breakage apart from findings.
import { describe, expect, it } from 'vitest';
import type { RunSummary } from './results.ts';
import { tabulate } from './table.ts';

function run(mode: string, seed: number, verdict: RunSummary['verdict'], kinds: Record<string, number> = {}): RunSummary {
  return {
    scenario: 's', scenarioHash: 'h', case: null, mode, bugs: [], kafka: '4.2', seed, swarm: null, verdict, kinds,
    traceHash: `t${seed}`, events: 10, virtualTimeUs: 1, reproduce: `npx eos-sim run s --mode ${mode} --seed ${seed}`, failureFile: null,
    ...(verdict === 'invariant-broken' ? { error: 'boom' } : {}),
  };
}

describe('tabulate', () => {
  const runs = [
    run('at-least-once', 9, 'fail', { duplicate: 3 }),
    run('exactly-once', 1, 'pass'),
    run('at-least-once', 4, 'fail', { duplicate: 1, 'lost-write': 2 }),
    run('at-least-once', 2, 'pass'),
    run('exactly-once', 2, 'invariant-broken'),
  ];

  it('counts runs, failing seeds and kinds per row, and names the lowest failing seed', () => {
    const t = tabulate(runs);
    expect(t.rows.map((r) => r.mode)).toEqual(['at-least-once', 'exactly-once']);
    const alo = t.rows[0];
    expect(alo).toMatchObject({ runs: 3, failing: 2, broken: 0, firstFailingSeed: 4, events: 30 });
    expect(alo.firstFailing).toBe('npx eos-sim run s --mode at-least-once --seed 4');
    expect(alo.kinds).toEqual([{ kind: 'duplicate', seeds: 2 }, { kind: 'lost-write', seeds: 1 }]);
    expect(t.rows[1]).toMatchObject({ runs: 2, failing: 0, broken: 1, firstFailing: null });
    expect(t.rows[1].firstBroken).toEqual({ seed: 2, reproduce: 'npx eos-sim run s --mode exactly-once --seed 2', error: 'invariant-broken: boom' });
    expect(t).toMatchObject({ runs: 5, failing: 2, broken: 1, events: 50 });
  });

  it('does not depend on the order the runs finished in', () => {
    expect(tabulate([...runs].reverse())).toEqual(tabulate(runs));
  });
});
