// `eos-sim costs`: what each guarantee costs in virtual time. Per mode, and for exactly-once per
// transaction size, two fault-free runs of the same workload under the same cost model (cost-model.ts):
// one offers payments far faster than the brokers take them (throughput: what the protocol and the
// brokers allow), one offers them at a steady pace below that (latency: what a payment waits). Each row
// is compared with at-least-once.
import type { NetworkConfig } from '../kafka/config.ts';
import { runScenario } from '../run/run-scenario.ts';
import { parseScenario } from '../scenario/load.ts';
import type { Mode } from '../scenario/types.ts';
import type { CostModel } from './cost-model.ts';
import { runCost } from './latency.ts';

const SATURATED_INTERVAL_MS = 0.01;

export interface CostOptions {
  model: CostModel;
  network: NetworkConfig;
  payments: number;
  /** Time between two payments in the latency runs (on average; the producer jitters it). */
  pacingMs: number;
  transactionSizes: number[];
  seed: number;
  /** Called before each run, for progress. */
  onRun?: (row: { mode: Mode; transactionSize: number | null }, index: number, total: number) => void;
}

export interface CostRow {
  throughputPerS: number;
  produceLatencyMs: { p50: number; p99: number };
  endToEndLatencyMs: { p50: number; p99: number };
  mode: Mode;
  /** Payments per transaction; null for modes without transactions. */
  transactionSize: number | null;
  /** Throughput and latencies divided by at-least-once's. */
  relative: { throughput: number; produceP50: number; produceP99: number; endToEndP50: number; endToEndP99: number };
  /**
   * The saturated throughput reaches the pace of the latency run. A transactional producer takes its next
   * payments only once the previous transaction is over, so where it cannot keep up, payments queue in
   * front of it and the latency shown leaves that queue out.
   */
  keepsUp: boolean;
  /** Events of both runs. */
  events: number;
}

export interface CostTable {
  model: CostModel;
  network: NetworkConfig;
  payments: number;
  pacingMs: number;
  seed: number;
  rows: CostRow[];
}

/** Offered payments 10 µs apart (saturated) or pacingMs apart. */
function scenario(o: CostOptions, transactionSize: number, sendIntervalMs: number) {
  // producer.retryBackoffMs 20: Kafka's producer retries an AddPartitionsToTxn refused with
  // CONCURRENT_TRANSACTIONS (the previous transaction's markers still being written) after 20 ms, not
  // after retry.backoff.ms; the model's producer uses one backoff for all.
  return parseScenario(`
name: costs
description: fault-free payments offered faster than the brokers serve them
cluster: { brokers: 3, topics: [{ name: payments, partitions: 3, replicationFactor: 3 }], broker: { minInsyncReplicas: 2 } }
network: { latencyUsMin: ${o.network.latencyUsMin}, latencyUsMean: ${o.network.latencyUsMean} }
workload: { producers: 1, paymentsPerProducer: ${o.payments}, sendIntervalMs: ${sendIntervalMs}, consumers: 1, transactionSize: ${transactionSize} }
producer: { retryBackoffMs: 20 }
consumer: { processingTimeMs: 0 }
runLimitMs: 3600000
`, 'eos-sim costs');
}

export function measureCosts(o: CostOptions): CostTable {
  const plan: { mode: Mode; transactionSize: number | null }[] = [
    { mode: 'at-least-once', transactionSize: null },
    { mode: 'idempotent', transactionSize: null },
    ...o.transactionSizes.map((size) => ({ mode: 'exactly-once' as const, transactionSize: size })),
  ];
  const measure = (row: (typeof plan)[number], sendIntervalMs: number) => {
    const run = runScenario(scenario(o, row.transactionSize ?? 1, sendIntervalMs), { mode: row.mode, seed: o.seed, bugs: [], costModel: o.model });
    if (!run.quiesced) throw new Error(`costs: ${row.mode} did not finish within the run limit (${run.stuck.join('; ')})`);
    return { cost: runCost(run.history, sendIntervalMs), events: run.events };
  };
  const measured = plan.map((row, i) => {
    o.onRun?.(row, i, plan.length);
    const saturated = measure(row, SATURATED_INTERVAL_MS);
    const paced = measure(row, o.pacingMs);
    return {
      ...row, throughputPerS: saturated.cost.throughputPerS, produceLatencyMs: paced.cost.produceLatencyMs,
      endToEndLatencyMs: paced.cost.endToEndLatencyMs, events: saturated.events + paced.events,
      keepsUp: saturated.cost.throughputPerS >= 1000 / o.pacingMs,
    };
  });
  const base = measured[0];
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  const rows = measured.map((m): CostRow => ({
    ...m,
    relative: {
      throughput: ratio(m.throughputPerS, base.throughputPerS),
      produceP50: ratio(m.produceLatencyMs.p50, base.produceLatencyMs.p50),
      produceP99: ratio(m.produceLatencyMs.p99, base.produceLatencyMs.p99),
      endToEndP50: ratio(m.endToEndLatencyMs.p50, base.endToEndLatencyMs.p50),
      endToEndP99: ratio(m.endToEndLatencyMs.p99, base.endToEndLatencyMs.p99),
    },
  }));
  return { model: o.model, network: o.network, payments: o.payments, pacingMs: o.pacingMs, seed: o.seed, rows };
}
