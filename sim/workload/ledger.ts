// The external sink: a ledger outside Kafka that the consumer applies payments to. Naive, it applies
// whatever it is given, so a redelivered payment is booked twice. With idempotency keys it remembers
// every key it applied, in the same store transaction as the write, and skips a repeat. It never fails
// and answers at once; payment-sink.ts is the sink past a network, with a gateway and a database.
import type { Mop } from '../check/history.ts';
import type { ConsumedRecord } from '../kafka/consumer.ts';
import type { RecordSink } from './payment-sink.ts';
import type { Recorder } from './recorder.ts';

export class Ledger {
  /** value -> times applied, in first-applied order. */
  private readonly applied = new Map<string, number>();
  private readonly keys = new Set<string>();

  constructor(readonly name: string, readonly idempotencyKeys: boolean) {}

  /** Applies a payment; returns false when the idempotency key was already applied. */
  apply(idempotencyKey: string, value: string): boolean {
    if (this.idempotencyKeys) {
      if (this.keys.has(idempotencyKey)) return false;
      this.keys.add(idempotencyKey);
    }
    this.applied.set(value, (this.applied.get(value) ?? 0) + 1);
    return true;
  }

  /** [sinkKey, value, times] rows for the history's final sink line. */
  rows(): [string, string, number][] {
    return [...this.applied].map(([value, times]) => [value, value, times]);
  }
}

/** One consumer's hand on the in-process ledger: applies at once and records each apply. */
export class LedgerSink implements RecordSink {
  constructor(private readonly ledger: Ledger, private readonly recorder: Recorder, private readonly process: string) {}

  apply(r: ConsumedRecord, done: () => void): void {
    if (this.ledger.apply(r.value, r.value)) {
      // The invoke and its completion say the same: one list serves both (ops are never mutated).
      const value: Mop[] = [['apply', this.ledger.name, r.value]];
      this.recorder.instant(this.process, 'apply', value, value);
    }
    done();
  }

  assigned(): void {}
  crash(): void {}
  restart(): void {}
  nodes(): string[] {
    return [];
  }
}
