import { describe, expect, it } from 'vitest';
import { check } from './checker.ts';
import { HistoryBuilder, foundKinds } from './test-histories.ts';

describe('nonmonotonic-poll', () => {
  it('reports a consumer whose position went back', () => {
    const h = new HistoryBuilder()
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']] }) // ops 0, 1
      .poll('consumer-1', { 'payments/0': [[1, 'p1-e0-s1']] }) // ops 2, 3
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['nonmonotonic-poll']);
    expect(r.anomalies[0].witness).toMatchObject({ key: 'payments/0', offsets: [1, 1], process: 'consumer-1', opIndexes: [1, 3] });
  });

  it('reports a poll that goes back within one response', () => {
    const h = new HistoryBuilder()
      .poll('consumer-1', { 'payments/0': [[1, 'p1-e0-s1'], [0, 'p1-e0-s0']] })
      .build();
    expect(foundKinds(check(h))).toEqual(['nonmonotonic-poll']);
  });

  it('allows going back after an assign (a rebalance resets to the committed offset)', () => {
    const h = new HistoryBuilder()
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']] })
      .assign('consumer-1', ['payments/0'])
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']] })
      .build();
    expect(check(h).verdict).toBe('pass');
  });

  it('allows going back after a crash (the restarted consumer starts from its committed offsets)', () => {
    const h = new HistoryBuilder()
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']] })
      .crash('consumer-1')
      .poll('consumer-1', { 'payments/0': [[1, 'p1-e0-s1']] })
      .build();
    expect(check(h).verdict).toBe('pass');
  });

  it('allows going back after a transaction of the process that did not commit (it seeks to its committed offsets)', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .poll('processor-1', { 'payments/0': [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']] })
      .txn('processor-1', 'fail', [['ledger-entries/0', 'p1-e0-s0>ledger'], ['ledger-entries/0', 'p1-e0-s1>ledger']], ['processor', { 'payments/0': 2 }])
      .poll('processor-1', { 'payments/0': [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']] })
      .build();
    expect(check(h).verdict).toBe('pass');
  });

  it('does not forgive going back after a transaction that committed', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .poll('processor-1', { 'payments/0': [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']] })
      .txn('processor-1', 'ok', [['ledger-entries/0', 'p1-e0-s0>ledger', 0], ['ledger-entries/0', 'p1-e0-s1>ledger', 1]], ['processor', { 'payments/0': 2 }])
      .poll('processor-1', { 'payments/0': [[0, 'p1-e0-s0']] })
      .build();
    expect(foundKinds(check(h))).toEqual(['nonmonotonic-poll']);
  });

  it('tracks each process on its own', () => {
    const h = new HistoryBuilder()
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']] })
      .poll('consumer-2', { 'payments/0': [[0, 'p1-e0-s0']] })
      .build();
    expect(check(h).verdict).toBe('pass');
  });
});

describe('poll-skip', () => {
  const log = (b: HistoryBuilder) => b.log('payments/0', [[0, 'p1-e0-s0'], [1, 'p1-e0-s1'], [2, 'p1-e0-s2'], [3, 'p1-e0-s3']]);

  it('reports a consumer that jumped over records of the final log', () => {
    const h = log(new HistoryBuilder()
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']] }) // ops 0, 1
      .poll('consumer-1', { 'payments/0': [[3, 'p1-e0-s3']] })) // ops 2, 3
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['poll-skip']);
    expect(r.anomalies[0].witness).toMatchObject({ value: 'p1-e0-s1', key: 'payments/0', offsets: [0, 3], process: 'consumer-1', opIndexes: [1, 3] });
    expect(r.anomalies[0].message).toContain('skipping 2 record(s) from p1-e0-s1 at offset 1');
  });

  it('allows a jump after an assign', () => {
    const h = log(new HistoryBuilder()
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']] })
      .assign('consumer-1', ['payments/0'])
      .poll('consumer-1', { 'payments/0': [[3, 'p1-e0-s3']] }))
      .build();
    expect(check(h).verdict).toBe('pass');
  });

  it('does not count control-record gaps as skipped', () => {
    const h = new HistoryBuilder()
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']] })
      .poll('consumer-1', { 'payments/0': [[2, 'p1-e0-s1']] })
      // Offset 1 is a COMMIT marker.
      .log('payments/0', [[0, 'p1-e0-s0', { pid: 1, epoch: 0, txn: 'committed' }], [2, 'p1-e0-s1']])
      .build();
    expect(check(h).verdict).toBe('pass');
  });

  const overAborted = (isolation: 'read_committed' | 'read_uncommitted') => new HistoryBuilder({ isolation })
    .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']] })
    .poll('consumer-1', { 'payments/0': [[3, 'p1-e0-s2']] })
    // Offset 1 is an aborted record, offset 2 its ABORT marker.
    .log('payments/0', [[0, 'p1-e0-s0'], [1, 'p1-e0-s1', { pid: 1, epoch: 0, txn: 'aborted' }], [3, 'p1-e0-s2']])
    .build();

  it('lets a read_committed consumer pass over aborted records', () => {
    expect(check(overAborted('read_committed')).verdict).toBe('pass');
  });

  it('reports a read_uncommitted consumer that passed over aborted records, which it should have read', () => {
    const r = check(overAborted('read_uncommitted'));
    expect(foundKinds(r)).toEqual(['poll-skip']);
    expect(r.anomalies[0].witness.value).toBe('p1-e0-s1');
  });

  it('without final logs, judges by the offsets other polls read', () => {
    const h = new HistoryBuilder()
      .poll('consumer-2', { 'payments/0': [[0, 'p1-e0-s0'], [1, 'p1-e0-s1'], [2, 'p1-e0-s2']] })
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [2, 'p1-e0-s2']] })
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['poll-skip']);
    expect(r.anomalies[0].witness).toMatchObject({ process: 'consumer-1', value: 'p1-e0-s1', offsets: [0, 2] });
  });
});

describe('subscribe resets positions as assign does (a rebalance)', () => {
  const reread = (between: (b: HistoryBuilder) => HistoryBuilder) => between(new HistoryBuilder()
    .poll('consumer-1', { 'x/0': [[1, 'a'], [2, 'b'], [3, 'c']] }))
    .poll('consumer-1', { 'x/0': [[2, 'b'], [3, 'c'], [4, 'd']] })
    .build();

  it('reports a position that went back with nothing in between', () => {
    expect(foundKinds(check(reread((b) => b)))).toEqual(['nonmonotonic-poll']);
  });

  it('does not report it across a subscribe or an assign', () => {
    expect(check(reread((b) => b.subscribe('consumer-1', ['x']))).verdict).toBe('pass');
    expect(check(reread((b) => b.assign('consumer-1', ['x/0']))).verdict).toBe('pass');
  });
});
