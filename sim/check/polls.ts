// A consumer's position per partition (Jepsen: nonmonotonic-poll, poll-skip). Between two resets a
// consumer's fetch position only moves forward one visible record at a time. A reset may legally move it
// anywhere, typically back to the committed offsets: an assign or subscribe (a rebalance: Kafka's
// subscribe, like assign, replaces the consumer's partitions), a crash (restart), or a
// transaction of the process that did not commit (a consume-transform-produce application seeks back to
// its committed offsets after an abort, to process the same input again).
import { makeAnomaly, opRef } from './anomaly.ts';
import type { Anomaly } from './anomaly.ts';
import type { Key } from './history.ts';
import { sendPositions } from './index.ts';
import type { HistoryIndex, Read } from './index.ts';
import { lowerBound } from './tables.ts';



export function findPollAnomalies(ix: HistoryIndex): Anomaly[] {
  const out: Anomaly[] = [];
  const { reads } = ix;
  // Per process id, per key id: the process's last read of the key (an index into ix.reads), -1 for none.
  const last: (Int32Array | undefined)[] = [];
  // Per key id: the position in its version order after the last read's offset. Reads of a key mostly
  // come in offset order, so the next read's offset is usually there, found without a search.
  const orderNext = new Int32Array(ix.keys.length);
  let next = 0;
  for (let p = 0; p < ix.ops.length; p++) {
    const f = ix.ops.f(p);
    const type = ix.ops.type(p);
    // Any line of an assign, subscribe or crash resets, and so does the end of a transaction that did not
    // commit; resetting early or twice only forgives more.
    const abandoned = f === 'txn' && (type === 'fail' || type === 'info');
    if (f === 'assign' || f === 'subscribe' || f === 'crash' || abandoned) last[ix.ops.proc(p)] = undefined;
    for (; next < reads.length && reads.pos(next) === p; next++) {
      const proc = reads.proc(next);
      const kid = reads.kid(next);
      let byKey = last[proc];
      if (byKey === undefined) last[proc] = byKey = new Int32Array(ix.keys.length).fill(-1);
      const b = byKey[kid];
      byKey[kid] = next;
      if (b < 0) continue;
      const offset = reads.offset(next);
      const beforeOffset = reads.offset(b);
      if (offset <= beforeOffset) {
        const [r, before] = [reads.at(next), reads.at(b)];
        const message = `${r.process} read ${r.key} offset ${r.offset} (${opRef(ix, r.pos)}) after offset ${before.offset} `
          + `(${opRef(ix, before.pos)}) with no assign, subscribe, crash or aborted transaction in between.`;
        out.push(makeAnomaly(ix, 'nonmonotonic-poll', message, { ...facts(r, before), value: r.value, positions: [before.pos, r.pos] }));
        continue;
      }
      // The records the reader must have passed through between the two offsets: [from, to) of `order`.
      const order = ix.versionOrder[kid];
      if (order === undefined) continue;
      const { offsets } = order;
      const hint = orderNext[kid];
      const to = hint < offsets.length && offsets[hint] === offset ? hint : lowerBound(offsets, offset);
      orderNext[kid] = to + 1;
      // Nothing between: the record before `to` is at or before the previous read's offset.
      if (to === 0 || offsets[to - 1] <= beforeOffset) continue;
      const from = lowerBound(offsets, beforeOffset + 1);
      const [r, before] = [reads.at(next), reads.at(b)];
      const skipped = ix.value(order.vids[from]);
      const message = `${r.process} jumped from ${r.key} offset ${before.offset} (${opRef(ix, before.pos)}) to ${r.offset} `
        + `(${opRef(ix, r.pos)}), skipping ${to - from} record(s) from ${skipped} at offset ${order.offsets[from]}.`;
      out.push(makeAnomaly(ix, 'poll-skip', message, {
        ...facts(r, before), value: skipped,
        positions: [before.pos, r.pos, ...sendPositions(ix, r.key, skipped, 1)],
      }));
    }
  }
  return out;
}

/** What both anomalies state about a read and the process's read of the key before it. */
function facts(r: Read, before: Read): { key: Key; offsets: number[]; process: string } {
  return { key: r.key, offsets: [before.offset, r.offset], process: r.process };
}
