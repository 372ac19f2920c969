import { describe, expect, it } from 'vitest';
import { check } from './checker.ts';
import { HistoryBuilder, foundKinds } from './test-histories.ts';

describe('zombie-write', () => {
  it('reports data of an old epoch after data of a newer epoch of the same producer id', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('processor-2', 'ok', [['ledger-entries/0', 'p1-e0-s0>ledger', 0]]) // the new instance, epoch 1
      .txn('processor-1', 'ok', [['ledger-entries/0', 'p1-e0-s1>ledger', 2]]) // the zombie, epoch 0
      .log('ledger-entries/0', [
        [0, 'p1-e0-s0>ledger', { pid: 7, epoch: 1, seq: 0, txn: 'committed' }],
        [2, 'p1-e0-s1>ledger', { pid: 7, epoch: 0, seq: 4, txn: 'committed' }],
      ], { hw: 4 })
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['zombie-write']);
    expect(r.anomalies[0].witness).toMatchObject({
      value: 'p1-e0-s1>ledger', key: 'ledger-entries/0', offsets: [0, 2], pid: 7, epoch: 0, epochs: [0, 1], seq: 4,
    });
  });

  it('lets an old epoch\'s aborted data stand after a newer epoch (it took no effect)', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('processor-2', 'ok', [['ledger-entries/0', 'p1-e0-s0>ledger', 0]])
      .txn('processor-1', 'fail', [['ledger-entries/0', 'p1-e0-s1>ledger', 2]], undefined, 'PRODUCER_FENCED')
      .log('ledger-entries/0', [
        [0, 'p1-e0-s0>ledger', { pid: 7, epoch: 1, txn: 'committed' }],
        [2, 'p1-e0-s1>ledger', { pid: 7, epoch: 0, txn: 'aborted' }],
      ], { hw: 4 })
      .build();
    expect(check(h).verdict).toBe('pass');
  });

  it('reports a transaction that committed after its process was told it was fenced', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('processor-1', 'fail', [['ledger-entries/0', 'p1-e0-s0>ledger']], undefined, 'PRODUCER_FENCED') // ops 0, 1
      .txn('processor-1', 'ok', [['ledger-entries/0', 'p1-e0-s1>ledger', 3]]) // ops 2, 3
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['zombie-write']);
    expect(r.anomalies[0].witness).toMatchObject({ process: 'processor-1', opIndexes: [1, 2, 3] });
    expect(r.anomalies[0].message).toContain('PRODUCER_FENCED in op 1');
  });

  it('reports a fenced transaction whose record is committed, naming both epochs', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('processor-1', 'fail', [['ledger-entries/0', 'p1-e0-s0>ledger']], undefined, 'INVALID_PRODUCER_EPOCH')
      .txn('processor-2', 'ok', [['ledger-entries/0', 'p1-e0-s1>ledger', 2]])
      .log('ledger-entries/0', [
        [0, 'p1-e0-s0>ledger', { pid: 7, epoch: 0, txn: 'committed' }],
        [2, 'p1-e0-s1>ledger', { pid: 7, epoch: 1, txn: 'committed' }],
      ], { hw: 4 })
      .build();
    const r = check(h);
    // A failed transaction with a committed record would be broken atomicity; fenced, it is a zombie's.
    expect(foundKinds(r)).toEqual(['zombie-write']);
    expect(r.anomalies[0].witness).toMatchObject({ value: 'p1-e0-s0>ledger', pid: 7, epoch: 0, epochs: [0, 1] });
  });

  it('forgets the fencing once the process crashed and restarted as a new instance', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('processor-1', 'fail', [['ledger-entries/0', 'p1-e0-s0>ledger']], undefined, 'PRODUCER_FENCED')
      .crash('processor-1')
      .txn('processor-1', 'ok', [['ledger-entries/0', 'p1-e0-s1>ledger', 3]])
      .build();
    expect(check(h).verdict).toBe('pass');
  });
});

describe('zombie-write: unknown outcomes', () => {
  it('does not blame a transaction told PRODUCER_FENCED only at its own end when its outcome is unknown', () => {
    // The EndTxn went through, its answer was lost, and the retry met the new epoch: committed, not a zombie.
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('producer-1', 'info', [['payments/0', 'p1-e0-s0', 0]], undefined, 'PRODUCER_FENCED')
      .txn('producer-1.2', 'ok', [['payments/0', 'p1-e0-s1', 2]])
      .log('payments/0', [
        [0, 'p1-e0-s0', { pid: 7, epoch: 0, txn: 'committed' }],
        [2, 'p1-e0-s1', { pid: 7, epoch: 1, txn: 'committed' }],
      ], { hw: 4 })
      .build();
    expect(check(h).verdict).toBe('pass');
  });
});
