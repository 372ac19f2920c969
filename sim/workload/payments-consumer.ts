// The consumer application: polls payments and applies each to the external ledger. Where it commits
// its position decides what a crash costs: committing before processing loses the payments between the
// commit and the crash (at-most-once); committing after processing applies them again (at-least-once).
import type { Simulation } from '../core/simulation.ts';
import type { ConsumerConfig } from '../kafka/config.ts';
import type { ConsumedRecord, KafkaConsumer } from '../kafka/consumer.ts';
import type { Ledger } from './ledger.ts';
import type { Recorder } from './recorder.ts';

export class PaymentsConsumer {
  readonly process: string;
  private incarnation = 0;
  private up = true;
  private busy = false;
  /** Offsets the last successful commit stored (what a restart resumes from). */
  lastCommitted: Record<string, number> = {};

  constructor(
    private readonly sim: Simulation,
    private readonly recorder: Recorder,
    readonly client: KafkaConsumer,
    private readonly ledger: Ledger,
    private readonly keys: string[],
    private readonly config: ConsumerConfig,
    index: number,
  ) {
    this.process = `consumer-${index}`;
    this.start();
  }

  private alive(inc: number): boolean {
    return this.up && inc === this.incarnation;
  }

  private start(): void {
    const inc = this.incarnation;
    this.recorder.instant(this.process, 'assign', this.keys, this.keys);
    this.client.assign(this.keys, () => {
      if (!this.alive(inc)) return;
      this.lastCommitted = this.client.positions();
      this.pollLoop(inc);
      if (this.config.enableAutoCommit) this.autoCommit(inc);
    });
  }

  private pollLoop(inc: number): void {
    if (!this.alive(inc)) return;
    this.client.waitForData(100, () => {
      if (!this.alive(inc)) return;
      const records = this.client.poll();
      if (records.length === 0) return this.pollLoop(inc);
      this.busy = true;
      const byKey: Record<string, [number, string][]> = {};
      for (const r of records) (byKey[r.key] ??= []).push([r.offset, r.value]);
      this.recorder.instant(this.process, 'poll', [['poll']], [['poll', byKey]]);
      const offsets = this.client.positions();
      const next = () => {
        this.busy = false;
        this.pollLoop(inc);
      };
      if (this.config.enableAutoCommit) return this.applyRecords(records, 0, inc, next);
      if (this.config.commitOrder === 'before-processing') {
        this.commit(offsets, inc, () => this.applyRecords(records, 0, inc, next));
      } else {
        this.applyRecords(records, 0, inc, () => this.commit(offsets, inc, next));
      }
    });
  }

  private applyRecords(records: ConsumedRecord[], i: number, inc: number, then: () => void): void {
    if (!this.alive(inc)) return;
    if (i >= records.length) return then();
    this.sim.afterMs(this.config.processingTimeMs, () => {
      if (!this.alive(inc)) return;
      const r = records[i];
      if (this.ledger.apply(r.value, r.value)) {
        this.recorder.instant(this.process, 'apply', [['apply', this.ledger.name, r.value]], [['apply', this.ledger.name, r.value]]);
      }
      this.applyRecords(records, i + 1, inc, then);
    });
  }

  private commit(offsets: Record<string, number>, inc: number, then: () => void): void {
    const id = this.recorder.invoke(this.process, 'commit', [['commit', this.client.group, offsets]]);
    this.client.commit(offsets, (error) => {
      if (!this.alive(inc)) return;
      // A commit that ran out of retries may still have been written: its outcome is unknown.
      this.recorder.complete(this.process, id, error ? 'info' : 'ok', [['commit', this.client.group, offsets]], error ?? undefined);
      if (!error) this.lastCommitted = { ...this.lastCommitted, ...offsets };
      then();
    });
  }

  private autoCommit(inc: number): void {
    this.sim.afterMs(this.config.autoCommitIntervalMs, () => {
      if (!this.alive(inc)) return;
      this.commit(this.client.positions(), inc, () => this.autoCommit(inc));
    });
  }

  crash(): void {
    if (!this.up) return;
    this.up = false;
    this.incarnation++;
    this.busy = false;
    this.recorder.crash(this.process);
    this.client.crash();
  }

  restart(): void {
    if (this.up) return;
    this.up = true;
    this.client.restart();
    this.start();
  }

  /** Up, not mid-batch, and its committed offsets reach `ends` (the end of what it may read) everywhere. */
  caughtUp(ends: Record<string, number>): boolean {
    if (!this.up || this.busy) return false;
    const pos = this.client.positions();
    for (const key of this.keys) {
      if ((pos[key] ?? -1) < ends[key] || (this.lastCommitted[key] ?? -1) < ends[key]) return false;
    }
    return true;
  }
}
