import { describe, expect, it } from 'vitest';
import { ModelChecks } from './checks.ts';
import { NUM_BATCHES_TO_RETAIN, ProducerStateManager } from './producer-state-manager.ts';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, type ProducerBatch, type RecordBatch } from './protocol.ts';

const PID = 1000;

function pbatch(baseSequence: number, n: number, producerEpoch = 0, producerId = PID): ProducerBatch {
  return { producerId, producerEpoch, baseSequence, isTransactional: false, records: Array.from({ length: n }, (_, i) => `s${baseSequence + i}`) };
}

/** Plays the leader: check, then append at the end of a virtual log and update the state. */
class Leader {
  readonly psm: ProducerStateManager;
  readonly log: RecordBatch[] = [];
  private end = 0;
  constructor(checks = ModelChecks.ALL_ON) {
    this.psm = new ProducerStateManager({ checks, markerEpochCheck: false });
  }
  append(b: ProducerBatch): RecordBatch {
    const full: RecordBatch = { ...b, baseOffset: this.end, lastOffset: this.end + b.records.length - 1, partitionLeaderEpoch: 0, control: null, coordinatorEpoch: -1 };
    this.end = full.lastOffset + 1;
    this.log.push(full);
    this.psm.update(full);
    return full;
  }
  /** check + append when allowed; returns the check. */
  produce(b: ProducerBatch) {
    const c = this.psm.check(b);
    if (c.kind === 'append') this.append(b);
    return c;
  }
}

describe('ProducerStateManager', () => {
  it(`a duplicate of any of the last ${NUM_BATCHES_TO_RETAIN} batches is answered with its original offsets`, () => {
    const l = new Leader();
    const offsets: [number, number][] = [];
    for (let i = 0; i < NUM_BATCHES_TO_RETAIN; i++) {
      // Unequal batch sizes, interleaved with another producer, so offsets differ from sequences.
      l.produce(pbatch(0, 1, 0, 7 + i)); // another producer in between
      expect(l.produce(pbatch(i * 3, 3))).toEqual({ kind: 'append' });
      const b = l.log[l.log.length - 1];
      offsets.push([b.baseOffset, b.lastOffset]);
    }
    for (let i = 0; i < NUM_BATCHES_TO_RETAIN; i++) {
      expect(l.psm.check(pbatch(i * 3, 3))).toEqual({ kind: 'duplicate', firstOffset: offsets[i][0], lastOffset: offsets[i][1], windowPosition: NUM_BATCHES_TO_RETAIN - 1 - i });
    }
    // Checking does not change the state: the next in sequence still appends.
    expect(l.produce(pbatch(NUM_BATCHES_TO_RETAIN * 3, 1))).toEqual({ kind: 'append' });
  });

  it('forgets the 6th-oldest batch: its retry is out of order', () => {
    const l = new Leader();
    for (let i = 0; i <= NUM_BATCHES_TO_RETAIN; i++) l.produce(pbatch(i * 2, 2));
    expect(l.psm.producers.get(PID)!.batches).toHaveLength(NUM_BATCHES_TO_RETAIN);
    expect(l.psm.check(pbatch(0, 2))).toMatchObject({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(l.psm.check(pbatch(2, 2)).kind).toBe('duplicate');
  });

  it('a batch matching only part of a retained range is not a duplicate', () => {
    const l = new Leader();
    l.produce(pbatch(0, 4));
    expect(l.psm.check(pbatch(0, 2))).toMatchObject({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
  });

  it('a gap in sequence is OUT_OF_ORDER_SEQUENCE_NUMBER; the next sequence appends', () => {
    const l = new Leader();
    l.produce(pbatch(0, 5));
    expect(l.psm.check(pbatch(6, 1))).toMatchObject({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(l.psm.check(pbatch(100, 1))).toMatchObject({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(l.psm.check(pbatch(5, 1))).toEqual({ kind: 'append' });
  });

  it('an older epoch is INVALID_PRODUCER_EPOCH, even for a batch that would be a duplicate', () => {
    const l = new Leader();
    l.produce(pbatch(0, 2, 0));
    l.produce(pbatch(0, 2, 1));
    expect(l.psm.check(pbatch(2, 2, 0))).toEqual({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
    expect(l.psm.check(pbatch(0, 2, 0))).toEqual({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
    expect(l.psm.check(pbatch(0, 2, 1)).kind).toBe('duplicate');
  });

  it('a new epoch must start at sequence 0, and then forgets the old epoch batches', () => {
    const l = new Leader();
    l.produce(pbatch(0, 3, 0));
    expect(l.psm.check(pbatch(3, 1, 1))).toEqual({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER', reason: 'new-epoch-not-at-zero' });
    expect(l.produce(pbatch(0, 1, 1))).toEqual({ kind: 'append' });
    const e = l.psm.producers.get(PID)!;
    expect(e.producerEpoch).toBe(1);
    expect(e.batches).toEqual([{ firstSeq: 0, lastSeq: 0, firstOffset: 3, lastOffset: 3 }]);
    expect(l.psm.check(pbatch(1, 1, 1))).toEqual({ kind: 'append' });
  });

  it('an unknown producer id is accepted at any sequence', () => {
    const l = new Leader();
    l.produce(pbatch(0, 1, 0, 1));
    expect(l.psm.check(pbatch(57, 3, 4, 2))).toEqual({ kind: 'append' });
    l.produce(pbatch(57, 3, 4, 2));
    expect(l.psm.check(pbatch(60, 1, 4, 2))).toEqual({ kind: 'append' });
    expect(l.psm.check(pbatch(61, 1, 4, 2)).kind).toBe('error');
  });

  it('a batch without a producer id is always appended and leaves no state', () => {
    const l = new Leader();
    const plain: ProducerBatch = { producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH, baseSequence: NO_SEQUENCE, isTransactional: false, records: ['x'] };
    expect(l.produce(plain)).toEqual({ kind: 'append' });
    expect(l.produce(plain)).toEqual({ kind: 'append' });
    expect(l.psm.producers.size).toBe(0);
  });

  it('with the sequence checks off (bug mode no-seq-dedup) accepts duplicates and gaps, but still fences old epochs', () => {
    const l = new Leader(new ModelChecks(['duplicate-batch', 'sequence-gap', 'epoch-start-sequence']));
    l.produce(pbatch(0, 2, 1));
    expect(l.psm.check(pbatch(0, 2, 1))).toEqual({ kind: 'append' });
    expect(l.psm.check(pbatch(9, 2, 1))).toEqual({ kind: 'append' });
    expect(l.psm.check(pbatch(0, 2, 0))).toEqual({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
  });

  it('tracks the first offset of an open transaction until its marker', () => {
    const l = new Leader();
    l.append(pbatch(0, 2, 0, 1)); // a non-transactional producer does not hold the LSO
    expect(l.psm.firstUnstableOffset()).toBe(-1);
    l.append({ ...pbatch(0, 2, 0, 2), isTransactional: true });
    l.append({ ...pbatch(0, 1, 0, 3), isTransactional: true });
    l.append({ ...pbatch(2, 1, 0, 2), isTransactional: true });
    expect(l.psm.firstUnstableOffset()).toBe(2);
    const marker: RecordBatch = {
      producerId: 2, producerEpoch: 0, baseSequence: NO_SEQUENCE, isTransactional: true, records: [],
      baseOffset: 6, lastOffset: 6, partitionLeaderEpoch: 0, control: 'COMMIT', coordinatorEpoch: 0,
    };
    l.psm.update(marker);
    expect(l.psm.firstUnstableOffset()).toBe(4);
  });

  it('rebuilding from the log gives the same state as the live updates', () => {
    const l = new Leader();
    for (let i = 0; i < 9; i++) l.produce(pbatch(i * 2, 2, 0, PID));
    for (let i = 0; i < 3; i++) l.produce(pbatch(i, 1, 0, PID + 1));
    l.produce(pbatch(0, 4, 1, PID + 1));
    l.produce(pbatch(4, 1, 1, PID + 1));
    const rebuilt = new ProducerStateManager({ checks: ModelChecks.ALL_ON, markerEpochCheck: false });
    rebuilt.rebuild(l.log);
    expect(rebuilt.producers).toEqual(l.psm.producers);
    // And it judges retries the same way.
    for (const b of [pbatch(8, 2), pbatch(16, 2), pbatch(18, 1), pbatch(0, 4, 1, PID + 1), pbatch(2, 1, 0, PID + 1)]) {
      expect(rebuilt.check(b)).toEqual(l.psm.check(b));
    }
  });

  it('rebuild replaces the previous state (after truncation the forgotten batches are no duplicates)', () => {
    const l = new Leader();
    l.produce(pbatch(0, 2));
    l.produce(pbatch(2, 2));
    l.psm.rebuild(l.log.slice(0, 1));
    expect(l.psm.check(pbatch(2, 2))).toEqual({ kind: 'append' });
    l.psm.rebuild([]);
    expect(l.psm.producers.size).toBe(0);
  });

  it('each sequence check switched off alone lets only its own case through', () => {
    // Without duplicate detection a retry is not recognised: it is refused as out of order instead.
    const dedupOff = new Leader(new ModelChecks(['duplicate-batch']));
    dedupOff.produce(pbatch(0, 2, 1));
    expect(dedupOff.psm.check(pbatch(0, 2, 1))).toMatchObject({ kind: 'error', reason: 'sequence-gap' });
    expect(dedupOff.psm.check(pbatch(2, 2, 1))).toEqual({ kind: 'append' });
    const gapOff = new Leader(new ModelChecks(['sequence-gap']));
    gapOff.produce(pbatch(0, 2, 1));
    expect(gapOff.psm.check(pbatch(0, 2, 1)).kind).toBe('duplicate');
    expect(gapOff.psm.check(pbatch(9, 2, 1))).toEqual({ kind: 'append' });
    expect(gapOff.psm.check(pbatch(5, 2, 2))).toMatchObject({ reason: 'new-epoch-not-at-zero' });
    const epochStartOff = new Leader(new ModelChecks(['epoch-start-sequence']));
    epochStartOff.produce(pbatch(0, 2, 1));
    expect(epochStartOff.psm.check(pbatch(5, 2, 2))).toEqual({ kind: 'append' });
    expect(epochStartOff.psm.check(pbatch(9, 2, 1)).kind).toBe('error');
  });

  it('with produce-epoch off (bug mode no-fencing) lets a zombie epoch write', () => {
    const l = new Leader();
    const unfenced = new ProducerStateManager({ checks: new ModelChecks(['produce-epoch', 'marker-producer-epoch']), markerEpochCheck: false });
    l.append(pbatch(0, 1, 0));
    l.append(pbatch(0, 1, 1));
    unfenced.rebuild(l.log);
    expect(l.psm.check(pbatch(1, 1, 0))).toEqual({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
    expect(unfenced.check(pbatch(1, 1, 0))).toEqual({ kind: 'append' });
  });
});

describe('ProducerStateManager: transaction markers', () => {
  function marker(producerId: number, producerEpoch: number, offset: number, control: 'COMMIT' | 'ABORT', coordinatorEpoch: number): RecordBatch {
    return {
      producerId, producerEpoch, baseSequence: NO_SEQUENCE, isTransactional: true, records: [],
      baseOffset: offset, lastOffset: offset, partitionLeaderEpoch: 0, control, coordinatorEpoch,
    };
  }
  function txnBatch(producerId: number, seq: number, n: number, offset: number, producerEpoch = 0): RecordBatch {
    return { ...pbatch(seq, n, producerEpoch, producerId), isTransactional: true, baseOffset: offset, lastOffset: offset + n - 1, partitionLeaderEpoch: 0, control: null, coordinatorEpoch: -1 };
  }

  it('checkMarker fences an older producer epoch and an older coordinator epoch', () => {
    const psm = new ProducerStateManager({ checks: ModelChecks.ALL_ON, markerEpochCheck: false });
    expect(psm.checkMarker(PID, 0, 0)).toBe('NONE'); // unknown producer
    psm.update(txnBatch(PID, 0, 2, 0, 1));
    psm.update(marker(PID, 1, 2, 'COMMIT', 3));
    expect(psm.producers.get(PID)!.coordinatorEpoch).toBe(3);
    expect(psm.checkMarker(PID, 0, 3)).toBe('INVALID_PRODUCER_EPOCH');
    expect(psm.checkMarker(PID, 1, 2)).toBe('TRANSACTION_COORDINATOR_FENCED');
    expect(psm.checkMarker(PID, 1, 3)).toBe('NONE');
    expect(psm.checkMarker(PID, 2, 4)).toBe('NONE');
    const unfenced = new ProducerStateManager({ checks: new ModelChecks(['produce-epoch', 'marker-producer-epoch']), markerEpochCheck: false });
    unfenced.rebuild([txnBatch(PID, 0, 2, 0, 1), marker(PID, 1, 2, 'COMMIT', 3)]);
    expect(unfenced.checkMarker(PID, 0, 3)).toBe('NONE');
  });

  it('KIP-1228: a late marker with the epoch of the open transaction\'s data is rejected with the check, accepted without it (KAFKA-19446)', () => {
    // Transaction version 2: transaction 1 wrote in epoch 0, its COMMIT carried epoch 1; transaction 2
    // writes in epoch 1. A copy of transaction 1's marker (epoch 1) arrives late.
    const history = [txnBatch(PID, 0, 2, 0, 0), marker(PID, 1, 2, 'COMMIT', 3), txnBatch(PID, 0, 2, 3, 1)];
    for (const [markerEpochCheck, expected] of [[true, 'INVALID_PRODUCER_EPOCH'], [false, 'NONE']] as const) {
      const psm = new ProducerStateManager({ checks: ModelChecks.ALL_ON, markerEpochCheck });
      psm.rebuild(history);
      expect(psm.checkMarker(PID, 1, 3)).toBe(expected);
      // Transaction 2's own marker carries epoch 2 and is always accepted.
      expect(psm.checkMarker(PID, 2, 3)).toBe('NONE');
    }
  });

  /** Producer PID wrote 3 records in epoch 0 (offsets 0..2); the coordinator's COMMIT at 3 carries epoch 1 (KIP-890). */
  function afterBumpingMarker(): ProducerStateManager {
    const psm = new ProducerStateManager({ checks: ModelChecks.ALL_ON, markerEpochCheck: false });
    psm.update(txnBatch(PID, 0, 3, 0, 0));
    psm.update(marker(PID, 1, 3, 'COMMIT', 0));
    expect(psm.producers.get(PID)!).toMatchObject({ producerEpoch: 1, batches: [] });
    return psm;
  }
  const txn = (seq: number, n: number, producerEpoch: number): ProducerBatch => ({ ...pbatch(seq, n, producerEpoch), isTransactional: true });

  it('after a marker bumped the epoch (KIP-890), the epoch\'s first batch must start at sequence 0', () => {
    const psm = afterBumpingMarker();
    // Continuing epoch 0's sequences (or any other gap) in epoch 1 is out of order...
    expect(psm.check(txn(3, 1, 1))).toMatchObject({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(psm.check(txn(16, 1, 1))).toMatchObject({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    // ...epoch 1 starts at 0 and goes on from there; epoch 0 is fenced.
    expect(psm.check(txn(0, 2, 1))).toEqual({ kind: 'append' });
    psm.update(txnBatch(PID, 0, 2, 4, 1));
    expect(psm.check(txn(2, 1, 1))).toEqual({ kind: 'append' });
    expect(psm.check(txn(0, 2, 1))).toMatchObject({ kind: 'duplicate', firstOffset: 4, lastOffset: 5 });
    expect(psm.check(txn(3, 1, 0))).toEqual({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
  });

  it('coordinator appends (no sequence, e.g. transactional offset commits) skip the sequence checks but not the epoch check', () => {
    const psm = afterBumpingMarker();
    const offsetCommit = (producerEpoch: number): ProducerBatch => ({ producerId: PID, producerEpoch, baseSequence: NO_SEQUENCE, isTransactional: true, records: ['offsets'] });
    expect(psm.check(offsetCommit(1))).toEqual({ kind: 'append' });
    psm.update({ ...offsetCommit(1), baseOffset: 4, lastOffset: 4, partitionLeaderEpoch: 0, control: null, coordinatorEpoch: -1 });
    expect(psm.check(offsetCommit(1))).toEqual({ kind: 'append' }); // no sequence, so never a duplicate
    expect(psm.check(offsetCommit(0))).toEqual({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
    // It leaves no sequence behind: the epoch's first data batch still starts at 0.
    expect(psm.producers.get(PID)!.batches).toEqual([]);
    expect(psm.check(txn(1, 1, 1))).toMatchObject({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(psm.check(txn(0, 1, 1))).toEqual({ kind: 'append' });
  });

  it('an ABORT marker indexes the aborted range; a COMMIT does not; both close the transaction', () => {
    const log = [
      txnBatch(1, 0, 2, 0), // pid 1: offsets 0..1
      txnBatch(2, 0, 1, 2), // pid 2: offset 2
      txnBatch(1, 2, 1, 3), // pid 1: offset 3
      marker(1, 0, 4, 'ABORT', 0),
      marker(2, 0, 5, 'COMMIT', 0),
      txnBatch(1, 0, 2, 6, 1), // pid 1, next epoch: 6..7
    ];
    const psm = new ProducerStateManager({ checks: ModelChecks.ALL_ON, markerEpochCheck: false });
    psm.update(log[0]);
    psm.update(log[1]);
    psm.update(log[2]);
    expect(psm.firstUnstableOffset()).toBe(0);
    psm.update(log[3]);
    expect(psm.firstUnstableOffset()).toBe(2);
    psm.update(log[4]);
    expect(psm.firstUnstableOffset()).toBe(-1);
    psm.update(log[5]);
    expect(psm.firstUnstableOffset()).toBe(6);
    expect(psm.abortedIndex).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 4 }]);
    // Overlap with [from, to): the aborted range is 0..4 (marker included).
    expect(psm.abortedTransactions(0, 1)).toHaveLength(1);
    expect(psm.abortedTransactions(4, 10)).toHaveLength(1);
    expect(psm.abortedTransactions(5, 10)).toEqual([]);
    // Rebuilding from the log gives the same index and open transactions.
    const rebuilt = new ProducerStateManager({ checks: ModelChecks.ALL_ON, markerEpochCheck: false });
    rebuilt.rebuild(log);
    expect(rebuilt.abortedIndex).toEqual(psm.abortedIndex);
    expect(rebuilt.producers).toEqual(psm.producers);
    // After truncation below the marker, the abort is forgotten and the transaction is open again.
    rebuilt.rebuild(log.slice(0, 3));
    expect(rebuilt.abortedIndex).toEqual([]);
    expect(rebuilt.firstUnstableOffset()).toBe(0);
  });
});

