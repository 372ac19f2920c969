// One broker's replica of one partition (Kafka's Partition): its log and producer state, its role, and
// as leader the follower positions, the ISR, the high watermark and the produce requests waiting for
// acks=all. The broker wires it to the network; this file holds the replication rules.
import type { Simulation } from '../core/simulation.ts';
import type { DelayedFetch } from './delayed-fetch.ts';
import type { DelayedProduce } from './delayed-produce.ts';
import { Log } from './log.ts';
import { ProducerStateManager, type ProducerStateOptions } from './producer-state-manager.ts';
import type { KafkaFeatures } from './releases.ts';
import type { ErrorCode, PartitionRegistration, ProducerBatch, RecordBatch } from './protocol.ts';

export interface FollowerState {
  logEndOffset: number;
  /** Last time the follower's fetch reached the leader's log end (Kafka's lastCaughtUpTimeMs). */
  lastCaughtUpUs: number;
  /** Broker epoch of the follower's latest fetch (KIP-903; Kafka's ReplicaState.brokerEpoch), -1 before one. */
  brokerEpoch: number;
}

export class Partition {
  readonly log = new Log();
  readonly producerState: ProducerStateManager;
  role: 'leader' | 'follower' | 'none' = 'none';
  leaderId = -1;
  leaderEpoch = -1;
  partitionEpoch = -1;
  isr: number[] = [];
  replicas: number[] = [];
  /** ISR change sent to the controller and not yet answered. */
  pendingIsr: number[] | null = null;
  readonly followers = new Map<number, FollowerState>();
  /** Log end offset when this replica became leader: a follower joins the ISR only once it has that much. */
  leaderEpochStartOffset = 0;
  delayedProduces: DelayedProduce[] = [];
  /** Fetches parked until data arrives (long poll). */
  waitingFetches: DelayedFetch[] = [];
  /**
   * Completed transactions whose marker the high watermark has not passed yet (ProducerStateManager's
   * unreplicatedTxns): the marker could still be lost with this replica, so the LSO waits for it.
   */
  private unreplicatedTxns: { firstOffset: number; markerOffset: number }[] = [];

  constructor(
    private readonly sim: Simulation,
    readonly brokerId: number,
    readonly key: string,
    readonly topic: string,
    readonly index: number,
    private readonly minInsyncReplicas: number,
    producerStateOptions: ProducerStateOptions,
    private readonly features: KafkaFeatures,
  ) {
    this.producerState = new ProducerStateManager(producerStateOptions);
  }

  /**
   * LSO (UnifiedLog.lastStableOffset): nothing at or beyond the first offset of an open transaction, or
   * of a completed one whose marker is not below the high watermark yet, is stable; nor beyond the HW.
   */
  lastStableOffset(): number {
    const hw = this.log.highWatermark;
    // ProducerStateManager.onHighWatermarkUpdated: a transaction whose marker is below the HW is stable.
    // The list is in marker order (markers are appended in offset order), so the stable ones are its head.
    const unreplicated = this.unreplicatedTxns;
    while (unreplicated.length > 0 && unreplicated[0].markerOffset < hw) unreplicated.shift();
    let first = this.producerState.firstUnstableOffset();
    for (let i = 0; i < unreplicated.length; i++) if (first < 0 || unreplicated[i].firstOffset < first) first = unreplicated[i].firstOffset;
    return first >= 0 ? Math.min(first, hw) : hw;
  }

  /**
   * Whether this leader can tell consumers where its log ends: not until its high watermark, which it took
   * over from its follower days and may lag, has reached the start of its epoch (Kafka's
   * Partition.fetchOffsetForTimestamp answers OFFSET_NOT_AVAILABLE before that). Until then committed
   * records may lie above its HW and LSO, and a consumer reading "to the end" would stop short of them.
   */
  endOffsetsKnown(): boolean {
    return this.log.highWatermark >= this.leaderEpochStartOffset;
  }

  /** Before a marker ends a transaction in the producer state, keeps where it began (ProducerStateManager.completeTxn). */
  private noteCompletedTxn(batch: RecordBatch): void {
    if (batch.control === null) return;
    const first = this.producerState.producers.get(batch.producerId)?.currentTxnFirstOffset ?? -1;
    if (first >= 0) this.unreplicatedTxns.push({ firstOffset: first, markerOffset: batch.baseOffset });
  }

  /** Applies the controller's registration; returns what changed for the broker to act on. */
  applyRegistration(reg: PartitionRegistration): 'became-leader' | 'became-follower' | 'isr-updated' | 'none' {
    // A registration no newer than what this replica has is stale (or unchanged): applying it could drop
    // a pending ISR change the controller may already have committed.
    if (reg.leaderEpoch < this.leaderEpoch) return 'none';
    if (reg.leaderEpoch === this.leaderEpoch && reg.partitionEpoch <= this.partitionEpoch && this.role !== 'none') return 'none';
    const newEpoch = reg.leaderEpoch !== this.leaderEpoch;
    this.replicas = reg.replicas;
    this.partitionEpoch = reg.partitionEpoch;
    this.leaderId = reg.leader;
    if (reg.leader === this.brokerId) {
      this.isr = reg.isr;
      this.pendingIsr = null;
      if (newEpoch || this.role !== 'leader') {
        this.leaderEpoch = reg.leaderEpoch;
        this.becomeLeader();
        return 'became-leader';
      }
      this.maybeAdvanceHighWatermark();
      return 'isr-updated';
    }
    if (newEpoch || this.role === 'leader' || this.role === 'none') {
      this.leaderEpoch = reg.leaderEpoch;
      this.resign('NOT_LEADER_OR_FOLLOWER');
      this.role = reg.leader === -1 ? 'none' : 'follower';
      return this.role === 'follower' ? 'became-follower' : 'none';
    }
    return 'none';
  }

  private becomeLeader(): void {
    this.role = 'leader';
    this.leaderEpochStartOffset = this.log.logEndOffset;
    this.followers.clear();
    for (const id of this.replicas) {
      if (id !== this.brokerId) this.followers.set(id, { logEndOffset: 0, lastCaughtUpUs: this.sim.nowUs, brokerEpoch: -1 });
    }
    this.sim.log(`broker-${this.brokerId} ${this.key} leader epoch=${this.leaderEpoch} leo=${this.log.logEndOffset} hw=${this.log.highWatermark}`);
  }

  /** Leaving leadership (or crashing): every waiting produce is answered, nothing is left parked. */
  resign(error: ErrorCode): void {
    if (this.role === 'leader') this.sim.log(`broker-${this.brokerId} ${this.key} resign epoch=${this.leaderEpoch}`);
    this.role = 'none';
    const delayed = this.delayedProduces;
    this.delayedProduces = [];
    for (const d of delayed) d.complete(error);
    this.wakeFetches();
    this.pendingIsr = null;
  }

  /** Appends a producer batch as leader, assigning offsets in this leader epoch. */
  appendAsLeader(batch: ProducerBatch, control: RecordBatch['control'] = null, coordinatorEpoch = -1): RecordBatch {
    const baseOffset = this.log.logEndOffset;
    // An explicit literal, not a spread: this is the hottest allocation of a run.
    const full: RecordBatch = {
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      isTransactional: batch.isTransactional,
      records: batch.records,
      baseOffset,
      // A control batch holds one (control) record.
      lastOffset: baseOffset + Math.max(batch.records.length, 1) - 1,
      partitionLeaderEpoch: this.leaderEpoch,
      control,
      coordinatorEpoch,
    };
    this.log.append(full);
    this.noteCompletedTxn(full);
    this.producerState.update(full);
    this.maybeAdvanceHighWatermark();
    this.wakeFetches();
    return full;
  }

  appendAsFollower(batch: RecordBatch): void {
    if (batch.lastOffset < this.log.logEndOffset) return; // already have it
    this.log.append(batch);
    this.noteCompletedTxn(batch);
    this.producerState.update(batch);
  }

  truncateTo(offset: number): void {
    if (offset >= this.log.logEndOffset) return;
    this.sim.log(`broker-${this.brokerId} ${this.key} truncate ${this.log.logEndOffset}->${offset}`);
    this.log.truncateTo(offset);
    this.producerState.rebuild(this.log.batches);
    // A marker truncated away reopens its transaction in the rebuilt producer state.
    this.unreplicatedTxns = this.unreplicatedTxns.filter((t) => t.markerOffset < this.log.logEndOffset);
  }

  /** ISR the high watermark must wait for: the committed ISR plus any member being added (KIP-497). */
  private maximalIsr(): number[] {
    if (!this.pendingIsr) return this.isr;
    return [...new Set([...this.isr, ...this.pendingIsr])];
  }

  maybeAdvanceHighWatermark(): void {
    if (this.role !== 'leader') return;
    // KAFKA-15583 (3.7+): below min.insync.replicas nothing new is committed, whatever acks wrote it.
    if (this.features.highWatermarkWaitsForMinIsr && this.isr.length < this.minInsyncReplicas) return;
    let hw = this.log.logEndOffset;
    const isr = this.maximalIsr();
    for (let i = 0; i < isr.length; i++) {
      if (isr[i] === this.brokerId) continue;
      const f = this.followers.get(isr[i]);
      hw = Math.min(hw, f ? f.logEndOffset : 0);
    }
    if (hw <= this.log.highWatermark) return;
    this.log.highWatermark = hw;
    this.completeDelayedProduces();
    this.wakeFetches();
  }

  /** Answers produce requests whose records the whole ISR now has (DelayedProduce.tryComplete). */
  completeDelayedProduces(): void {
    const hw = this.log.highWatermark;
    // Called on every high watermark move: nothing is allocated unless something completes. (The list is
    // not sorted: a duplicate batch waits for its original's offsets.)
    const waiting = this.delayedProduces;
    let any = false;
    for (let i = 0; i < waiting.length && !any; i++) any = waiting[i].requiredOffset <= hw;
    if (!any) return;
    // The rest stay in place, in order, before anything that completing these appends here.
    const done: DelayedProduce[] = [];
    let kept = 0;
    for (let i = 0; i < waiting.length; i++) {
      if (waiting[i].requiredOffset <= hw) done.push(waiting[i]);
      else waiting[kept++] = waiting[i];
    }
    waiting.length = kept;
    // Kafka's checkEnoughReplicasReachOffset counts the maximal ISR: a member being added already counts.
    const enough = this.maximalIsr().length >= this.minInsyncReplicas;
    for (let i = 0; i < done.length; i++) done[i].complete(enough ? 'NONE' : 'NOT_ENOUGH_REPLICAS_AFTER_APPEND');
  }

  wakeFetches(): void {
    // In place: called on every append and high watermark move. Answering a fetch only sends a message,
    // so nothing parks a fetch here while the list is being walked.
    const waiting = this.waitingFetches;
    let kept = 0;
    for (let i = 0; i < waiting.length; i++) if (!waiting[i].wake()) waiting[kept++] = waiting[i];
    waiting.length = kept;
  }

  /**
   * A follower fetched from `fetchOffset`: it has everything below it. With KIP-903 a fetch from an older
   * broker epoch than the last one seen is stale (Replica.updateFetchStateOrThrow): it updates nothing and
   * the caller answers NOT_LEADER_OR_FOLLOWER; returns whether the fetch was taken.
   */
  updateFollower(id: number, fetchOffset: number, brokerEpoch: number): boolean {
    const f = this.followers.get(id);
    if (!f) return true;
    if (this.features.isrBrokerEpochCheck) {
      if (brokerEpoch !== -1 && f.brokerEpoch > brokerEpoch) return false;
      f.brokerEpoch = brokerEpoch;
    }
    f.logEndOffset = fetchOffset;
    if (fetchOffset >= this.log.logEndOffset) f.lastCaughtUpUs = this.sim.nowUs;
    this.maybeAdvanceHighWatermark();
    return true;
  }

  /** The broker epoch the leader last saw each member of `isr` fetch with (-1 where unknown; its own is `ownEpoch`). */
  brokerEpochsOf(isr: number[], ownEpoch: number): number[] {
    return isr.map((id) => (id === this.brokerId ? ownEpoch : this.followers.get(id)?.brokerEpoch ?? -1));
  }

  /** Whether the follower that just fetched should join the ISR: caught up to the high watermark (Kafka's maybeExpandIsr). */
  shouldAddToIsr(id: number): boolean {
    const f = this.followers.get(id);
    return f !== undefined && !this.isr.includes(id) && f.logEndOffset >= this.log.highWatermark && f.logEndOffset >= this.leaderEpochStartOffset;
  }

  /** Followers in the ISR that have not caught up within replica.lag.time.max.ms. */
  laggingFollowers(maxLagUs: number): number[] {
    const out: number[] = [];
    for (const id of this.isr) {
      if (id === this.brokerId) continue;
      const f = this.followers.get(id);
      if (!f || this.sim.nowUs - f.lastCaughtUpUs > maxLagUs) out.push(id);
    }
    return out;
  }

}
