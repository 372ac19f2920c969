import { describe, expect, it } from 'vitest';
import { check } from './checker.ts';
import { HistoryBuilder, foundKinds } from './test-histories.ts';

describe('hanging-transaction', () => {
  it('reports a final log whose LSO is below its high watermark, naming the transaction at the LSO', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('producer-1', 'ok', [['payments/0', 'p1-e0-s0', 0]])
      .txn('producer-1', 'info', [['payments/0', 'p1-e0-s1']]) // ops 2, 3
      // Offset 1 is the first transaction's COMMIT; the second transaction opened at 2 and never ended.
      .log('payments/0', [[0, 'p1-e0-s0', { pid: 4, epoch: 0, seq: 0, txn: 'committed' }], [2, 'p1-e0-s1', { pid: 4, epoch: 0, seq: 1 }]], { hw: 3, lso: 2 })
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['hanging-transaction']);
    expect(r.anomalies[0].witness).toMatchObject({
      value: 'p1-e0-s1', key: 'payments/0', offsets: [2], pid: 4, epoch: 0, seq: 1, lso: 2, hw: 3, opIndexes: [2, 3],
    });
  });

  it('passes final logs whose LSO reached the high watermark', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('producer-1', 'ok', [['payments/0', 'p1-e0-s0', 0]])
      .log('payments/0', [[0, 'p1-e0-s0', { pid: 4, epoch: 0, txn: 'committed' }]], { hw: 2, lso: 2 })
      .build();
    expect(check(h).verdict).toBe('pass');
  });
});

describe('liveness', () => {
  it('reports a run the header says did not quiesce', () => {
    const h = new HistoryBuilder({ quiesced: false }).send('producer-1', 'info', ['payments/0', 'p1-e0-s0']).build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['liveness']);
    expect(r.anomalies[0].message).toContain('did not quiesce');
  });

  it('reports nothing for a run that quiesced, or a header that does not say', () => {
    const h = new HistoryBuilder({ quiesced: true }).send('producer-1', 'info', ['payments/0', 'p1-e0-s0']).build();
    expect(check(h).verdict).toBe('pass');
    expect(check({ ...h, header: { ...h.header, quiesced: undefined } }).verdict).toBe('pass');
  });
});
