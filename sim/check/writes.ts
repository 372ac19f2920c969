// What became of each write: lost (acknowledged or committed, not readable), duplicated (one value at two
// offsets) or contradicted (two values claimed for one offset). Jepsen's queue checker has the same three.
import { listed, makeAnomaly, opRef } from './anomaly.ts';
import type { Anomaly } from './anomaly.ts';
import type { Key } from './history.ts';
import { sendPositions } from './index.ts';
import type { HistoryIndex } from './index.ts';

export function findLostWrites(ix: HistoryIndex): Anomaly[] {
  const out: Anomaly[] = [];
  // A value resent by the application is one payment: report it once per key.
  const reported = new Set<string>();
  for (let i = 0; i < ix.writes.length; i++) {
    if (ix.committed[i] !== 1 || ix.presence[i] !== 'absent') continue;
    const w = ix.writes.at(i);
    const kv = `${w.key}\u0000${w.value}`;
    if (reported.has(kv)) continue;
    reported.add(kv);
    const how = w.txn >= 0
      ? `send of ${w.value}, committed in the transaction of ${opRef(ix, w.done >= 0 ? w.done : w.invoke)},`
      : w.type === 'ok' ? `acknowledged send of ${w.value}` : `unacknowledged (info) send of ${w.value}, which a poll read,`;
    const at = w.offset === null ? '' : ` at offset ${w.offset}`;
    const view = ix.logs.get(w.key);
    const why = view === undefined
      ? `was never read although ${opRef(ix, ix.passedBy[i])} read past it`
      : view.recordsOf(w.vid).length > 0 ? 'is in the final log only as aborted records' : 'is not in the final log';
    out.push(makeAnomaly(ix, 'lost-write', `${w.process}'s ${how} to ${w.key}${at} ${why}.`, {
      value: w.value, key: w.key, offsets: w.offset === null ? undefined : [w.offset], process: w.process,
      positions: [w.invoke, w.done, ix.passedBy[i]],
    }));
  }
  return out;
}

interface Position { key: Key; offset: number; pos: number }

/**
 * Where each value stands: its final-log records that are not aborted (an aborted copy followed by a
 * committed retry is exactly-once working), plus offsets polls read it at that the final log does not
 * show as an aborted copy of it, plus, for a key without a final log, the offsets committed writes were
 * acknowledged at. `pos` is the first poll or acknowledgement that shows it there, -1 when none did.
 * Only values that stand at two or more places are returned, by value id: most values stand at one,
 * kept in three arrays indexed by value id rather than as objects.
 */
function duplicatedValues(ix: HistoryIndex): Map<number, Position[]> {
  const values = ix.valueCount;
  // The one place each value stands so far: key id (-1: none yet), offset and position.
  const firstKid = new Int32Array(values).fill(-1);
  const firstOffset = new Float64Array(values);
  const firstPos = new Int32Array(values);
  const multi = new Map<number, Position[]>();
  // 1 for a value of `multi` (most values never are: no lookup for them).
  const inMulti = new Uint8Array(values);
  const add = (vid: number, kid: number, offset: number, pos: number) => {
    if (firstKid[vid] < 0) {
      firstKid[vid] = kid;
      firstOffset[vid] = offset;
      firstPos[vid] = pos;
      return;
    }
    if (inMulti[vid] === 0) {
      if (firstKid[vid] === kid && firstOffset[vid] === offset) {
        if (firstPos[vid] < 0) firstPos[vid] = pos;
        return;
      }
      inMulti[vid] = 1;
      multi.set(vid, [{ key: ix.keys[firstKid[vid]], offset: firstOffset[vid], pos: firstPos[vid] }]);
    }
    const key = ix.keys[kid];
    const list = multi.get(vid)!;
    const same = list.find((p) => p.key === key && p.offset === offset);
    if (same === undefined) list.push({ key, offset, pos });
    else if (same.pos < 0) same.pos = pos;
  };
  for (const [key, view] of ix.logs) {
    const kid = ix.keyId(key);
    const { log } = view;
    for (let i = 0; i < log.length; i++) if (!log.aborted(i)) add(log.vid(i), kid, log.offset(i), -1);
  }
  const { reads, writes } = ix;
  for (let i = 0; i < reads.length; i++) {
    const kid = reads.kid(i);
    const vid = reads.vid(i);
    const offset = reads.offset(i);
    const view = ix.logOf[kid];
    const held = view === undefined ? -1 : view.holding(offset, vid);
    if (held < 0 || !view!.log.aborted(held)) add(vid, kid, offset, reads.pos(i));
  }
  // Without a final log, a committed write's acknowledged offset is a place the value stood (Jepsen builds
  // its version order from them too); with one, the log is the account of what stands.
  for (let i = 0; i < writes.length; i++) {
    const offset = writes.offset(i);
    if (offset >= 0 && ix.committed[i] === 1 && ix.logOf[writes.kid(i)] === undefined) add(writes.vid(i), writes.kid(i), offset, writes.done(i));
  }
  return multi;
}

export function findDuplicates(ix: HistoryIndex): Anomaly[] {
  const out: Anomaly[] = [];
  for (const [vid, positions] of duplicatedValues(ix)) {
    const value = ix.value(vid);
    positions.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.offset - b.offset));
    const key = positions[0].key;
    const where = positions.every((p) => p.key === key)
      ? `offsets ${listed(positions.map((p) => p.offset))} of ${key}`
      : listed(positions.map((p) => `${p.key} offset ${p.offset}`));
    const sends = ix.writesOf.of(vid).length;
    const sent = `sent ${sends} time${sends === 1 ? '' : 's'}`;
    out.push(makeAnomaly(ix, 'duplicate', `${value} (${sent}) stands at ${where}.`, {
      value, key, offsets: positions.filter((p) => p.key === key).map((p) => p.offset),
      positions: [...positions.map((p) => p.pos), ...sendPositions(ix, key, value, 3)],
    }));
  }
  return out;
}

/** Who claims a value stands at an offset: the final log (pos -1), a send's acknowledgement or a poll. */
interface Claim { vid: number; pos: number; source: 'log' | 'ack' | 'poll' }

function claimant(ix: HistoryIndex, c: Claim): string {
  return c.source === 'log' ? 'the final log' : `the ${c.source === 'ack' ? 'acknowledgement' : 'poll'} in ${opRef(ix, c.pos)}`;
}

export function findInconsistentOffsets(ix: HistoryIndex): Anomaly[] {
  const out: Anomaly[] = [];
  // The final log's records are the first claims of their offsets (read from its index, not copied);
  // other claims are kept per key for offsets the final log does not hold.
  // By key id, then offset.
  const claims = new Map<number, Map<number, Claim>>();
  const reported = new Set<string>();
  const conflict = (kid: number, offset: number, first: Claim, c: Claim) => {
    const key = ix.keys[kid];
    const ko = `${key}\u0000${offset}`;
    if (reported.has(ko)) return;
    reported.add(ko);
    const [value, other] = [ix.value(first.vid), ix.value(c.vid)];
    const message = `${key} offset ${offset} holds ${value} according to ${claimant(ix, first)} but ${other} according to ${claimant(ix, c)}.`;
    out.push(makeAnomaly(ix, 'inconsistent-offsets', message, {
      values: [value, other], key, offsets: [offset], positions: [first.pos, c.pos],
    }));
  };
  const claim = (kid: number, offset: number, vid: number, pos: number, source: Claim['source']) => {
    const view = ix.logOf[kid];
    const i = view === undefined ? -1 : view.indexAt(offset);
    if (i >= 0) {
      const held = view!.log.vid(i);
      if (held !== vid) conflict(kid, offset, { vid: held, pos: -1, source: 'log' }, { vid, pos, source });
      return;
    }
    let byOffset = claims.get(kid);
    if (byOffset === undefined) claims.set(kid, (byOffset = new Map()));
    const first = byOffset.get(offset);
    if (first === undefined) byOffset.set(offset, { vid, pos, source });
    else if (first.vid !== vid) conflict(kid, offset, first, { vid, pos, source });
  };
  // Only a write known to have taken effect claims its offset (Jepsen: only sends that must have committed
  // enter the version order): an unacknowledged write's offset may have been truncated and reused.
  const { reads, writes } = ix;
  for (let i = 0; i < writes.length; i++) {
    const offset = writes.offset(i);
    if (offset >= 0 && ix.committed[i] === 1) claim(writes.kid(i), offset, writes.vid(i), writes.done(i), 'ack');
  }
  for (let i = 0; i < reads.length; i++) claim(reads.kid(i), reads.offset(i), reads.vid(i), reads.pos(i), 'poll');
  return out;
}
