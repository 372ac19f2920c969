// Results lines for the report tests: two scenarios, two modes, a failing and a broken run.
import type { RunSummary } from '../sweep/results.ts';

export function summary(over: Partial<RunSummary>): RunSummary {
  return {
    scenario: 'lost-ack', scenarioHash: '94e67b8019482f17', case: null, mode: 'at-least-once', bugs: [], kafka: '4.2',
    seed: 1, swarm: null, verdict: 'pass', kinds: {}, traceHash: 'aaaa0000bbbb1111', events: 1000, virtualTimeUs: 2_000_000,
    reproduce: `npx eos-sim run ${over.scenario ?? 'lost-ack'} --mode ${over.mode ?? 'at-least-once'} --seed ${over.seed ?? 1}`,
    failureFile: null, ...over,
  };
}

export const SWEEP: RunSummary[] = [
  summary({ seed: 1, verdict: 'fail', kinds: { duplicate: 3 } }),
  summary({ seed: 2 }),
  summary({ seed: 3, verdict: 'fail', kinds: { duplicate: 1, 'duplicate-processing': 2 } }),
  summary({ mode: 'exactly-once', seed: 1 }),
  summary({ mode: 'exactly-once', seed: 2, verdict: 'invariant-broken' }),
  summary({ scenario: 'zombie-producer', mode: 'exactly-once', bugs: ['no-fencing'], seed: 6, verdict: 'fail', kinds: { 'zombie-write': 5 } }),
];
