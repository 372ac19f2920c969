// One replica's log of one partition (Kafka's UnifiedLog + LeaderEpochFileCache, one segment). Offsets
// are dense; batches are atomic units of append, truncation and fetch. The leader epoch cache records the
// first offset written in each leader epoch, which is how a follower finds where its log diverged from
// a new leader's (KIP-101, KIP-279).
import type { RecordBatch } from './protocol.ts';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

/**
 * What read() returns when nothing is readable, and the batches of a fetch answer that carries none (an
 * error, a divergence): shared, so a long poll that finds nothing allocates nothing. Frozen, so that a
 * caller that changed it would fail loudly instead of corrupting later reads.
 */
export const NO_BATCHES = Object.freeze([]) as unknown as RecordBatch[];

export class Log {
  batches: RecordBatch[] = [];
  logEndOffset = 0;
  highWatermark = 0;
  /** Offsets below this reached the disk; a power loss keeps only them. */
  flushedOffset = 0;
  epochs: EpochEntry[] = [];

  /** Appends a batch whose offsets are already assigned (leader: assigned by appendAsLeader). */
  append(batch: RecordBatch): void {
    if (batch.baseOffset !== this.logEndOffset) {
      throw new Error(`log: append at ${batch.baseOffset} but log end offset is ${this.logEndOffset}`);
    }
    if (batch.lastOffset < batch.baseOffset) throw new Error(`log: empty batch at ${batch.baseOffset}`);
    const latest = this.epochs.length > 0 ? this.epochs[this.epochs.length - 1].epoch : -1;
    if (batch.partitionLeaderEpoch > latest) {
      this.epochs.push({ epoch: batch.partitionLeaderEpoch, startOffset: batch.baseOffset });
    } else if (batch.partitionLeaderEpoch < latest) {
      throw new Error(`log: batch epoch ${batch.partitionLeaderEpoch} below latest epoch ${latest}`);
    }
    this.batches.push(batch);
    this.logEndOffset = batch.lastOffset + 1;
  }

  latestEpoch(): number {
    return this.epochs.length > 0 ? this.epochs[this.epochs.length - 1].epoch : -1;
  }

  /**
   * The end offset of `epoch` in this log: the start offset of the first later epoch, or the log end
   * offset if `epoch` is the latest. For an epoch this log never had, the answer is for the largest
   * epoch below it (Kafka's OffsetsForLeaderEpoch semantics).
   */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    const found = this.epochIndexFor(epoch);
    if (found === -1) return { epoch: -1, endOffset: this.epochs.length > 0 ? this.epochs[0].startOffset : this.logEndOffset };
    return { epoch: this.epochs[found].epoch, endOffset: this.endOffsetOfEpochAt(found) };
  }

  /**
   * Whether this log has `epoch` (>= 0) itself and holds it up to `offset` at least: endOffsetForEpoch(epoch)
   * is that epoch's and does not end below `offset`. A leader asks on every follower fetch: no object for it.
   */
  hasEpochThrough(epoch: number, offset: number): boolean {
    if (!(epoch >= 0)) throw new Error(`log: hasEpochThrough(${epoch}): an epoch is >= 0`);
    const found = this.epochIndexFor(epoch);
    return found !== -1 && this.epochs[found].epoch === epoch && this.endOffsetOfEpochAt(found) >= offset;
  }

  /** Index of the largest epoch entry at or below `epoch`, or -1. */
  private epochIndexFor(epoch: number): number {
    let found = -1;
    for (let i = 0; i < this.epochs.length; i++) {
      if (this.epochs[i].epoch <= epoch) found = i;
      else break;
    }
    return found;
  }

  private endOffsetOfEpochAt(index: number): number {
    const next = this.epochs[index + 1];
    return next ? next.startOffset : this.logEndOffset;
  }

  /** Index of the batch containing offset, or of the first batch after it. */
  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.batches[mid].lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Batches that start at or contain `fromOffset` and end below `maxOffset`, at most `maxRecords` records.
   * The result is the caller's to read, not to change: an empty one is shared.
   */
  read(fromOffset: number, maxOffset: number, maxRecords: number): RecordBatch[] {
    const first = this.indexOf(fromOffset);
    // Most reads are a parked fetch rechecking its partition and finding nothing new.
    if (first >= this.batches.length || this.batches[first].lastOffset >= maxOffset) return NO_BATCHES;
    const out: RecordBatch[] = [];
    let records = 0;
    for (let i = first; i < this.batches.length; i++) {
      const b = this.batches[i];
      if (b.lastOffset >= maxOffset) break;
      out.push(b);
      records += b.lastOffset - b.baseOffset + 1;
      if (records >= maxRecords) break;
    }
    return out;
  }

  /** Drops every batch at or above `offset` (a batch straddling it goes too: batches are atomic). */
  truncateTo(offset: number): void {
    if (offset >= this.logEndOffset) return;
    const i = this.indexOf(offset);
    this.batches.length = i;
    this.logEndOffset = i > 0 ? this.batches[i - 1].lastOffset + 1 : 0;
    while (this.epochs.length > 0 && this.epochs[this.epochs.length - 1].startOffset >= this.logEndOffset) this.epochs.pop();
    this.highWatermark = Math.min(this.highWatermark, this.logEndOffset);
    this.flushedOffset = Math.min(this.flushedOffset, this.logEndOffset);
  }

  flush(): void {
    this.flushedOffset = this.logEndOffset;
  }
}
