// Broker-side producer state of one partition (Kafka's ProducerStateManager / ProducerStateEntry /
// ProducerAppendInfo): per producer id, its epoch and the metadata of its last 5 batches, so that a
// retried batch is recognised and answered with its original offsets instead of being appended again.
// Followers and restarted brokers rebuild the same state from the log, so it survives leader changes.
import { NO_PRODUCER_EPOCH, NO_SEQUENCE, type ErrorCode, type ProducerBatch, type RecordBatch } from './protocol.ts';
import type { ModelChecks } from './checks.ts';

/** Kafka keeps this many batches per producer (ProducerStateEntry.NUM_BATCHES_TO_RETAIN). */
export const NUM_BATCHES_TO_RETAIN = 5;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
}

export interface ProducerStateEntry {
  producerId: number;
  producerEpoch: number;
  batches: BatchMetadata[];
  /** First offset of this producer's open transaction, or -1. */
  currentTxnFirstOffset: number;
  /** Epoch of the transaction coordinator whose marker was written last (fences an older coordinator). */
  coordinatorEpoch: number;
}

/** An aborted transaction on this partition (Kafka's AbortedTxn in the transaction index). */
export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  /** Offset of the ABORT marker. */
  lastOffset: number;
}

export type AppendCheck =
  | { kind: 'append' }
  /** `windowPosition`: 0 for the newest of the retained batches, 4 for the oldest of five. */
  | { kind: 'duplicate'; firstOffset: number; lastOffset: number; windowPosition: number }
  | { kind: 'error'; error: ErrorCode; reason?: 'sequence-gap' | 'new-epoch-not-at-zero' };

// The common verdicts, shared: a check runs on every produced batch and should allocate nothing.
export const APPEND: AppendCheck = Object.freeze({ kind: 'append' });
const FENCED: AppendCheck = Object.freeze({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
const SEQUENCE_GAP: AppendCheck = Object.freeze({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER', reason: 'sequence-gap' });
const NEW_EPOCH_NOT_AT_ZERO: AppendCheck = Object.freeze({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER', reason: 'new-epoch-not-at-zero' });
const NO_ABORTED_TXNS: readonly AbortedTxn[] = Object.freeze([]);

export interface ProducerStateOptions {
  /** Which of the checks here run (duplicate-batch, sequence-gap, epoch-start-sequence, produce-epoch, marker-producer-epoch). */
  checks: ModelChecks;
  /**
   * KIP-1228 (features.markerEpochCheck): with transaction version 2 every transaction's marker carries
   * an epoch above its data's, so a marker whose epoch is not above the open transaction's is a late one
   * of an earlier transaction (KAFKA-19446) and is rejected.
   */
  markerEpochCheck: boolean;
}

export class ProducerStateManager {
  readonly producers = new Map<number, ProducerStateEntry>();
  /** The same entries in the same (insertion) order, for the LSO's scan on every fetch without a Map iterator. */
  private readonly entries: ProducerStateEntry[] = [];
  /** Aborted transactions in offset order: read_committed fetches hand them out so consumers can skip them. */
  abortedIndex: AbortedTxn[] = [];

  constructor(private readonly options: ProducerStateOptions) {}

  /**
   * Validates a producer batch against the state (UnifiedLog.analyzeAndValidateProducerState). The
   * verdict may be shared between calls: read it, do not change it.
   */
  check(batch: ProducerBatch): AppendCheck {
    if (batch.producerId < 0) return APPEND;
    const entry = this.producers.get(batch.producerId);
    if (!entry) return APPEND; // unknown producer: any sequence is accepted
    const checks = this.options.checks;
    if (batch.producerEpoch < entry.producerEpoch) {
      if (checks.on('produce-epoch')) return FENCED;
      return APPEND; // switched off: the zombie's batch goes in
    }
    // Coordinator appends (transactional offset commits) carry no sequence: only the epoch is checked,
    // as for Kafka's AppendOrigin.COORDINATOR.
    if (batch.baseSequence === NO_SEQUENCE) return APPEND;
    const firstSeq = batch.baseSequence;
    const lastSeq = firstSeq + batch.records.length - 1;
    if (batch.producerEpoch === entry.producerEpoch) {
      const batches = entry.batches;
      if (checks.on('duplicate-batch')) {
        for (let i = 0; i < batches.length; i++) {
          const b = batches[i];
          if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) {
            return { kind: 'duplicate', firstOffset: b.firstOffset, lastOffset: b.lastOffset, windowPosition: batches.length - 1 - i };
          }
        }
      }
      // No batch yet in this epoch (a marker bumped it, KIP-890): the epoch's sequences start at 0.
      const last = entry.batches.length > 0 ? entry.batches[entry.batches.length - 1].lastSeq : -1;
      if (firstSeq !== last + 1 && entry.producerEpoch !== NO_PRODUCER_EPOCH && checks.on('sequence-gap')) return SEQUENCE_GAP;
    } else if (firstSeq !== 0 && entry.producerEpoch !== NO_PRODUCER_EPOCH && checks.on('epoch-start-sequence')) {
      // A new epoch must start its sequences at 0.
      return NEW_EPOCH_NOT_AT_ZERO;
    }
    return APPEND;
  }

  /** Validates a transaction marker (ProducerAppendInfo.appendEndTxnMarker). */
  checkMarker(producerId: number, producerEpoch: number, coordinatorEpoch: number): ErrorCode {
    const entry = this.producers.get(producerId);
    if (!entry) return 'NONE';
    if (producerEpoch < entry.producerEpoch && this.options.checks.on('marker-producer-epoch')) return 'INVALID_PRODUCER_EPOCH';
    if (this.options.markerEpochCheck && entry.currentTxnFirstOffset >= 0 && producerEpoch <= entry.producerEpoch) return 'INVALID_PRODUCER_EPOCH';
    if (coordinatorEpoch < entry.coordinatorEpoch) return 'TRANSACTION_COORDINATOR_FENCED';
    return 'NONE';
  }

  /** Records an appended batch (leader, follower and rebuild all go through here). */
  update(batch: RecordBatch): void {
    if (batch.producerId < 0) return;
    let entry = this.producers.get(batch.producerId);
    if (!entry) {
      entry = { producerId: batch.producerId, producerEpoch: batch.producerEpoch, batches: [], currentTxnFirstOffset: -1, coordinatorEpoch: -1 };
      this.producers.set(batch.producerId, entry);
      this.entries.push(entry);
    }
    if (batch.producerEpoch > entry.producerEpoch) {
      entry.producerEpoch = batch.producerEpoch;
      entry.batches = [];
    }
    if (batch.control !== null) {
      if (batch.control === 'ABORT' && entry.currentTxnFirstOffset >= 0) {
        this.abortedIndex.push({ producerId: batch.producerId, firstOffset: entry.currentTxnFirstOffset, lastOffset: batch.baseOffset });
      }
      entry.currentTxnFirstOffset = -1;
      entry.coordinatorEpoch = Math.max(entry.coordinatorEpoch, batch.coordinatorEpoch);
      return;
    }
    if (batch.isTransactional && entry.currentTxnFirstOffset < 0) entry.currentTxnFirstOffset = batch.baseOffset;
    if (batch.baseSequence === NO_SEQUENCE) return;
    entry.batches.push({
      firstSeq: batch.baseSequence,
      lastSeq: batch.baseSequence + batch.records.length - 1,
      firstOffset: batch.baseOffset,
      lastOffset: batch.lastOffset,
    });
    if (entry.batches.length > NUM_BATCHES_TO_RETAIN) entry.batches.shift();
  }

  /** First offset of the oldest open transaction, or -1: the last stable offset cannot pass it. */
  firstUnstableOffset(): number {
    let first = -1;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e.currentTxnFirstOffset >= 0 && (first < 0 || e.currentTxnFirstOffset < first)) first = e.currentTxnFirstOffset;
    }
    return first;
  }

  /**
   * Aborted transactions overlapping [fromOffset, toOffset) (what a read_committed fetch returns); the
   * caller's to read, not to change (it may be shared).
   */
  abortedTransactions(fromOffset: number, toOffset: number): readonly AbortedTxn[] {
    // Every read_committed fetch asks, and most partitions never saw an abort.
    if (this.abortedIndex.length === 0) return NO_ABORTED_TXNS;
    return this.abortedIndex.filter((a) => a.lastOffset >= fromOffset && a.firstOffset < toOffset);
  }

  rebuild(batches: readonly RecordBatch[]): void {
    this.producers.clear();
    this.entries.length = 0;
    this.abortedIndex = [];
    for (const b of batches) this.update(b);
  }
}
