import { describe, expect, it } from 'vitest';
import type { History } from '../check/history.ts';
import { DEFAULT_COST_MODEL, serviceTimeUs } from './cost-model.ts';
import { measureCosts } from './costs.ts';
import { formatCostTable } from './format.ts';
import { quantile, runCost } from './latency.ts';

const header: History['header'] = { history: 'eos-sim', version: 1, scenario: 't', mode: 'exactly-once', seed: 1, bugs: [], isolation: 'read_committed' };

describe('runCost', () => {
  it('counts a transaction\'s payments from when they arrived, while it filled, and skips the warm-up', () => {
    const h: History = {
      header,
      ops: [
        // Warm-up: the first transaction waits for the cluster; its payments do not count for latency.
        { index: 0, id: 1, time: 0, process: 'producer-1', type: 'invoke', f: 'txn', value: [['send', 'payments/0', 'a']] },
        { index: 1, id: 1, time: 50_000, process: 'producer-1', type: 'ok', f: 'txn', value: [['send', 'payments/0', [0, 'a']]] },
        { index: 2, id: 2, time: 51_000, process: 'consumer-1', type: 'ok', f: 'poll', value: [['poll', { 'payments/0': [[0, 'a']] }]] },
        // Two payments gathered 1 ms apart, invoked at 60 ms, committed at 64 ms, read at 65 ms.
        { index: 3, id: 3, time: 60_000, process: 'producer-1', type: 'invoke', f: 'txn', value: [['send', 'payments/0', 'b'], ['send', 'payments/0', 'c']] },
        { index: 4, id: 3, time: 64_000, process: 'producer-1', type: 'ok', f: 'txn', value: [['send', 'payments/0', [1, 'b']], ['send', 'payments/0', [2, 'c']]] },
        { index: 5, id: 4, time: 65_000, process: 'consumer-1', type: 'ok', f: 'poll', value: [['poll', { 'payments/0': [[1, 'b'], [2, 'c']] }]] },
      ],
      finals: [],
    };
    const c = runCost(h, 1);
    expect(c.payments).toBe(3);
    // b arrived at 59 ms (5 ms to commit), c at 60 ms (4 ms).
    expect(c.produceLatencyMs).toEqual({ p50: 4, p99: 5 });
    expect(c.endToEndLatencyMs).toEqual({ p50: 5, p99: 6 });
    // Two acknowledgements after the first one, over 14 ms.
    expect(c.throughputPerS).toBeCloseTo(2 / 0.014, 6);
  });

  it('takes nearest-rank quantiles', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(quantile([], 0.5)).toBe(0);
  });
});

describe('the cost model', () => {
  it('charges a request, its records, its markers and, when configured, an fsync', () => {
    const produce = { batch: { records: ['a', 'b', 'c'] } };
    expect(serviceTimeUs(DEFAULT_COST_MODEL, 'Produce', produce)).toBe(50 + 3 * 2);
    expect(serviceTimeUs(DEFAULT_COST_MODEL, 'WriteTxnMarkers', { partitions: ['payments/0', 'payments/1'] })).toBe(50 + 2 * 100);
    expect(serviceTimeUs({ ...DEFAULT_COST_MODEL, fsyncEveryWrite: true }, 'EndTxn', {})).toBe(50 + 2000);
    expect(serviceTimeUs({ ...DEFAULT_COST_MODEL, fsyncEveryWrite: true }, 'Fetch', {})).toBe(50);
  });
});

describe('measureCosts', () => {
  it('finds idempotence nearly free and one-payment transactions far costlier per payment than large ones', () => {
    const t = measureCosts({
      model: DEFAULT_COST_MODEL, network: { latencyUsMin: 200, latencyUsMean: 500 }, payments: 400, pacingMs: 1, transactionSizes: [1, 100], seed: 1,
    });
    const [alo, idem, one, hundred] = t.rows;
    expect(alo.relative.throughput).toBe(1);
    expect(Math.abs(idem.relative.throughput - 1)).toBeLessThan(0.05);
    expect(hundred.throughputPerS).toBeGreaterThan(10 * one.throughputPerS);
    expect(one.keepsUp).toBe(false);
    expect(formatCostTable(t)).toContain('cannot keep up with a payment every 1 ms');
  });
});
