// The cost table as text: one row per mode and transaction size, each figure with its ratio to
// at-least-once beside it.
import type { CostTable } from './costs.ts';

const num = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
/** A ratio with two significant digits below 0.1 (×0.0015), two decimals up to 10, none above. */
const times = (r: number) => `×${r >= 10 ? num(r, 0) : r >= 0.1 || r === 0 ? num(r, 2) : r.toPrecision(2)}`;

export function formatCostTable(t: CostTable): string {
  const m = t.model;
  const header = ['mode', 'txn size', 'throughput/s', '', 'produce p50 ms', '', 'p99', '', 'end-to-end p50 ms', '', 'p99', ''];
  const rows = t.rows.map((r) => [
    r.mode, r.transactionSize === null ? '-' : num(r.transactionSize),
    num(r.throughputPerS), times(r.relative.throughput),
    num(r.produceLatencyMs.p50, 1) + (r.keepsUp ? '' : '*'), times(r.relative.produceP50),
    num(r.produceLatencyMs.p99, 1), times(r.relative.produceP99),
    num(r.endToEndLatencyMs.p50, 1), times(r.relative.endToEndP50),
    num(r.endToEndLatencyMs.p99, 1), times(r.relative.endToEndP99),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const out = [
    `eos-sim costs  ${num(t.payments)} payments per run · seed ${t.seed} · latency runs paced ${t.pacingMs} ms apart`,
    `  cost model: ${m.brokerRequestUs} µs per broker request, ${m.brokerRecordUs} µs per record, ${m.markerWriteUs} µs per marker, `
      + `fsync ${m.fsyncEveryWrite ? `${m.fsyncUs} µs on every log write` : 'off (page cache + replication)'}, `
      + `network ${t.network.latencyUsMin}–${t.network.latencyUsMean} µs (min–mean)`,
    '',
    line(header),
    ...rows.map(line),
    '',
    'Ratios are to at-least-once. Throughput: payments acknowledged per virtual second when offered faster than served.',
    'Latency: from a payment\'s arrival (a transaction\'s payments arrive while it fills) to its acknowledgement (produce)',
    'and to its first read by the consumer (end-to-end; read_committed in exactly-once).',
  ];
  if (t.rows.some((r) => !r.keepsUp)) {
    out.push(`* cannot keep up with a payment every ${t.pacingMs} ms: payments queue in front of the producer, and that wait is not in the figure.`);
  }
  return `${out.join('\n')}\n`;
}
