import { describe, expect, it } from 'vitest';
import { ANOMALY_KINDS, MAX_EVENTS, MAX_REPORTED_PER_KIND } from './anomaly.ts';
import { check } from './checker.ts';
import type { History, Key, RecordMeta } from './history.ts';
import { historyToJsonl, parseHistory } from './parse.ts';
import { HistoryBuilder, foundKinds } from './test-histories.ts';

/** A history with several kinds of anomaly at once, built in a scrambled field order. */
function troubled(): History {
  return new HistoryBuilder({ seed: 99, sinks: [{ name: 'ledger', topics: ['payments'] }] })
    .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 0])
    .send('producer-1', 'ok', ['payments/0', 'p1-e0-s1', 1])
    .send('producer-1', 'ok', ['payments/0', 'p1-e0-s2', 2])
    .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [2, 'p1-e0-s0']] })
    .apply('consumer-1', 'ledger', 'p1-e0-s0')
    .apply('consumer-1', 'ledger', 'p1-e0-s0')
    .log('payments/0', [[0, 'p1-e0-s0'], [2, 'p1-e0-s0']])
    .build();
}

describe('check', () => {
  it('reports every family it finds, kinds in the documented order, with counts for every kind', () => {
    const r = check(troubled());
    expect(r.verdict).toBe('fail');
    expect(Object.keys(r.counts)).toEqual([...ANOMALY_KINDS]);
    expect(foundKinds(r)).toEqual(['lost-write', 'duplicate', 'inconsistent-offsets', 'duplicate-processing']);
    expect(r.anomalies.map((a) => a.kind)).toEqual(['lost-write', 'lost-write', 'duplicate', 'inconsistent-offsets', 'duplicate-processing']);
    for (const a of r.anomalies) {
      expect(a.witness.seed).toBe(99);
      expect(a.message).toMatch(/^[^\n]+\.$/);
    }
  });

  it('gives byte-identical JSON for the same history, however it was built or read', () => {
    const h = troubled();
    const json = JSON.stringify(check(h));
    expect(JSON.stringify(check(h))).toBe(json);
    expect(JSON.stringify(check(parseHistory(historyToJsonl(h), 'again.jsonl')))).toBe(json);
  });

  it('shows the proving lines with their partners and context, at most MAX_EVENTS of them', () => {
    const r = check(troubled());
    for (const a of r.anomalies) {
      const shown = a.witness.events.map((e) => e.index);
      expect(shown.length).toBeLessThanOrEqual(MAX_EVENTS);
      expect(shown).toEqual([...shown].sort((x, y) => x - y));
      for (const i of a.witness.opIndexes.slice(0, MAX_EVENTS)) expect(shown).toContain(i);
    }
    // The lost write of p1-e0-s1 is proven by its send's completion (op 3): shown with its invoke and,
    // for context, the producer's line before it.
    const lost = r.anomalies.find((a) => a.witness.value === 'p1-e0-s1')!;
    expect(lost.witness.opIndexes).toEqual([2, 3]);
    expect(lost.witness.events.map((e) => [e.index, e.type])).toEqual([[1, 'ok'], [2, 'invoke'], [3, 'ok']]);
  });

  it('counts every anomaly but reports the first MAX_REPORTED_PER_KIND of a kind in history order', () => {
    const b = new HistoryBuilder();
    for (let s = 0; s < 25; s++) b.send('producer-1', 'ok', ['payments/0', `p1-e0-s${s}`, s]);
    const r = check(b.log('payments/0', [], { hw: 0 }).build());
    expect(r.counts['lost-write']).toBe(25);
    expect(r.anomalies).toHaveLength(MAX_REPORTED_PER_KIND);
    expect(r.anomalies.map((a) => a.witness.value)).toEqual(Array.from({ length: MAX_REPORTED_PER_KIND }, (_, s) => `p1-e0-s${s}`));
  });

  it('summarises the history in stats', () => {
    const producer = { acks: 'all', idempotence: false, maxInFlight: 5, retries: 3, transactional: false } as const;
    const h = new HistoryBuilder({ producer })
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 0], ['payments/0', 'p1-e0-s1', 1])
      .send('producer-1', 'info', ['payments/0', 'p1-e0-s2'])
      .send('producer-1', 'fail', ['payments/0', 'p1-e0-s3'])
      .txn('producer-2', 'ok', [['payments/1', 'p2-e0-s0', 0]])
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']] })
      .apply('consumer-1', 'ledger', 'p1-e0-s0')
      .log('payments/0', [[0, 'p1-e0-s0'], [1, 'p1-e0-s1']])
      .build();
    expect(check(h).stats).toEqual({
      ops: 12, sends: { ok: 2, info: 1, fail: 1 }, txns: { ok: 1, info: 0, fail: 0 }, polls: 1, valuesRead: 2, applies: 1,
      finalLogs: 1, finalRecords: 2,
    });
  });

  it('checks a clean run of 10^5 operation lines without a false alarm (its speed is npm run bench\'s business)', () => {
    const h = cleanRun(4, 12_000);
    expect(h.ops.length).toBeGreaterThan(100_000);
    const r = check(h);
    expect(r.verdict).toBe('pass');
    expect(r.stats.valuesRead).toBe(4 * 12_000);
  });
});

/**
 * Producers send payments one by one (each to its own partition) in transactions of 10, a consumer polls
 * them in batches of 100 and applies them to the ledger, and every final line agrees.
 */
function cleanRun(producers: number, payments: number): History {
  const b = new HistoryBuilder({
    isolation: 'read_committed',
    producer: { acks: 'all', idempotence: true, maxInFlight: 5, retries: 2147483647, transactional: true },
    sinks: [{ name: 'ledger', topics: ['payments'] }],
  });
  const logs = new Map<Key, [number, string, Partial<RecordMeta>][]>();
  for (let p = 1; p <= producers; p++) {
    const key = `payments/${p - 1}`;
    const records: [number, string, Partial<RecordMeta>][] = [];
    logs.set(key, records);
    // Each transaction of 10 payments takes 11 offsets: the records and a COMMIT marker.
    for (let t = 0; t < payments / 10; t++) {
      const sends: [Key, string, number][] = [];
      for (let i = 0; i < 10; i++) {
        const s = t * 10 + i;
        sends.push([key, `p${p}-e0-s${s}`, t * 11 + i]);
        records.push([t * 11 + i, `p${p}-e0-s${s}`, { pid: p, epoch: 0, seq: s, txn: 'committed' }]);
      }
      for (const send of sends) b.send(`producer-${p}`, 'ok', send);
      b.txn(`producer-${p}`, 'ok', sends);
    }
  }
  for (const [key, records] of logs) {
    for (let from = 0; from < records.length; from += 100) {
      const batch = records.slice(from, from + 100);
      b.poll('consumer-1', { [key]: batch.map(([o, v]) => [o, v]) });
      for (const [, value] of batch) b.apply('consumer-1', 'ledger', value);
    }
  }
  for (const [key, records] of logs) b.log(key, records, { hw: records[records.length - 1][0] + 2 });
  return b.build();
}
