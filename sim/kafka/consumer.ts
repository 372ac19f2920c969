// The consumer client (Kafka's KafkaConsumer + Fetcher + ConsumerCoordinator). It owns a position per
// assigned partition, keeps one fetch in flight per partition whose buffer is empty, and hands buffered
// records to the application on poll. Partitions come either from assign() (manual assignment, a "simple
// consumer") or from subscribe(): then the consumer is a member of its group under the classic protocol
// with eager rebalancing: JoinGroup (KIP-394's MEMBER_ID_REQUIRED first), the leader runs the assignor and
// SyncGroup hands out the result, heartbeats keep the session and bring news of a rebalance. As in Kafka
// the rebalance itself runs inside the application's poll (here: waitForData), so the revocation callback
// never interrupts a batch in hand. Committed offsets live in the group coordinator; positions start there.
// After a leader change the consumer validates its position against the new leader's log (KIP-320).
import type { Simulation } from '../core/simulation.ts';
import type { Envelope, NetNode, Network } from '../net/network.ts';
import { RpcClient, type RpcCallback, type RpcError } from '../net/rpc.ts';
import { ModelChecks } from './checks.ts';
import { ClientMetadata } from './client-metadata.ts';
import type { ConsumerConfig } from './config.ts';
import { brokerNodeId } from './broker.ts';
import {
  NO_GENERATION, UNKNOWN_MEMBER_ID, assignPartitions,
  type ConsumerGroupMetadata, type GroupErrorCode, type GroupOffsetCommitRequest, type GroupOffsetCommitResponse,
  type GroupOffsetFetchRequest, type GroupOffsetFetchResponse, type HeartbeatRequest, type HeartbeatResponse,
  type JoinGroupRequest, type JoinGroupResponse, type LeaveGroupRequest, type LeaveGroupResponse, type SyncGroupRequest,
  type SyncGroupResponse,
} from './group-protocol.ts';
import {
  STALE_METADATA,
  type FetchRequest, type FetchResponse, type FindCoordinatorRequest, type FindCoordinatorResponse,
  type OffsetsForLeaderEpochRequest, type OffsetsForLeaderEpochResponse,
} from './protocol.ts';

/** The producers aborting in a fetch without aborted transactions: stays empty, since only an aborted transaction adds one. */
const NO_PRODUCER_IDS = new Set<number>();

export interface ConsumedRecord {
  key: string;
  offset: number;
  value: string;
}

/** ConsumerRebalanceListener (eager protocol: every rebalance revokes everything, then assigns anew). */
export interface RebalanceListener {
  /** Called before the consumer rejoins; the application calls `done` once it has committed (or aborted) its work. */
  onPartitionsRevoked(keys: string[], done: () => void): void;
  /** Called once the new assignment's positions are known, before any of its records are returned. */
  onPartitionsAssigned(keys: string[]): void;
}

interface PartitionFetchState {
  key: string;
  /** Next offset to hand to the application. */
  position: number;
  buffer: ConsumedRecord[];
  fetching: boolean;
  /** Bumped on seek, so a fetch answered after a seek is discarded. */
  epoch: number;
  /** One past the last batch fetched (markers and aborted batches included): where the next fetch starts. */
  nextFetchOffset: number;
  /** The end of what this consumer may read (LSO for read_committed, else HW) as the last fetch reported; -1 before one. */
  endOffset: number;
  /** Fetches again once metadata arrives: one stable waiter per partition (see ClientMetadata.refresh). */
  fetchOnRefresh: () => void;
  /**
   * The leader epoch the position was last validated against (Kafka's FetchPosition.currentLeader), -1
   * before the first fetch. A newer epoch in the metadata means a leader change: validate first.
   */
  leaderEpoch: number;
  /** Leader epochs of the batches fetched, with the offset each began at: gives the epoch of the record before the position. */
  fetchedEpochs: { epoch: number; startOffset: number }[];
  /**
   * The fetch in flight (one at a time: `fetching`): the seek epoch and incarnation it was sent in, and its
   * request. Its callback is made once per partition, not once per fetch.
   */
  fetchEpoch: number;
  fetchIncarnation: number;
  fetchRequest: FetchRequest | null;
  onFetchResponse: RpcCallback<FetchResponse>;
  /**
   * A request the leader has answered, for the next fetch to fill again. Only an answered one: one that
   * failed may still be on its way to the leader or parked there.
   */
  spareRequest: FetchRequest | null;
}

/**
 * Where a subscribed consumer stands in its group (AbstractCoordinator.MemberState, split finer):
 * unjoined → (revoking →) joining → syncing → assigning → stable.
 */
export type MemberState = 'unjoined' | 'revoking' | 'joining' | 'syncing' | 'assigning' | 'stable';

/** Errors that mean "look the coordinator up again and retry". */
function coordinatorMoved(error: string): boolean {
  return error === 'NOT_COORDINATOR' || error === 'COORDINATOR_NOT_AVAILABLE' || error === 'COORDINATOR_LOAD_IN_PROGRESS' ||
    error === 'REQUEST_TIMED_OUT' || error === 'NETWORK_EXCEPTION';
}

/** OffsetCommit errors that say the commit certainly did not happen and must not be retried. */
export const COMMIT_FENCED: ReadonlySet<string> = new Set<GroupErrorCode>(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS']);

export class KafkaConsumer implements NetNode {
  incarnation = 0;
  private up = true;
  private readonly rpc: RpcClient;
  private readonly metadata: ClientMetadata;
  private states = new Map<string, PartitionFetchState>();
  private coordinator: string | null = null;
  /** Callbacks waiting for the FindCoordinator in flight (one lookup at a time), or null when none is. */
  private coordinatorWaiters: ((node: string) => void)[] | null = null;
  private dataWaiter: (() => void) | null = null;

  // ---- group membership (subscribe) ----
  private subscription: { topics: string[]; listener: RebalanceListener } | null = null;
  private memberId = UNKNOWN_MEMBER_ID;
  private generationId = NO_GENERATION;
  private memberState: MemberState = 'unjoined';
  private rejoinNeeded = false;
  /** Bumped when a rebalance starts or is abandoned (leave, crash): callbacks of an older one do nothing. */
  private rebalanceSeq = 0;
  /** Bumped by every subscribe and crash: only the newest heartbeat loop keeps ticking. */
  private heartbeatLoop = 0;
  private heartbeatInFlight = false;
  /** What groupMetadata() returns: set when a generation's assignment arrives (ConsumerCoordinator.onJoinComplete). */
  private joinedGroupMetadata: ConsumerGroupMetadata;

  constructor(
    private readonly sim: Simulation,
    net: Network,
    readonly id: string,
    readonly group: string,
    private readonly config: ConsumerConfig,
    private readonly brokerIds: number[],
    private readonly checks: ModelChecks = ModelChecks.ALL_ON,
  ) {
    this.rpc = new RpcClient(sim, net, id);
    this.metadata = new ClientMetadata(sim, this.rpc, sim.stream(`client:${id}`), brokerIds, config.requestTimeoutMs, config.retryBackoffMs, () => this.up);
    this.joinedGroupMetadata = { groupId: group, generationId: NO_GENERATION, memberId: UNKNOWN_MEMBER_ID };
  }

  isUp(): boolean {
    return this.up;
  }

  crash(): void {
    if (!this.up) return;
    this.up = false;
    this.incarnation++;
    this.rpc.clear();
    this.metadata.reset();
    this.states = new Map();
    this.coordinator = null;
    this.coordinatorWaiters = null;
    this.dataWaiter = null;
    // A restarted process is a new member: the coordinator drops the old one when its session times out.
    this.subscription = null;
    this.resetGeneration(true);
    this.memberState = 'unjoined';
    this.rejoinNeeded = false;
    this.rebalanceSeq++;
    this.heartbeatLoop++;
    this.heartbeatInFlight = false;
    this.joinedGroupMetadata = { groupId: this.group, generationId: NO_GENERATION, memberId: UNKNOWN_MEMBER_ID };
    this.sim.log(`${this.id} crash`);
  }

  restart(): void {
    if (this.up) return;
    this.up = true;
    this.sim.log(`${this.id} restart`);
  }

  peerDisconnected(peer: string, connectionId: number): void {
    this.rpc.failAll(peer, connectionId);
  }

  deliver(env: Envelope): void {
    if (env.kind === 'response') this.rpc.onResponse(env);
  }

  assignment(): string[] {
    return [...this.states.keys()];
  }

  positions(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.states.values()) out[s.key] = s.position;
    return out;
  }

  /** Runs `fn` after a backoff if this incarnation still lives. */
  private later(fn: () => void, delayMs = this.config.retryBackoffMs): void {
    const inc = this.incarnation;
    this.sim.afterMs(delayMs, () => {
      if (this.up && inc === this.incarnation) fn();
    });
  }

  /** Takes `keys` and positions them at the committed offsets (earliest when none), then calls `ready`. */
  assign(keys: string[], ready: () => void): void {
    this.subscription = null;
    this.states = new Map();
    this.fetchCommitted(keys, () => this.subscription === null, (offsets) => {
      this.installPositions(keys, offsets);
      this.startFetching();
      ready();
    });
  }

  private installPositions(keys: string[], offsets: Record<string, number>): void {
    this.states = new Map();
    for (const key of keys) {
      const position = Math.max(0, offsets[key] ?? 0);
      const s: PartitionFetchState = {
        key, position, buffer: [], fetching: false, epoch: 0, nextFetchOffset: position, endOffset: -1, fetchOnRefresh: () => this.fetch(s),
        leaderEpoch: -1, fetchedEpochs: [],
        fetchEpoch: 0, fetchIncarnation: 0, fetchRequest: null, onFetchResponse: (err, resp) => this.onFetchResponse(s, err, resp), spareRequest: null,
      };
      this.states.set(key, s);
    }
  }

  private startFetching(): void {
    const states = this.states;
    this.metadata.refresh(() => {
      if (this.states !== states) return;
      for (const s of states.values()) this.fetch(s);
    });
  }

  // ---- group membership --------------------------------------------------------------------------------

  /**
   * Joins the group with a subscription to `topics` (KafkaConsumer.subscribe). Nothing happens until the
   * application waits for data: the join runs there, as Kafka's runs inside poll().
   */
  subscribe(topics: string[], listener: RebalanceListener): void {
    if (this.subscription === null) this.states = new Map();
    this.subscription = { topics: [...topics].sort(), listener };
    this.rejoinNeeded = true;
    this.startHeartbeats();
  }

  /** The identity a transactional producer sends with the offsets (KIP-447); from the last completed join. */
  groupMetadata(): ConsumerGroupMetadata {
    return { ...this.joinedGroupMetadata };
  }

  /** Subscribed, joined and holding an assignment with known positions, with no rebalance pending. */
  isStable(): boolean {
    return this.subscription === null || (this.memberState === 'stable' && !this.rejoinNeeded);
  }

  /** Generation the member holds now (-1 when it is not in one). */
  generation(): number {
    return this.generationId;
  }

  private resetGeneration(resetMemberId: boolean): void {
    this.generationId = NO_GENERATION;
    if (resetMemberId) this.memberId = UNKNOWN_MEMBER_ID;
  }

  /** The next waitForData rejoins the group (AbstractCoordinator.requestRejoin). */
  private requestRejoin(why: string): void {
    // While revoking, joining or syncing a rejoin is already underway.
    if (!this.subscription || this.rejoinNeeded || (this.memberState !== 'stable' && this.memberState !== 'assigning')) return;
    this.sim.log(`${this.id} rejoin needed: ${why}`);
    this.rejoinNeeded = true;
    this.notifyData();
  }

  /**
   * ensureActiveGroup: revoke everything, then join and sync. Runs from waitForData, between batches. A
   * member still fetching the positions of its new assignment has nothing to revoke and simply rejoins.
   */
  private maybeRebalance(): void {
    if (!this.subscription || !this.rejoinNeeded) return;
    if (this.memberState !== 'unjoined' && this.memberState !== 'stable' && this.memberState !== 'assigning') return;
    this.rejoinNeeded = false;
    const seq = ++this.rebalanceSeq;
    const owned = this.assignment();
    const listener = this.subscription.listener;
    let once = false;
    const proceed = () => {
      if (once || seq !== this.rebalanceSeq) return;
      once = true;
      this.states = new Map();
      this.memberState = 'joining';
      this.joinGroup(seq);
    };
    if (owned.length === 0) return proceed();
    this.memberState = 'revoking';
    listener.onPartitionsRevoked(owned, proceed);
  }

  private current(seq: number): boolean {
    return this.up && seq === this.rebalanceSeq && this.subscription !== null;
  }

  private joinGroup(seq: number): void {
    if (!this.current(seq)) return;
    this.withCoordinator((node) => {
      if (!this.current(seq)) return;
      const sub = this.subscription!;
      const req: JoinGroupRequest = {
        group: this.group, memberId: this.memberId, clientId: this.id, sessionTimeoutMs: this.config.sessionTimeoutMs,
        rebalanceTimeoutMs: this.config.rebalanceTimeoutMs, protocolType: 'consumer',
        protocols: [{ name: this.config.partitionAssignmentStrategy, topics: sub.topics }],
      };
      // The coordinator parks a JoinGroup up to the rebalance timeout, so the request may take that long.
      const timeoutMs = this.config.rebalanceTimeoutMs + this.config.requestTimeoutMs;
      this.rpc.request<JoinGroupRequest, JoinGroupResponse>(node, 'JoinGroup', req, timeoutMs, (err, resp) => {
        if (!this.current(seq)) return;
        const error = err ?? resp!.error;
        switch (error) {
          case 'NONE':
            return this.onJoined(seq, resp!);
          case 'MEMBER_ID_REQUIRED':
            this.memberId = resp!.memberId;
            return this.joinGroup(seq);
          case 'UNKNOWN_MEMBER_ID':
            this.resetGeneration(true);
            return this.joinGroup(seq);
          case 'ILLEGAL_GENERATION':
            this.resetGeneration(false);
            return this.joinGroup(seq);
          default:
            if (coordinatorMoved(error)) this.coordinator = null;
            return this.later(() => this.joinGroup(seq));
        }
      });
    });
  }

  private onJoined(seq: number, resp: JoinGroupResponse): void {
    this.memberId = resp.memberId;
    this.generationId = resp.generationId;
    this.memberState = 'syncing';
    this.sim.log(`${this.id} joined ${this.group} gen=${resp.generationId} as ${resp.memberId}${resp.leader === resp.memberId ? ' (leader)' : ''}`);
    if (resp.leader !== resp.memberId) return this.syncGroup(seq, {});
    // The leader runs the assignor over every member's subscription, with partition counts from metadata.
    this.metadata.refresh(() => {
      if (!this.current(seq)) return;
      const counts = new Map<string, number>();
      for (const p of this.metadata.image?.partitions ?? []) counts.set(p.topic, Math.max(counts.get(p.topic) ?? 0, p.partition + 1));
      this.syncGroup(seq, assignPartitions(resp.protocolName ?? this.config.partitionAssignmentStrategy, resp.members, counts));
    });
  }

  private syncGroup(seq: number, assignments: Record<string, string[]>): void {
    this.withCoordinator((node) => this.sendSyncGroup(seq, node, assignments));
  }

  private sendSyncGroup(seq: number, node: string, assignments: Record<string, string[]>): void {
    if (!this.current(seq)) return;
    const req: SyncGroupRequest = { group: this.group, generationId: this.generationId, memberId: this.memberId, assignments };
    this.rpc.request<SyncGroupRequest, SyncGroupResponse>(node, 'SyncGroup', req, this.config.rebalanceTimeoutMs + this.config.requestTimeoutMs, (err, resp) => {
      if (!this.current(seq)) return;
      const error = err ?? resp!.error;
      if (error === 'NONE') return this.onAssignment(seq, resp!.assignment);
      this.memberState = 'joining';
      if (error === 'UNKNOWN_MEMBER_ID') this.resetGeneration(true);
      else if (error === 'ILLEGAL_GENERATION') this.resetGeneration(false);
      else if (coordinatorMoved(error)) this.coordinator = null;
      if (error === 'REBALANCE_IN_PROGRESS' || error === 'UNKNOWN_MEMBER_ID' || error === 'ILLEGAL_GENERATION') return this.joinGroup(seq);
      this.later(() => this.joinGroup(seq));
    });
  }

  /** The generation's assignment arrived: start from the committed offsets, then tell the application. */
  private onAssignment(seq: number, keys: string[]): void {
    this.memberState = 'assigning';
    this.joinedGroupMetadata = { groupId: this.group, generationId: this.generationId, memberId: this.memberId };
    const sorted = [...keys].sort();
    this.sim.log(`${this.id} assigned gen=${this.generationId} [${sorted.join(',')}]`);
    this.fetchCommitted(sorted, () => this.current(seq), (offsets) => {
      this.installPositions(sorted, offsets);
      this.memberState = 'stable';
      this.subscription!.listener.onPartitionsAssigned(sorted);
      if (!this.current(seq)) return;
      this.startFetching();
    });
  }

  /** Kafka's heartbeat thread: ticks every heartbeat.interval.ms while subscribed. */
  private startHeartbeats(): void {
    const inc = this.incarnation;
    const loop = ++this.heartbeatLoop;
    const tick = () => {
      if (!this.up || inc !== this.incarnation || loop !== this.heartbeatLoop || !this.subscription) return;
      this.heartbeat();
      this.sim.afterMs(this.config.heartbeatIntervalMs, tick);
    };
    this.sim.afterMs(this.config.heartbeatIntervalMs, tick);
  }

  /**
   * Heartbeats flow while the member holds a generation and is not parked in JoinGroup/SyncGroup. They go to
   * whoever coordinates the group now: a new coordinator loaded the generation from the log, so the member
   * carries on unless it answers UNKNOWN_MEMBER_ID or ILLEGAL_GENERATION.
   */
  private heartbeat(): void {
    const s = this.memberState;
    if (this.generationId < 0 || s === 'unjoined' || s === 'joining' || s === 'syncing') return;
    const node = this.coordinator;
    if (!node) return this.withCoordinator(() => {});
    if (this.heartbeatInFlight) return;
    this.heartbeatInFlight = true;
    const inc = this.incarnation;
    const generationId = this.generationId;
    const req: HeartbeatRequest = { group: this.group, generationId, memberId: this.memberId };
    this.rpc.request<HeartbeatRequest, HeartbeatResponse>(node, 'Heartbeat', req, this.config.requestTimeoutMs, (err, resp) => {
      if (inc !== this.incarnation) return;
      this.heartbeatInFlight = false;
      if (!this.up || !this.subscription || generationId !== this.generationId) return;
      const error = err ?? resp!.error;
      switch (error) {
        case 'NONE': return;
        case 'REBALANCE_IN_PROGRESS':
          return this.requestRejoin('heartbeat: REBALANCE_IN_PROGRESS');
        case 'UNKNOWN_MEMBER_ID':
        case 'ILLEGAL_GENERATION':
          this.resetGeneration(error === 'UNKNOWN_MEMBER_ID');
          return this.requestRejoin(`heartbeat: ${error}`);
        default:
          // The coordinator moved or is unreachable: look it up again (the next tick does).
          if (coordinatorMoved(error)) this.coordinator = null;
      }
    });
  }

  /** Leaves the group (unsubscribe / close): revoke, then LeaveGroup so the others need not wait for the session timeout. */
  leave(done: () => void = () => {}): void {
    const sub = this.subscription;
    if (!sub) return done();
    const seq = ++this.rebalanceSeq;
    const owned = this.assignment();
    const finish = () => {
      if (!this.up || seq !== this.rebalanceSeq) return;
      const memberId = this.memberId;
      const node = this.coordinator;
      this.subscription = null;
      this.states = new Map();
      this.resetGeneration(true);
      this.memberState = 'unjoined';
      this.rejoinNeeded = false;
      this.heartbeatLoop++;
      this.sim.log(`${this.id} leave ${this.group} as ${memberId}`);
      if (node && memberId !== UNKNOWN_MEMBER_ID) {
        this.rpc.request<LeaveGroupRequest, LeaveGroupResponse>(node, 'LeaveGroup', { group: this.group, memberId }, this.config.requestTimeoutMs, () => {});
      }
      done();
    };
    if (owned.length === 0 || this.memberState !== 'stable') return finish();
    this.memberState = 'revoking';
    sub.listener.onPartitionsRevoked(owned, finish);
  }

  // ---- coordinator calls -----------------------------------------------------------------------------

  /** Calls `then` with the group coordinator's node, looking it up first if unknown (lookups are shared). */
  private withCoordinator(then: (node: string) => void): void {
    if (this.coordinator) return then(this.coordinator);
    if (this.coordinatorWaiters) {
      this.coordinatorWaiters.push(then);
      return;
    }
    this.coordinatorWaiters = [then];
    this.lookupCoordinator();
  }

  /**
   * NetworkClient.leastLoadedNode: a broker the last metadata called live with the fewest requests in flight
   * (one that stopped answering piles them up until they time out), ties broken at random.
   */
  private leastLoadedNode(): string {
    const live = this.metadata.image && this.metadata.image.liveBrokers.length > 0 ? this.metadata.image.liveBrokers : this.brokerIds;
    const nodes = live.map(brokerNodeId);
    const load = nodes.map((n) => this.rpc.inFlightTo(n));
    const least = Math.min(...load);
    const candidates = nodes.filter((_, i) => load[i] === least);
    return candidates[this.sim.stream(`client:${this.id}`).int(candidates.length)];
  }

  private lookupCoordinator(): void {
    const target = this.leastLoadedNode();
    const inc = this.incarnation;
    this.rpc.request<FindCoordinatorRequest, FindCoordinatorResponse>(target, 'FindCoordinator', { keyType: 'group', key: this.group }, this.config.requestTimeoutMs, (err, resp) => {
      if (inc !== this.incarnation) return;
      if (err || !resp || resp.error !== 'NONE') return this.later(() => this.lookupCoordinator());
      const node = brokerNodeId(resp.nodeId);
      this.coordinator = node;
      const waiters = this.coordinatorWaiters ?? [];
      this.coordinatorWaiters = null;
      for (const w of waiters) w(node);
    });
  }

  /** OffsetFetch, retried until it answers; read_committed consumers ask for stable offsets only (KIP-447). */
  private fetchCommitted(keys: string[], stillWanted: () => boolean, then: (offsets: Record<string, number>) => void): void {
    if (keys.length === 0) return then({});
    this.withCoordinator((node) => {
      const inc = this.incarnation;
      if (!stillWanted()) return;
      const req: GroupOffsetFetchRequest = { group: this.group, keys, requireStable: this.config.isolationLevel === 'read_committed' };
      this.rpc.request<GroupOffsetFetchRequest, GroupOffsetFetchResponse>(node, 'OffsetFetch', req, this.config.requestTimeoutMs, (err, resp) => {
        if (inc !== this.incarnation || !stillWanted()) return;
        const error = err ?? resp!.error;
        if (error !== 'NONE') {
          // UNSTABLE_OFFSET_COMMIT: a transaction holding offsets for these partitions is open; back off until it ends.
          if (coordinatorMoved(error)) this.coordinator = null;
          return this.later(() => this.fetchCommitted(keys, stillWanted, then));
        }
        then(resp!.offsets);
      });
    });
  }

  /**
   * Commits offsets (commitSync): retries retriable errors until `deadlineMs` passes, then reports the
   * last error. A commit that timed out may still have taken effect; one refused for the generation
   * (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS: Kafka's CommitFailedException) did not.
   * A subscribed consumer commits as the member of the generation it holds when it calls.
   */
  commit(offsets: Record<string, number>, done: (error: string | null) => void, deadlineMs = 5000): void {
    const deadlineUs = this.sim.nowUs + deadlineMs * 1000;
    const req: GroupOffsetCommitRequest = { group: this.group, offsets };
    if (this.subscription) {
      // ConsumerCoordinator.sendOffsetCommitRequest: only a member of a generation commits for the group.
      if (this.generationId < 0 || (this.memberState !== 'stable' && this.memberState !== 'revoking')) {
        return done(this.memberId === UNKNOWN_MEMBER_ID ? 'UNKNOWN_MEMBER_ID' : 'REBALANCE_IN_PROGRESS');
      }
      req.generationId = this.generationId;
      req.memberId = this.memberId;
    }
    const inc = this.incarnation;
    const attempt = () => this.withCoordinator((node) => {
      this.rpc.request<GroupOffsetCommitRequest, GroupOffsetCommitResponse>(node, 'OffsetCommit', req, this.config.requestTimeoutMs, (err, resp) => {
        if (inc !== this.incarnation) return;
        const error = err ?? resp!.error;
        if (error === 'NONE') return done(null);
        if (COMMIT_FENCED.has(error)) {
          if (req.generationId === this.generationId) {
            if (error !== 'REBALANCE_IN_PROGRESS') this.resetGeneration(error === 'UNKNOWN_MEMBER_ID');
            this.requestRejoin(`commit: ${error}`);
          }
          return done(error);
        }
        if (coordinatorMoved(error)) this.coordinator = null;
        if (this.sim.nowUs >= deadlineUs) return done(error);
        this.later(attempt);
      });
    });
    attempt();
  }

  /**
   * Moves `keys` back to their committed offsets and drops what was fetched beyond (used after a transaction
   * aborts, so the aborted input is processed again), then calls `then`.
   */
  seekToCommitted(keys: string[], then: () => void): void {
    const wanted = keys.filter((k) => this.states.has(k));
    const states = this.states;
    // `then` runs in any case (the application waits on it); if a rebalance replaced the assignment
    // meanwhile, there is nothing left to move.
    this.fetchCommitted(wanted, () => true, (offsets) => {
      if (this.states !== states) return then();
      for (const key of wanted) {
        const s = states.get(key)!;
        this.seek(s, Math.max(0, offsets[key] ?? 0));
        this.fetch(s);
      }
      this.sim.log(`${this.id} seek to committed ${wanted.map((k) => `${k}@${states.get(k)!.position}`).join(' ')}`);
      then();
    });
  }

  /**
   * Moves each partition of `offsets` that is still assigned to its offset and drops what was fetched
   * beyond (KafkaConsumer.seek): an application's own rewind, from offsets it holds in memory, not from
   * the group's committed ones.
   */
  seekTo(offsets: Record<string, number>): void {
    const moved: string[] = [];
    for (const key of Object.keys(offsets).sort()) {
      const s = this.states.get(key);
      if (s === undefined) continue;
      this.seek(s, offsets[key]);
      this.fetch(s);
      moved.push(`${key}@${offsets[key]}`);
    }
    if (moved.length > 0) this.sim.log(`${this.id} seek ${moved.join(' ')}`);
  }

  // ---- fetching --------------------------------------------------------------------------------------

  private fetch(s: PartitionFetchState): void {
    if (!this.up || s.fetching || s.buffer.length > 0 || this.states.get(s.key) !== s) return;
    const leader = this.metadata.leaderFor(s.key);
    if (!leader) {
      this.metadata.refresh(s.fetchOnRefresh);
      return;
    }
    const leaderEpoch = this.metadata.leaderEpochFor(s.key);
    if (leaderEpoch > s.leaderEpoch) {
      const offsetEpoch = this.offsetEpoch(s);
      // Nothing consumed yet, or of an unknown epoch: nothing to validate (Kafka: a position without an epoch).
      if (offsetEpoch < 0) s.leaderEpoch = leaderEpoch;
      else return this.validatePosition(s, leader, leaderEpoch, offsetEpoch);
    }
    s.fetching = true;
    s.fetchEpoch = s.epoch;
    s.fetchIncarnation = this.incarnation;
    const req = s.spareRequest ?? {
      key: s.key, fetchOffset: 0, replicaId: -1, replicaEpoch: -1, currentLeaderEpoch: 0, lastFetchedEpoch: -1,
      isolationLevel: this.config.isolationLevel, maxWaitMs: this.config.fetchMaxWaitMs, maxRecords: this.config.maxPollRecords,
    };
    s.spareRequest = null;
    req.fetchOffset = s.position;
    req.currentLeaderEpoch = s.leaderEpoch;
    s.fetchRequest = req;
    this.rpc.request<FetchRequest, FetchResponse>(leader, 'Fetch', req, this.config.requestTimeoutMs + this.config.fetchMaxWaitMs, s.onFetchResponse);
  }

  private onFetchResponse(s: PartitionFetchState, err: RpcError | null, resp: FetchResponse | null): void {
    if (resp !== null) s.spareRequest = s.fetchRequest;
    if (s.fetchIncarnation !== this.incarnation) return;
    s.fetching = false;
    if (s.epoch !== s.fetchEpoch || this.states.get(s.key) !== s) return this.fetch(s);
    const error = err ?? resp!.error;
    if (error === 'OFFSET_OUT_OF_RANGE') {
      // auto.offset.reset=earliest
      this.sim.log(`${this.id} ${s.key} offset ${s.position} out of range: reset to 0`);
      this.seek(s, 0);
      return this.fetch(s);
    }
    if (error !== 'NONE') {
      if (STALE_METADATA.has(error)) this.metadata.refresh();
      return this.later(() => this.fetch(s));
    }
    this.takeBatches(s, resp!);
    if (s.buffer.length > 0) this.notifyData();
    else this.fetch(s);
  }

  /** Moves the position (a fetch answered after this is discarded) and forgets the epochs of what lies beyond it. */
  private seek(s: PartitionFetchState, offset: number): void {
    s.position = offset;
    s.nextFetchOffset = offset;
    s.buffer = [];
    s.epoch++;
    while (s.fetchedEpochs.length > 0 && s.fetchedEpochs[s.fetchedEpochs.length - 1].startOffset >= offset) s.fetchedEpochs.pop();
  }

  /** Leader epoch of the record before the position (Kafka's FetchPosition.offsetEpoch), or -1 if unknown. */
  private offsetEpoch(s: PartitionFetchState): number {
    for (let i = s.fetchedEpochs.length - 1; i >= 0; i--) if (s.fetchedEpochs[i].startOffset < s.position) return s.fetchedEpochs[i].epoch;
    return -1;
  }

  /**
   * KIP-320 (SubscriptionState.maybeValidatePositionForCurrentLeader, OffsetsForLeaderEpochClient): after a
   * leader change, ask the new leader where the epoch of the position's last record ends in its log. If it
   * ends before the position, the log was truncated under the consumer: move back to the first offset
   * known to diverge (maybeCompleteValidation) instead of reading past records it never saw.
   */
  private validatePosition(s: PartitionFetchState, leader: string, leaderEpoch: number, offsetEpoch: number): void {
    s.fetching = true;
    const epoch = s.epoch;
    const inc = this.incarnation;
    const req: OffsetsForLeaderEpochRequest = { key: s.key, currentLeaderEpoch: leaderEpoch, leaderEpoch: offsetEpoch };
    this.rpc.request<OffsetsForLeaderEpochRequest, OffsetsForLeaderEpochResponse>(leader, 'OffsetsForLeaderEpoch', req, this.config.requestTimeoutMs, (err, resp) => {
      if (inc !== this.incarnation) return;
      s.fetching = false;
      if (s.epoch !== epoch || this.states.get(s.key) !== s) return this.fetch(s);
      const error = err ?? resp!.error;
      if (error !== 'NONE') {
        if (STALE_METADATA.has(error)) this.metadata.refresh();
        return this.later(() => this.fetch(s));
      }
      if (resp!.endOffset < s.position) {
        this.sim.log(`${this.id} ${s.key} truncation detected at ${s.position} (epoch ${offsetEpoch} ends at ${resp!.endOffset}): seek to ${resp!.endOffset}`);
        this.sim.cover('Consumer moved to the divergence point after a truncation (KIP-320)');
        this.seek(s, resp!.endOffset);
      }
      s.leaderEpoch = leaderEpoch;
      this.fetch(s);
    });
  }

  /**
   * Buffers the application records of a fetch. Control batches never reach the application; under
   * read_committed, batches of aborted transactions are dropped as Kafka's Fetcher does: a producer is
   * "aborting" from the first offset of its aborted transaction until its ABORT marker.
   */
  private takeBatches(s: PartitionFetchState, resp: FetchResponse): void {
    s.endOffset = this.config.isolationLevel === 'read_committed' ? resp.lastStableOffset : resp.highWatermark;
    // Most fetches carry no aborted transaction: then nothing is copied, sorted or allocated for them.
    const aborted = resp.abortedTransactions.length === 0
      ? resp.abortedTransactions
      : [...resp.abortedTransactions].sort((a, b) => a.firstOffset - b.firstOffset || a.producerId - b.producerId);
    const aborting = aborted.length === 0 ? NO_PRODUCER_IDS : new Set<number>();
    let next = 0;
    // An index loop: for-of over the shared empty read (a frozen array) fell back to a generic, allocating iterator.
    for (let i = 0; i < resp.batches.length; i++) {
      const b = resp.batches[i];
      const last = s.fetchedEpochs[s.fetchedEpochs.length - 1];
      if (!last || b.partitionLeaderEpoch > last.epoch) s.fetchedEpochs.push({ epoch: b.partitionLeaderEpoch, startOffset: b.baseOffset });
      while (next < aborted.length && aborted[next].firstOffset <= b.lastOffset) aborting.add(aborted[next++].producerId);
      s.nextFetchOffset = Math.max(s.nextFetchOffset, b.lastOffset + 1);
      if (b.control) {
        if (b.control === 'ABORT') aborting.delete(b.producerId);
        continue;
      }
      if (b.isTransactional && aborting.has(b.producerId) && this.checks.on('aborted-transaction-filter')) {
        this.sim.cover('Consumer skipped a batch of an aborted transaction (read_committed)');
        continue;
      }
      for (let i = 0; i < b.records.length; i++) {
        const r = b.records[i];
        const offset = b.baseOffset + i;
        if (offset >= s.position && typeof r === 'string') s.buffer.push({ key: s.key, offset, value: r });
      }
    }
    // Nothing left to hand out: the position moves past the skipped markers and aborted batches too.
    if (s.buffer.length === 0) s.position = Math.max(s.position, s.nextFetchOffset);
  }

  /** Every one of `keys` is assigned and read to the end its last fetch reported. */
  readToEnd(keys: string[]): boolean {
    return keys.every((k) => {
      const st = this.states.get(k);
      return st !== undefined && st.endOffset >= 0 && st.buffer.length === 0 && st.position >= st.endOffset;
    });
  }

  private notifyData(): void {
    const w = this.dataWaiter;
    this.dataWaiter = null;
    if (w) w();
  }

  /**
   * Calls `then` once some record is buffered, or after `timeoutMs` (then with nothing to return). A
   * pending rebalance runs here first (Kafka runs it inside poll), so records are never handed out across one.
   */
  waitForData(timeoutMs: number, then: () => void): void {
    this.maybeRebalance();
    if (this.hasData()) return then();
    let fired = false;
    const once = () => {
      if (fired) return;
      fired = true;
      if (this.dataWaiter === once) this.dataWaiter = null;
      then();
    };
    this.dataWaiter = once;
    this.later(once, timeoutMs);
  }

  /** Records may be handed out: manual assignment, or a member whose assignment is in place. */
  private canReturnRecords(): boolean {
    return this.subscription === null || (this.memberState === 'stable' && !this.rejoinNeeded);
  }

  private hasData(): boolean {
    if (!this.canReturnRecords()) return false;
    for (const s of this.states.values()) if (s.buffer.length > 0) return true;
    return false;
  }

  /** Returns up to max.poll.records buffered records and advances positions past them. */
  poll(): ConsumedRecord[] {
    const out: ConsumedRecord[] = [];
    if (!this.canReturnRecords()) return out;
    for (const s of this.states.values()) {
      while (s.buffer.length > 0 && out.length < this.config.maxPollRecords) {
        const r = s.buffer.shift()!;
        out.push(r);
        s.position = r.offset + 1;
      }
      if (s.buffer.length === 0) s.position = Math.max(s.position, s.nextFetchOffset);
      this.fetch(s);
    }
    return out;
  }

  /** The next offset this consumer hands out for `key` (null when not assigned). */
  position(key: string): number | null {
    return this.states.get(key)?.position ?? null;
  }
}
