// Each sink pattern against the same faults past Kafka: a lost charge answer, a stalled gateway, a
// consumer crash mid-batch and a database crash. What each pattern promises is what these runs must show.
import { describe, expect, it } from 'vitest';
import type { AnomalyKind } from '../check/anomaly.ts';
import { check } from '../check/checker.ts';
import { SINK_PATTERNS, type SinkPattern } from '../external/config.ts';
import { runScenario } from '../run/run-scenario.ts';
import { parseScenario } from '../scenario/load.ts';
import { amountCentsOf, paymentIdOf } from './payment-sink.ts';

const scenario = (pattern: SinkPattern) => parseScenario(`
name: sink-patterns
description: every pattern under the same faults
cluster: { topics: [{ name: payments, partitions: 2 }] }
workload: { producers: 1, paymentsPerProducer: 60, sendIntervalMs: 4, consumers: 1 }
consumer: { maxPollRecords: 10, processingTimeMs: 1 }
sink: { pattern: ${pattern}, requestTimeoutMs: 60 }
faults:
  schedule:
    - { atMs: 60, fault: drop, api: Charge, message: response, count: 1 }
    - { atMs: 120, fault: pause-client, client: gateway, forMs: 150 }
    - { atMs: 180, fault: crash-client, client: consumer-1, restartAfterMs: 100 }
    - { atMs: 260, fault: drop, api: LedgerTxn, message: response, count: 1 }
    - { atMs: 300, fault: crash-client, client: ledger-db, restartAfterMs: 50 }
`, 'sink-patterns.yaml');

const SEEDS = [1, 2, 3, 4, 5, 6];

/** Anomaly kinds found over the seeds, each with how many seeds showed it. */
function found(pattern: SinkPattern): Partial<Record<AnomalyKind, number>> {
  const out: Partial<Record<AnomalyKind, number>> = {};
  for (const seed of SEEDS) {
    const run = runScenario(scenario(pattern), { mode: 'at-least-once', seed, bugs: [] });
    expect(run.quiesced, `${pattern} seed ${seed}: ${run.stuck.join('; ')}`).toBe(true);
    const counts = check(run.history).counts;
    for (const kind of Object.keys(counts) as AnomalyKind[]) if (counts[kind] > 0) out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

describe('sink patterns', () => {
  it('naive charges and books a retried or redelivered payment again', () => {
    const kinds = found('naive');
    expect(kinds['double-charge']).toBeGreaterThan(0);
    expect(kinds['ledger-mismatch']).toBeGreaterThan(0);
  });

  it('dedup-table keeps the ledger right but still charges twice when the charge call times out', () => {
    const kinds = found('dedup-table');
    expect(kinds['double-charge']).toBeGreaterThan(0);
    expect(kinds['ledger-mismatch']).toBeUndefined();
  });

  it.each(['idempotency-key', 'db-offsets', 'txn-coordinates'] as const)('%s charges and books every payment once', (pattern) => {
    expect(found(pattern)).toEqual({});
  });

  it('covers every pattern', () => {
    expect([...SINK_PATTERNS].sort()).toEqual(['db-offsets', 'dedup-table', 'idempotency-key', 'naive', 'txn-coordinates']);
  });
});

describe('payments', () => {
  it('names a pipeline output by the payment it came from, and gives every copy the same amount', () => {
    expect(paymentIdOf('p1-e0-s17>ledger')).toBe('p1-e0-s17');
    expect(paymentIdOf('p1-e0-s17')).toBe('p1-e0-s17');
    expect(amountCentsOf('p1-e0-s17')).toBe(amountCentsOf(paymentIdOf('p1-e0-s17>ledger')));
    expect(amountCentsOf('p1-e0-s17')).toBeGreaterThanOrEqual(100);
    expect(amountCentsOf('p1-e0-s17')).toBeLessThan(100_000);
  });
});
