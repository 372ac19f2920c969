// The payments producer application: sends `count` payments, one every sendIntervalMs, each a unique
// self-describing value ("p1-e0-s17": payment 17 of producer 1, first sent by incarnation 0), keyed by
// payment id so a payment always lands on the same partition. An application that must not lose money
// resends a payment whose fate it did not learn (resendUnknown) — with the same value, so the checker can
// see when the retry made a second copy. The producer's client does its own retries underneath.
import type { Simulation } from '../core/simulation.ts';
import type { KafkaProducer, SendResult } from '../kafka/producer.ts';
import { partitionForKey } from '../kafka/partitioner.ts';
import { partitionKey } from '../kafka/protocol.ts';
import type { Recorder } from './recorder.ts';

export interface PaymentsProducerOptions {
  /** 1-based producer number, used in values and the process name. */
  index: number;
  count: number;
  sendIntervalMs: number;
  topic: string;
  partitions: number;
  /** Resend a payment whose send ended unknown or failed (at-least-once and stronger applications). */
  resendUnknown: boolean;
}

type PaymentState = 'new' | 'sending' | 'acked' | 'given-up';

interface Payment {
  id: string;
  value: string;
  key: string;
  state: PaymentState;
}

export class PaymentsProducer {
  readonly process: string;
  private readonly payments: Payment[] = [];
  private nextNew = 0;
  private readonly resend: Payment[] = [];
  private incarnation = 0;
  private up = true;

  constructor(
    private readonly sim: Simulation,
    private readonly recorder: Recorder,
    readonly client: KafkaProducer,
    private readonly options: PaymentsProducerOptions,
  ) {
    this.process = `producer-${options.index}`;
    this.scheduleNext();
  }

  private scheduleNext(): void {
    const inc = this.incarnation;
    this.sim.afterMs(this.options.sendIntervalMs, () => {
      if (!this.up || inc !== this.incarnation) return;
      this.sendOne();
      if (this.resend.length > 0 || this.nextNew < this.options.count) this.scheduleNext();
    });
  }

  private sendOne(): void {
    let p = this.resend.shift();
    if (!p && this.nextNew < this.options.count) {
      const seq = this.nextNew++;
      const id = `p${this.options.index}-s${seq}`;
      const value = `p${this.options.index}-e${this.incarnation}-s${seq}`;
      p = { id, value, key: partitionKey(this.options.topic, partitionForKey(id, this.options.partitions)), state: 'new' };
      this.payments.push(p);
    }
    if (!p) return;
    const payment = p;
    payment.state = 'sending';
    const opId = this.recorder.invoke(this.process, 'send', [['send', payment.key, payment.value]]);
    const inc = this.incarnation;
    this.client.send(payment.key, payment.value, (r: SendResult) => {
      if (inc !== this.incarnation) return;
      this.recorder.complete(this.process, opId, r.status, [['send', payment.key, [r.offset, payment.value]]], r.error);
      if (r.status === 'ok') payment.state = 'acked';
      else this.unresolved(payment);
    });
  }

  private unresolved(p: Payment): void {
    if (this.options.resendUnknown) {
      p.state = 'new';
      this.resend.push(p);
      if (this.resend.length === 1 && this.nextNew >= this.options.count) this.scheduleNext();
    } else {
      p.state = 'given-up';
    }
  }

  crash(): void {
    if (!this.up) return;
    this.up = false;
    this.incarnation++;
    this.recorder.crash(this.process);
    this.client.crash();
    for (const p of this.payments) if (p.state === 'sending') this.unresolved(p);
  }

  restart(): void {
    if (this.up) return;
    this.up = true;
    this.client.restart();
    this.scheduleNext();
  }

  /** Every payment was sent and its fate settled (acknowledged, or given up when the app does not resend). */
  done(): boolean {
    return this.up && this.nextNew >= this.options.count && this.resend.length === 0 &&
      this.payments.every((p) => p.state === 'acked' || p.state === 'given-up');
  }
}
