// One operation line as the index takes it (index.ts): the head's fields, and the sends and polled
// records with their keys, values and process as interned ids (interner.ts). The streamed check's fast
// lane (scan.ts) fills one row straight from a line's bytes and hands it on, line after line, so a
// million lines make no Op, micro-op or value string each; a line parsed in full (or an Op in memory)
// fills the same row through rowOfOp, so the index has one way in for both.
import type { Mop, Op, OpF, OpType } from './history.ts';
import { grown } from './interner.ts';
import type { Names } from './tables.ts';

export class OpRow {
  index = 0;
  id = 0;
  time = 0;
  /** The process's id (Names.processes). */
  proc = 0;
  type: OpType = 'invoke';
  f: OpF = 'send';
  commit: number | undefined = undefined;
  error: string | undefined = undefined;
  /** The ["send", key, value] micro-ops, in order: key id, value id, claimed offset (-1: none). */
  sends = 0;
  sendKids: Float64Array = new Float64Array(16);
  sendVids: Float64Array = new Float64Array(16);
  sendOffsets: Float64Array = new Float64Array(16);
  /** The records polls returned, in order (key by key), on an ok poll or txn line only: key id, offset, value id. */
  reads = 0;
  readKids: Float64Array = new Float64Array(16);
  readOffsets: Float64Array = new Float64Array(16);
  readVids: Float64Array = new Float64Array(16);

  /** Starts the next line: no sends, no reads, no optional fields. */
  clear(): void {
    this.sends = 0;
    this.reads = 0;
    this.commit = undefined;
    this.error = undefined;
  }

  addSend(kid: number, vid: number, offset: number | null): void {
    const n = this.sends++;
    if (n === this.sendKids.length) {
      this.sendKids = grown(this.sendKids, this.sendKids.length * 2);
      this.sendVids = grown(this.sendVids, this.sendVids.length * 2);
      this.sendOffsets = grown(this.sendOffsets, this.sendOffsets.length * 2);
    }
    this.sendKids[n] = kid;
    this.sendVids[n] = vid;
    this.sendOffsets[n] = offset ?? -1;
  }

  addRead(kid: number, offset: number, vid: number): void {
    const n = this.reads++;
    if (n === this.readKids.length) {
      this.readKids = grown(this.readKids, this.readKids.length * 2);
      this.readOffsets = grown(this.readOffsets, this.readOffsets.length * 2);
      this.readVids = grown(this.readVids, this.readVids.length * 2);
    }
    this.readKids[n] = kid;
    this.readOffsets[n] = offset;
    this.readVids[n] = vid;
  }
}

/** Whether a line's polled records count as reads: those of an ok poll or txn completion. */
export const readsCount = (type: OpType, f: OpF): boolean => type === 'ok' && (f === 'poll' || f === 'txn');

/**
 * Fills `row` from an Op: its head, its sends (of a send or txn line) and, on an ok poll or txn line, its
 * polled records, interning names in that order (every send's key and value, then each polled key and
 * its records' values), the order the fast lane interns a line's names in too.
 */
export function rowOfOp(op: Op, names: Names, row: OpRow): OpRow {
  row.clear();
  row.index = op.index;
  row.id = op.id;
  row.time = op.time;
  row.proc = names.processes.id(op.process);
  row.type = op.type;
  row.f = op.f;
  row.commit = op.commit;
  row.error = op.error;
  if (op.value === null) return row;
  const mops = op.value as Mop[];
  if (op.f === 'send' || op.f === 'txn') {
    for (const m of mops) {
      if (m[0] !== 'send') continue;
      const r = m[2];
      const [offset, value] = typeof r === 'string' ? [null, r] : r;
      row.addSend(names.keys.id(m[1]), names.values.id(value), offset);
    }
  }
  if (!readsCount(op.type, op.f)) return row;
  for (const m of mops) {
    if (m[0] !== 'poll' || m.length !== 2) continue;
    for (const k of Object.keys(m[1])) {
      const kid = names.keys.id(k);
      for (const [offset, value] of m[1][k]) row.addRead(kid, offset, names.values.id(value));
    }
  }
  return row;
}
