// What a run cost, read from its history alone: when each payment arrived at the producing application,
// when the producer learnt it was written (the ok completion: for a transaction, the commit), and when a
// consumer first read it. A plain send is invoked as its payment arrives. A transaction of S payments is
// invoked once the application has gathered them, one every `arrivalIntervalMs` on average: its j-th
// payment (of S) arrived (S - 1 - j) intervals before the invoke, and waiting for the transaction to fill
// is part of its latency. Throughput counts the acknowledgements after the first one over their span, so
// the warm-up before the first write does not count.
import type { History, Mop } from '../check/history.ts';

export interface RunCost {
  /** Payments acknowledged per second of virtual time, from the first send to the last acknowledgement. */
  throughputPerS: number;
  produceLatencyMs: { p50: number; p99: number };
  endToEndLatencyMs: { p50: number; p99: number };
  payments: number;
}

/** The q-quantile (nearest rank) of ascending values; 0 for none. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const ascending = (a: number, b: number) => a - b;

export function runCost(history: History, arrivalIntervalMs: number): RunCost {
  const sent = new Map<string, number>();
  const acked = new Map<string, number>();
  const consumed = new Map<string, number>();
  for (const op of history.ops) {
    if ((op.f === 'send' || op.f === 'txn') && op.value !== null) {
      const sends = (op.value as Mop[]).filter((m) => m[0] === 'send');
      sends.forEach((m, j) => {
        const value = typeof m[2] === 'string' ? m[2] : m[2][1];
        const gathering = op.f === 'txn' ? (sends.length - 1 - j) * arrivalIntervalMs * 1000 : 0;
        if (op.type === 'invoke' && !sent.has(value)) sent.set(value, op.time - gathering);
        if (op.type === 'ok' && !acked.has(value)) acked.set(value, op.time);
      });
    } else if (op.f === 'poll' && op.type === 'ok' && op.process.startsWith('consumer-') && op.value !== null) {
      for (const m of op.value as Mop[]) {
        if (m[0] !== 'poll' || m[1] === undefined) continue;
        for (const records of Object.values(m[1])) for (const [, value] of records) if (!consumed.has(value)) consumed.set(value, op.time);
      }
    }
  }
  const produce: number[] = [];
  const endToEnd: number[] = [];
  const ackTimes: number[] = [];
  // Latency is a steady-state figure: payments that arrived before the first write was acknowledged and
  // the consumer had read anything waited for the cluster and the group to form, not for the guarantee.
  const readyUs = Math.max(Math.min(...acked.values()), Math.min(...consumed.values()));
  for (const [value, at] of acked) {
    const from = sent.get(value);
    if (from === undefined) continue;
    ackTimes.push(at);
    if (from < readyUs) continue;
    produce.push((at - from) / 1000);
    const read = consumed.get(value);
    if (read !== undefined) endToEnd.push((read - from) / 1000);
  }
  produce.sort(ascending);
  endToEnd.sort(ascending);
  ackTimes.sort(ascending);
  const firstAck = ackTimes[0] ?? 0;
  const spanS = ((ackTimes[ackTimes.length - 1] ?? 0) - firstAck) / 1e6;
  const afterFirst = ackTimes.filter((t) => t > firstAck).length;
  return {
    throughputPerS: spanS > 0 ? afterFirst / spanS : 0,
    produceLatencyMs: { p50: quantile(produce, 0.5), p99: quantile(produce, 0.99) },
    endToEndLatencyMs: { p50: quantile(endToEnd, 0.5), p99: quantile(endToEnd, 0.99) },
    payments: ackTimes.length,
  };
}
