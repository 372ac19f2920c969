import { describe, expect, it } from 'vitest';
import { check } from './checker.ts';
import type { ChargeFacts, FinalLine, History, Mop } from './history.ts';
import { historyToEdnLines, parseEdnHistory } from './edn.ts';
import { historyToJsonl, parseHistory } from './parse.ts';
import { HistoryBuilder, foundKinds } from './test-histories.ts';

const payments = { payments: { topics: ['payments'], gateway: 'gateway', ledger: 'ledger-db' } };
const AMOUNT = 5000;

const facts = (offset: number, key: string | null = null, chargeId?: string): ChargeFacts =>
  ({ amountCents: AMOUNT, key, from: ['payments/0', offset], ...(chargeId === undefined ? {} : { chargeId }) });

/** A charge call for payment `id` read at `offset`: answered with `chargeId`, or not answered (`error`). */
function charge(b: HistoryBuilder, id: string, offset: number, outcome: { chargeId: string } | { error: string }, key: string | null = null) {
  const p = b.invoke('consumer-1', 'charge', [['charge', 'gateway', id, facts(offset, key)]]);
  if ('chargeId' in outcome) b.complete(p, 'ok', [['charge', 'gateway', id, facts(offset, key, outcome.chargeId)]]);
  else b.complete(p, 'info', null, outcome.error);
}

function book(b: HistoryBuilder, id: string) {
  const mops: Mop[] = [['book', 'ledger-db', id, { amountCents: AMOUNT, row: null }]];
  b.complete(b.invoke('consumer-1', 'ledger', mops), 'ok', mops);
}

function withFinals(h: History, ...finals: FinalLine[]): History {
  return { ...h, finals: [...h.finals, ...finals] };
}

const gatewayLine = (...charges: [string, string][]): FinalLine =>
  ({ final: 'gateway', name: 'gateway', charges: charges.map(([c, p]) => [c, p, AMOUNT, null]) });
const ledgerLine = (...ids: string[]): FinalLine =>
  ({ final: 'ledger', name: 'ledger-db', entries: ids.map((p) => [p, AMOUNT]), balanceCents: ids.length * AMOUNT });

describe('payments past Kafka', () => {
  it('passes a payment charged and booked once', () => {
    const b = new HistoryBuilder(payments).log('payments/0', [[0, 'p1-e0-s0']]);
    charge(b, 'p1-e0-s0', 0, { chargeId: 'ch-1' });
    book(b, 'p1-e0-s0');
    const h = withFinals(b.build(), gatewayLine(['ch-1', 'p1-e0-s0']), ledgerLine('p1-e0-s0'));
    expect(check(h).verdict).toBe('pass');
  });

  it('reports a timed-out charge retried without a key as a double charge, both charges and the timeout in the witness', () => {
    const b = new HistoryBuilder(payments).log('payments/0', [[0, 'p1-e0-s0']]);
    charge(b, 'p1-e0-s0', 0, { error: 'REQUEST_TIMED_OUT' }); // ops 0, 1
    charge(b, 'p1-e0-s0', 0, { chargeId: 'ch-2' }); // ops 2, 3
    book(b, 'p1-e0-s0');
    const h = withFinals(b.build(), gatewayLine(['ch-1', 'p1-e0-s0'], ['ch-2', 'p1-e0-s0']), ledgerLine('p1-e0-s0'));
    const r = check(h);
    expect(foundKinds(r)).toEqual(['double-charge']);
    const a = r.anomalies[0];
    expect(a.witness).toMatchObject({ value: 'p1-e0-s0', values: ['ch-1', 'ch-2'], times: 2, opIndexes: [0, 1, 2, 3] });
    expect(a.message).toContain('op 0 (no idempotency key): no answer (REQUEST_TIMED_OUT); op 2 (no idempotency key): charged ch-2');
  });

  it('takes the ok charge operations as the account when the gateway line is missing', () => {
    const b = new HistoryBuilder(payments).log('payments/0', [[0, 'p1-e0-s0']]);
    charge(b, 'p1-e0-s0', 0, { chargeId: 'ch-1' });
    charge(b, 'p1-e0-s0', 0, { chargeId: 'ch-2' });
    charge(b, 'p1-e0-s0', 0, { chargeId: 'ch-2' }); // the gateway answered a replayed key with the same charge
    expect(check(b.build()).counts['double-charge']).toBe(1);
  });

  it('reports a committed payment never charged, and its missing booking', () => {
    const b = new HistoryBuilder(payments).log('payments/0', [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']])
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']] });
    charge(b, 'p1-e0-s0', 0, { chargeId: 'ch-1' });
    book(b, 'p1-e0-s0');
    const h = withFinals(b.build(), gatewayLine(['ch-1', 'p1-e0-s0']), ledgerLine('p1-e0-s0'));
    const r = check(h);
    expect(foundKinds(r)).toEqual(['missing-charge', 'ledger-mismatch']);
    expect(r.anomalies[0].witness).toMatchObject({ value: 'p1-e0-s1', key: 'payments/0', offsets: [1], opIndexes: [1] });
    expect(r.anomalies[1].message).toContain('the balance is $50.00, the committed payments sum to $50.00');
  });

  it('reports a charge of a payment written only in aborted transactions', () => {
    const b = new HistoryBuilder(payments).log('payments/0', [[0, 'p1-e0-s0', { pid: 1, epoch: 0, txn: 'aborted' }]], { hw: 2 });
    charge(b, 'p1-e0-s0', 0, { chargeId: 'ch-1' });
    const r = check(withFinals(b.build(), gatewayLine(['ch-1', 'p1-e0-s0'])));
    expect(foundKinds(r)).toEqual(['aborted-charge']);
    expect(r.anomalies[0].message).toContain('was written only in aborted transactions');
  });

  it('reports a charge made from an aborted record even when the payment committed later', () => {
    const b = new HistoryBuilder(payments).log('payments/0', [
      [0, 'p1-e0-s0', { pid: 1, epoch: 0, txn: 'aborted' }], [2, 'p1-e0-s0', { pid: 1, epoch: 0, txn: 'committed' }],
    ], { hw: 4 });
    charge(b, 'p1-e0-s0', 0, { chargeId: 'ch-1' }, 'p1-e0-s0');
    charge(b, 'p1-e0-s0', 2, { chargeId: 'ch-1' }, 'p1-e0-s0');
    const r = check(withFinals(b.build(), gatewayLine(['ch-1', 'p1-e0-s0'])));
    expect(foundKinds(r)).toEqual(['aborted-charge']);
    expect(r.anomalies[0].witness).toMatchObject({ key: 'payments/0', offsets: [0], opIndexes: [0, 1] });
  });

  it('reports a payment booked twice, with the balance', () => {
    const b = new HistoryBuilder(payments).log('payments/0', [[0, 'p1-e0-s0']]);
    charge(b, 'p1-e0-s0', 0, { chargeId: 'ch-1' });
    book(b, 'p1-e0-s0');
    book(b, 'p1-e0-s0');
    const r = check(withFinals(b.build(), gatewayLine(['ch-1', 'p1-e0-s0']), ledgerLine('p1-e0-s0', 'p1-e0-s0')));
    expect(foundKinds(r)).toEqual(['ledger-mismatch']);
    expect(r.anomalies[0].witness).toMatchObject({ times: 2, opIndexes: [2, 3, 4, 5] });
    expect(r.anomalies[0].message).toContain('op 2: committed; op 4: committed');
    expect(r.anomalies[0].message).toContain('the balance is $100.00, the committed payments sum to $50.00');
  });

  it('says nothing of payments when the header names none', () => {
    const b = new HistoryBuilder().log('payments/0', [[0, 'p1-e0-s0']]);
    expect(check(b.build()).verdict).toBe('pass');
  });

  it('round-trips the payment lines through history format v1', () => {
    const b = new HistoryBuilder(payments).log('payments/0', [[0, 'p1-e0-s0']]);
    charge(b, 'p1-e0-s0', 0, { error: 'NETWORK_EXCEPTION' }, 'p1-e0-s0');
    const mops: Mop[] = [['mark', 'ledger-db', 'payments/0@0'], ['offsets', 'ledger-db', { 'payments/0': 1 }]];
    b.complete(b.invoke('consumer-1', 'ledger', mops), 'fail', null, 'DUPLICATE_KEY');
    const h = withFinals(b.build(), gatewayLine(['ch-1', 'p1-e0-s0']), ledgerLine('p1-e0-s0'));
    const text = historyToJsonl(h);
    expect(historyToJsonl(parseHistory(text, 'run.jsonl'))).toBe(text);
    expect(() => parseHistory(text.replace('"amountCents":5000,"key"', '"amountCents":-1,"key"'), 'run.jsonl')).toThrow(/amountCents/);
  });

  it("round-trips the payment lines through Jepsen's EDN shape", () => {
    const b = new HistoryBuilder(payments).log('payments/0', [[0, 'p1-e0-s0']]);
    charge(b, 'p1-e0-s0', 0, { chargeId: 'ch-1' }, 'p1-e0-s0');
    const mops: Mop[] = [['book', 'ledger-db', 'p1-e0-s0', { amountCents: AMOUNT, row: 'p1-e0-s0' }], ['offsets', 'ledger-db', { 'payments/0': 1 }]];
    b.complete(b.invoke('consumer-1', 'ledger', mops), 'ok', mops);
    const h = withFinals(b.build(), gatewayLine(['ch-1', 'p1-e0-s0']), ledgerLine('p1-e0-s0'));
    expect(historyToJsonl(parseEdnHistory([...historyToEdnLines(h)], 'run.edn'))).toBe(historyToJsonl(h));
  });
});
