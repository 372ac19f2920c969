// The consume-transform-produce processor (the TransactionalMessageCopier pattern of Kafka's own
// transactions system test): poll payments, write one ledger entry per payment ("p1-e0-s17>ledger", so the
// checker can pair output and input), and move the input offsets forward. In exactly-once mode each poll is
// one transaction holding the outputs and the input offsets (sendOffsetsToTransaction); an abortable error
// aborts it and rewinds the consumer to its committed offsets (or, with afterAbort: rewind-batch, to the
// aborted batch's first offsets as it holds them); a fenced instance stops for good. In the
// other modes the outputs are sent and then the offsets committed, so a crash in between duplicates
// (at-most-once commits first, so a crash in between loses instead).
import type { RandomStream } from '../core/random.ts';
import type { Simulation } from '../core/simulation.ts';
import type { Mop } from '../check/history.ts';
import type { ConsumerConfig } from '../kafka/config.ts';
import type { ConsumedRecord, KafkaConsumer } from '../kafka/consumer.ts';
import type { KafkaProducer, SendResult } from '../kafka/producer.ts';
import { partitionForKey } from '../kafka/partitioner.ts';
import { partitionKey } from '../kafka/protocol.ts';
import type { Recorder } from './recorder.ts';
import { Stall } from './stall.ts';
import type { AfterAbort } from '../scenario/types.ts';

export interface ProcessorOptions {
  index: number;
  /** Topics the processor reads; the output of a record of inputTopics[j] goes to outputTopics[j mod m]. */
  inputTopics: readonly string[];
  outputTopics: readonly { name: string; partitions: number }[];
  /** Outputs and offsets in one transaction (exactly-once); false: send, then commit offsets. */
  transactional: boolean;
  /** Bug offsets-outside-txn: the transaction holds only the outputs; offsets are committed after it. */
  offsetsInTransaction: boolean;
  /** Chance that the processor aborts a transaction on purpose (to exercise aborts). */
  abortProbability: number;
  /**
   * Send the consumer's group generation with the offsets (KIP-447's sendOffsetsToTransaction(offsets,
   * groupMetadata)). Without it (the pre-KIP-447 API) only a stable transactional.id fences a zombie.
   */
  groupMetadataInOffsets: boolean;
  /** After an abort, resume from the group's committed offsets, or from the aborted batch's first offsets. */
  afterAbort: AfterAbort;
}

/** The output value of an input: names the input so the checker can pair them without the model. */
export function outputValue(input: string, outputTopic: string): string {
  return `${input}>${outputTopic === 'ledger-entries' ? 'ledger' : outputTopic}`;
}

/** The offset of each partition's first record in a batch. */
function firstOffsets(records: readonly ConsumedRecord[]): Record<string, number> {
  const first: Record<string, number> = {};
  for (const r of records) first[r.key] = Math.min(first[r.key] ?? r.offset, r.offset);
  return first;
}

export class Processor {
  readonly process: string;
  private incarnation = 0;
  private up = true;
  private busy = false;
  private readonly stall: Stall;
  private readonly rng: RandomStream;
  /**
   * A fenced instance is closed and started again by its supervisor (as Kafka Streams recreates a task's
   * producer), unless a replacement took over its work: then it stays down.
   */
  restartOnFence = true;
  private lastOffsetCommitUs = 0;
  /** Offsets this instance last committed outside a transaction. */
  private committed: Record<string, number> = {};

  constructor(
    private readonly sim: Simulation,
    private readonly recorder: Recorder,
    private readonly consumer: KafkaConsumer,
    private readonly producer: KafkaProducer,
    private readonly options: ProcessorOptions,
    private readonly consumerConfig: ConsumerConfig,
    process?: string,
  ) {
    this.process = process ?? `processor-${options.index}`;
    this.rng = sim.stream(`workload:${this.process}`);
    this.stall = new Stall(sim);
    sim.after(0, () => this.start());
  }

  private alive(inc: number): boolean {
    return this.up && inc === this.incarnation && !this.producer.isFenced();
  }

  /** The producer was fenced: this instance is a zombie. It dies; its supervisor may start it again. */
  private fenced(): void {
    this.sim.log(`${this.process} fenced`);
    this.crash();
    if (this.restartOnFence) this.sim.afterMs(100, () => this.restart());
  }

  /** Runs `fn` now, or when the current stall ends. */
  private whenAwake(inc: number, fn: () => void): void {
    this.stall.defer(() => this.alive(inc), fn);
  }

  private start(): void {
    const inc = this.incarnation;
    const subscribe = () => {
      this.consumer.subscribe([...this.options.inputTopics], {
        onPartitionsRevoked: (_keys, done) => {
          // Finish the step in hand first: its transaction commits or aborts before the partitions go.
          const wait = () => (this.busy && this.alive(inc) ? this.sim.afterMs(1, wait) : done());
          wait();
        },
        onPartitionsAssigned: (keys) => {
          this.recorder.instant(this.process, 'assign', keys, keys);
        },
      });
      this.pollLoop(inc);
    };
    if (this.options.transactional) {
      this.producer.initTransactions((error) => {
        if (!this.alive(inc)) return;
        if (error) return this.stop(`initTransactions: ${error}`);
        subscribe();
      });
    } else {
      subscribe();
    }
  }

  private stop(why: string): void {
    this.sim.log(`${this.process} stops: ${why}`);
    this.up = false;
  }

  private pollLoop(inc: number): void {
    this.whenAwake(inc, () => {
      this.consumer.waitForData(100, () => this.whenAwake(inc, () => {
        const records = this.consumer.poll();
        if (records.length === 0) return this.idleCommit(inc);
        this.busy = true;
        const byKey: Record<string, [number, string][]> = {};
        for (const r of records) (byKey[r.key] ??= []).push([r.offset, r.value]);
        this.recorder.instant(this.process, 'poll', [['poll']], [['poll', byKey]]);
        const offsets = this.consumer.positions();
        const next = () => {
          this.busy = false;
          this.pollLoop(inc);
        };
        if (this.options.transactional) this.transactionalStep(records, offsets, inc, next);
        else this.plainStep(records, offsets, inc, next);
      }));
    });
  }

  private outputs(records: ConsumedRecord[]): { key: string; value: string }[] {
    const { inputTopics, outputTopics } = this.options;
    return records.map((r) => {
      const out = outputTopics[Math.max(0, inputTopics.findIndex((t) => r.key.startsWith(`${t}/`))) % outputTopics.length];
      // One stage, named after the first output topic, whichever topic an output lands in: the checker
      // pairs each input with exactly one output of its stage.
      return { key: partitionKey(out.name, partitionForKey(r.value, out.partitions)), value: outputValue(r.value, outputTopics[0].name) };
    });
  }

  private transactionalStep(records: ConsumedRecord[], offsets: Record<string, number>, inc: number, next: () => void): void {
    const outs = this.outputs(records);
    const group = this.options.groupMetadataInOffsets
      ? this.consumer.groupMetadata()
      : { groupId: this.consumer.group, generationId: -1, memberId: '' };
    const commitMop: Mop[] = this.options.offsetsInTransaction ? [['commit', group.groupId, offsets]] : [];
    const id = this.recorder.invoke(this.process, 'txn', [...outs.map((o): Mop => ['send', o.key, o.value]), ...commitMop]);
    const results: (SendResult | null)[] = outs.map(() => null);
    this.producer.beginTransaction();
    outs.forEach((o, i) => this.producer.send(o.key, o.value, (r) => { results[i] = r; }));
    const completed = (): Mop[] => [...outs.map((o, i): Mop => ['send', o.key, [results[i]?.offset ?? null, o.value]]), ...commitMop];
    // A fenced (or crashed) instance cannot learn what became of the transaction: the next one decides.
    const gone = (error: string) => {
      if (inc !== this.incarnation) return;
      this.recorder.complete(this.process, id, 'info', completed(), error);
      if (this.producer.isFenced()) this.fenced();
    };
    const abort = (why: string) => {
      this.producer.abortTransaction((error) => {
        if (this.producer.isFenced() || !this.alive(inc)) return gone(error ?? why);
        this.recorder.complete(this.process, id, error ? 'info' : 'fail', completed(), why);
        // The aborted outputs are gone: process the same input again, from the committed offsets, or from
        // where this batch began as the application remembers it (which may be stale if the group moved on).
        if (this.options.afterAbort === 'rewind-batch') {
          this.consumer.seekTo(firstOffsets(records));
          return this.whenAwake(inc, next);
        }
        this.consumer.seekToCommitted(Object.keys(offsets), () => this.whenAwake(inc, next));
      });
    };
    const commit = () => this.whenAwake(inc, () => {
      if (this.options.abortProbability > 0 && this.rng.chance(this.options.abortProbability)) return abort('random abort');
      this.recorder.commitRequested(id);
      this.producer.commitTransaction((error) => {
        if (!error) {
          this.recorder.complete(this.process, id, 'ok', completed());
          if (this.options.offsetsInTransaction) return next();
          // The misconfiguration: offsets committed apart from the transaction, every auto-commit interval.
          if (this.sim.nowUs - this.lastOffsetCommitUs < this.consumerConfig.autoCommitIntervalMs * 1000) return next();
          return this.commitOffsets(offsets, inc, next);
        }
        if (this.producer.isFenced() || !this.alive(inc)) return gone(error);
        abort(error);
      });
    });
    if (!this.options.offsetsInTransaction) return commit();
    this.producer.sendOffsetsToTransaction(offsets, group, (error) => {
      if (!error) return commit();
      if (this.producer.isFenced() || !this.alive(inc)) return gone(error);
      abort(error);
    });
  }

  /**
   * Outputs first, then a plain offset commit: a crash in between processes the input again. Committing
   * before processing (at-most-once) turns that round: a crash in between loses the input's outputs.
   */
  private plainStep(records: ConsumedRecord[], offsets: Record<string, number>, inc: number, next: () => void): void {
    if (this.consumerConfig.commitOrder === 'before-processing') {
      // A refused commit (the group moved on) is Kafka's CommitFailedException: the batch is not processed;
      // whoever owns the partitions now reads it from the committed offsets.
      return this.commitOffsets(offsets, inc, (committed) => (committed ? this.whenAwake(inc, () => this.sendOutputs(records, next)) : next()));
    }
    this.sendOutputs(records, () => this.whenAwake(inc, () => this.commitOffsets(offsets, inc, next)));
  }

  /** Sends one output per input outside any transaction; `done` once every send has its answer. */
  private sendOutputs(records: ConsumedRecord[], done: () => void): void {
    const outs = this.outputs(records);
    let pending = outs.length;
    for (const o of outs) {
      const id = this.recorder.invoke(this.process, 'send', [['send', o.key, o.value]]);
      this.producer.send(o.key, o.value, (r) => {
        this.recorder.complete(this.process, id, r.status, [['send', o.key, [r.offset, o.value]]], r.error);
        if (--pending === 0) done();
      });
    }
  }

  /**
   * Nothing to read: when offsets are committed outside a transaction (always without transactions, or
   * with offsets-outside-txn), commit what the last steps did not get committed — a commit that failed,
   * or one the auto-commit interval skipped — then poll again.
   */
  private idleCommit(inc: number): void {
    const positions = this.consumer.positions();
    const behind = Object.keys(positions).some((k) => positions[k] !== this.committed[k]);
    const plainCommits = !this.options.transactional || !this.options.offsetsInTransaction;
    if (plainCommits && behind) return this.commitOffsets(positions, inc, () => this.pollLoop(inc));
    this.pollLoop(inc);
  }

  private commitOffsets(offsets: Record<string, number>, inc: number, next: (committed: boolean) => void): void {
    this.lastOffsetCommitUs = this.sim.nowUs;
    const group = this.consumer.group;
    const id = this.recorder.invoke(this.process, 'commit', [['commit', group, offsets]]);
    this.consumer.commit(offsets, (error) => {
      if (!this.alive(inc)) return;
      this.recorder.complete(this.process, id, error ? 'info' : 'ok', [['commit', group, offsets]], error ?? undefined);
      if (!error) this.committed = { ...this.committed, ...offsets };
      next(!error);
    });
  }

  get index(): number {
    return this.options.index;
  }

  /** The transactional.id a replacement must take over (the process name when not transactional). */
  transactionalId(): string {
    return this.options.transactional ? this.producer.transactionalId() : this.process;
  }

  /**
   * Bug random-txn-id: the next start uses another transactional.id. Without transactions there is none to
   * change, and the bug changes nothing.
   */
  setTransactionalId(id: string): void {
    if (this.options.transactional) this.producer.setTransactionalId(id);
  }

  /** Network nodes of this application (its consumer and its producer). */
  nodes(): string[] {
    return [this.consumer.id, this.producer.id];
  }

  pause(forMs: number): void {
    this.stall.pause(forMs);
  }

  crash(): void {
    if (!this.up) return;
    this.up = false;
    this.incarnation++;
    this.busy = false;
    this.recorder.crash(this.process);
    this.consumer.crash();
    this.producer.crash();
  }

  restart(): void {
    if (this.up) return;
    this.up = true;
    this.consumer.restart();
    this.producer.restart();
    this.start();
  }

  /** Up, awake and not mid-step (the run asks whether the pipeline has drained). */
  idle(): boolean {
    return (!this.up || this.producer.isFenced() || !this.busy) && !this.stall.active;
  }
}
