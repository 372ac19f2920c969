// Transactions: what read_committed readers may see, and all-or-nothing. Kafka writes a transaction's
// records into the log as they are sent and decides them later with COMMIT/ABORT markers; a read_committed
// fetch stops at the last stable offset (LSO) and filters aborted records using the aborted-transaction
// index. So the final log shows each record's outcome, and its LSO shows what was still undecided.
import { listed, makeAnomaly, opRef } from './anomaly.ts';
import type { Anomaly } from './anomaly.ts';
import type { Key } from './history.ts';
import { firstPos, isAborted, recordHolding, sendPositions } from './index.ts';
import type { HistoryIndex, Read } from './index.ts';

/** Reports the first read of each (key, offset) that `judge` condemns: one record, one anomaly. */
function eachReadRecord(ix: HistoryIndex, judge: (r: Read) => Anomaly | undefined): Anomaly[] {
  const out: Anomaly[] = [];
  if (!ix.readCommitted) return out;
  const reported = new Set<string>();
  for (const r of ix.reads) {
    const ko = `${r.key}\u0000${r.offset}`;
    if (reported.has(ko)) continue;
    const a = judge(r);
    if (a === undefined) continue;
    reported.add(ko);
    out.push(a);
  }
  return out;
}

/**
 * Adya's G1a: a read_committed poll returned a record the final log marks aborted, or a value every
 * transaction that sent it failed (fail means it certainly never committed).
 */
export function findAbortedReads(ix: HistoryIndex): Anomaly[] {
  return eachReadRecord(ix, (r) => {
    const meta = recordHolding(ix, r.key, r.offset, r.value);
    let why: string;
    if (meta !== undefined && isAborted(meta)) {
      why = 'which the final log marks aborted';
    } else {
      const sends = (ix.writesOf.get(r.value) ?? []).map((w) => ix.writes[w]).filter((w) => w.key === r.key);
      if (sends.length === 0 || !sends.every((w) => w.txn >= 0 && w.type === 'fail')) return undefined;
      why = `but every transaction that sent it failed (${listed(sends.map((w) => opRef(ix, w.done)))})`;
    }
    return makeAnomaly(ix, 'aborted-read', `${r.process} (read_committed) read ${r.value} at ${r.key} offset ${r.offset} in ${opRef(ix, r.pos)}, ${why}.`, {
      value: r.value, key: r.key, offsets: [r.offset], process: r.process, pid: meta?.pid ?? undefined,
      epoch: meta?.epoch ?? undefined, positions: [r.pos, ...sendPositions(ix, r.key, r.value)],
    });
  });
}

/**
 * A read_committed poll returned a record at or past the final LSO. The LSO never moves back (a new
 * transaction starts at the high watermark, above every stable offset), so that record was past the
 * LSO when it was read too: the reader read into data whose transaction is undecided even at the end.
 * Records the final log marks aborted are aborted reads instead.
 */
export function findUncommittedReads(ix: HistoryIndex): Anomaly[] {
  return eachReadRecord(ix, (r) => {
    const meta = recordHolding(ix, r.key, r.offset, r.value);
    const log = ix.logs.get(r.key)?.log;
    if (meta === undefined || log === undefined || isAborted(meta) || r.offset < log.lso) return undefined;
    return makeAnomaly(ix, 'uncommitted-read', `${r.process} (read_committed) read ${r.value} at ${r.key} offset ${r.offset} in ${opRef(ix, r.pos)}, `
      + `at or past the last stable offset ${log.lso} that ${r.key} still has at the end.`, {
      value: r.value, key: r.key, offsets: [r.offset], process: r.process, pid: meta.pid ?? undefined,
      epoch: meta.epoch ?? undefined, lso: log.lso, hw: log.hw, positions: [r.pos, ...sendPositions(ix, r.key, r.value)],
    });
  });
}

/**
 * All or nothing, per transaction: its own records (index.ts ownRecords()) carry one outcome; a failed
 * transaction has none committed (unless it was fenced: that is a zombie-write); and a committed one is
 * visible whole or, if lost, lost whole (the lost part is also a lost-write).
 */
export function findBrokenAtomicity(ix: HistoryIndex): Anomaly[] {
  const out: Anomaly[] = [];
  ix.txns.forEach((t, i) => {
    const committed = ix.ownRecords[i].filter((r) => r.record[2].txn === 'committed');
    const aborted = ix.ownRecords[i].filter((r) => r.record[2].txn === 'aborted');
    const name = `${t.process}'s transaction ${opRef(ix, firstPos(t))}`;
    const report = (message: string, values: string[], key: Key, offsets: number[] | undefined) =>
      out.push(makeAnomaly(ix, 'broken-atomicity', message, { values, key, offsets, process: t.process, positions: [t.invoke, t.done] }));
    if (committed.length > 0 && aborted.length > 0) {
      const [c, a] = [committed[0], aborted[0]];
      report(`${name} has ${c.record[1]} committed at ${c.key} offset ${c.record[0]} but ${a.record[1]} aborted at ${a.key} offset ${a.record[0]}.`,
        [c.record[1], a.record[1]], c.key, [c.record[0], a.record[0]]);
    } else if (t.type === 'fail' && ix.fencedAt[i] < 0 && committed.length > 0) {
      const c = committed[0];
      report(`${name} failed, yet ${c.record[1]} is committed at ${c.key} offset ${c.record[0]}.`, [c.record[1]], c.key, [c.record[0]]);
    } else if (ix.txnCommitted[i] === 1) {
      const visible = t.writes.find((w) => ix.presence[w] === 'present');
      const missing = t.writes.find((w) => ix.presence[w] === 'absent');
      if (visible === undefined || missing === undefined) return;
      const [v, m] = [ix.writes[visible], ix.writes[missing]];
      report(`${name} committed, but only part of it is visible: ${v.value} in ${v.key} is, ${m.value} in ${m.key} is not.`,
        [v.value, m.value], v.key, v.offset === null ? undefined : [v.offset]);
    }
  });
  return out;
}
