import { describe, expect, it } from 'vitest';
import { check } from './checker.ts';
import { HistoryBuilder, foundKinds } from './test-histories.ts';

describe('lost-write', () => {
  it('reports an acknowledged send that is not in the final log', () => {
    const h = new HistoryBuilder()
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 0]) // ops 0, 1
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s1', 1]) // ops 2, 3
      .log('payments/0', [[0, 'p1-e0-s0']])
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['lost-write']);
    expect(r.anomalies[0].witness).toMatchObject({ value: 'p1-e0-s1', key: 'payments/0', offsets: [1], process: 'producer-1', opIndexes: [2, 3] });
    expect(r.anomalies[0].message).toContain('is not in the final log');
  });

  it('without final logs, reports an acknowledged send no poll read although a poll read past it (unseen)', () => {
    const h = new HistoryBuilder()
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 0])
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s1', 1])
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s2', 2])
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [2, 'p1-e0-s2']] }) // ops 6, 7
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['lost-write']);
    expect(r.anomalies[0].witness).toMatchObject({ value: 'p1-e0-s1', offsets: [1], opIndexes: [2, 3, 7] });
  });

  it('without offsets (acks=0), reports a send no poll read when a value sent after it was read', () => {
    const h = new HistoryBuilder()
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0'])
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s1'])
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s1']] })
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['lost-write']);
    expect(r.anomalies[0].witness.value).toBe('p1-e0-s0');
    expect(r.anomalies[0].witness.offsets).toBeUndefined();
  });

  it('without offsets, does not order sends of different producers (another connection may overtake)', () => {
    const h = new HistoryBuilder()
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0'])
      .send('producer-2', 'ok', ['payments/0', 'p2-e0-s0'])
      .poll('consumer-1', { 'payments/0': [[0, 'p2-e0-s0']] })
      .build();
    expect(check(h).verdict).toBe('pass');
  });

  it('does not judge an acknowledged send that no poll has reached yet', () => {
    const h = new HistoryBuilder()
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 0])
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s1', 1])
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']] })
      .build();
    expect(check(h).verdict).toBe('pass');
  });

  it('counts an info send whose value was read as committed', () => {
    const h = new HistoryBuilder()
      .send('producer-1', 'info', ['payments/0', 'p1-e0-s0'])
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']] })
      .log('payments/0', [], { hw: 0 })
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['lost-write']);
    expect(r.anomalies[0].message).toContain('unacknowledged (info) send of p1-e0-s0, which a poll read');
  });

  it('does not count an info or failed send that nobody read', () => {
    const h = new HistoryBuilder()
      .send('producer-1', 'info', ['payments/0', 'p1-e0-s0'])
      .send('producer-1', 'fail', ['payments/0', 'p1-e0-s1'])
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s2', 0])
      .log('payments/0', [[0, 'p1-e0-s2']])
      .build();
    expect(check(h).verdict).toBe('pass');
  });

  it('reports a value resent by the application once', () => {
    const h = new HistoryBuilder()
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 0])
      .crash('producer-1')
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 0])
      .log('payments/0', [])
      .build();
    expect(check(h).counts['lost-write']).toBe(1);
  });
});

describe('duplicate', () => {
  it('reports a value at two offsets of the final log', () => {
    const h = new HistoryBuilder()
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 1])
      .log('payments/0', [[0, 'p1-e0-s0'], [1, 'p1-e0-s0']])
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['duplicate']);
    expect(r.anomalies[0].witness).toMatchObject({ value: 'p1-e0-s0', key: 'payments/0', offsets: [0, 1] });
  });

  it('reports a value polls read at two offsets', () => {
    const h = new HistoryBuilder()
      .send('producer-1', 'info', ['payments/0', 'p1-e0-s0'])
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 1]) // an application-level resend
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [1, 'p1-e0-s0']] }) // ops 4, 5
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['duplicate']);
    expect(r.anomalies[0].witness).toMatchObject({ value: 'p1-e0-s0', offsets: [0, 1] });
    expect(r.anomalies[0].witness.opIndexes).toContain(5);
    expect(r.anomalies[0].message).toContain('sent 2 times');
  });

  it('does not count an aborted copy followed by a committed retry', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('producer-1', 'fail', [['payments/0', 'p1-e0-s0', 0]])
      .txn('producer-1', 'ok', [['payments/0', 'p1-e0-s0', 2]])
      .poll('consumer-1', { 'payments/0': [[2, 'p1-e0-s0']] })
      // Offsets 1 and 3 are the ABORT and COMMIT markers.
      .log('payments/0', [[0, 'p1-e0-s0', { pid: 1, epoch: 0, txn: 'aborted' }], [2, 'p1-e0-s0', { pid: 1, epoch: 0, txn: 'committed' }]], { hw: 4 })
      .build();
    expect(check(h).verdict).toBe('pass');
  });

  it('counts a read_uncommitted reader that saw an aborted copy as a reader, not a duplicate', () => {
    const h = new HistoryBuilder()
      .txn('producer-1', 'fail', [['payments/0', 'p1-e0-s0', 0]])
      .txn('producer-1', 'ok', [['payments/0', 'p1-e0-s0', 2]])
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [2, 'p1-e0-s0']] })
      .log('payments/0', [[0, 'p1-e0-s0', { pid: 1, epoch: 0, txn: 'aborted' }], [2, 'p1-e0-s0', { pid: 1, epoch: 0, txn: 'committed' }]], { hw: 4 })
      .build();
    expect(check(h).verdict).toBe('pass');
  });
});

describe('inconsistent-offsets', () => {
  it('reports an acknowledgement and a poll that disagree about an offset', () => {
    const h = new HistoryBuilder()
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 0]) // ops 0, 1
      .poll('consumer-1', { 'payments/0': [[0, 'p2-e0-s0']] }) // ops 2, 3
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['inconsistent-offsets']);
    expect(r.anomalies[0].witness).toMatchObject({ key: 'payments/0', offsets: [0], values: ['p1-e0-s0', 'p2-e0-s0'], opIndexes: [1, 3] });
  });

  it('reports an acknowledgement the final log contradicts, once per offset', () => {
    const h = new HistoryBuilder()
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 0])
      .send('producer-2', 'ok', ['payments/0', 'p2-e0-s0', 0])
      .send('producer-2', 'ok', ['payments/0', 'p2-e0-s1', 1])
      .log('payments/0', [[0, 'p2-e0-s0'], [1, 'p2-e0-s1'], [2, 'p1-e0-s0']])
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['inconsistent-offsets']);
    expect(r.counts['inconsistent-offsets']).toBe(1);
    expect(r.anomalies[0].witness.values).toEqual(['p2-e0-s0', 'p1-e0-s0']);
    expect(r.anomalies[0].message).toContain('according to the final log');
  });
});

// Jepsen's jepsen.tests.kafka rules, each in both directions (docs/anomalies.md, "Jepsen's inferences").
describe("Jepsen's inferences about writes", () => {
  it('duplicate: a value acknowledged at one offset and read at another stands twice, with no final log', () => {
    const h = new HistoryBuilder()
      .send('producer-1', 'ok', ['x/0', 'a', 1]) // ops 0, 1
      .send('producer-2', 'info', ['x/0', 'b']) // ops 2, 3
      .poll('consumer-1', { 'x/0': [[2, 'b'], [3, 'a']] }) // ops 4, 5
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['duplicate']);
    expect(r.anomalies[0].witness).toMatchObject({ value: 'a', key: 'x/0', offsets: [1, 3] });
  });

  it('duplicate: also across partitions', () => {
    const h = new HistoryBuilder()
      .send('producer-1', 'ok', ['x/0', 'a', 0])
      .poll('consumer-1', { 'y/0': [[4, 'a']] })
      .build();
    expect(foundKinds(check(h))).toEqual(['duplicate']);
  });

  it('no duplicate: read at the offset it was acknowledged at, or acknowledged by a send that failed', () => {
    const same = new HistoryBuilder()
      .send('producer-1', 'ok', ['x/0', 'a', 1])
      .poll('consumer-1', { 'x/0': [[1, 'a']] })
      .build();
    expect(check(same).verdict).toBe('pass');
    // Jepsen's "aborted txns" case: the failed send's offset never held its value.
    const failed = new HistoryBuilder()
      .send('producer-1', 'ok', ['x/0', '0', 1])
      .send('producer-1', 'fail', ['x/0', '1', 2])
      .poll('consumer-1', { 'x/0': [[1, '0'], [12, '1']] })
      .build();
    expect(foundKinds(check(failed))).not.toContain('duplicate');
  });

  it('lost-write through atomicity: a read of one write of a batch proves the others, which a poll read past', () => {
    // Jepsen's "atomic" case: the batch crashed (info), so b counts only once a is seen.
    const base = () => new HistoryBuilder({ isolation: 'read_committed' })
      .send('producer-1', 'info', ['x/0', 'a'], ['y/0', 'b', 0]) // ops 0, 1
      .send('producer-2', 'info', ['y/0', 'c']); // ops 2, 3
    const withoutA = base().poll('consumer-2', { 'y/0': [[1, 'c']] }).build();
    expect(check(withoutA).verdict).toBe('pass');
    const withA = base()
      .poll('consumer-1', { 'x/0': [[0, 'a']] }) // ops 4, 5
      .poll('consumer-2', { 'y/0': [[1, 'c']] }) // ops 6, 7
      .build();
    const r = check(withA);
    // Part of a committed transaction visible, part missing: eos-sim's broken-atomicity says so too.
    expect(foundKinds(r)).toEqual(['lost-write', 'broken-atomicity']);
    expect(r.anomalies[0].witness).toMatchObject({ value: 'b', key: 'y/0', offsets: [0], opIndexes: [0, 1, 7] });
  });

  it('no lost-write through atomicity when the header says the producer is not transactional: a batch is not atomic', () => {
    const producer = { acks: 'all', idempotence: false, maxInFlight: 5, retries: 3, transactional: false } as const;
    const h = new HistoryBuilder({ isolation: 'read_committed', producer })
      .send('producer-1', 'info', ['x/0', 'a'], ['y/0', 'b', 0])
      .send('producer-2', 'info', ['y/0', 'c'])
      .poll('consumer-1', { 'x/0': [[0, 'a']] })
      .poll('consumer-2', { 'y/0': [[1, 'c']] })
      .build();
    expect(check(h).verdict).toBe('pass');
  });

  it('inconsistent-offsets: not from an info acknowledgement alone, but once a read proves that write took effect', () => {
    // Jepsen's "info conflicts" case.
    const base = () => new HistoryBuilder({ isolation: 'read_committed' })
      .send('producer-1', 'info', ['x/0', 'a1', 0], ['y/0', 'b1']) // ops 0, 1
      .send('producer-2', 'ok', ['x/0', 'a2', 0]); // ops 2, 3
    expect(check(base().build()).verdict).toBe('pass');
    const r = check(base().poll('consumer-1', { 'y/0': [[5, 'b1']] }).build());
    expect(foundKinds(r)).toEqual(['inconsistent-offsets']);
    expect(r.anomalies[0].witness).toMatchObject({ values: ['a1', 'a2'], key: 'x/0', offsets: [0] });
  });
});
