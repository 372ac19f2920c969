// The consumer application: a member of the ledger group that polls payments and applies each to the
// external ledger. Where it commits its position decides what a crash costs: committing before processing
// loses the payments between the commit and the crash (at-most-once); committing after processing applies
// them again (at-least-once). Partitions move between members on rebalances (a member crashes, leaves or
// joins): before giving its partitions up a member commits what it has processed, and every new
// assignment is recorded in the history (an `assign` op), since a position may then legally move back.
import type { Simulation } from '../core/simulation.ts';
import type { ConsumerConfig } from '../kafka/config.ts';
import { COMMIT_FENCED, type ConsumedRecord, type KafkaConsumer } from '../kafka/consumer.ts';
import type { RecordSink } from './payment-sink.ts';
import type { Recorder } from './recorder.ts';
import { Stall } from './stall.ts';

export class PaymentsConsumer {
  readonly process: string;
  private incarnation = 0;
  private up = true;
  private busy = false;
  private readonly stall: Stall;
  /** Offsets the last successful commit stored (what a restart or the next owner resumes from). */
  lastCommitted: Record<string, number> = {};

  /**
   * `peers` is every consumer of the group, this one included (shared, so caughtUp can ask whether the
   * group as a whole has covered every partition).
   */
  constructor(
    private readonly sim: Simulation,
    private readonly recorder: Recorder,
    readonly client: KafkaConsumer,
    private readonly sink: RecordSink,
    private readonly topics: readonly string[],
    private readonly config: ConsumerConfig,
    index: number,
    private readonly peers: readonly PaymentsConsumer[] = [],
  ) {
    this.process = `consumer-${index}`;
    this.stall = new Stall(sim);
    this.start();
  }

  private alive(inc: number): boolean {
    return this.up && inc === this.incarnation;
  }

  /** Runs `fn` now, or when the current stall ends. */
  private whenAwake(inc: number, fn: () => void): void {
    // A closure per call. One kept per incarnation and passed every time made a 1000-seed sweep run eleven
    // old-space collections instead of one, and recompile far more (V8 apparently kept finished runs'
    // models reachable through it): measure GCs (--trace-gc) before sharing a closure across calls here.
    this.stall.defer(() => this.alive(inc), fn);
  }

  private start(): void {
    const inc = this.incarnation;
    this.recorder.instant(this.process, 'subscribe', [...this.topics], [...this.topics]);
    this.client.subscribe([...this.topics], {
      onPartitionsRevoked: (keys, done) => this.whenAwake(inc, () => this.onRevoked(keys, inc, done)),
      onPartitionsAssigned: (keys) => {
        if (!this.alive(inc)) return;
        this.recorder.instant(this.process, 'assign', keys, keys);
        this.sink.assigned(keys);
        // The positions start at the committed offsets: that is what this member has "committed" for them.
        const positions = this.client.positions();
        const lastCommitted: Record<string, number> = {};
        for (const key of keys) lastCommitted[key] = positions[key];
        this.lastCommitted = lastCommitted;
      },
    });
    this.pollLoop(inc);
    if (this.config.enableAutoCommit) this.autoCommit(inc);
  }

  /** Before the partitions go: commit what was processed beyond the last commit, so the next owner starts there. */
  private onRevoked(keys: string[], inc: number, done: () => void): void {
    const positions = this.client.positions();
    const offsets: Record<string, number> = {};
    for (const key of keys) if (positions[key] !== undefined && positions[key] !== this.lastCommitted[key]) offsets[key] = positions[key];
    if (Object.keys(offsets).length === 0) return done();
    this.commit(offsets, inc, done);
  }

  private pollLoop(inc: number): void {
    this.whenAwake(inc, () => this.client.waitForData(100, () => this.whenAwake(inc, () => {
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
      if (this.config.enableAutoCommit) return this.applyRecords(records, inc, next);
      if (this.config.commitOrder === 'before-processing') {
        this.commit(offsets, inc, () => this.applyRecords(records, inc, next));
      } else {
        this.applyRecords(records, inc, () => this.commit(offsets, inc, next));
      }
    })));
  }

  /**
   * Applies the records one after another, each after the processing time and once awake, then calls
   * `then`. The steps are closures made once per poll and reused for every record, not made per record.
   */
  private applyRecords(records: ConsumedRecord[], inc: number, then: () => void): void {
    let next = 0;
    const step = (): void => {
      if (!this.alive(inc)) return;
      if (next >= records.length) return then();
      this.sim.afterMs(this.config.processingTimeMs, awake);
    };
    const apply = () => this.sink.apply(records[next], applied);
    const awake = () => this.whenAwake(inc, apply);
    const advance = () => {
      next++;
      step();
    };
    const applied = () => this.whenAwake(inc, advance);
    step();
  }

  private commit(offsets: Record<string, number>, inc: number, then: () => void): void {
    const id = this.recorder.invoke(this.process, 'commit', [['commit', this.client.group, offsets]]);
    this.client.commit(offsets, (error) => {
      if (!this.alive(inc)) return;
      // Refused for the generation: certainly not written. Out of retries: it may still have been.
      const type = !error ? 'ok' : COMMIT_FENCED.has(error) ? 'fail' : 'info';
      this.recorder.complete(this.process, id, type, [['commit', this.client.group, offsets]], error ?? undefined);
      if (!error) this.lastCommitted = { ...this.lastCommitted, ...offsets };
      then();
    });
  }

  private autoCommit(inc: number): void {
    this.sim.afterMs(this.config.autoCommitIntervalMs, () => this.whenAwake(inc, () => {
      const positions = this.client.positions();
      if (Object.keys(positions).length === 0 || !this.client.isStable()) return this.autoCommit(inc);
      this.commit(positions, inc, () => this.autoCommit(inc));
    }));
  }

  /** Network nodes this application owns (a pause holds their messages too). */
  nodes(): string[] {
    return [this.client.id, ...this.sink.nodes()];
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
    this.client.crash();
    this.sink.crash();
  }

  restart(): void {
    if (this.up) return;
    this.up = true;
    this.lastCommitted = {};
    this.client.restart();
    this.sink.restart();
    this.start();
  }

  isUp(): boolean {
    return this.up;
  }

  /**
   * Done with `ends` (the end of what each partition may be read to): up, awake, not mid-batch, a stable
   * member, and its positions and commits reach the end on every partition it holds. A crashed member has
   * nothing to finish as long as some member lives; the live ones must hold one generation between them
   * whose assignments cover every partition.
   */
  caughtUp(ends: Record<string, number>): boolean {
    const live = this.peers.filter((p) => p.up);
    if (!this.up) return live.length > 0;
    if (this.busy || this.stall.active || !this.client.isStable()) return false;
    const pos = this.client.positions();
    for (const key of this.client.assignment()) {
      const end = ends[key] ?? 0;
      if ((pos[key] ?? -1) < end || (this.lastCommitted[key] ?? -1) < end) return false;
    }
    const members = live.length > 0 ? live : [this];
    const generation = this.client.generation();
    const covered = new Set<string>();
    for (const m of members) {
      if (!m.client.isStable() || m.client.generation() !== generation) return false;
      for (const key of m.client.assignment()) covered.add(key);
    }
    return Object.keys(ends).filter((key) => this.topics.some((t) => key.startsWith(`${t}/`))).every((key) => covered.has(key));
  }
}
