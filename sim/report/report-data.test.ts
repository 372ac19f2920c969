import { describe, expect, it } from 'vitest';
import { buildReportData, failuresToDetail, groupRuns } from './report-data.ts';
import { SWEEP } from './test-runs.ts';

describe('groupRuns', () => {
  it('groups by scenario × mode (bugs included) × release, with failing and broken seeds apart', () => {
    const groups = groupRuns([...SWEEP].reverse());
    expect(groups.map((g) => [g.scenario, g.mode, g.kafka, g.runs])).toEqual([
      ['lost-ack', 'at-least-once', '4.2', 3],
      ['lost-ack', 'exactly-once', '4.2', 2],
      ['zombie-producer', 'exactly-once +no-fencing', '4.2', 1],
    ]);
    const [alo, eos] = groups;
    expect(alo.failingSeeds).toEqual([1, 3]);
    expect(alo.kinds).toEqual([
      { kind: 'duplicate', seeds: 2, anomalies: 4 },
      { kind: 'duplicate-processing', seeds: 1, anomalies: 2 },
    ]);
    expect(alo.first?.seed).toBe(1);
    expect(eos.failingSeeds).toEqual([]);
    expect(eos.brokenSeeds).toEqual([2]);
    expect(eos.first?.verdict).toBe('invariant-broken');
  });
});

describe('buildReportData', () => {
  it('counts totals and kinds per mode, and picks each group\'s first failure to detail first', () => {
    const data = buildReportData(SWEEP, ['results.jsonl']);
    expect(data.totals).toEqual({ runs: 6, failing: 3, broken: 1, pass: 2 });
    expect(data.kindsByMode.map((m) => [m.mode, m.kinds.map((k) => `${k.kind}:${k.seeds}`)])).toEqual([
      ['at-least-once', ['duplicate:2', 'duplicate-processing:1']],
      ['exactly-once', []],
      ['exactly-once +no-fencing', ['zombie-write:1']],
    ]);
    expect(data.eosSimVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(failuresToDetail(data, 10).map((r) => `${r.scenario}/${r.mode}/${r.seed}`)).toEqual([
      'lost-ack/at-least-once/1', 'lost-ack/exactly-once/2', 'zombie-producer/exactly-once/6', 'lost-ack/at-least-once/3',
    ]);
    expect(failuresToDetail(data, 2)).toHaveLength(2);
  });
});
