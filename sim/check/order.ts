// Per-partition order of one producer's sends (Jepsen: nonmonotonic-send). Kafka promises it only with
// enable.idempotence (sequence numbers reject a reordered batch) or max.in.flight.requests=1 (no second
// batch to overtake a retried one); with neither, a retry may legally land behind a later batch.
import { makeAnomaly, opRef } from './anomaly.ts';
import type { Anomaly } from './anomaly.ts';
import { firstPos } from './index.ts';
import type { HistoryIndex, Write } from './index.ts';

/**
 * Where a write landed: the value's first offset in the final log (a duplicate copy appended by a broken
 * retry is the duplicate family's business, not a reordering), else the acknowledged offset. Only values
 * the history sent once to the key are placed: an application-level resend cannot be told apart from
 * the original attempt.
 */
function landedAt(ix: HistoryIndex, w: Write): number | null {
  let sends = 0;
  const { start, items } = ix.writesOf;
  for (let k = start[w.vid]; k < start[w.vid + 1]; k++) if (ix.writes.kid(items[k]) === w.kid) sends++;
  if (sends !== 1) return null;
  const view = ix.logs.get(w.key);
  if (view === undefined) return w.offset;
  let first = -1;
  view.eachRecordOf(w.vid, (i) => { first = i; return true; });
  return first < 0 ? null : view.log.offset(first);
}

export function findOrderViolations(ix: HistoryIndex): Anomaly[] {
  if (!ix.ordered) return [];
  const out: Anomaly[] = [];
  // Per process id, per key id: the acknowledged send that landed furthest so far (an index into
  // ix.writes, -1 for none) and where it landed. A crash ends the producer session, and order is promised
  // only within one session.
  const furthest: ({ write: Int32Array; offset: Float64Array } | undefined)[] = [];
  const { writes } = ix;
  let next = 0;
  for (let p = 0; p < ix.ops.length; p++) {
    if (ix.ops.f(p) === 'crash') furthest[ix.ops.proc(p)] = undefined;
    // Writes are in the order of their operation's first line, and in micro-op order within one.
    for (; next < writes.length && writes.firstPos(next) === p; next++) {
      if (writes.type(next) !== 'ok') continue;
      const w = writes.at(next);
      const offset = landedAt(ix, w);
      if (offset === null) continue;
      let byKey = furthest[w.proc];
      if (byKey === undefined) furthest[w.proc] = byKey = { write: new Int32Array(ix.keys.length).fill(-1), offset: new Float64Array(ix.keys.length) };
      const b = byKey.write[w.kid];
      const beforeOffset = byKey.offset[w.kid];
      if (b < 0 || offset > beforeOffset) {
        byKey.write[w.kid] = next;
        byKey.offset[w.kid] = offset;
      } else if (offset < beforeOffset) {
        const before = writes.at(b);
        const message = `${w.process} sent ${w.value} (${opRef(ix, firstPos(w))}) after ${before.value} `
          + `(${opRef(ix, firstPos(before))}) but it landed at offset ${offset} of ${w.key}, before offset ${beforeOffset}.`;
        out.push(makeAnomaly(ix, 'order-violation', message, {
          values: [before.value, w.value], key: w.key, offsets: [beforeOffset, offset], process: w.process,
          positions: [before.invoke, before.done, w.invoke, w.done],
        }));
      }
    }
  }
  return out;
}
