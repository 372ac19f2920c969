// ddmin and the shrink passes on a synthetic failure, where the answer is known: the run "fails" when
// two particular faults are both present, the crash strikes before 1000 ms, and there are at least 3
// payments per producer.
import { describe, expect, it } from 'vitest';
import type { FaultSchedule } from './schedule.ts';
import { ddmin, shrink, type ShrinkCandidate } from './shrink.ts';

describe('ddmin', () => {
  it('finds the 1-minimal failing sub-list', () => {
    const items = Array.from({ length: 40 }, (_, i) => i);
    let tests = 0;
    const fails = (xs: number[]) => {
      tests++;
      return xs.includes(7) && xs.includes(31);
    };
    expect(ddmin(items, fails)).toEqual([7, 31]);
    expect(tests).toBeLessThan(60);
  });

  it('returns the empty list when the failure needs none of the items', () => {
    expect(ddmin([1, 2, 3], () => true)).toEqual([]);
  });
});

const schedule: FaultSchedule = [
  { atMs: 100, fault: 'drop', api: 'Produce', message: 'response', count: 3 },
  { atMs: 1800, fault: 'crash-broker', broker: 2, crash: 'process', restartAfterMs: 900 },
  { atMs: 2500, fault: 'isolate', node: 'broker-1' },
  { atMs: 2600, fault: 'heal' },
  { atMs: 3000, fault: 'pause-client', client: 'producer-1', forMs: 400 },
];
const start: ShrinkCandidate = { schedule, producers: 3, paymentsPerProducer: 200, partitions: 6 };

function failsWhen(c: ShrinkCandidate): boolean {
  const crash = c.schedule.find((e) => e.fault === 'crash-broker');
  return crash !== undefined && crash.atMs < 1000 && c.schedule.some((e) => e.fault === 'drop') && c.paymentsPerProducer >= 3;
}

const clock = () => 0;

describe('shrink', () => {
  it('keeps only what the failure needs and makes it as small as it still fails, the same way every time', () => {
    const r = shrink({ ...start, schedule: start.schedule.map((e) => (e.fault === 'crash-broker' ? { ...e, atMs: 900 } : e)) }, failsWhen, { maxRuns: 1000, maxWallMs: 1e9, nowMs: clock });
    expect(r.stoppedBy).toBe('done');
    expect(r.candidate).toEqual({
      schedule: [
        { atMs: 0, fault: 'drop', api: 'Produce', message: 'response', count: 1 },
        { atMs: 0, fault: 'crash-broker', broker: 2, crash: 'process', restartAfterMs: 1 },
      ],
      producers: 1, paymentsPerProducer: 3, partitions: 1,
    });
    expect(shrink(start, failsWhen, { maxRuns: 1000, maxWallMs: 1e9, nowMs: clock })).toEqual(shrink(start, failsWhen, { maxRuns: 1000, maxWallMs: 1e9, nowMs: clock }));
  });

  it('stops at the run budget and at the wall budget, and says which', () => {
    let runs = 0;
    const r = shrink(start, (c) => { runs++; return c.paymentsPerProducer >= 3; }, { maxRuns: 5, maxWallMs: 1e9, nowMs: clock });
    expect(runs).toBe(5);
    expect(r.stoppedBy).toBe('run budget');
    let now = 0;
    const w = shrink(start, () => { now += 400; return true; }, { maxRuns: 1000, maxWallMs: 1000, nowMs: () => now });
    expect(w.stoppedBy).toBe('wall budget');
    expect(w.runs).toBeLessThanOrEqual(3);
  });
});
