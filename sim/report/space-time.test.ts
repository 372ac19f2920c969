import { describe, expect, it } from 'vitest';
import type { Op } from '../check/history.ts';
import { faultBands, spaceTime } from './space-time.ts';

const op = (index: number, time: number, process: string): Op => ({ index, id: index, time, process, type: 'ok', f: 'send', value: [['send', 'payments/0', [3, 'p1-e0-s3']]] });

const TRACE = [
  '1000 deliver producer-1>broker-1 Metadata request #1',
  '1400 deliver broker-1>producer-1 Metadata response #1',
  '1500 broker-2 txn-coordinator load __transaction_state/0 epoch=1 txns=0',
  '10000 deliver producer-1>broker-2 Produce request #2',
  '10100 broker-2 payments/0 append 3..3 pid=-1 e=-1 seq=-1',
  '10300 lose broker-2>producer-1 Produce response #2 dropped',
  '10400 delay producer-1>broker-2 Produce request #3 by 20000us',
  '30400 deliver producer-1>broker-2 Produce request #3',
  '30900 deliver broker-2>producer-1 Produce response #3',
  '31000 deliver consumer-1>broker-3 Fetch request #9',
  '90000 deliver producer-1>broker-1 Metadata request #4',
];

describe('spaceTime', () => {
  const schedule = [{ atMs: 10, fault: 'drop' as const, api: 'Produce' as const, message: 'response' as const, count: 1 }];
  const d = spaceTime(TRACE, schedule, [[op(1, 9_000, 'producer-1'), op(2, 31_000, 'producer-1')]], { latencyUsMean: 500, marginUs: 2_000 });

  it('shows the witness\'s time span with a margin, one lane per node, controller and brokers first', () => {
    expect([d.fromUs, d.toUs]).toEqual([7_000, 33_000]);
    expect(d.lanes.map((l) => l.id)).toEqual(['broker-2', 'broker-3', 'consumer-1', 'producer-1']);
    expect(d.lanes.find((l) => l.id === 'broker-2')!.roles).toEqual(['txn coordinator __transaction_state/0']);
    expect(d.highlights.map((h) => [h.lane, h.atUs, h.anomaly])).toEqual([['producer-1', 9_000, 0], ['producer-1', 31_000, 0]]);
  });

  it('draws delivered messages from an estimated send, lost ones where lost, delayed ones from the delay', () => {
    expect(d.messages.map((m) => [`${m.from}>${m.to} ${m.api} ${m.kind} #${m.correlationId}`, m.sentUs, m.atUs, m.lost, m.delayed])).toEqual([
      ['producer-1>broker-2 Produce request #2', 9_500, 10_000, null, false],
      ['broker-2>producer-1 Produce response #2', 10_300, 10_300, 'dropped', false],
      ['producer-1>broker-2 Produce request #3', 10_400, 30_400, null, true],
      // The response left after its request arrived: 30400, not 30900 - 500.
      ['broker-2>producer-1 Produce response #3', 30_400, 30_900, null, false],
      ['consumer-1>broker-3 Fetch request #9', 30_500, 31_000, null, false],
    ]);
    expect(d.faults.map((f) => [f.fromUs, f.toUs, f.lanes])).toEqual([[10_000, 10_000, []]]);
  });

  it('closes the window early once it holds maxMessages, and counts what it left out', () => {
    const small = spaceTime(TRACE, schedule, [[op(1, 9_000, 'producer-1'), op(2, 31_000, 'producer-1')]], { latencyUsMean: 500, marginUs: 2_000, maxMessages: 2 });
    expect(small.messages).toHaveLength(2);
    expect(small.toUs).toBe(10_300);
    expect(small.omitted).toBe(3);
    expect(small.highlights.map((h) => h.atUs)).toEqual([9_000]);
  });
});

describe('faultBands', () => {
  it('gives a crash its restart delay, a pause its length and a partition the time until it is healed', () => {
    const bands = faultBands([
      { atMs: 100, fault: 'crash-broker', broker: 2, crash: 'process', restartAfterMs: 50 },
      { atMs: 200, fault: 'pause-client', client: 'producer-1', forMs: 30 },
      { atMs: 300, fault: 'isolate', node: 'broker-1' },
      { atMs: 400, fault: 'heal' },
    ]);
    expect(bands.map((b) => [b.fromUs / 1000, b.toUs / 1000, b.lanes])).toEqual([
      [100, 150, ['broker-2']], [200, 230, ['producer-1']], [300, 400, ['broker-1']], [400, 400, []],
    ]);
    expect(bands[0].label).toBe('0.100 s crash-broker broker=2 crash=process restartAfterMs=50');
  });
});
