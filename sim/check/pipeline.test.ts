import { describe, expect, it } from 'vitest';
import { check } from './checker.ts';
import { splitOutput } from './pipeline.ts';
import { HistoryBuilder, foundKinds } from './test-histories.ts';
import type { RecordSpec } from './test-histories.ts';

const committed = (pid: number) => ({ pid, epoch: 0, txn: 'committed' as const });

/** processor-1 consumes two payments and commits offset `next`, producing the given ledger entries. */
function pipeline(next: number, outputs: RecordSpec[]) {
  return new HistoryBuilder({ isolation: 'read_committed' })
    .poll('processor-1', { 'payments/0': [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']] }) // ops 0, 1
    .txn('processor-1', 'ok', outputs.map(([offset, value]) => ['ledger-entries/0', value, offset]), ['processor', { 'payments/0': next }])
    .log('payments/0', [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']])
    .log('ledger-entries/0', outputs, { hw: outputs.length === 0 ? 0 : outputs[outputs.length - 1][0] + 2 })
    .offsets('processor', { 'payments/0': next });
}

describe('pipeline-violation', () => {
  it('reports a consumed and committed input with no committed output', () => {
    const r = check(pipeline(2, [[0, 'p1-e0-s0>ledger', committed(9)]]).build());
    expect(foundKinds(r)).toEqual(['pipeline-violation']);
    expect(r.anomalies[0].witness).toMatchObject({ value: 'p1-e0-s1', key: 'payments/0', offsets: [1], group: 'processor', opIndexes: [1] });
  });

  it('does not ask for outputs of inputs the group has not committed past', () => {
    expect(check(pipeline(1, [[0, 'p1-e0-s0>ledger', committed(9)]]).build()).verdict).toBe('pass');
  });

  it('reports an input with two committed outputs (which is also a duplicate output)', () => {
    const r = check(pipeline(2, [
      [0, 'p1-e0-s0>ledger', committed(9)], [1, 'p1-e0-s1>ledger', committed(9)], [3, 'p1-e0-s1>ledger', committed(10)],
    ]).build());
    expect(foundKinds(r)).toEqual(['duplicate', 'pipeline-violation']);
    const a = r.anomalies.find((x) => x.kind === 'pipeline-violation')!;
    expect(a.witness).toMatchObject({ value: 'p1-e0-s1>ledger', values: ['p1-e0-s1'], key: 'ledger-entries/0', offsets: [1, 3] });
  });

  it('passes one committed output per consumed input, aborted attempts aside', () => {
    const h = pipeline(2, [
      [0, 'p1-e0-s0>ledger', committed(9)], [2, 'p1-e0-s1>ledger', { pid: 9, epoch: 0, txn: 'aborted' }], [4, 'p1-e0-s1>ledger', committed(9)],
    ]).build();
    expect(check(h).verdict).toBe('pass');
  });

  it('does not judge a stage whose output topic has no final log', () => {
    const h = new HistoryBuilder({ isolation: 'read_committed' })
      .txn('processor-1', 'ok', [['ledger-entries/0', 'p1-e0-s0>ledger', 0]], ['processor', { 'payments/0': 2 }])
      .log('payments/0', [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']])
      .offsets('processor', { 'payments/0': 2 })
      .build();
    expect(check(h).verdict).toBe('pass');
  });
});

describe('splitOutput', () => {
  it('splits at the last ">" so outputs of outputs name their direct input', () => {
    expect(splitOutput('p1-e0-s17>ledger')).toEqual({ input: 'p1-e0-s17', stage: 'ledger' });
    expect(splitOutput('p1-e0-s17>ledger>audit')).toEqual({ input: 'p1-e0-s17>ledger', stage: 'audit' });
    expect(splitOutput('p1-e0-s17')).toBeUndefined();
    expect(splitOutput('p1-e0-s17>')).toBeUndefined();
  });
});
