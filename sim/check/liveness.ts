// Liveness at the end of the run. The run ends once everything has quiesced, so a partition whose last
// stable offset is still below its high watermark holds a transaction nobody will finish: every
// read_committed consumer of it is stuck at the LSO for good (the KIP-890 "hanging transaction", e.g. a
// late produce request that re-opened a transaction after its markers were written).
import { makeAnomaly } from './anomaly.ts';
import type { Anomaly } from './anomaly.ts';
import { sendPositions } from './index.ts';
import type { HistoryIndex } from './index.ts';

export function findHangingTransactions(ix: HistoryIndex): Anomaly[] {
  const out: Anomaly[] = [];
  for (const [key, view] of ix.logs) {
    const { log } = view;
    if (log.lso >= log.hw) continue;
    const first = view.indexAt(log.lso);
    const record = first < 0 ? undefined : log.record(first);
    const meta = record?.[2];
    const opened = record === undefined
      ? ''
      : ` (${record[1]}, producer id ${meta!.pid ?? 'none'} epoch ${meta!.epoch ?? 'none'})`;
    const message = `${key} ends with its last stable offset ${log.lso} below its high watermark ${log.hw}: `
      + `the transaction that wrote offset ${log.lso}${opened} never finished.`;
    out.push(makeAnomaly(ix, 'hanging-transaction', message, {
      value: record?.[1], key, offsets: [log.lso], pid: meta?.pid ?? undefined, epoch: meta?.epoch ?? undefined,
      seq: meta?.seq ?? undefined, lso: log.lso, hw: log.hw,
      positions: record === undefined ? [] : sendPositions(ix, key, record[1]),
    }));
  }
  return out;
}

/**
 * The header says the run ended at its time limit without quiescing (`quiesced: false`): whatever was in
 * flight then never finished. eos-sim's run report replaces this with one that names what was stuck.
 */
export function findUnquiescedRun(ix: HistoryIndex): Anomaly[] {
  if (ix.header.quiesced !== false) return [];
  const last = ix.ops.at(ix.ops.length - 1);
  const message = `the run did not quiesce: it ended at its time limit${last === undefined ? '' : ` (last operation at ${last.time} µs)`} with work unfinished.`;
  return [makeAnomaly(ix, 'liveness', message, { positions: [] })];
}
