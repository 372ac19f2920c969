// A Kafka broker: serves Produce, Fetch and Metadata for the partitions it leads, replicates the ones it
// follows by fetching from their leaders, proposes ISR changes to the controller, heartbeats, and hosts
// the group coordinator for the __consumer_offsets partitions it leads. It crashes in two ways: a
// process crash keeps the page cache (the whole log survives), a power loss keeps only what was flushed.
import { InvariantError } from '../core/invariant.ts';
import type { Simulation } from '../core/simulation.ts';
import type { CrashKind } from '../faults/schedule.ts';
import type { Envelope, NetNode, Network } from '../net/network.ts';
import { RpcClient, reply, type RpcCallback, type RpcError } from '../net/rpc.ts';
import { Slots } from '../core/slots.ts';
import type { ApiName } from '../faults/schedule.ts';
import type { BrokerConfig } from './config.ts';
import type { ModelChecks } from './checks.ts';
import type { KafkaFeatures } from './releases.ts';
import { CONTROLLER_ID } from './controller.ts';
import { GroupCoordinator } from './group-coordinator.ts';
import { TransactionCoordinator } from './transaction-coordinator.ts';
import { Partition } from './partition.ts';
import { NO_BATCHES } from './log.ts';
import { APPEND, type AppendCheck } from './producer-state-manager.ts';
import { DelayedFetch } from './delayed-fetch.ts';
import { DelayedProduce } from './delayed-produce.ts';
import { coordinatorPartitionFor } from './partitioner.ts';
import {
  partitionKey, registrationIn,
  type AlterPartitionRequest, type AlterPartitionResponse, type BrokerHeartbeatRequest, type BrokerHeartbeatResponse,
  type ErrorCode, type FetchRequest, type FetchResponse, type FindCoordinatorRequest, type FindCoordinatorResponse,
  type InitProducerIdRequest, type InitProducerIdResponse, type MetadataImage, type MetadataResponse,
  type OffsetCommitRequest, type OffsetFetchRequest, type PartitionRegistration, type ProduceRequest,
  type ProduceResponse, type ProducerBatch, type ControlType, type AddPartitionsToTxnRequest, type AddOffsetsToTxnRequest,
  type EndTxnRequest, type WriteTxnMarkersRequest, type WriteTxnMarkersResponse, type TxnResponse,
  type OffsetsForLeaderEpochRequest, type OffsetsForLeaderEpochResponse,
} from './protocol.ts';

/** An empty abortedTransactions, shared (frozen: a reader that changed it would fail loudly). */
const NO_ABORTED: FetchResponse['abortedTransactions'] = Object.freeze([]) as unknown as FetchResponse['abortedTransactions'];

/**
 * A request's leader epoch against the partition's (Kafka's Partition.checkCurrentLeaderEpoch): older is
 * FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH, -1 asks for no check.
 */
function leaderEpochError(p: Partition, currentLeaderEpoch: number): ErrorCode | null {
  if (currentLeaderEpoch >= 0 && currentLeaderEpoch < p.leaderEpoch) return 'FENCED_LEADER_EPOCH';
  if (currentLeaderEpoch > p.leaderEpoch) return 'UNKNOWN_LEADER_EPOCH';
  return null;
}

export const OFFSETS_TOPIC = '__consumer_offsets';
export const TRANSACTION_STATE_TOPIC = '__transaction_state';
/** Coverage: a read_committed fetch stopped short of the high watermark at the last stable offset. */
const LSO_BOUND = 'Fetch bounded by the last stable offset (read_committed)';

export interface BrokerOptions {
  config: BrokerConfig;
  /** The safety checks the broker and its coordinators perform (all, unless switched off for testing). */
  checks: ModelChecks;
  /** The behaviours of the modelled Kafka release line (sim/kafka/releases.ts). */
  features: KafkaFeatures;
  offsetsTopicPartitions: number;
  transactionStatePartitions: number;
  /** Producer id allocation (Kafka: blocks from the controller; here a direct call, see docs/model.md). */
  allocateProducerId: () => number;
}

/** Node ids by broker id, built once: every request to a broker names it, and a fresh string would be hashed anew. */
const BROKER_NODE_IDS: string[] = [];

export function brokerNodeId(id: number): string {
  if (!(Number.isInteger(id) && id >= 0)) return `broker-${id}`;
  return (BROKER_NODE_IDS[id] ??= `broker-${id}`);
}

/**
 * A follower partition's fetching from its leader (Kafka's ReplicaFetcherThread, one partition). It has one
 * fetch in flight at a time, so one callback, made when the session starts, answers them all.
 */
interface FetchSession {
  readonly partition: Partition;
  /** The leader epoch the fetch in flight was sent in: an answer from another epoch is dropped. */
  epoch: number;
  readonly onResponse: RpcCallback<FetchResponse>;
  /** The last request sent (in flight until its answer or timeout). */
  request: FetchRequest | null;
  /**
   * A request the leader has answered, for the next fetch to fill again rather than allocate one per
   * fetch. Only an answered one: a request that timed out may still be on its way or parked at the leader.
   */
  spare: FetchRequest | null;
}

export class Broker implements NetNode {
  readonly id: string;
  incarnation = 0;
  private up = true;
  private readonly rpc: RpcClient;
  readonly partitions = new Map<string, Partition>();
  private image: MetadataImage | null = null;
  private readonly fetchSessions = new Map<string, FetchSession>();
  readonly groupCoordinator: GroupCoordinator;
  readonly transactionCoordinator: TransactionCoordinator;
  /** Parked fetches and held produces, by slot, for their timeouts: typed events, not a closure each. */
  private readonly parkedFetches = new Slots<DelayedFetch>();
  private readonly parkedProduces = new Slots<DelayedProduce>();
  private readonly fetchExpiryKind: number;
  private readonly produceExpiryKind: number;

  constructor(
    private readonly sim: Simulation,
    private readonly net: Network,
    readonly brokerId: number,
    readonly options: BrokerOptions,
  ) {
    this.id = brokerNodeId(brokerId);
    this.rpc = new RpcClient(sim, net, this.id);
    this.groupCoordinator = new GroupCoordinator(this, sim);
    this.transactionCoordinator = new TransactionCoordinator(sim, this, { features: options.features, checks: options.checks });
    this.fetchExpiryKind = sim.register((slot) => this.parkedFetches.take(slot).expire());
    this.produceExpiryKind = sim.register((slot) => this.expireProduce(this.parkedProduces.take(slot)));
    this.startTimers();
  }

  isUp(): boolean {
    return this.up;
  }

  get config(): BrokerConfig {
    return this.options.config;
  }

  metadataImage(): MetadataImage | null {
    return this.image;
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Runs `fn` every `intervalMs` for as long as this incarnation lives. */
  private every(intervalMs: number, fn: () => void): void {
    const inc = this.incarnation;
    const tick = () => {
      if (!this.up || this.incarnation !== inc) return;
      fn();
      this.sim.afterMs(intervalMs, tick);
    };
    this.sim.afterMs(0, tick);
  }

  private startTimers(): void {
    const c = this.options.config;
    this.every(c.brokerHeartbeatIntervalMs, () => this.heartbeat());
    this.every(Math.max(1, c.replicaLagTimeMaxMs / 2), () => this.maybeShrinkIsr());
    this.every(c.flushIntervalMs, () => {
      for (const p of this.partitions.values()) p.log.flush();
    });
  }

  crash(kind: CrashKind): void {
    if (!this.up) return;
    this.sim.log(`${this.id} crash ${kind}`);
    this.up = false;
    this.incarnation++;
    this.rpc.clear();
    this.fetchSessions.clear();
    this.groupCoordinator.clear();
    this.transactionCoordinator.clear();
    for (const p of this.partitions.values()) {
      p.delayedProduces = [];
      p.waitingFetches = [];
      p.role = 'none';
      p.pendingIsr = null;
      if (kind === 'power-loss' && p.log.flushedOffset < p.log.logEndOffset) {
        this.sim.cover('Partition truncate after power loss');
        p.truncateTo(p.log.flushedOffset);
      }
    }
    this.image = null;
    this.net.nodeCrashed(this.id, kind === 'process');
  }

  restart(): void {
    if (this.up) return;
    this.up = true;
    this.sim.log(`${this.id} restart`);
    for (const p of this.partitions.values()) {
      p.producerState.rebuild(p.log.batches);
      p.leaderEpoch = -1;
      p.leaderId = -1;
    }
    this.startTimers();
  }

  peerDisconnected(peer: string, connectionId: number): void {
    this.rpc.failAll(peer, connectionId);
  }

  // ---- controller link ---------------------------------------------------------------------------

  private heartbeat(): void {
    const req: BrokerHeartbeatRequest = { brokerId: this.brokerId, incarnation: this.incarnation, metadataVersion: this.image?.version ?? 0 };
    const inc = this.incarnation;
    this.rpc.request<BrokerHeartbeatRequest, BrokerHeartbeatResponse>(CONTROLLER_ID, 'BrokerHeartbeat', req, this.options.config.brokerHeartbeatIntervalMs * 2, (err, resp) => {
      if (err || inc !== this.incarnation || !resp?.image) return;
      this.applyImage(resp.image);
    });
  }

  private applyImage(image: MetadataImage): void {
    if (this.image && image.version <= this.image.version) return;
    this.image = image;
    for (const reg of image.partitions) {
      if (!reg.replicas.includes(this.brokerId)) continue;
      this.applyRegistration(reg);
    }
  }

  private applyRegistration(reg: PartitionRegistration): void {
    let p = this.partitions.get(reg.key);
    if (!p) {
      p = new Partition(this.sim, this.brokerId, reg.key, reg.topic, reg.partition, this.options.config.minInsyncReplicas,
        { checks: this.options.checks, markerEpochCheck: this.options.features.markerEpochCheck },
        this.options.features);
      this.partitions.set(reg.key, p);
    }
    const wasLeader = p.role === 'leader';
    const change = p.applyRegistration(reg);
    if (change === 'became-follower') this.startFetcher(p);
    const coordinator = p.topic === OFFSETS_TOPIC ? this.groupCoordinator : p.topic === TRANSACTION_STATE_TOPIC ? this.transactionCoordinator : null;
    if (coordinator) {
      if (change === 'became-leader') coordinator.load(p);
      else if (wasLeader && p.role !== 'leader') coordinator.unload(p);
    }
  }

  /**
   * Proposes an ISR change to the controller (AlterPartition). Until a newer registration arrives the
   * change stays pending and the high watermark waits for the maximal ISR (KIP-497); a request that went
   * unanswered is sent again, since the controller may have committed it.
   */
  private alterIsr(p: Partition, newIsr: number[]): void {
    if (p.pendingIsr || p.role !== 'leader') return;
    p.pendingIsr = newIsr;
    this.sendAlterPartition(p, newIsr);
  }

  private sendAlterPartition(p: Partition, newIsr: number[]): void {
    const inc = this.incarnation;
    const epoch = p.leaderEpoch;
    const req: AlterPartitionRequest = {
      brokerId: this.brokerId, key: p.key, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr,
      newIsrBrokerEpochs: p.brokerEpochsOf(newIsr, this.incarnation),
    };
    this.sim.log(`${this.id} alter-isr ${p.key} [${newIsr.join(',')}]`);
    this.rpc.request<AlterPartitionRequest, AlterPartitionResponse>(CONTROLLER_ID, 'AlterPartition', req, 1000, (err, resp) => {
      if (inc !== this.incarnation || p.leaderEpoch !== epoch || p.pendingIsr !== newIsr) return;
      if (err || !resp) {
        this.sim.afterMs(100, () => {
          if (inc === this.incarnation && p.leaderEpoch === epoch && p.pendingIsr === newIsr) this.sendAlterPartition(p, newIsr);
        });
        return;
      }
      // Committed or refused, the answer carries the controller's registration: that settles the proposal.
      if (resp.registration) this.applyRegistration(resp.registration);
      p.pendingIsr = null;
      p.maybeAdvanceHighWatermark();
      p.completeDelayedProduces();
    });
  }

  private maybeShrinkIsr(): void {
    const maxLagUs = this.options.config.replicaLagTimeMaxMs * 1000;
    for (const p of this.partitions.values()) {
      if (p.role !== 'leader') continue;
      const lagging = p.laggingFollowers(maxLagUs);
      if (lagging.length > 0) this.alterIsr(p, p.isr.filter((id) => !lagging.includes(id)));
    }
  }

  // ---- replica fetcher ------------------------------------------------------------------------------

  private startFetcher(p: Partition): void {
    const session: FetchSession = {
      partition: p, epoch: -1,
      onResponse: (err, resp) => this.onLeaderFetchResponse(session, err, resp),
      request: null, spare: null,
    };
    this.fetchSessions.set(p.key, session);
    this.fetchFromLeader(session);
  }

  private fetchFromLeader(session: FetchSession): void {
    const p = session.partition;
    if (!this.up || this.fetchSessions.get(p.key) !== session || p.role !== 'follower') return;
    const c = this.options.config;
    session.epoch = p.leaderEpoch;
    const req = session.spare ?? {
      key: p.key, fetchOffset: 0, replicaId: this.brokerId, replicaEpoch: 0, currentLeaderEpoch: 0,
      lastFetchedEpoch: 0, isolationLevel: 'read_uncommitted', maxWaitMs: 0, maxRecords: 500,
    };
    session.spare = null;
    req.fetchOffset = p.log.logEndOffset;
    req.replicaEpoch = this.incarnation;
    req.currentLeaderEpoch = session.epoch;
    req.lastFetchedEpoch = p.log.latestEpoch();
    req.maxWaitMs = c.replicaFetchWaitMaxMs;
    session.request = req;
    this.rpc.request<FetchRequest, FetchResponse>(brokerNodeId(p.leaderId), 'Fetch', req, c.replicaFetchWaitMaxMs + 1000, session.onResponse);
  }

  private onLeaderFetchResponse(session: FetchSession, err: RpcError | null, resp: FetchResponse | null): void {
    const p = session.partition;
    if (resp !== null) session.spare = session.request;
    if (this.fetchSessions.get(p.key) !== session || p.role !== 'follower' || p.leaderEpoch !== session.epoch) return;
    if (err || !resp || resp.error !== 'NONE') return this.sim.afterMs(50, () => this.fetchFromLeader(session));
    if (resp.divergingEpoch && this.options.checks.on('diverging-epoch-truncation')) {
      const local = p.log.endOffsetForEpoch(resp.divergingEpoch.epoch);
      this.sim.cover('Partition truncate to the diverging epoch');
      p.truncateTo(Math.min(resp.divergingEpoch.endOffset, local.endOffset));
      return this.fetchFromLeader(session);
    }
    // An index loop: for-of over the shared empty read (a frozen array) fell back to a generic, allocating iterator.
    for (let i = 0; i < resp.batches.length; i++) {
      const b = resp.batches[i];
      if (b.lastOffset >= p.log.logEndOffset && b.baseOffset < p.log.logEndOffset) return this.markPartitionFailed(p, b.baseOffset);
      p.appendAsFollower(b);
    }
    p.log.highWatermark = Math.min(resp.highWatermark, p.log.logEndOffset);
    this.fetchFromLeader(session);
  }

  /**
   * A fetched batch that starts below this follower's log end and reaches past it: the two logs differ
   * inside one epoch. Kafka's append throws UnexpectedAppendOffsetException and the fetcher marks the
   * partition failed (AbstractFetcherThread.markPartitionFailed): it stops replicating it until it is made
   * a follower again. Only switching broker fencing off lets logs differ that way (an unfenced restarted
   * leader keeps writing in its old epoch); otherwise the model itself went wrong.
   */
  private markPartitionFailed(p: Partition, baseOffset: number): void {
    if (this.options.checks.on('broker-fencing')) {
      throw new InvariantError(`${this.id} ${p.key}: fetched a batch at ${baseOffset} but the log end offset is ${p.log.logEndOffset}`);
    }
    this.sim.log(`${this.id} ${p.key} failed: fetched a batch at ${baseOffset}, log end offset ${p.log.logEndOffset}`);
    this.sim.cover('Follower marked a partition failed (unexpected append offset)');
    this.fetchSessions.delete(p.key);
  }

  // ---- requests ------------------------------------------------------------------------------------

  deliver(env: Envelope): void {
    if (env.kind === 'response') {
      this.rpc.onResponse(env);
      return;
    }
    switch (env.api) {
      case 'Produce': return this.onProduce(env as Envelope<ProduceRequest>);
      case 'Fetch': return this.onFetch(env as Envelope<FetchRequest>);
      case 'Metadata': return this.answer<MetadataResponse>(env, { image: this.image ?? { version: 0, liveBrokers: [], partitions: [] } });
      case 'InitProducerId': return this.onInitProducerId(env as Envelope<InitProducerIdRequest>);
      case 'AddPartitionsToTxn': return this.transactionCoordinator.onAddPartitionsToTxn(env as Envelope<AddPartitionsToTxnRequest>);
      case 'AddOffsetsToTxn': return this.transactionCoordinator.onAddOffsetsToTxn(env as Envelope<AddOffsetsToTxnRequest>);
      case 'EndTxn': return this.transactionCoordinator.onEndTxn(env as Envelope<EndTxnRequest>);
      case 'WriteTxnMarkers': return this.onWriteTxnMarkers(env as Envelope<WriteTxnMarkersRequest>);
      case 'FindCoordinator': return this.onFindCoordinator(env as Envelope<FindCoordinatorRequest>);
      case 'OffsetsForLeaderEpoch': return this.onOffsetsForLeaderEpoch(env as Envelope<OffsetsForLeaderEpochRequest>);
      case 'OffsetCommit': return this.groupCoordinator.onOffsetCommit(env as Envelope<OffsetCommitRequest>);
      case 'OffsetFetch': return this.groupCoordinator.onOffsetFetch(env as Envelope<OffsetFetchRequest>);
      case 'JoinGroup': case 'SyncGroup': case 'Heartbeat': case 'LeaveGroup': case 'TxnOffsetCommit':
        return this.groupCoordinator.deliver(env);
      default: throw new Error(`${this.id}: no handler for ${env.api}`);
    }
  }

  /** A request from this broker (coordinators use it for markers and verification). */
  request<Req, Resp>(to: string, api: ApiName, body: Req, callback: RpcCallback<Resp>): void {
    this.rpc.request<Req, Resp>(to, api, body, 1000, callback);
  }

  /** Replies unless this incarnation died in between (a crashed broker answers nothing). */
  answer<B>(env: Envelope, body: B, inc = this.incarnation): void {
    if (!this.up || inc !== this.incarnation) return;
    // Every error a broker or its coordinators answer, by API: the protections a run reached.
    const error = (body as { error?: unknown }).error;
    if (typeof error === 'string' && error !== 'NONE') this.sim.cover(`${env.api} ${error}`);
    const errors = (body as { errors?: Record<string, string> }).errors;
    if (errors) for (const e of Object.values(errors)) if (e !== 'NONE') this.sim.cover(`${env.api} ${e}`);
    if (env.afterClose) this.sim.cover(`${env.api} served after its client closed the connection`);
    reply(this.net, env, body);
  }

  leaderPartition(key: string): Partition | null {
    const p = this.partitions.get(key);
    return p && p.role === 'leader' ? p : null;
  }

  /**
   * Appends a batch as leader and calls `done` when the acks are satisfied: at once for acks 0 and 1,
   * once the high watermark passes it for acks=all (Kafka's DelayedProduce), or with an error.
   */
  appendRecords(p: Partition, batch: ProducerBatch, acks: ProduceRequest['acks'], timeoutMs: number,
    done: (error: ErrorCode, baseOffset: number) => void, marker?: { control: ControlType; coordinatorEpoch: number }): void {
    if (acks === 'all' && p.isr.length < this.options.config.minInsyncReplicas && this.options.checks.on('min-insync-replicas')) return done('NOT_ENOUGH_REPLICAS', -1);
    let baseOffset: number;
    let lastOffset: number;
    let check: AppendCheck;
    if (!marker) check = p.producerState.check(batch);
    else {
      const error = p.producerState.checkMarker(batch.producerId, batch.producerEpoch, marker.coordinatorEpoch);
      check = error === 'NONE' ? APPEND : { kind: 'error', error };
    }
    if (check.kind === 'error') {
      if (check.reason) this.sim.cover(`ProducerStateManager ${check.error} (${check.reason})`);
      return done(check.error, -1);
    }
    if (check.kind === 'duplicate') {
      this.sim.cover(`ProducerStateManager duplicate batch, window position ${check.windowPosition}`);
      baseOffset = check.firstOffset;
      lastOffset = check.lastOffset;
      this.sim.logt`${this.id} ${p.key} duplicate pid=${batch.producerId} seq=${batch.baseSequence} at ${baseOffset}`;
    } else {
      const appended = p.appendAsLeader(batch, marker?.control ?? null, marker?.coordinatorEpoch ?? -1);
      baseOffset = appended.baseOffset;
      lastOffset = appended.lastOffset;
      // One record per append: written as template parts (Simulation.logt), so no text is built for it.
      if (marker) this.sim.logt`${this.id} ${p.key} append ${marker.control} ${baseOffset}..${lastOffset} pid=${batch.producerId} e=${batch.producerEpoch} seq=${batch.baseSequence}`;
      else this.sim.logt`${this.id} ${p.key} append ${baseOffset}..${lastOffset} pid=${batch.producerId} e=${batch.producerEpoch} seq=${batch.baseSequence}`;
    }
    if (acks !== 'all') return done('NONE', baseOffset);
    if (lastOffset < p.log.highWatermark) return done('NONE', baseOffset);
    const delayed = new DelayedProduce(p, this.incarnation, lastOffset + 1, baseOffset, done);
    p.delayedProduces.push(delayed);
    this.sim.afterEvent(timeoutMs * 1000, this.produceExpiryKind, this.parkedProduces.park(delayed), 0);
  }

  /** A held produce's timeout: unless it completed (or this incarnation died), it fails REQUEST_TIMED_OUT. */
  private expireProduce(delayed: DelayedProduce): void {
    if (delayed.isFinished || delayed.incarnation !== this.incarnation) return;
    const p = delayed.partition;
    p.delayedProduces = p.delayedProduces.filter((d) => d !== delayed);
    delayed.complete('REQUEST_TIMED_OUT');
  }

  private onProduce(env: Envelope<ProduceRequest>): void {
    const req = env.body;
    const p = this.leaderPartition(req.key);
    const inc = this.incarnation;
    if (!p) return this.answer<ProduceResponse>(env, { error: 'NOT_LEADER_OR_FOLLOWER', baseOffset: -1 });
    const append = () => this.appendRecords(p, req.batch, req.acks, req.timeoutMs, (error, baseOffset) => {
      // acks=0: the broker sends no response at all.
      if (req.acks !== 0) this.answer<ProduceResponse>(env, { error, baseOffset }, inc);
    });
    const b = req.batch;
    const open = p.producerState.producers.get(b.producerId)?.currentTxnFirstOffset ?? -1;
    if (!this.options.features.partitionVerification || !b.isTransactional || req.transactionalId === null || open >= 0 || !this.options.checks.on('partition-verification')) return append();
    // KIP-890: the first write of a transaction to this partition must be one the coordinator knows of,
    // so a produce that arrives after its transaction ended cannot open a transaction nobody will end.
    this.verifyTransaction(req.transactionalId, b.producerId, b.producerEpoch, req.key, (error) => {
      if (inc !== this.incarnation) return;
      if (error === 'NONE') return append();
      // Only the coordinator's own "not in the transaction" is a verdict; an unreachable coordinator is
      // mapped to a retriable error, as Kafka's AddPartitionsToTxnManager maps it to NOT_ENOUGH_REPLICAS.
      const verdict = error === 'INVALID_TXN_STATE' || error === 'PRODUCER_FENCED' || error === 'INVALID_PRODUCER_ID_MAPPING';
      if (verdict) this.sim.cover('Partition verification rejected a transaction\'s first write (KIP-890)');
      this.answer<ProduceResponse>(env, { error: verdict ? 'INVALID_TXN_STATE' : 'NOT_ENOUGH_REPLICAS', baseOffset: -1 }, inc);
    });
  }

  private verifyTransaction(transactionalId: string, producerId: number, producerEpoch: number, key: string, done: (error: ErrorCode) => void): void {
    const coordinator = this.coordinatorFor(TRANSACTION_STATE_TOPIC, transactionalId, this.options.transactionStatePartitions);
    if (coordinator < 0) return done('COORDINATOR_NOT_AVAILABLE');
    const req: AddPartitionsToTxnRequest = { transactionalId, producerId, producerEpoch, partitions: [key], verifyOnly: true };
    this.request<AddPartitionsToTxnRequest, TxnResponse>(brokerNodeId(coordinator), 'AddPartitionsToTxn', req, (err, resp) => done(err ?? resp!.error));
  }

  private onWriteTxnMarkers(env: Envelope<WriteTxnMarkersRequest>): void {
    const req = env.body;
    const inc = this.incarnation;
    const errors: Record<string, ErrorCode> = {};
    let pending = req.partitions.length;
    const oneDone = (key: string, error: ErrorCode) => {
      errors[key] = error;
      if (--pending === 0) this.answer<WriteTxnMarkersResponse>(env, { errors }, inc);
    };
    for (const key of req.partitions) {
      const p = this.leaderPartition(key);
      if (!p) {
        oneDone(key, 'NOT_LEADER_OR_FOLLOWER');
        continue;
      }
      const batch = { producerId: req.producerId, producerEpoch: req.producerEpoch, baseSequence: -1, isTransactional: true, records: [] };
      this.appendRecords(p, batch, 'all', 5000, (error) => {
        // Transactional offsets become committed (or are dropped) once the marker is replicated.
        if (error === 'NONE' && p.topic === OFFSETS_TOPIC && p.role === 'leader') this.groupCoordinator.onTxnMarker(p, req.producerId, req.result);
        if (error === 'NONE' && req.result === 'COMMIT') this.sim.failpoint('after-commit-marker', this.id);
        oneDone(key, error);
      }, { control: req.result, coordinatorEpoch: req.coordinatorEpoch });
    }
  }

  private onFetch(env: Envelope<FetchRequest>): void {
    const req = env.body;
    const p = this.leaderPartition(req.key);
    if (!p) return this.failFetch(env, 'NOT_LEADER_OR_FOLLOWER');
    const isReplica = req.replicaId >= 0;
    // Followers always send their leader epoch; consumers too since KIP-320 (-1: no check).
    const epochError = leaderEpochError(p, req.currentLeaderEpoch);
    if (epochError) return this.failFetch(env, epochError);
    if (isReplica) {
      if (req.lastFetchedEpoch >= 0 && !p.log.hasEpochThrough(req.lastFetchedEpoch, req.fetchOffset)) {
        return this.answer<FetchResponse>(env, {
          error: 'NONE', highWatermark: p.log.highWatermark, lastStableOffset: p.lastStableOffset(), logStartOffset: 0,
          batches: NO_BATCHES, abortedTransactions: NO_ABORTED, divergingEpoch: p.log.endOffsetForEpoch(req.lastFetchedEpoch),
        });
      }
      if (req.fetchOffset > p.log.logEndOffset) return this.failFetch(env, 'OFFSET_OUT_OF_RANGE');
      if (!p.updateFollower(req.replicaId, req.fetchOffset, req.replicaEpoch)) return this.failFetch(env, 'NOT_LEADER_OR_FOLLOWER');
      if (p.shouldAddToIsr(req.replicaId)) this.alterIsr(p, [...p.isr, req.replicaId]);
    } else if (req.fetchOffset > p.log.logEndOffset) {
      return this.failFetch(env, 'OFFSET_OUT_OF_RANGE');
    }
    const fetch = new DelayedFetch(this, env, p, this.incarnation);
    if (fetch.tryComplete(req.maxWaitMs <= 0)) return;
    // Long poll: park until data arrives or maxWaitMs passes (Kafka's DelayedFetch).
    p.waitingFetches.push(fetch);
    this.sim.afterEvent(req.maxWaitMs * 1000, this.fetchExpiryKind, this.parkedFetches.park(fetch), 0);
  }

  /**
   * Answers a fetch if it has data to return (or `force`, its wait is over): Kafka's DelayedFetch.tryComplete.
   * Returns whether the fetch is done with: answered, or moot (this incarnation died, or `epoch`'s leadership ended).
   */
  answerFetch(env: Envelope<FetchRequest>, p: Partition, epoch: number, inc: number, force: boolean): boolean {
    if (inc !== this.incarnation) return true;
    if (p.role !== 'leader' || p.leaderEpoch !== epoch) {
      this.failFetch(env, 'NOT_LEADER_OR_FOLLOWER');
      return true;
    }
    const req = env.body;
    const isReplica = req.replicaId >= 0;
    const bounded = req.isolationLevel === 'read_committed' && this.options.checks.on('last-stable-offset');
    // The last stable offset walks the producer state: computed once, and only by a fetch that is bounded
    // by it or answers (most wakes of a parked fetch find nothing new).
    const maxOffset = isReplica ? p.log.logEndOffset : bounded ? p.lastStableOffset() : p.log.highWatermark;
    if (bounded && maxOffset < p.log.highWatermark && maxOffset > req.fetchOffset) this.sim.cover(LSO_BOUND);
    const batches = p.log.read(req.fetchOffset, maxOffset, req.maxRecords);
    if (batches.length === 0 && !force) return false;
    const lso = bounded && !isReplica ? maxOffset : p.lastStableOffset();
    const aborted = !isReplica && req.isolationLevel === 'read_committed' ? this.abortedForFetch(p, req.fetchOffset, maxOffset) : NO_ABORTED;
    // A consumer learns where the log ends from these (its endOffsets), which a new leader cannot say yet.
    const endKnown = isReplica || p.endOffsetsKnown();
    this.answer<FetchResponse>(env, {
      error: 'NONE', highWatermark: endKnown ? p.log.highWatermark : -1, lastStableOffset: endKnown ? lso : -1, logStartOffset: 0,
      batches, abortedTransactions: aborted, divergingEpoch: null,
    });
    return true;
  }

  /** A fetch's abortedTransactions; most partitions never saw an abort, and then nothing is allocated. */
  private abortedForFetch(p: Partition, fromOffset: number, toOffset: number): FetchResponse['abortedTransactions'] {
    const aborted = p.producerState.abortedTransactions(fromOffset, toOffset);
    if (aborted.length === 0) return NO_ABORTED;
    return aborted.map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }));
  }

  private failFetch(env: Envelope<FetchRequest>, error: ErrorCode): void {
    this.answer<FetchResponse>(env, {
      error, highWatermark: -1, lastStableOffset: -1, logStartOffset: 0, batches: NO_BATCHES, abortedTransactions: NO_ABORTED, divergingEpoch: null,
    });
  }

  /** Partition.lastOffsetForLeaderEpoch as a consumer's position validation uses it (KIP-320). */
  private onOffsetsForLeaderEpoch(env: Envelope<OffsetsForLeaderEpochRequest>): void {
    const req = env.body;
    const p = this.leaderPartition(req.key);
    const fail = (error: ErrorCode) => this.answer<OffsetsForLeaderEpochResponse>(env, { error, leaderEpoch: -1, endOffset: -1 });
    if (!p) return fail('NOT_LEADER_OR_FOLLOWER');
    const epochError = leaderEpochError(p, req.currentLeaderEpoch);
    if (epochError) return fail(epochError);
    // LeaderEpochFileCache.endOffsetFor: an epoch older than every one the log has ends where the log's first begins.
    const end = p.log.endOffsetForEpoch(req.leaderEpoch);
    this.answer<OffsetsForLeaderEpochResponse>(env, { error: 'NONE', leaderEpoch: end.epoch === -1 ? req.leaderEpoch : end.epoch, endOffset: end.endOffset });
  }

  private onInitProducerId(env: Envelope<InitProducerIdRequest>): void {
    const req = env.body;
    if (req.transactionalId !== null) return this.transactionCoordinator.onInitProducerId(env);
    const resp: InitProducerIdResponse = req.producerId >= 0
      ? { error: 'NONE', producerId: req.producerId, producerEpoch: req.producerEpoch + 1 }
      : { error: 'NONE', producerId: this.options.allocateProducerId(), producerEpoch: 0 };
    this.answer(env, resp);
  }

  /** Leader of the internal partition that owns `id` (a group or a transactional id), or -1. */
  private coordinatorFor(topic: string, id: string, partitions: number): number {
    const key = partitionKey(topic, coordinatorPartitionFor(id, partitions));
    return registrationIn(this.image, key)?.leader ?? -1;
  }

  private onFindCoordinator(env: Envelope<FindCoordinatorRequest>): void {
    const req = env.body;
    const leader = req.keyType === 'group'
      ? this.coordinatorFor(OFFSETS_TOPIC, req.key, this.options.offsetsTopicPartitions)
      : this.coordinatorFor(TRANSACTION_STATE_TOPIC, req.key, this.options.transactionStatePartitions);
    const resp: FindCoordinatorResponse = leader >= 0 ? { error: 'NONE', nodeId: leader } : { error: 'COORDINATOR_NOT_AVAILABLE', nodeId: -1 };
    this.answer(env, resp);
  }
}
