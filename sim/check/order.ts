// Per-partition order of one producer's sends (Jepsen: nonmonotonic-send). Kafka promises it only with
// enable.idempotence (sequence numbers reject a reordered batch) or max.in.flight.requests=1 (no second
// batch to overtake a retried one); with neither, a retry may legally land behind a later batch.
import { makeAnomaly, opRef } from './anomaly.ts';
import type { Anomaly } from './anomaly.ts';
import { firstPos } from './index.ts';
import type { HistoryIndex } from './index.ts';

/**
 * Where a write landed: the value's first offset in the final log (a duplicate copy appended by a broken
 * retry is the duplicate family's business, not a reordering), else the acknowledged offset. Only values
 * the history sent once to the key are placed: an application-level resend cannot be told apart from
 * the original attempt.
 */
function landedAt(ix: HistoryIndex, w: number): number | null {
  const { writes } = ix;
  const vid = writes.vid(w);
  const kid = writes.kid(w);
  let sends = 0;
  const { start, items } = ix.writesOf;
  for (let k = start[vid]; k < start[vid + 1]; k++) if (writes.kid(items[k]) === kid) sends++;
  if (sends !== 1) return null;
  const view = ix.logOf[kid];
  if (view === undefined) return writes.offset(w) < 0 ? null : writes.offset(w);
  let first = -1;
  view.eachRecordOf(vid, (i) => { first = i; return true; });
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
      const offset = landedAt(ix, next);
      if (offset === null) continue;
      const proc = writes.proc(next);
      const kid = writes.kid(next);
      let byKey = furthest[proc];
      if (byKey === undefined) furthest[proc] = byKey = { write: new Int32Array(ix.keys.length).fill(-1), offset: new Float64Array(ix.keys.length) };
      const b = byKey.write[kid];
      const beforeOffset = byKey.offset[kid];
      if (b < 0 || offset > beforeOffset) {
        byKey.write[kid] = next;
        byKey.offset[kid] = offset;
      } else if (offset < beforeOffset) {
        const [w, before] = [writes.at(next), writes.at(b)];
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
