// The payments producer application: sends `count` payments, one every sendIntervalMs, each a unique
// self-describing value ("p1-e0-s17": payment 17 of producer 1, first sent by incarnation 0), keyed by
// payment id so a payment always lands on the same partition. An application that must not lose money
// resends a payment whose fate it did not learn (resendUnknown) — with the same value, so the checker can
// see when the retry made a second copy. The producer's client does its own retries underneath. With a
// transactional client, payments go out in transactions of transactionSize; an aborted transaction's
// payments are sent again in the next one.
import type { RandomStream } from '../core/random.ts';
import type { Simulation } from '../core/simulation.ts';
import type { Mop } from '../check/history.ts';
import type { KafkaConsumer } from '../kafka/consumer.ts';
import type { KafkaProducer, SendResult } from '../kafka/producer.ts';
import { partitionForKey } from '../kafka/partitioner.ts';
import { partitionKey } from '../kafka/protocol.ts';
import type { Recorder } from './recorder.ts';
import { Stall } from './stall.ts';

export interface PaymentsProducerOptions {
  /** 1-based producer number, used in values and the process name. */
  index: number;
  count: number;
  sendIntervalMs: number;
  topic: string;
  partitions: number;
  /** Resend a payment whose send ended unknown or failed (at-least-once and stronger applications). */
  resendUnknown: boolean;
  /** Payments per transaction when the client is transactional (exactly-once); 0 for plain sends. */
  transactionSize: number;
  /**
   * Exactly-once: a read_committed consumer of the payments topic, used to learn what became of
   * transactions whose outcome an instance never heard (a crash, a fence) before sending them again.
   */
  reader?: () => KafkaConsumer;
}

type PaymentState = 'new' | 'sending' | 'acked' | 'given-up';

interface Payment {
  id: string;
  value: string;
  key: string;
  state: PaymentState;
}

/**
 * The application's record of its payments (an outbox): shared by every instance of one producer
 * application, so a replacement takes over what the first instance never sent or learned the fate of.
 */
export class PaymentOutbox {
  readonly payments: Payment[] = [];
  nextNew = 0;
  readonly resend: Payment[] = [];
  /** Payments of transactions whose outcome is unknown, waiting to be looked up in the log. */
  readonly unknown: Payment[] = [];

  /** payments[0..settledPrefix) are acknowledged or given up, and nothing moves a payment out of either. */
  private settledPrefix = 0;

  constructor(readonly count: number) {}

  /**
   * Every payment was sent and its fate settled (acknowledged, or given up when the app does not resend).
   * Asked after every transaction: the settled prefix only grows, so the whole outbox is scanned once
   * per run, not once per question.
   */
  settled(): boolean {
    if (this.nextNew < this.count || this.resend.length > 0 || this.unknown.length > 0) return false;
    const payments = this.payments;
    while (this.settledPrefix < payments.length && (payments[this.settledPrefix].state === 'acked' || payments[this.settledPrefix].state === 'given-up')) {
      this.settledPrefix++;
    }
    return this.settledPrefix === payments.length;
  }
}

export class PaymentsProducer {
  readonly process: string;
  private readonly payments: Payment[];
  private readonly resend: Payment[];
  private incarnation: number;
  private up = true;
  private readonly stall: Stall;
  private readonly rng: RandomStream;
  /** Payments this instance has out (another instance of the same application has its own). */
  private readonly mine = new Set<Payment>();
  /** A fenced instance is restarted by its supervisor unless a replacement took over its work. */
  private restartOnFence = true;

  constructor(
    private readonly sim: Simulation,
    private readonly recorder: Recorder,
    readonly client: KafkaProducer,
    private readonly options: PaymentsProducerOptions,
    private readonly outbox: PaymentOutbox = new PaymentOutbox(options.count),
    /** The n-th instance of this application (1 = the first); a replacement is instance 2. */
    readonly instance = 1,
  ) {
    this.process = instance === 1 ? `producer-${options.index}` : `producer-${options.index}.${instance}`;
    this.payments = outbox.payments;
    this.resend = outbox.resend;
    // Values name the incarnation that first sent them; a replacement's incarnations start after the first's.
    this.incarnation = (instance - 1) * 1000;
    this.rng = sim.stream(`workload:${this.process}`);
    this.stall = new Stall(sim);
    sim.after(0, () => this.start());
  }

  private start(): void {
    if (this.options.transactionSize === 0) return this.scheduleNext();
    const inc = this.incarnation;
    this.client.initTransactions((error) => {
      if (!this.up || inc !== this.incarnation) return;
      if (error) {
        this.sim.log(`${this.process} stops: initTransactions ${error}`);
        return;
      }
      this.scheduleTransaction();
    });
  }

  private takePayment(): Payment | undefined {
    let p = this.resend.shift();
    if (!p && this.outbox.nextNew < this.options.count) {
      const seq = this.outbox.nextNew++;
      const id = `p${this.options.index}-s${seq}`;
      const value = `p${this.options.index}-e${this.incarnation}-s${seq}`;
      p = { id, value, key: partitionKey(this.options.topic, partitionForKey(id, this.options.partitions)), state: 'new' };
      this.payments.push(p);
    }
    return p;
  }

  /** Runs `fn` after `ms`, later if a stall is in the way, and not at all if this incarnation died. */
  private after(ms: number, fn: () => void): void {
    const inc = this.incarnation;
    this.sim.afterMs(ms, () => this.stall.defer(() => this.up && inc === this.incarnation, fn));
  }

  pause(forMs: number): void {
    this.stall.pause(forMs);
  }

  nodes(): string[] {
    return [this.client.id];
  }

  /** sendIntervalMs on average, jittered from the workload stream so each seed strikes at other moments. */
  private interval(n = 1): number {
    return n * this.options.sendIntervalMs * (0.5 + this.rng.float());
  }

  private scheduleTransaction(): void {
    const inc = this.incarnation;
    this.after(this.interval(this.options.transactionSize), () => {
      if (this.client.isFenced()) return;
      // Our initTransactions finished every earlier transaction of this transactional.id, so the log now
      // tells which of the unknown ones committed: only the others are sent again.
      if (this.outbox.unknown.length > 0 && this.options.reader) return this.resolveUnknown(inc);
      const batch: Payment[] = [];
      while (batch.length < this.options.transactionSize) {
        const p = this.takePayment();
        if (!p) break;
        p.state = 'sending';
        this.mine.add(p);
        batch.push(p);
      }
      // Nothing to send now; another instance may still hand payments back, so look again later.
      if (batch.length === 0) {
        if (!this.outbox.settled()) this.scheduleTransaction();
        return;
      }
      this.runTransaction(batch, inc);
    });
  }

  private runTransaction(batch: Payment[], inc: number): void {
    const id = this.recorder.invoke(this.process, 'txn', batch.map((p): Mop => ['send', p.key, p.value]));
    const offsets: (number | null)[] = batch.map(() => null);
    this.client.beginTransaction();
    batch.forEach((p, i) => this.client.send(p.key, p.value, (r) => { offsets[i] = r.offset; }));
    const completed = (): Mop[] => batch.map((p, i): Mop => ['send', p.key, [offsets[i], p.value]]);
    const settle = (type: 'ok' | 'fail' | 'info', error?: string) => {
      if (inc !== this.incarnation) return;
      this.recorder.complete(this.process, id, type, completed(), error);
      for (const p of batch) {
        this.mine.delete(p);
        if (type === 'ok') p.state = 'acked';
        else if (type === 'info' && this.options.reader) this.outbox.unknown.push(p);
        else this.unresolved(p);
      }
      if (!this.client.isFenced()) this.scheduleTransaction();
      else if (this.restartOnFence) {
        // Fenced (its transaction timed out, say) with nobody else doing its work: its supervisor starts
        // it again, and the new instance learns from the log what became of the unknown payments.
        this.crash();
        this.sim.afterMs(100, () => this.restart());
      }
    };
    this.recorder.commitRequested(id);
    this.client.commitTransaction((error) => {
      if (!error) return settle('ok');
      if (this.client.isFenced()) return settle('info', error);
      this.client.abortTransaction((abortError) => settle(abortError ? 'info' : 'fail', abortError ?? error));
    });
  }

  private resolveUnknown(inc: number): void {
    const reader = this.options.reader!();
    const keys = [...new Set(this.outbox.unknown.map((p) => p.key))].sort();
    const seen = new Set<string>();
    this.sim.log(`${this.process} reads back ${keys.join(',')} for ${this.outbox.unknown.length} payments of unknown outcome`);
    const read = () => reader.waitForData(50, () => {
      if (!this.up || inc !== this.incarnation) return reader.crash();
      for (const r of reader.poll()) seen.add(r.value);
      if (!reader.readToEnd(keys)) return read();
      reader.crash(); // done with it: the reader is a throwaway
      for (const p of this.outbox.unknown.splice(0)) {
        if (seen.has(p.value)) p.state = 'acked';
        else this.unresolved(p);
      }
      this.scheduleTransaction();
    });
    reader.assign(keys, read);
  }

  private scheduleNext(): void {
    this.after(this.interval(), () => {
      this.sendOne();
      if (this.resend.length > 0 || this.outbox.nextNew < this.options.count) this.scheduleNext();
    });
  }

  private sendOne(): void {
    const p = this.takePayment();
    if (!p) return;
    const payment = p;
    payment.state = 'sending';
    this.mine.add(payment);
    const opId = this.recorder.invoke(this.process, 'send', [['send', payment.key, payment.value]]);
    const inc = this.incarnation;
    this.client.send(payment.key, payment.value, (r: SendResult) => {
      if (inc !== this.incarnation) return;
      this.recorder.complete(this.process, opId, r.status, [['send', payment.key, [r.offset, payment.value]]], r.error);
      this.mine.delete(payment);
      if (r.status === 'ok') payment.state = 'acked';
      else this.unresolved(payment);
    });
  }

  private unresolved(p: Payment): void {
    if (this.options.resendUnknown) {
      p.state = 'new';
      this.resend.push(p);
      // The send loop stops once every payment went out; a payment to resend starts it again.
      if (this.resend.length === 1 && this.outbox.nextNew >= this.options.count && this.options.transactionSize === 0) this.scheduleNext();
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
    const mine = [...this.mine];
    this.mine.clear();
    for (const p of mine) {
      // Exactly-once: the crash hid whether its transaction committed; the next instance looks it up.
      if (this.options.reader) {
        p.state = 'new';
        this.outbox.unknown.push(p);
      } else {
        this.unresolved(p);
      }
    }
  }

  restart(): void {
    if (this.up) return;
    this.up = true;
    this.client.restart();
    this.start();
  }

  /** The outbox is settled and this instance is up (or fenced for good, leaving the work to another). */
  done(): boolean {
    return (this.up || this.client.isFenced()) && this.outbox.settled();
  }

  /** A second instance of this application: same outbox and transactional.id, its own client. */
  replacement(client: KafkaProducer): PaymentsProducer {
    this.restartOnFence = false;
    return new PaymentsProducer(this.sim, this.recorder, client, this.options, this.outbox, this.instance + 1);
  }
}
