import { describe, expect, it } from 'vitest';
import { check } from './checker.ts';
import { HistoryBuilder, foundKinds } from './test-histories.ts';

const committed = { pid: 1, epoch: 0, txn: 'committed' } as const;
const aborted = { pid: 1, epoch: 0, txn: 'aborted' } as const;

describe('aborted-read', () => {
  it('reports a read_committed poll of a value whose only transaction failed', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('producer-1', 'fail', [['payments/0', 'p1-e0-s0', 0]]) // ops 0, 1
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']] }) // ops 2, 3
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['aborted-read']);
    expect(r.anomalies[0].witness).toMatchObject({ value: 'p1-e0-s0', key: 'payments/0', offsets: [0], process: 'consumer-1', opIndexes: [0, 1, 3] });
    expect(r.anomalies[0].message).toContain('every transaction that sent it failed');
  });

  it('reports a read_committed poll of a record the final log marks aborted', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('producer-1', 'info', [['payments/0', 'p1-e0-s0']])
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']] })
      .log('payments/0', [[0, 'p1-e0-s0', aborted]], { hw: 2 })
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['aborted-read']);
    expect(r.anomalies[0].witness).toMatchObject({ value: 'p1-e0-s0', pid: 1, epoch: 0 });
  });

  it('does not judge read_uncommitted readers', () => {
    const h = new HistoryBuilder({ isolation: 'read_uncommitted' })
      .txn('producer-1', 'fail', [['payments/0', 'p1-e0-s0', 0]])
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']] })
      .build();
    expect(check(h).verdict).toBe('pass');
  });

  it('does not blame a read of a value that a later transaction resent and committed', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('producer-1', 'fail', [['payments/0', 'p1-e0-s0', 0]])
      .txn('producer-1', 'ok', [['payments/0', 'p1-e0-s0', 2]])
      .poll('consumer-1', { 'payments/0': [[2, 'p1-e0-s0']] })
      .build();
    expect(check(h).verdict).toBe('pass');
  });
});

describe('uncommitted-read', () => {
  it('reports a read_committed poll past the LSO that a hanging transaction still pins', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('producer-1', 'info', [['payments/0', 'p1-e0-s0']])
      .txn('producer-2', 'ok', [['payments/0', 'p2-e0-s0', 1]])
      .poll('consumer-1', { 'payments/0': [[1, 'p2-e0-s0']] }) // ops 4, 5
      // producer-1's transaction opened at offset 0 and was never decided; offset 2 is producer-2's COMMIT.
      .log('payments/0', [[0, 'p1-e0-s0', { pid: 1, epoch: 0 }], [1, 'p2-e0-s0', { pid: 2, epoch: 0, txn: 'committed' }]], { hw: 3, lso: 0 })
      .build();
    const r = check(h);
    // The hanging transaction is what the reader read past, so it is always reported alongside.
    expect(foundKinds(r)).toEqual(['uncommitted-read', 'hanging-transaction']);
    const a = r.anomalies.find((x) => x.kind === 'uncommitted-read')!;
    expect(a.witness).toMatchObject({ value: 'p2-e0-s0', key: 'payments/0', offsets: [1], lso: 0, hw: 3, process: 'consumer-1' });
    expect(a.witness.opIndexes).toContain(5);
  });

  it('passes read_committed polls below the LSO', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('producer-1', 'ok', [['payments/0', 'p1-e0-s0', 0]])
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']] })
      .log('payments/0', [[0, 'p1-e0-s0', committed]], { hw: 2 })
      .build();
    expect(check(h).verdict).toBe('pass');
  });
});

describe('broken-atomicity', () => {
  it('reports a failed transaction whose record is committed', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('producer-1', 'fail', [['payments/0', 'p1-e0-s0', 0]]) // ops 0, 1
      .log('payments/0', [[0, 'p1-e0-s0', committed]], { hw: 2 })
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['broken-atomicity']);
    expect(r.anomalies[0].witness).toMatchObject({ values: ['p1-e0-s0'], key: 'payments/0', offsets: [0], process: 'producer-1', opIndexes: [0, 1] });
  });

  it('reports a transaction whose records carry different outcomes', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('producer-1', 'fail', [['payments/0', 'p1-e0-s0'], ['payments/1', 'p1-e0-s1']])
      .log('payments/0', [[0, 'p1-e0-s0', committed]], { hw: 2 })
      .log('payments/1', [[0, 'p1-e0-s1', aborted]], { hw: 2 })
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['broken-atomicity']);
    expect(r.anomalies[0].witness.values).toEqual(['p1-e0-s0', 'p1-e0-s1']);
    expect(r.anomalies[0].message).toContain('committed at payments/0 offset 0 but p1-e0-s1 aborted at payments/1 offset 0');
  });

  it('reports a committed transaction only part of which is visible (the missing part is also a lost write)', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('producer-1', 'ok', [['payments/0', 'p1-e0-s0', 0], ['payments/1', 'p1-e0-s1', 0]])
      .log('payments/0', [[0, 'p1-e0-s0', committed]], { hw: 2 })
      .log('payments/1', [], { hw: 0 })
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['lost-write', 'broken-atomicity']);
    expect(r.anomalies.find((a) => a.kind === 'broken-atomicity')!.witness.values).toEqual(['p1-e0-s0', 'p1-e0-s1']);
  });

  it('without final logs, judges visibility by polls', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('producer-1', 'ok', [['payments/0', 'p1-e0-s0', 0], ['payments/0', 'p1-e0-s1', 1]])
      .txn('producer-1', 'ok', [['payments/0', 'p1-e0-s2', 3]])
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [3, 'p1-e0-s2']] })
      .build();
    expect(foundKinds(check(h))).toEqual(['lost-write', 'broken-atomicity']);
  });

  it('passes committed and aborted transactions that took effect whole', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('producer-1', 'ok', [['payments/0', 'p1-e0-s0', 0], ['payments/1', 'p1-e0-s1', 0]])
      .txn('producer-1', 'fail', [['payments/0', 'p1-e0-s2', 2], ['payments/1', 'p1-e0-s3', 2]])
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']], 'payments/1': [[0, 'p1-e0-s1']] })
      .log('payments/0', [[0, 'p1-e0-s0', committed], [2, 'p1-e0-s2', aborted]], { hw: 4 })
      .log('payments/1', [[0, 'p1-e0-s1', committed], [2, 'p1-e0-s3', aborted]], { hw: 4 })
      .build();
    expect(check(h).verdict).toBe('pass');
  });
});

// Jepsen's jepsen.tests.kafka rules, each in both directions (docs/anomalies.md, "Jepsen's inferences").
describe("Jepsen's inferences about transactions", () => {
  it.each([
    ['a transaction (no producer in the header: a batch is one)', undefined],
    ['plain sends', { acks: 'all', idempotence: false, maxInFlight: 5, retries: 3, transactional: false } as const],
  ])('G1a without final logs: a read of a value whose send failed, as %s', (_name, producer) => {
    // Jepsen's g1a-test.
    const h = new HistoryBuilder({ isolation: 'read_committed', ...(producer === undefined ? {} : { producer }) })
      .send('producer-1', 'fail', ['x/0', '2'], ['y/0', '3']) // ops 0, 1
      .poll('consumer-1', { 'x/0': [[0, '2']] }) // ops 2, 3
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['aborted-read']);
    expect(r.anomalies[0].witness).toMatchObject({ value: '2', key: 'x/0', offsets: [0], opIndexes: [0, 1, 3] });
  });

  it('no G1a when the application sent the value again after the failure and the read may be the resent copy', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .send('producer-1', 'fail', ['x/0', 'p1-e0-s0'])
      .send('producer-1', 'ok', ['x/0', 'p1-e0-s0', 4])
      .poll('consumer-1', { 'x/0': [[4, 'p1-e0-s0']] })
      .build();
    expect(check(h).verdict).toBe('pass');
  });

  it('G1a when the offset read is the one the failed transaction was acknowledged at, though the value was resent', () => {
    const h = (readAt: number) => new HistoryBuilder({ isolation: 'read_committed' })
      .txn('producer-1', 'fail', [['x/0', 'p1-e0-s0', 0]])
      .txn('producer-1', 'ok', [['x/0', 'p1-e0-s0', 2]])
      .poll('consumer-1', { 'x/0': [[readAt, 'p1-e0-s0']] })
      .build();
    expect(foundKinds(check(h(0)))).toContain('aborted-read');
    expect(check(h(2)).verdict).toBe('pass');
  });

  it("with final logs, the record's metadata tells the failed copy from its resend", () => {
    const h = (readAt: number) => new HistoryBuilder({ isolation: 'read_committed' })
      .txn('producer-1', 'fail', [['x/0', 'p1-e0-s0']])
      .txn('producer-1', 'ok', [['x/0', 'p1-e0-s0']])
      .poll('consumer-1', { 'x/0': [[readAt, 'p1-e0-s0']] })
      .log('x/0', [[0, 'p1-e0-s0', aborted], [2, 'p1-e0-s0', committed]], { hw: 4 })
      .build();
    expect(foundKinds(check(h(0)))).toEqual(['aborted-read']);
    expect(check(h(2)).verdict).toBe('pass');
  });

  it('uncommitted-read by real time: a read before the commit was requested, though the transaction committed', () => {
    const h = (readBeforeCommit: boolean) => {
      const b = new HistoryBuilder({ isolation: 'read_committed' });
      const t = b.invoke('processor-1', 'txn', [['send', 'x/0', 'a>ledger']]); // op 0, time 0
      if (readBeforeCommit) b.poll('consumer-1', { 'x/0': [[0, 'a>ledger']] }); // ops 1, 2 at 10, 20 µs
      b.complete(t, 'ok', [['send', 'x/0', [0, 'a>ledger']]]).commitRequestedAt(readBeforeCommit ? 25 : 5);
      if (!readBeforeCommit) b.poll('consumer-1', { 'x/0': [[0, 'a>ledger']] });
      return b.build();
    };
    const r = check(h(true));
    expect(foundKinds(r)).toEqual(['uncommitted-read']);
    expect(r.anomalies[0].witness).toMatchObject({ value: 'a>ledger', key: 'x/0', offsets: [0], process: 'consumer-1', opIndexes: [0, 2, 3] });
    expect(r.anomalies[0].message).toContain('before processor-1 requested the commit');
    expect(check(h(false)).verdict).toBe('pass');
  });

  it('no uncommitted-read when the history does not say when the commit was requested', () => {
    const b = new HistoryBuilder({ isolation: 'read_committed' });
    const t = b.invoke('processor-1', 'txn', [['send', 'x/0', 'a>ledger']]);
    b.poll('consumer-1', { 'x/0': [[0, 'a>ledger']] });
    b.complete(t, 'ok', [['send', 'x/0', [0, 'a>ledger']]]);
    expect(check(b.build()).verdict).toBe('pass');
  });

  it("uncommitted-read: a transaction that read its own write (Jepsen's precommitted-read)", () => {
    const b = new HistoryBuilder({ isolation: 'read_committed' });
    const t = b.invoke('processor-1', 'txn', [['send', 'x/0', 'a'], ['poll']]);
    b.complete(t, 'ok', [['send', 'x/0', [0, 'a']], ['poll', { 'x/0': [[0, 'a']] }]]);
    expect(foundKinds(check(b.build()))).toEqual(['uncommitted-read']);
  });
});
