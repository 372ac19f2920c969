// `eos-sim costs`: the flags, the sweep, the table. Bad flags are ConfigErrors (exit 2, nothing printed).
import { DEFAULT_COST_MODEL, type CostModel } from '../sim/costs/cost-model.ts';
import { measureCosts } from '../sim/costs/costs.ts';
import { formatCostTable } from '../sim/costs/format.ts';
import { DEFAULT_NETWORK } from '../sim/kafka/config.ts';
import { ConfigError } from '../sim/run/run-scenario.ts';

export interface CostFlags {
  payments: string;
  sizes: string;
  pacingMs: string;
  seed: string;
  brokerRequestUs?: string;
  brokerRecordUs?: string;
  markerWriteUs?: string;
  fsyncUs?: string;
  fsyncEveryWrite?: boolean;
  latencyUsMin?: string;
  latencyUsMean?: string;
  json?: boolean;
}

function count(flag: string, text: string, min: number, max: number): number {
  const v = Number(text);
  if (!/^\d+$/.test(text) || v < min || v > max) throw new ConfigError(`${flag}: ${JSON.stringify(text)} is not allowed (allowed: an integer ${min}..${max})`);
  return v;
}

function amount(flag: string, text: string | undefined, fallback: number, positive = false): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0 || (positive && v === 0)) {
    throw new ConfigError(`${flag}: ${JSON.stringify(text)} is not allowed (allowed: a number ${positive ? '> 0' : '>= 0'})`);
  }
  return v;
}

export function commandCosts(flags: CostFlags): number {
  const model: CostModel = {
    brokerRequestUs: amount('--broker-request-us', flags.brokerRequestUs, DEFAULT_COST_MODEL.brokerRequestUs),
    brokerRecordUs: amount('--broker-record-us', flags.brokerRecordUs, DEFAULT_COST_MODEL.brokerRecordUs),
    markerWriteUs: amount('--marker-write-us', flags.markerWriteUs, DEFAULT_COST_MODEL.markerWriteUs),
    fsyncUs: amount('--fsync-us', flags.fsyncUs, DEFAULT_COST_MODEL.fsyncUs),
    fsyncEveryWrite: flags.fsyncEveryWrite ?? DEFAULT_COST_MODEL.fsyncEveryWrite,
  };
  const network = {
    latencyUsMin: amount('--latency-us-min', flags.latencyUsMin, DEFAULT_NETWORK.latencyUsMin),
    latencyUsMean: amount('--latency-us-mean', flags.latencyUsMean, DEFAULT_NETWORK.latencyUsMean),
  };
  if (network.latencyUsMean < network.latencyUsMin) {
    throw new ConfigError(`--latency-us-mean: must be >= --latency-us-min (${network.latencyUsMin}), got ${network.latencyUsMean}`);
  }
  const transactionSizes = flags.sizes.split(',').map((s) => count('--sizes', s.trim(), 1, 1000));
  const table = measureCosts({
    model, network, transactionSizes,
    payments: count('--payments', flags.payments, 10, 100_000),
    pacingMs: amount('--pacing-ms', flags.pacingMs, 1, true),
    seed: count('--seed', flags.seed, 0, Number.MAX_SAFE_INTEGER),
    onRun: (row, i, total) => process.stderr.write(`run ${i + 1}/${total}: ${row.mode}${row.transactionSize === null ? '' : `, ${row.transactionSize} per transaction`}\n`),
  });
  process.stdout.write(flags.json ? `${JSON.stringify(table)}\n` : formatCostTable(table));
  return 0;
}
