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
import type { HistoryIndex, Read, VersionOrder } from './index.ts';
import { lowerBound } from './tables.ts';


/** The records a reader must have passed through between two offsets it read, as [from, to) into `order`. */
function between(order: VersionOrder | undefined, after: number, before: number): [number, number] {
  if (order === undefined) return [0, 0];
  return [lowerBound(order.offsets, after + 1), lowerBound(order.offsets, before)];
}

export function findPollAnomalies(ix: HistoryIndex): Anomaly[] {
  const out: Anomaly[] = [];
  const last = new Map<string, Map<Key, Read>>();
  let next = 0;
  for (let p = 0; p < ix.ops.length; p++) {
    const f = ix.ops.f(p);
    const type = ix.ops.type(p);
    // Any line of an assign, subscribe or crash resets, and so does the end of a transaction that did not
    // commit; resetting early or twice only forgives more.
    const abandoned = f === 'txn' && (type === 'fail' || type === 'info');
    if (f === 'assign' || f === 'subscribe' || f === 'crash' || abandoned) last.delete(ix.ops.process(p));
    for (; next < ix.reads.length && ix.reads.pos(next) === p; next++) {
      const r = ix.reads.at(next);
      let byKey = last.get(r.process);
      if (byKey === undefined) last.set(r.process, (byKey = new Map()));
      const before = byKey.get(r.key);
      byKey.set(r.key, r);
      if (before === undefined) continue;
      const facts = { key: r.key, offsets: [before.offset, r.offset], process: r.process };
      if (r.offset <= before.offset) {
        const message = `${r.process} read ${r.key} offset ${r.offset} (${opRef(ix, r.pos)}) after offset ${before.offset} `
          + `(${opRef(ix, before.pos)}) with no assign, subscribe, crash or aborted transaction in between.`;
        out.push(makeAnomaly(ix, 'nonmonotonic-poll', message, { ...facts, value: r.value, positions: [before.pos, r.pos] }));
        continue;
      }
      const order = ix.versionOrder.get(r.key);
      const [from, to] = between(order, before.offset, r.offset);
      if (from >= to) continue;
      const skipped = order!.values[from];
      const message = `${r.process} jumped from ${r.key} offset ${before.offset} (${opRef(ix, before.pos)}) to ${r.offset} `
        + `(${opRef(ix, r.pos)}), skipping ${to - from} record(s) from ${skipped} at offset ${order!.offsets[from]}.`;
      out.push(makeAnomaly(ix, 'poll-skip', message, {
        ...facts, value: skipped,
        positions: [before.pos, r.pos, ...sendPositions(ix, r.key, skipped, 1)],
      }));
    }
  }
  return out;
}
