// Zombie fencing. A new producer instance with the same transactional.id bumps the producer epoch
// (InitProducerId); from then on the partition leaders reject the old epoch (INVALID_PRODUCER_EPOCH /
// PRODUCER_FENCED) and the coordinator refuses its EndTxn. A zombie is the old instance still running
// after that (a GC stall, a partitioned client). Its writes must not take effect.
import { makeAnomaly, opRef } from './anomaly.ts';
import type { Anomaly } from './anomaly.ts';
import { firstPos, sendPositions } from './index.ts';
import type { HistoryIndex } from './index.ts';

/**
 * In one partition's log, data of epoch e of a producer id standing after data of a higher epoch of the
 * same id: the leader had seen the newer epoch and still appended the old one. Aborted records took no
 * effect on either side and are left out.
 */
function findFencedEpochsInLogs(ix: HistoryIndex): Anomaly[] {
  const out: Anomaly[] = [];
  for (const [key, { log }] of ix.logs) {
    // Per producer id, its newest epoch so far and the first of its records (an index into the log).
    const newest = new Map<number, { epoch: number; record: number }>();
    for (let i = 0; i < log.length; i++) {
      const pid = log.pid(i);
      const epoch = log.epoch(i);
      if (pid === null || epoch === null || log.aborted(i)) continue;
      const newer = newest.get(pid);
      if (newer === undefined || epoch > newer.epoch) {
        newest.set(pid, { epoch, record: i });
      } else if (epoch < newer.epoch) {
        const offset = log.offset(i);
        const value = log.value(i);
        const seen = { epoch: newer.epoch, offset: log.offset(newer.record), value: log.value(newer.record) };
        const message = `${key} offset ${offset} holds ${value} of producer id ${pid} epoch ${epoch}, `
          + `after ${seen.value} of the newer epoch ${seen.epoch} at offset ${seen.offset}.`;
        out.push(makeAnomaly(ix, 'zombie-write', message, {
          value, values: [seen.value, value], key, offsets: [seen.offset, offset], pid, epoch, epochs: [epoch, seen.epoch],
          seq: log.seq(i) ?? undefined, positions: [...sendPositions(ix, key, value), ...sendPositions(ix, key, seen.value)],
        }));
      }
    }
  }
  return out;
}

/**
 * A transaction begun by a process that had already been told it was fenced (and had not restarted
 * since), or that failed with a fencing error itself, which nevertheless committed: its completion is ok,
 * or the final log holds its own records as committed. An `info` transaction told PRODUCER_FENCED only at
 * its own end proves nothing: its commit may have gone through before the fence (the retried EndTxn then
 * meets the new epoch).
 * The epochs are named when the final log shows them.
 */
function findFencedTransactionsThatCommitted(ix: HistoryIndex): Anomaly[] {
  const out: Anomaly[] = [];
  // Only a transaction of a fenced process can be reported: without one, the logs need not be read.
  if (!ix.fencedAt.some((at) => at >= 0)) return out;
  const newestEpoch = new Map<number, number>();
  for (const { log } of ix.logs.values()) {
    for (let i = 0; i < log.length; i++) {
      const pid = log.pid(i);
      const epoch = log.epoch(i);
      if (pid !== null && epoch !== null) newestEpoch.set(pid, Math.max(newestEpoch.get(pid) ?? epoch, epoch));
    }
  }
  ix.txns.forEach((t, i) => {
    const fencedAt = ix.fencedAt[i];
    // Told only at its own end: a definite `fail` that committed anyway counts; an unknown (`info`) does not.
    if (fencedAt < 0 || (fencedAt >= t.invoke && t.type !== 'fail')) return;
    const committed = ix.ownRecords[i].find((r) => r.record[2].txn === 'committed');
    if (t.type !== 'ok' && committed === undefined) return;
    const { pid, epoch } = committed?.record[2] ?? { pid: null, epoch: null };
    const newer = pid === null ? undefined : newestEpoch.get(pid);
    const epochs = epoch !== null && newer !== undefined && newer > epoch ? [epoch, newer] : undefined;
    const effect = committed === undefined
      ? 'its completion is ok'
      : `${committed.record[1]} is committed at ${committed.key} offset ${committed.record[0]}`;
    const fence = `${ix.ops.error(fencedAt)} in ${opRef(ix, fencedAt)}`;
    const epochText = epochs === undefined ? '' : ` (epoch ${epochs[0]}, fenced by epoch ${epochs[1]})`;
    out.push(makeAnomaly(ix, 'zombie-write', `${t.process}'s transaction ${opRef(ix, firstPos(t))} took effect after ${fence}: ${effect}${epochText}.`, {
      value: committed?.record[1], key: committed?.key, offsets: committed === undefined ? undefined : [committed.record[0]],
      process: t.process, pid: pid ?? undefined, epoch: epoch ?? undefined, epochs,
      positions: [fencedAt, t.invoke, t.done],
    }));
  });
  return out;
}

export function findZombieWrites(ix: HistoryIndex): Anomaly[] {
  return [...findFencedEpochsInLogs(ix), ...findFencedTransactionsThatCommitted(ix)];
}
