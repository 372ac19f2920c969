// The checker: one index over the history, then every anomaly family in a fixed order. The result is a
// pure function of the history, so the same history always gives byte-identical result JSON.
import { ANOMALY_KINDS, MAX_REPORTED_PER_KIND } from './anomaly.ts';
import type { Anomaly, AnomalyKind, CheckResult, CheckStats, OutcomeCounts } from './anomaly.ts';
import type { History } from './history.ts';
import { buildIndex } from './index.ts';
import type { HistoryIndex } from './index.ts';
import { findHangingTransactions, findUnquiescedRun } from './liveness.ts';
import { findOrderViolations } from './order.ts';
import { findPaymentAnomalies } from './payments.ts';
import { findPipelineViolations } from './pipeline.ts';
import { findPollAnomalies } from './polls.ts';
import { findSinkAnomalies } from './sinks.ts';
import { findAbortedReads, findBrokenAtomicity, findUncommittedReads } from './transactions.ts';
import { findDuplicates, findInconsistentOffsets, findLostWrites } from './writes.ts';
import { findZombieWrites } from './zombie.ts';

const FAMILIES: readonly ((ix: HistoryIndex) => Anomaly[])[] = [
  findLostWrites,
  findDuplicates,
  findInconsistentOffsets,
  findOrderViolations,
  findPollAnomalies,
  findSinkAnomalies,
  findAbortedReads,
  findUncommittedReads,
  findBrokenAtomicity,
  findZombieWrites,
  findPipelineViolations,
  findHangingTransactions,
  findPaymentAnomalies,
  findUnquiescedRun,
];

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** History order first (anomalies proven by final lines alone last), then key, offset, message. */
function compareAnomalies(a: Anomaly, b: Anomaly): number {
  const [wa, wb] = [a.witness, b.witness];
  const firstLine = (w: typeof wa) => w.opIndexes[0] ?? Number.MAX_SAFE_INTEGER;
  return firstLine(wa) - firstLine(wb)
    || compareText(wa.key ?? '', wb.key ?? '')
    || (wa.offsets?.[0] ?? -1) - (wb.offsets?.[0] ?? -1)
    || compareText(a.message, b.message);
}

function okPolls(ix: HistoryIndex): number {
  let n = 0;
  for (let p = 0; p < ix.ops.length; p++) if (ix.ops.f(p) === 'poll' && ix.ops.type(p) === 'ok') n++;
  return n;
}

function stats(ix: HistoryIndex): CheckStats {
  const sends: OutcomeCounts = { ok: 0, info: 0, fail: 0 };
  const txns: OutcomeCounts = { ok: 0, info: 0, fail: 0 };
  for (let i = 0; i < ix.writes.length; i++) if (ix.writes.txn(i) < 0) sends[ix.writes.type(i)]++;
  for (const t of ix.txns) txns[t.type]++;
  const logs = [...ix.logs.values()];
  return {
    ops: ix.ops.length,
    sends,
    txns,
    polls: okPolls(ix),
    valuesRead: ix.reads.length,
    applies: ix.applies.filter((a) => a.type === 'ok').length,
    finalLogs: logs.length,
    finalRecords: logs.reduce((n, v) => n + v.log.length, 0),
  };
}

export function check(history: History): CheckResult {
  return judge(buildIndex(history));
}

/** Every family over an index (built from a History in memory, or streamed from a file by read.ts). */
export function judge(ix: HistoryIndex): CheckResult {
  const byKind = new Map<AnomalyKind, Anomaly[]>(ANOMALY_KINDS.map((k) => [k, []]));
  for (const family of FAMILIES) for (const a of family(ix)) byKind.get(a.kind)!.push(a);
  const counts = {} as Record<AnomalyKind, number>;
  const anomalies: Anomaly[] = [];
  for (const [kind, found] of byKind) {
    counts[kind] = found.length;
    anomalies.push(...found.sort(compareAnomalies).slice(0, MAX_REPORTED_PER_KIND));
  }
  return { verdict: anomalies.length > 0 ? 'fail' : 'pass', anomalies, counts, stats: stats(ix) };
}
