import { describe, expect, it } from 'vitest';
import { check } from './checker.ts';
import { HistoryBuilder, foundKinds } from './test-histories.ts';

const ledger = { sinks: [{ name: 'ledger', topics: ['payments'] }] };

describe('duplicate-processing', () => {
  it('reports a value applied twice by apply ops', () => {
    const h = new HistoryBuilder(ledger)
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']] })
      .apply('consumer-1', 'ledger', 'p1-e0-s0') // ops 2, 3
      .crash('consumer-1')
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']] })
      .apply('consumer-1', 'ledger', 'p1-e0-s0') // ops 7, 8
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['duplicate-processing']);
    expect(r.anomalies[0].witness).toMatchObject({ value: 'p1-e0-s0', sink: 'ledger', times: 2, opIndexes: [3, 8] });
  });

  it('reports a value the final sink line says was applied twice', () => {
    const h = new HistoryBuilder(ledger)
      .apply('consumer-1', 'ledger', 'p1-e0-s0')
      .sink('ledger', [['pay-0', 'p1-e0-s0', 2]])
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['duplicate-processing']);
    expect(r.anomalies[0].witness.times).toBe(2);
    expect(r.anomalies[0].message).toContain('the final sink line says 2');
  });
});

describe('lost-processing', () => {
  it('reports a committed record of a sink topic that was never applied', () => {
    const h = new HistoryBuilder(ledger)
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']] })
      .apply('consumer-1', 'ledger', 'p1-e0-s0')
      .log('payments/0', [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']])
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['lost-processing']);
    expect(r.anomalies[0].witness).toMatchObject({ value: 'p1-e0-s1', key: 'payments/0', offsets: [1], sink: 'ledger', opIndexes: [1] });
  });

  it('does not ask for aborted records', () => {
    const h = new HistoryBuilder(ledger)
      .apply('consumer-1', 'ledger', 'p1-e0-s0')
      .log('payments/0', [[0, 'p1-e0-s0', { pid: 1, epoch: 0, txn: 'committed' }], [2, 'p1-e0-s1', { pid: 1, epoch: 0, txn: 'aborted' }]], { hw: 4 })
      .build();
    expect(check(h).verdict).toBe('pass');
  });

  it('lets the final sink line decide over an apply op that succeeded', () => {
    const h = new HistoryBuilder(ledger)
      .apply('consumer-1', 'ledger', 'p1-e0-s0')
      .log('payments/0', [[0, 'p1-e0-s0']])
      .sink('ledger', [])
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['lost-processing']);
    expect(r.anomalies[0].message).toContain('the final sink line lacks it');
  });

  it('leaves a record whose apply has an unknown outcome undecided without a final sink line', () => {
    const h = new HistoryBuilder(ledger)
      .apply('consumer-1', 'ledger', 'p1-e0-s0', 'info')
      .log('payments/0', [[0, 'p1-e0-s0']])
      .build();
    expect(check(h).verdict).toBe('pass');
  });

  it('reads the invoke of an apply cut short by a crash (its completion carries null)', () => {
    const b = new HistoryBuilder(ledger);
    const apply = b.invoke('consumer-1', 'apply', [['apply', 'ledger', 'p1-e0-s0']]);
    const h = b.complete(apply, 'info', null, 'CRASHED')
      .crash('consumer-1')
      .log('payments/0', [[0, 'p1-e0-s0']])
      .build();
    // The apply may have happened: without a final sink line the record is not known to be lost.
    expect(check(h).verdict).toBe('pass');
  });

  it('applies the same rule to a sink fed by a pipeline output topic', () => {
    const h = new HistoryBuilder({ sinks: [{ name: 'ledger', topics: ['ledger-entries'] }] })
      .apply('consumer-1', 'ledger', 'p1-e0-s0>ledger')
      .log('payments/0', [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']])
      .log('ledger-entries/0', [[0, 'p1-e0-s0>ledger'], [1, 'p1-e0-s1>ledger']])
      .build();
    const r = check(h);
    expect(foundKinds(r)).toEqual(['lost-processing']);
    expect(r.anomalies[0].witness).toMatchObject({ value: 'p1-e0-s1>ledger', key: 'ledger-entries/0' });
  });

  it('passes a sink that applied every committed record once', () => {
    const h = new HistoryBuilder(ledger)
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']], 'payments/1': [[0, 'p2-e0-s0']] })
      .apply('consumer-1', 'ledger', 'p1-e0-s0')
      .apply('consumer-1', 'ledger', 'p2-e0-s0')
      .log('payments/0', [[0, 'p1-e0-s0']])
      .log('payments/1', [[0, 'p2-e0-s0']])
      .sink('ledger', [['pay-p1-0', 'p1-e0-s0', 1], ['pay-p2-0', 'p2-e0-s0', 1]])
      .build();
    expect(check(h).verdict).toBe('pass');
  });
});

describe('lost-processing in a run cut off at its time limit', () => {
  const sinks = [{ name: 'ledger', topics: ['payments'] }];
  const cutOff = (quiesced: boolean | undefined) => new HistoryBuilder({ sinks, quiesced })
    .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 0], ['payments/0', 'p1-e0-s1', 1], ['payments/0', 'p1-e0-s2', 2])
    .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']] })
    .commit('consumer-1', 'ledger-sink', { 'payments/0': 2 })
    .apply('consumer-1', 'ledger', 'p1-e0-s0')
    .log('payments/0', [[0, 'p1-e0-s0'], [1, 'p1-e0-s1'], [2, 'p1-e0-s2']])
    .offsets('ledger-sink', { 'payments/0': 2 })
    .build();

  it('reports liveness, and lost-processing only for records the sink consumers had committed as consumed', () => {
    const r = check(cutOff(false));
    expect(foundKinds(r)).toEqual(['lost-processing', 'liveness']);
    expect(r.anomalies.filter((a) => a.kind === 'lost-processing').map((a) => a.witness.value)).toEqual(['p1-e0-s1']);
  });

  it('judges every record when the run quiesced', () => {
    const r = check(cutOff(undefined));
    expect(r.anomalies.filter((a) => a.kind === 'lost-processing').map((a) => a.witness.value)).toEqual(['p1-e0-s1', 'p1-e0-s2']);
  });
});
