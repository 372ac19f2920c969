// Transactions: what read_committed readers may see, and all-or-nothing. Kafka writes a transaction's
// records into the log as they are sent and decides them later with COMMIT/ABORT markers; a read_committed
// fetch stops at the last stable offset (LSO) and filters aborted records using the aborted-transaction
// index. So the final log shows each record's outcome, and its LSO shows what was still undecided.
import { listed, makeAnomaly, opRef } from './anomaly.ts';
import type { Anomaly } from './anomaly.ts';
import type { Key } from './history.ts';
import type { RecordMeta } from './history.ts';
import { firstPos, sendPositions } from './index.ts';
import type { HistoryIndex, Read, Write } from './index.ts';

/** The final-log record a read returned (its key's final log holds its value at its offset), or undefined. */
function recordRead(ix: HistoryIndex, r: Read): RecordMeta | undefined {
  const view = ix.logOf[r.kid];
  const i = view === undefined ? -1 : view.holding(r.offset, r.vid);
  return i < 0 ? undefined : view!.log.meta(i);
}

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
 * Adya's G1a (Jepsen: G1a): a read_committed poll returned data that certainly never committed. Proven when
 * the final log holds the value at that offset marked aborted; or, where the final log does not hold it
 * there, when every send of the value to that key failed (`fail`: a plain send certainly not written, a
 * transaction certainly aborted), or a failed send was acknowledged at the very offset read and no other
 * send of the value claims it. An application may send a value again after a failure (eos-sim's workloads
 * do): a read of the resent copy is no anomaly, so a value that was also sent by an operation that did not
 * fail is only condemned by the offset (or the final log's record) that pins the read to the failed copy.
 */
export function findAbortedReads(ix: HistoryIndex): Anomaly[] {
  return eachReadRecord(ix, (r) => {
    const meta = recordRead(ix, r);
    let why: string;
    let proving: number[] = [];
    if (meta?.txn === 'aborted') {
      why = 'which the final log marks aborted';
    } else {
      const sends = Array.from(ix.writesOf.of(r.vid), (w) => ix.writes.at(w)).filter((w) => w.kid === r.kid);
      const failed = sends.filter((w) => w.type === 'fail');
      if (failed.length === 0) return undefined;
      const others = sends.filter((w) => w.type !== 'fail');
      const failedHere = failed.filter((w) => w.offset === r.offset);
      const kind = (w: Write) => (w.txn >= 0 ? 'transaction' : 'send');
      if (others.length === 0) {
        why = `but every ${failed.every((w) => w.txn >= 0) ? 'transaction' : 'operation'} that sent it failed (${listed(failed.map((w) => opRef(ix, w.done)))})`;
        proving = failed.map((w) => w.done);
      } else if (meta === undefined && failedHere.length > 0 && !others.some((w) => w.offset === r.offset)) {
        why = `the copy the failed ${kind(failedHere[0])} ${opRef(ix, failedHere[0].done)} was acknowledged at`;
        proving = [failedHere[0].done];
      } else {
        return undefined;
      }
    }
    return makeAnomaly(ix, 'aborted-read', `${r.process} (read_committed) read ${r.value} at ${r.key} offset ${r.offset} in ${opRef(ix, r.pos)}, ${why}.`, {
      value: r.value, key: r.key, offsets: [r.offset], process: r.process, pid: meta?.pid ?? undefined,
      epoch: meta?.epoch ?? undefined, positions: [r.pos, ...proving, ...sendPositions(ix, r.key, r.value)],
    });
  });
}

/**
 * The transaction whose write a read returned: the one acknowledged at that offset, else the only
 * transaction that sent the value to that key; -1 when the history cannot pin it.
 */
function writerTxn(ix: HistoryIndex, r: Read): number {
  let only = -1;
  let count = 0;
  for (const wi of ix.writesOf.of(r.vid)) {
    const w = ix.writes.at(wi);
    if (w.key !== r.key) continue;
    if (w.offset === r.offset && w.txn >= 0) return w.txn;
    count++;
    only = w.txn;
  }
  return count === 1 ? only : -1;
}

/**
 * Uncommitted read by real time: a read_committed poll returned a transaction's write before that
 * transaction's commit was even requested (the `commit` time of its lines; Jepsen's precommitted-read is
 * the case of a transaction reading its own write). The transaction may have committed later: the read
 * still saw data that was not yet committed. A failed transaction's data is an aborted-read instead.
 */
function readBeforeCommit(ix: HistoryIndex, r: Read): Anomaly | undefined {
  const t = writerTxn(ix, r);
  if (t < 0) return undefined;
  const txn = ix.txns[t];
  if (txn.type === 'fail') return undefined;
  const ownRead = r.pos === txn.done || r.pos === txn.invoke;
  const readAt = ix.ops.timeOf(r.pos);
  if (!ownRead && !(txn.commitAt >= 0 && readAt < txn.commitAt)) return undefined;
  const when = ownRead
    ? `inside ${txn.process}'s transaction ${opRef(ix, firstPos(txn))} that wrote it, before it committed`
    : `at ${readAt} µs, before ${txn.process} requested the commit of its transaction ${opRef(ix, firstPos(txn))} at ${txn.commitAt} µs`;
  return makeAnomaly(ix, 'uncommitted-read', `${r.process} (read_committed) read ${r.value} at ${r.key} offset ${r.offset} in ${opRef(ix, r.pos)} ${when}.`, {
    value: r.value, key: r.key, offsets: [r.offset], process: r.process, positions: [r.pos, txn.invoke, txn.done],
  });
}

/**
 * Two proofs that a read_committed poll read uncommitted data. By real time: it returned a transaction's
 * write before the commit was requested (readBeforeCommit). By the final log: it returned a record at or
 * past the final LSO. The LSO never moves back (a new transaction starts at the high watermark, above
 * every stable offset), so that record was past the LSO when it was read too: the reader read into data
 * whose transaction is undecided even at the end. Records the final log marks aborted are aborted reads.
 */
export function findUncommittedReads(ix: HistoryIndex): Anomaly[] {
  return eachReadRecord(ix, (r) => {
    const meta = recordRead(ix, r);
    if (meta?.txn === 'aborted') return undefined;
    const early = readBeforeCommit(ix, r);
    if (early !== undefined) return early;
    const log = ix.logs.get(r.key)?.log;
    if (meta === undefined || log === undefined || r.offset < log.lso) return undefined;
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
      const [v, m] = [ix.writes.at(visible), ix.writes.at(missing)];
      report(`${name} committed, but only part of it is visible: ${v.value} in ${v.key} is, ${m.value} in ${m.key} is not.`,
        [v.value, m.value], v.key, v.offset === null ? undefined : [v.offset]);
    }
  });
  return out;
}
