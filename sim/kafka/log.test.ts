import { describe, expect, it } from 'vitest';
import { Log } from './log.ts';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, type RecordBatch } from './protocol.ts';

/** A data batch of `n` records at `baseOffset` written in leader epoch `epoch`. */
function batch(baseOffset: number, n: number, epoch: number): RecordBatch {
  return {
    producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH, baseSequence: NO_SEQUENCE, isTransactional: false,
    records: Array.from({ length: n }, (_, i) => `v${baseOffset + i}`),
    baseOffset, lastOffset: baseOffset + n - 1, partitionLeaderEpoch: epoch, control: null, coordinatorEpoch: -1,
  };
}

/** Appends batches of the given sizes and epochs back to back. */
function logOf(...spec: [n: number, epoch: number][]): Log {
  const log = new Log();
  for (const [n, epoch] of spec) log.append(batch(log.logEndOffset, n, epoch));
  return log;
}

describe('Log.append', () => {
  it('assigns dense offsets and advances the log end offset', () => {
    const log = logOf([3, 0], [1, 0], [4, 0]);
    expect(log.logEndOffset).toBe(8);
    expect(log.batches.map((b) => [b.baseOffset, b.lastOffset])).toEqual([[0, 2], [3, 3], [4, 7]]);
    expect(log.highWatermark).toBe(0);
  });

  it('rejects a gap, an overlap and an empty batch', () => {
    const log = logOf([3, 0]);
    expect(() => log.append(batch(4, 1, 0))).toThrow(/log end offset is 3/);
    expect(() => log.append(batch(2, 1, 0))).toThrow(/log end offset is 3/);
    expect(() => log.append({ ...batch(3, 1, 0), lastOffset: 2 })).toThrow(/empty batch/);
    expect(log.logEndOffset).toBe(3);
  });

  it('records the first offset of each new leader epoch, and rejects an epoch going back', () => {
    const log = logOf([2, 0], [3, 0], [1, 2], [2, 2], [1, 5]);
    expect(log.epochs).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 2, startOffset: 5 }, { epoch: 5, startOffset: 8 }]);
    expect(log.latestEpoch()).toBe(5);
    expect(() => log.append(batch(9, 1, 4))).toThrow(/below latest epoch 5/);
    expect(new Log().latestEpoch()).toBe(-1);
  });
});

describe('Log.endOffsetForEpoch', () => {
  // Epoch 0 at 0..4, epoch 2 at 5..7, epoch 5 at 8..9; log end offset 10.
  const log = logOf([2, 0], [3, 0], [3, 2], [2, 5]);

  it('a known epoch ends where the next one starts', () => {
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 5 });
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 2, endOffset: 8 });
  });

  it('the latest epoch ends at the log end offset', () => {
    expect(log.endOffsetForEpoch(5)).toEqual({ epoch: 5, endOffset: 10 });
  });

  it('an unknown epoch is answered for the largest epoch below it', () => {
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 0, endOffset: 5 });
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 2, endOffset: 8 });
    expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 2, endOffset: 8 });
    expect(log.endOffsetForEpoch(9)).toEqual({ epoch: 5, endOffset: 10 });
  });

  it('an epoch below every known epoch has no epoch; its end is where the log starts its first epoch', () => {
    const later = logOf([2, 3], [1, 4]);
    expect(later.endOffsetForEpoch(1)).toEqual({ epoch: -1, endOffset: 0 });
    expect(new Log().endOffsetForEpoch(0)).toEqual({ epoch: -1, endOffset: 0 });
  });
});

describe('Log.hasEpochThrough', () => {
  // Epoch 0 at 0..4, epoch 2 at 5..7, epoch 5 at 8..9; log end offset 10.
  const log = logOf([2, 0], [3, 0], [3, 2], [2, 5]);

  it('agrees with endOffsetForEpoch: the epoch itself, ending at or past the offset', () => {
    for (let epoch = 0; epoch <= 7; epoch++) {
      for (let offset = 0; offset <= 11; offset++) {
        const end = log.endOffsetForEpoch(epoch);
        expect(log.hasEpochThrough(epoch, offset), `epoch ${epoch} offset ${offset}`).toBe(end.epoch === epoch && end.endOffset >= offset);
      }
    }
    expect(log.hasEpochThrough(2, 8)).toBe(true);
    expect(log.hasEpochThrough(2, 9)).toBe(false);
    expect(log.hasEpochThrough(3, 6)).toBe(false);
    expect(new Log().hasEpochThrough(0, 0)).toBe(false);
    expect(() => log.hasEpochThrough(-1, 0)).toThrow(/an epoch is >= 0/);
  });
});

describe('Log.truncateTo', () => {
  it('drops whole batches at or above the offset, including one straddling it', () => {
    const log = logOf([3, 0], [3, 1], [3, 1]); // 0..2, 3..5, 6..8
    log.truncateTo(4);
    expect(log.logEndOffset).toBe(3);
    expect(log.batches.map((b) => b.baseOffset)).toEqual([0]);
    log.append(batch(3, 1, 1)); // and appends continue at the new end
    expect(log.logEndOffset).toBe(4);
  });

  it('at a batch boundary keeps everything below it', () => {
    const log = logOf([3, 0], [3, 1]);
    log.truncateTo(3);
    expect(log.logEndOffset).toBe(3);
    expect(log.batches).toHaveLength(1);
  });

  it('at or past the end changes nothing', () => {
    const log = logOf([3, 0]);
    log.highWatermark = 3;
    log.truncateTo(3);
    log.truncateTo(10);
    expect(log.logEndOffset).toBe(3);
    expect(log.highWatermark).toBe(3);
  });

  it('drops the epochs that start at or beyond the new end, keeps the rest', () => {
    const log = logOf([2, 0], [2, 1], [2, 3], [2, 4]); // e0@0, e1@2, e3@4, e4@6
    log.truncateTo(5); // batch 4..5 straddles: the end becomes 4
    expect(log.logEndOffset).toBe(4);
    expect(log.epochs).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 2 }]);
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 4 });
    // A lower epoch than the dropped ones may now be written again... and a new one recorded.
    log.append(batch(4, 1, 2));
    expect(log.epochs.at(-1)).toEqual({ epoch: 2, startOffset: 4 });
  });

  it('clamps the high watermark and the flushed offset', () => {
    const log = logOf([3, 0], [3, 0], [3, 0]);
    log.highWatermark = 8;
    log.flush();
    expect(log.flushedOffset).toBe(9);
    log.truncateTo(5);
    expect(log.logEndOffset).toBe(3);
    expect(log.highWatermark).toBe(3);
    expect(log.flushedOffset).toBe(3);
    const low = logOf([3, 0], [3, 0]);
    low.highWatermark = 2;
    low.truncateTo(4);
    expect(low.highWatermark).toBe(2);
  });

  it('to zero empties the log', () => {
    const log = logOf([3, 0], [3, 1]);
    log.truncateTo(0);
    expect(log.logEndOffset).toBe(0);
    expect(log.batches).toEqual([]);
    expect(log.epochs).toEqual([]);
  });
});

describe('Log.read', () => {
  const log = logOf([3, 0], [2, 0], [4, 0], [1, 0]); // 0..2, 3..4, 5..8, 9

  it('starts at the batch containing the fetch offset', () => {
    expect(log.read(0, 10, 100).map((b) => b.baseOffset)).toEqual([0, 3, 5, 9]);
    expect(log.read(4, 10, 100).map((b) => b.baseOffset)).toEqual([3, 5, 9]);
    expect(log.read(5, 10, 100).map((b) => b.baseOffset)).toEqual([5, 9]);
  });

  it('returns only whole batches that end below maxOffset', () => {
    expect(log.read(0, 8, 100).map((b) => b.baseOffset)).toEqual([0, 3]);
    expect(log.read(0, 9, 100).map((b) => b.baseOffset)).toEqual([0, 3, 5]);
    expect(log.read(0, 0, 100)).toEqual([]);
    expect(log.read(5, 5, 100)).toEqual([]);
  });

  it('stops once maxRecords is reached, but always returns at least one batch', () => {
    expect(log.read(0, 10, 3).map((b) => b.baseOffset)).toEqual([0]);
    expect(log.read(0, 10, 4).map((b) => b.baseOffset)).toEqual([0, 3]);
    expect(log.read(5, 10, 1).map((b) => b.baseOffset)).toEqual([5]);
  });

  it('at or past the end returns nothing', () => {
    expect(log.read(10, 100, 100)).toEqual([]);
    expect(log.read(50, 100, 100)).toEqual([]);
    expect(new Log().read(0, 10, 10)).toEqual([]);
  });

  it('an empty read is shared and frozen, so a caller that changed it would fail instead of changing the next read', () => {
    const empty = log.read(10, 100, 100);
    expect(log.read(0, 0, 100)).toBe(empty);
    expect(() => empty.push(batch(10, 1, 0))).toThrow(TypeError);
    expect(log.read(0, 10, 100)).not.toBe(empty);
  });
});
