// The end table fits a 100-column terminal, however long the names and however many kinds.
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { formatSweep, TABLE_WIDTH } from './format.ts';
import type { SweepTotals } from './table.ts';

const kinds = ['duplicate', 'duplicate-processing', 'pipeline-violation', 'lost-write', 'nonmonotonic-poll', 'poll-skip', 'liveness']
  .map((kind, i) => ({ kind, seeds: 1000 - i }));

const totals: SweepTotals = {
  rows: [
    {
      scenario: 'coordinator-crash-after-prepare-commit', case: null, mode: 'exactly-once', bugs: ['offsets-outside-txn', 'no-fencing'], kafka: '3.6',
      swarm: true, runs: 100000, failing: 99999, broken: 3, kinds, firstFailingSeed: 1, firstFailing: 'npx eos-sim run x --seed 1',
      firstBroken: { seed: 5, reproduce: 'npx eos-sim run x --seed 5', error: 'invariant-broken: boom' }, events: 1,
    },
    { scenario: 'lost-ack', case: null, mode: 'idempotent', bugs: [], kafka: '4.2', swarm: false, runs: 10, failing: 0, broken: 0, kinds: [], firstFailingSeed: null, firstFailing: null, firstBroken: null, events: 1 },
  ],
  runs: 100010, failing: 99999, broken: 3, events: 2,
};

describe('formatSweep', () => {
  const text = formatSweep(totals, new Chalk({ level: 0 }));

  it('fits 100 columns', () => {
    for (const line of text.split('\n')) expect(line.length, line).toBeLessThanOrEqual(TABLE_WIDTH);
  });

  it('shows every kind with its seeds, the release column when releases differ, and breakage apart', () => {
    for (const k of kinds) expect(text).toContain(`${k.kind} ${k.seeds}`);
    expect(text).toMatch(/^scenario\s+mode\s+kafka\s+runs\s+failing\s+broken/);
    expect(text).toContain('↳ seed 1: npx eos-sim run x --seed 1');
    expect(text).toContain('simulator broke at seed 5 (invariant-broken: boom)');
    expect(text).toContain('3 runs broke the simulator');
  });
});
