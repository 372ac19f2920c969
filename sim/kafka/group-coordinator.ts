// The group coordinator of one broker (Kafka's GroupCoordinator / GroupMetadataManager / GroupMetadata, the
// classic protocol): for each __consumer_offsets partition the broker leads, it runs the groups that hash
// to it: membership (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, session timeouts), generations and the
// rebalance barrier, and their offsets (OffsetCommit, OffsetFetch, KIP-447's TxnOffsetCommit).
//
// Offsets are records appended to __consumer_offsets with acks=all; a plain commit takes effect in the cache
// once replicated, so a failover never loses an acknowledged commit, and a new leader rebuilds the cache
// from the log. Transactional offsets stay pending per producer id until the transaction's marker: COMMIT
// makes them committed, ABORT drops them; while pending, OffsetFetch with requireStable answers
// UNSTABLE_OFFSET_COMMIT. Membership lives in memory, and each completed rebalance is also written to the
// log (a GroupMetadataValue, as Kafka's storeGroup does): a new coordinator resumes the group as Stable with
// the same generation and members, so a coordinator failover alone does not fence anyone.
import type { Simulation } from '../core/simulation.ts';
import type { Envelope } from '../net/network.ts';
import type { Broker } from './broker.ts';
import { OFFSETS_TOPIC } from './broker.ts';
import type { Partition } from './partition.ts';
import { coordinatorPartitionFor } from './partitioner.ts';
import {
  NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, partitionKey,
  type ErrorCode, type OffsetCommitValue, type ProducerBatch, type RecordValue,
} from './protocol.ts';
import {
  NO_GENERATION, UNKNOWN_MEMBER_ID,
  type AssignorName, type GroupErrorCode, type GroupMetadataValue, type GroupOffsetCommitRequest, type GroupOffsetCommitResponse,
  type GroupOffsetFetchRequest, type GroupOffsetFetchResponse, type HeartbeatRequest, type HeartbeatResponse,
  type JoinGroupProtocol, type JoinGroupRequest, type JoinGroupResponse, type LeaveGroupRequest, type LeaveGroupResponse,
  type StoredMember, type SyncGroupRequest, type SyncGroupResponse, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse,
} from './group-protocol.ts';

// ---- group state machine (GroupMetadata.scala) -----------------------------------------------------------

export const GROUP_STATES = ['Empty', 'PreparingRebalance', 'CompletingRebalance', 'Stable', 'Dead'] as const;
export type GroupState = (typeof GROUP_STATES)[number];

/** GroupState.validPreviousStates in Kafka's GroupMetadata.scala. */
export const VALID_PREVIOUS_GROUP_STATES: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export class IllegalGroupTransitionError extends Error {}

export function checkGroupTransition(groupId: string, from: GroupState, to: GroupState): void {
  if (!VALID_PREVIOUS_GROUP_STATES[to].includes(from)) {
    throw new IllegalGroupTransitionError(`group ${groupId}: illegal transition ${from} -> ${to} (${to} may follow only ${VALID_PREVIOUS_GROUP_STATES[to].join(', ')})`);
  }
}

/** A committed (or pending) offset and where its record stands in __consumer_offsets (orders txn vs plain commits). */
interface OffsetAndLogPosition {
  offset: number;
  /** Offset of the record in the __consumer_offsets log. */
  recordOffset: number;
}

interface MemberMetadata extends StoredMember {
  /** The member's JoinGroup waiting for the rebalance to complete. */
  awaitingJoin: ((r: JoinGroupResponse) => void) | null;
  /** The member's SyncGroup waiting for the leader's assignment. */
  awaitingSync: ((r: SyncGroupResponse) => void) | null;
  /** Bumped whenever the session deadline moves; an expiration timer for an older one does nothing. */
  heartbeatEpoch: number;
}

class GroupMetadata {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolName: AssignorName | null = null;
  leaderId: string | null = null;
  /** Insertion order = join order, which is the order a new leader is picked in. */
  readonly members = new Map<string, MemberMetadata>();
  /** KIP-394: ids handed out with MEMBER_ID_REQUIRED whose second JoinGroup has not arrived. */
  readonly pendingMembers = new Set<string>();
  readonly offsets = new Map<string, OffsetAndLogPosition>();
  /** producer id -> partition key -> offset written in its open transaction. */
  readonly pendingTransactionalOffsets = new Map<number, Map<string, OffsetAndLogPosition>>();
  /** Bumped whenever a delayed join is scheduled or completed; an older timer does nothing. */
  joinEpoch = 0;
  /** Kafka's InitialDelayedJoin: while set, the first rebalance of an empty group does not end early. */
  initialDelay = false;
  /** A member joined during the initial delay: extend it once more (InitialDelayedJoin). */
  newMemberAdded = false;

  constructor(readonly groupId: string) {}

  transitionTo(to: GroupState): void {
    checkGroupTransition(this.groupId, this.state, to);
    this.state = to;
  }

  hasAllMembersJoined(): boolean {
    for (const m of this.members.values()) if (!m.awaitingJoin) return false;
    return this.pendingMembers.size === 0;
  }

  rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  /** Protocol names every member supports, in the order the first member prefers them. */
  private candidateProtocols(): AssignorName[] {
    const all = [...this.members.values()];
    if (all.length === 0) return [];
    return all[0].protocols.map((p) => p.name).filter((name) => all.every((m) => m.protocols.some((p) => p.name === name)));
  }

  supportsProtocols(protocolType: string, protocols: JoinGroupProtocol[]): boolean {
    if (this.members.size === 0) return protocolType.length > 0 && protocols.length > 0;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.includes(p.name));
  }

  /** Each member votes for its most preferred candidate; the most votes wins, ties to the name first in order. */
  selectProtocol(): AssignorName {
    const candidates = this.candidateProtocols();
    if (candidates.length === 0) throw new Error(`group ${this.groupId}: no protocol common to all members`);
    const votes = new Map<AssignorName, number>();
    for (const m of this.members.values()) {
      const vote = m.protocols.find((p) => candidates.includes(p.name))!.name;
      votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    return [...candidates].sort((a, b) => (votes.get(b) ?? 0) - (votes.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0))[0];
  }

  hasPendingOffsets(key: string): boolean {
    for (const pending of this.pendingTransactionalOffsets.values()) if (pending.has(key)) return true;
    return false;
  }

  /** The transaction of `producerId` ended (a marker in the log, or onTxnMarker). */
  completePendingTxnOffsetCommit(producerId: number, isCommit: boolean): void {
    const pending = this.pendingTransactionalOffsets.get(producerId);
    if (!pending) return;
    this.pendingTransactionalOffsets.delete(producerId);
    if (!isCommit) return;
    for (const [key, c] of pending) {
      // A plain commit written after the transactional one is newer and stays (GroupMetadata.completePendingTxnOffsetCommit).
      const current = this.offsets.get(key);
      if (!current || current.recordOffset < c.recordOffset) this.offsets.set(key, c);
    }
  }
}

/** The groups of one __consumer_offsets partition this broker leads. */
interface OffsetsPartitionState {
  partition: Partition;
  /** Leader epoch at load: part of every member id, so ids never repeat across coordinators. */
  coordinatorEpoch: number;
  groups: Map<string, GroupMetadata>;
  nextMemberSeq: number;
}

/** What a test or a report may see of a group (Kafka's DescribeGroups). */
export interface GroupSummary {
  state: GroupState;
  generationId: number;
  protocolName: AssignorName | null;
  leaderId: string | null;
  members: { memberId: string; clientId: string; assignment: string[] }[];
  offsets: Record<string, number>;
  /** producer id -> partition key -> pending offset. */
  pendingOffsets: Record<number, Record<string, number>>;
}

/** Errors of the log append that a client should see as "find the coordinator again". */
function coordinatorError(error: ErrorCode): GroupErrorCode {
  switch (error) {
    case 'NONE': return 'NONE';
    case 'NOT_LEADER_OR_FOLLOWER': return 'NOT_COORDINATOR';
    // The producer-state check of a transactional append: the client's epoch is fenced.
    case 'INVALID_PRODUCER_EPOCH': case 'PRODUCER_FENCED': return error;
    default: return 'COORDINATOR_NOT_AVAILABLE';
  }
}

function joinError(memberId: string, error: GroupErrorCode): JoinGroupResponse {
  return { error, generationId: NO_GENERATION, protocolName: null, leader: '', memberId, members: [] };
}

export class GroupCoordinator {
  /** __consumer_offsets partition key -> its groups. */
  private readonly partitions = new Map<string, OffsetsPartitionState>();
  private readonly sim: Simulation;

  // The broker's clock: broker.ts constructs the coordinator with itself only, so reach its simulation.
  constructor(private readonly broker: Broker, sim: Simulation) {
    this.sim = sim;
  }

  /** The broker crashed: every group is gone without a word to its members. */
  clear(): void {
    for (const s of this.partitions.values()) for (const g of s.groups.values()) g.state = 'Dead';
    this.partitions.clear();
  }

  /** Became leader of an __consumer_offsets partition: rebuild its offsets (committed and pending) from the log. */
  load(p: Partition): void {
    const previous = this.partitions.get(p.key);
    if (previous) this.unload(previous.partition);
    const state: OffsetsPartitionState = { partition: p, coordinatorEpoch: p.leaderEpoch, groups: new Map(), nextMemberSeq: 1 };
    const membership = new Map<string, GroupMetadataValue>();
    for (const b of p.log.batches) {
      if (b.control) {
        if (b.producerId === NO_PRODUCER_ID) continue;
        for (const g of state.groups.values()) g.completePendingTxnOffsetCommit(b.producerId, b.control === 'COMMIT');
        continue;
      }
      b.records.forEach((r, i) => {
        if (typeof r === 'string') return;
        const value = r as Exclude<RecordValue, string> | GroupMetadataValue;
        if (value.type === 'group') {
          this.getOrCreateGroup(state, value.group);
          membership.set(value.group, value);
          return;
        }
        if (value.type !== 'offset') return;
        const g = this.getOrCreateGroup(state, value.group);
        const entry = { offset: value.offset, recordOffset: b.baseOffset + i };
        if (b.isTransactional) this.pendingFor(g, b.producerId).set(value.key, entry);
        else g.offsets.set(value.key, entry);
      });
    }
    this.partitions.set(p.key, state);
    const inc = this.broker.incarnation;
    for (const [groupId, value] of membership) this.loadGroup(state.groups.get(groupId)!, value, inc);
    this.sim.log(`${this.broker.id} group-coordinator load ${p.key} epoch=${p.leaderEpoch} groups=${state.groups.size}`);
  }

  /** GroupMetadata.loadGroup + onGroupLoaded: Stable with the stored members (Empty without), every session running anew. */
  private loadGroup(g: GroupMetadata, value: GroupMetadataValue, inc: number): void {
    g.generationId = value.generationId;
    g.protocolName = value.protocolName;
    g.leaderId = value.leaderId;
    for (const m of value.members) {
      g.members.set(m.memberId, {
        memberId: m.memberId, clientId: m.clientId, sessionTimeoutMs: m.sessionTimeoutMs, rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        protocols: m.protocols, assignment: [...m.assignment], awaitingJoin: null, awaitingSync: null, heartbeatEpoch: 0,
      });
    }
    // Loading sets the state directly, as Kafka's loadGroup constructs the group in it.
    g.state = g.members.size > 0 ? 'Stable' : 'Empty';
    if (inc !== this.broker.incarnation) return;
    for (const m of g.members.values()) this.scheduleHeartbeatExpiration(g, m);
  }

  /**
   * GroupMetadataManager.storeGroup: writes the group's membership and `assignment` (member id -> keys) to
   * the log with acks=all and reports the append's outcome.
   */
  private storeGroup(state: OffsetsPartitionState, g: GroupMetadata, assignment: Record<string, string[]>, done: (error: ErrorCode) => void): void {
    const value: GroupMetadataValue = {
      type: 'group', group: g.groupId, generationId: g.generationId, protocolName: g.protocolName, leaderId: g.leaderId,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId, clientId: m.clientId, sessionTimeoutMs: m.sessionTimeoutMs, rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        protocols: m.protocols, assignment: assignment[m.memberId] ?? [],
      })),
    };
    // protocol.ts's RecordValue does not name GroupMetadataValue (that file belongs to the transactions work);
    // every reader of records checks `typeof r === 'string'` or `r.type`, so the extra kind is safe.
    const records: RecordValue[] = [value];
    const batch: ProducerBatch = { producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH, baseSequence: NO_SEQUENCE, isTransactional: false, records };
    this.broker.appendRecords(state.partition, batch, 'all', 5000, (error) => done(error));
  }

  /** No longer leader: members waiting in JoinGroup or SyncGroup hear NOT_COORDINATOR (onGroupUnloaded). */
  unload(p: Partition): void {
    const state = this.partitions.get(p.key);
    if (!state) return;
    this.partitions.delete(p.key);
    for (const g of state.groups.values()) {
      const previous = g.state;
      g.transitionTo('Dead');
      for (const m of g.members.values()) {
        if (previous === 'PreparingRebalance') this.invokeJoin(m, joinError(m.memberId, 'NOT_COORDINATOR'));
        if (previous === 'CompletingRebalance' || previous === 'Stable') this.invokeSync(m, { error: 'NOT_COORDINATOR', assignment: [] });
      }
    }
    this.sim.log(`${this.broker.id} group-coordinator unload ${p.key}`);
  }

  /**
   * A transaction marker was appended to `p`: the pending offsets of `producerId` become committed (COMMIT)
   * or vanish (ABORT), in every group of the partition (GroupMetadataManager.handleTxnCompletion).
   */
  onTxnMarker(p: Partition, producerId: number, result: 'COMMIT' | 'ABORT'): void {
    const state = this.partitions.get(p.key);
    if (!state) return;
    for (const g of state.groups.values()) g.completePendingTxnOffsetCommit(producerId, result === 'COMMIT');
  }

  /** The group membership APIs and TxnOffsetCommit, as routed by the broker. */
  deliver(env: Envelope): void {
    switch (env.api) {
      case 'JoinGroup': return this.onJoinGroup(env as Envelope<JoinGroupRequest>);
      case 'SyncGroup': return this.onSyncGroup(env as Envelope<SyncGroupRequest>);
      case 'Heartbeat': return this.onHeartbeat(env as Envelope<HeartbeatRequest>);
      case 'LeaveGroup': return this.onLeaveGroup(env as Envelope<LeaveGroupRequest>);
      case 'TxnOffsetCommit': return this.onTxnOffsetCommit(env as Envelope<TxnOffsetCommitRequest>);
      default: throw new Error(`${this.broker.id} group coordinator: no handler for ${env.api}`);
    }
  }

  // ---- lookup ---------------------------------------------------------------------------------------------

  private stateFor(group: string): OffsetsPartitionState | null {
    const n = this.broker.options.offsetsTopicPartitions;
    const key = partitionKey(OFFSETS_TOPIC, coordinatorPartitionFor(group, n));
    const state = this.partitions.get(key);
    return state && this.broker.leaderPartition(key) === state.partition ? state : null;
  }

  private getOrCreateGroup(state: OffsetsPartitionState, groupId: string): GroupMetadata {
    let g = state.groups.get(groupId);
    if (!g) {
      g = new GroupMetadata(groupId);
      state.groups.set(groupId, g);
    }
    return g;
  }

  private pendingFor(g: GroupMetadata, producerId: number): Map<string, OffsetAndLogPosition> {
    let m = g.pendingTransactionalOffsets.get(producerId);
    if (!m) {
      m = new Map();
      g.pendingTransactionalOffsets.set(producerId, m);
    }
    return m;
  }

  /** The group is still the live object of a loaded partition on this incarnation (timers check this). */
  private isCurrent(g: GroupMetadata, inc: number): boolean {
    return inc === this.broker.incarnation && g.state !== 'Dead';
  }

  private transition(g: GroupMetadata, to: GroupState, why: string): void {
    const from = g.state;
    g.transitionTo(to);
    this.sim.cover(`GroupState ${from} -> ${to}`);
    this.sim.log(`${this.broker.id} group ${g.groupId} ${from}->${to} gen=${g.generationId} (${why})`);
  }

  // ---- JoinGroup ------------------------------------------------------------------------------------------

  onJoinGroup(env: Envelope<JoinGroupRequest>): void {
    const req = env.body;
    const inc = this.broker.incarnation;
    const respond = (r: JoinGroupResponse) => this.broker.answer<JoinGroupResponse>(env, r, inc);
    const state = this.stateFor(req.group);
    if (!state) return respond(joinError(req.memberId, 'NOT_COORDINATOR'));
    const isUnknown = req.memberId === UNKNOWN_MEMBER_ID;
    let g = state.groups.get(req.group);
    if (!g) {
      // Only a member without an id may create the group.
      if (!isUnknown) return respond(joinError(req.memberId, 'UNKNOWN_MEMBER_ID'));
      g = this.getOrCreateGroup(state, req.group);
    }
    if (!g.supportsProtocols(req.protocolType, req.protocols)) return respond(joinError(req.memberId, 'INCONSISTENT_GROUP_PROTOCOL'));
    if (isUnknown) {
      // KIP-394: hand out an id and ask the member to join again with it (requireKnownMemberId).
      const memberId = `${req.clientId}-${state.coordinatorEpoch}.${state.nextMemberSeq++}`;
      g.pendingMembers.add(memberId);
      this.schedulePendingMemberExpiration(g, memberId, req.sessionTimeoutMs);
      return respond(joinError(memberId, 'MEMBER_ID_REQUIRED'));
    }
    if (g.pendingMembers.has(req.memberId)) {
      this.addMemberAndRebalance(g, req, respond);
    } else {
      const m = g.members.get(req.memberId);
      if (!m) return respond(joinError(req.memberId, 'UNKNOWN_MEMBER_ID'));
      const same = sameProtocols(m.protocols, req.protocols);
      switch (g.state) {
        case 'PreparingRebalance':
          this.updateMemberAndRebalance(g, m, req, respond);
          break;
        case 'CompletingRebalance':
          // Same metadata: the member missed its JoinGroup response; hand it the current generation again.
          if (same) respond(this.joinResult(g, m));
          else this.updateMemberAndRebalance(g, m, req, respond);
          break;
        case 'Stable':
          // The leader rejoining forces a rebalance (so it can react to metadata changes), as a changed subscription does.
          if (g.leaderId === m.memberId || !same) this.updateMemberAndRebalance(g, m, req, respond);
          else respond(this.joinResult(g, m));
          break;
        case 'Empty':
        case 'Dead':
          return respond(joinError(req.memberId, 'UNKNOWN_MEMBER_ID'));
      }
    }
    if (g.state === 'PreparingRebalance') this.tryCompleteJoin(g);
  }

  private joinResult(g: GroupMetadata, m: MemberMetadata): JoinGroupResponse {
    const isLeader = g.leaderId === m.memberId;
    return {
      error: 'NONE', generationId: g.generationId, protocolName: g.protocolName, leader: g.leaderId ?? '', memberId: m.memberId,
      members: isLeader ? [...g.members.values()].map((x) => ({ memberId: x.memberId, topics: x.protocols.find((p) => p.name === g.protocolName)?.topics ?? [] })) : [],
    };
  }

  private addMemberAndRebalance(g: GroupMetadata, req: JoinGroupRequest, respond: (r: JoinGroupResponse) => void): void {
    const m: MemberMetadata = {
      memberId: req.memberId, clientId: req.clientId, sessionTimeoutMs: req.sessionTimeoutMs, rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      protocols: req.protocols, assignment: [], awaitingJoin: respond, awaitingSync: null, heartbeatEpoch: 0,
    };
    if (g.state === 'PreparingRebalance' && g.initialDelay) g.newMemberAdded = true;
    g.pendingMembers.delete(m.memberId);
    g.members.set(m.memberId, m);
    if (g.leaderId === null) g.leaderId = m.memberId;
    this.sim.log(`${this.broker.id} group ${g.groupId} add ${m.memberId}`);
    this.scheduleHeartbeatExpiration(g, m);
    this.maybePrepareRebalance(g, `adding member ${m.memberId}`);
  }

  private updateMemberAndRebalance(g: GroupMetadata, m: MemberMetadata, req: JoinGroupRequest, respond: (r: JoinGroupResponse) => void): void {
    m.protocols = req.protocols;
    m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    m.sessionTimeoutMs = req.sessionTimeoutMs;
    m.awaitingJoin = respond;
    this.maybePrepareRebalance(g, `member ${m.memberId} rejoins`);
  }

  private maybePrepareRebalance(g: GroupMetadata, why: string): void {
    if (VALID_PREVIOUS_GROUP_STATES.PreparingRebalance.includes(g.state)) this.prepareRebalance(g, why);
  }

  private prepareRebalance(g: GroupMetadata, why: string): void {
    // Members waiting for an assignment of the generation being abandoned must rejoin.
    if (g.state === 'CompletingRebalance') this.resetAndPropagateAssignmentError(g, 'REBALANCE_IN_PROGRESS');
    const wasEmpty = g.state === 'Empty';
    this.transition(g, 'PreparingRebalance', why);
    const rebalanceTimeoutMs = g.rebalanceTimeoutMs();
    if (wasEmpty) {
      // group.initial.rebalance.delay.ms: let the first members of a new group arrive before generation 1.
      const delayMs = Math.min(this.broker.config.groupInitialRebalanceDelayMs, rebalanceTimeoutMs);
      this.scheduleInitialDelayedJoin(g, delayMs, Math.max(rebalanceTimeoutMs - delayMs, 0));
    } else {
      this.scheduleDelayedJoin(g, rebalanceTimeoutMs);
      this.tryCompleteJoin(g);
    }
  }

  private scheduleDelayedJoin(g: GroupMetadata, timeoutMs: number): void {
    const epoch = ++g.joinEpoch;
    g.initialDelay = false;
    const inc = this.broker.incarnation;
    this.sim.afterMs(timeoutMs, () => {
      if (!this.isCurrent(g, inc) || g.joinEpoch !== epoch || g.state !== 'PreparingRebalance') return;
      this.onCompleteJoin(g);
    });
  }

  private scheduleInitialDelayedJoin(g: GroupMetadata, delayMs: number, remainingMs: number): void {
    const epoch = ++g.joinEpoch;
    g.initialDelay = true;
    g.newMemberAdded = false;
    const inc = this.broker.incarnation;
    this.sim.afterMs(delayMs, () => {
      if (!this.isCurrent(g, inc) || g.joinEpoch !== epoch || g.state !== 'PreparingRebalance') return;
      if (g.newMemberAdded && remainingMs > 0) {
        const next = Math.min(this.broker.config.groupInitialRebalanceDelayMs, remainingMs);
        return this.scheduleInitialDelayedJoin(g, next, Math.max(remainingMs - next, 0));
      }
      this.onCompleteJoin(g);
    });
  }

  /** DelayedJoin.tryComplete: every known member has rejoined (the initial delay always runs out). */
  private tryCompleteJoin(g: GroupMetadata): void {
    if (g.state === 'PreparingRebalance' && !g.initialDelay && g.hasAllMembersJoined()) this.onCompleteJoin(g);
  }

  private onCompleteJoin(g: GroupMetadata): void {
    g.joinEpoch++;
    g.initialDelay = false;
    // Members that did not rejoin within the rebalance timeout are out.
    for (const m of [...g.members.values()]) {
      if (m.awaitingJoin) continue;
      this.sim.log(`${this.broker.id} group ${g.groupId} remove ${m.memberId} (did not rejoin)`);
      this.removeMember(g, m);
    }
    if (g.leaderId !== null && !g.members.get(g.leaderId)?.awaitingJoin) g.leaderId = null;
    if (g.leaderId === null) g.leaderId = g.members.keys().next().value ?? null;
    g.generationId++;
    if (g.members.size === 0) {
      g.protocolName = null;
      this.transition(g, 'Empty', 'no members');
      // Record the empty generation; a failure only means a new coordinator starts from the previous one.
      const state = this.stateFor(g.groupId);
      if (state) this.storeGroup(state, g, {}, () => {});
      return;
    }
    g.protocolName = g.selectProtocol();
    this.transition(g, 'CompletingRebalance', `${g.members.size} members, leader ${g.leaderId}`);
    for (const m of g.members.values()) {
      this.invokeJoin(m, this.joinResult(g, m));
      this.scheduleHeartbeatExpiration(g, m);
    }
  }

  private invokeJoin(m: MemberMetadata, r: JoinGroupResponse): void {
    const cb = m.awaitingJoin;
    m.awaitingJoin = null;
    if (cb) cb(r);
  }

  private invokeSync(m: MemberMetadata, r: SyncGroupResponse): boolean {
    const cb = m.awaitingSync;
    m.awaitingSync = null;
    if (cb) cb(r);
    return cb !== null;
  }

  // ---- SyncGroup ------------------------------------------------------------------------------------------

  onSyncGroup(env: Envelope<SyncGroupRequest>): void {
    const req = env.body;
    const inc = this.broker.incarnation;
    const respond = (r: SyncGroupResponse) => this.broker.answer<SyncGroupResponse>(env, r, inc);
    const fail = (error: GroupErrorCode) => respond({ error, assignment: [] });
    const state = this.stateFor(req.group);
    if (!state) return fail('NOT_COORDINATOR');
    const g = state.groups.get(req.group);
    const m = g?.members.get(req.memberId);
    if (!g || !m) return fail('UNKNOWN_MEMBER_ID');
    if (req.generationId !== g.generationId) return fail('ILLEGAL_GENERATION');
    switch (g.state) {
      case 'Empty': return fail('UNKNOWN_MEMBER_ID');
      case 'PreparingRebalance': return fail('REBALANCE_IN_PROGRESS');
      case 'Dead': return fail('COORDINATOR_NOT_AVAILABLE');
      case 'Stable':
        respond({ error: 'NONE', assignment: m.assignment });
        return this.scheduleHeartbeatExpiration(g, m);
      case 'CompletingRebalance': {
        m.awaitingSync = respond;
        if (g.leaderId !== m.memberId) return;
        // The leader's assignment is stored first; members it left out get nothing.
        const generationId = g.generationId;
        const assignment = req.assignments;
        this.storeGroup(state, g, assignment, (error) => {
          // Another rebalance may have begun while the record was replicating: then this generation is moot.
          if (!this.isCurrent(g, inc) || g.state !== 'CompletingRebalance' || g.generationId !== generationId) return;
          if (error !== 'NONE') {
            this.resetAndPropagateAssignmentError(g, coordinatorError(error));
            return this.maybePrepareRebalance(g, `storing the group failed: ${error}`);
          }
          for (const x of g.members.values()) x.assignment = assignment[x.memberId] ?? [];
          this.transition(g, 'Stable', `assignment from ${m.memberId}`);
          for (const x of g.members.values()) {
            if (this.invokeSync(x, { error: 'NONE', assignment: x.assignment })) this.scheduleHeartbeatExpiration(g, x);
          }
        });
      }
    }
  }

  private resetAndPropagateAssignmentError(g: GroupMetadata, error: GroupErrorCode): void {
    for (const m of g.members.values()) {
      m.assignment = [];
      if (this.invokeSync(m, { error, assignment: [] })) this.scheduleHeartbeatExpiration(g, m);
    }
  }

  // ---- Heartbeat, session timeout, LeaveGroup -------------------------------------------------------------

  onHeartbeat(env: Envelope<HeartbeatRequest>): void {
    const req = env.body;
    const respond = (error: GroupErrorCode) => this.broker.answer<HeartbeatResponse>(env, { error });
    const state = this.stateFor(req.group);
    if (!state) return respond('NOT_COORDINATOR');
    const g = state.groups.get(req.group);
    const m = g?.members.get(req.memberId);
    if (!g || !m) return respond('UNKNOWN_MEMBER_ID');
    if (req.generationId !== g.generationId) return respond('ILLEGAL_GENERATION');
    switch (g.state) {
      case 'Empty': return respond('UNKNOWN_MEMBER_ID');
      case 'Dead': return respond('COORDINATOR_NOT_AVAILABLE');
      case 'PreparingRebalance':
        // Keeps the member alive, and tells it to rejoin.
        this.scheduleHeartbeatExpiration(g, m);
        return respond('REBALANCE_IN_PROGRESS');
      case 'CompletingRebalance':
      case 'Stable':
        this.scheduleHeartbeatExpiration(g, m);
        return respond('NONE');
    }
  }

  /** completeAndScheduleNextHeartbeatExpiration: the member must be heard from within its session timeout. */
  private scheduleHeartbeatExpiration(g: GroupMetadata, m: MemberMetadata): void {
    const epoch = ++m.heartbeatEpoch;
    const inc = this.broker.incarnation;
    this.sim.afterMs(m.sessionTimeoutMs, () => {
      if (!this.isCurrent(g, inc) || m.heartbeatEpoch !== epoch || g.members.get(m.memberId) !== m) return;
      // MemberMetadata.shouldKeepAlive: a member parked in JoinGroup or SyncGroup is waiting on the coordinator.
      if (m.awaitingJoin || m.awaitingSync) return this.scheduleHeartbeatExpiration(g, m);
      this.sim.log(`${this.broker.id} group ${g.groupId} session timeout ${m.memberId}`);
      this.removeMemberAndUpdateGroup(g, m, `session timeout of ${m.memberId}`);
    });
  }

  private schedulePendingMemberExpiration(g: GroupMetadata, memberId: string, timeoutMs: number): void {
    const inc = this.broker.incarnation;
    this.sim.afterMs(timeoutMs, () => {
      if (!this.isCurrent(g, inc) || !g.pendingMembers.delete(memberId)) return;
      if (g.state === 'PreparingRebalance') this.tryCompleteJoin(g);
    });
  }

  onLeaveGroup(env: Envelope<LeaveGroupRequest>): void {
    const req = env.body;
    const respond = (error: GroupErrorCode) => this.broker.answer<LeaveGroupResponse>(env, { error });
    const state = this.stateFor(req.group);
    if (!state) return respond('NOT_COORDINATOR');
    const g = state.groups.get(req.group);
    if (!g) return respond('UNKNOWN_MEMBER_ID');
    if (g.pendingMembers.delete(req.memberId)) {
      if (g.state === 'PreparingRebalance') this.tryCompleteJoin(g);
      return respond('NONE');
    }
    const m = g.members.get(req.memberId);
    if (!m) return respond('UNKNOWN_MEMBER_ID');
    this.sim.log(`${this.broker.id} group ${g.groupId} leave ${m.memberId}`);
    this.removeMemberAndUpdateGroup(g, m, `${m.memberId} left`);
    respond('NONE');
  }

  private removeMember(g: GroupMetadata, m: MemberMetadata): void {
    g.members.delete(m.memberId);
    m.heartbeatEpoch++;
    if (g.leaderId === m.memberId) g.leaderId = g.members.keys().next().value ?? null;
  }

  private removeMemberAndUpdateGroup(g: GroupMetadata, m: MemberMetadata, why: string): void {
    // A member removed while parked in JoinGroup hears UNKNOWN_MEMBER_ID and joins afresh if it still lives.
    this.invokeJoin(m, joinError(UNKNOWN_MEMBER_ID, 'UNKNOWN_MEMBER_ID'));
    this.removeMember(g, m);
    switch (g.state) {
      case 'Stable':
      case 'CompletingRebalance':
        return this.maybePrepareRebalance(g, why);
      case 'PreparingRebalance':
        return this.tryCompleteJoin(g);
      default:
    }
  }

  // ---- offsets --------------------------------------------------------------------------------------------

  /**
   * GroupCoordinator.validateOffsetCommit: a commit naming a generation or a member must come from a current
   * member of the current generation (this is KIP-447's zombie fencing for TxnOffsetCommit). One naming
   * neither is a simple consumer's: accepted while the group has no members, and always for transactional
   * commits (older producers send no group metadata).
   */
  private validateOffsetCommit(g: GroupMetadata, generationId: number, memberId: string, isTransactional: boolean): GroupErrorCode {
    if (g.state === 'Dead') return 'COORDINATOR_NOT_AVAILABLE';
    if (generationId < 0 && g.state === 'Empty') return 'NONE';
    if (generationId >= 0 || memberId !== UNKNOWN_MEMBER_ID) {
      if (!this.broker.options.checks.on('group-generation')) return 'NONE';
      if (!g.members.has(memberId)) return 'UNKNOWN_MEMBER_ID';
      if (generationId !== g.generationId) return 'ILLEGAL_GENERATION';
      return 'NONE';
    }
    if (!isTransactional && g.state !== 'Empty') return 'UNKNOWN_MEMBER_ID';
    return 'NONE';
  }

  onOffsetCommit(env: Envelope<GroupOffsetCommitRequest>): void {
    const req = env.body;
    const inc = this.broker.incarnation;
    const respond = (error: GroupErrorCode) => this.broker.answer<GroupOffsetCommitResponse>(env, { error }, inc);
    const state = this.stateFor(req.group);
    if (!state) return respond('NOT_COORDINATOR');
    const generationId = req.generationId ?? NO_GENERATION;
    const memberId = req.memberId ?? UNKNOWN_MEMBER_ID;
    let g = state.groups.get(req.group);
    if (!g) {
      // A group this coordinator does not know: a simple consumer's commit creates it; a member's is from an older generation.
      if (generationId >= 0 && this.broker.options.checks.on('group-generation')) return respond('ILLEGAL_GENERATION');
      g = this.getOrCreateGroup(state, req.group);
    }
    const error = this.validateOffsetCommit(g, generationId, memberId, false);
    if (error !== 'NONE') return respond(error);
    // The member's rejoin is underway; it must not commit for an assignment it has not received.
    if (g.state === 'CompletingRebalance') return respond('REBALANCE_IN_PROGRESS');
    const m = g.members.get(memberId);
    if (m) this.scheduleHeartbeatExpiration(g, m);
    const group = g;
    this.storeOffsets(state, req.group, req.offsets, NO_PRODUCER_ID, NO_PRODUCER_EPOCH, (appendError, written) => {
      if (appendError === 'NONE' && this.partitions.get(state.partition.key) === state) {
        for (const [key, entry] of written) group.offsets.set(key, entry);
      }
      // The offsets are in the log, the member has not heard so: a crash here leaves it to retry or re-read.
      if (appendError === 'NONE') this.sim.failpoint('after-offset-commit', this.broker.id);
      respond(coordinatorError(appendError));
    });
  }

  onTxnOffsetCommit(env: Envelope<TxnOffsetCommitRequest>): void {
    const req = env.body;
    const inc = this.broker.incarnation;
    const respond = (error: GroupErrorCode) => this.broker.answer<TxnOffsetCommitResponse>(env, { error }, inc);
    const state = this.stateFor(req.group);
    if (!state) return respond('NOT_COORDINATOR');
    const g = this.getOrCreateGroup(state, req.group);
    const error = this.validateOffsetCommit(g, req.generationId, req.memberId, true);
    if (error !== 'NONE') {
      this.sim.log(`${this.broker.id} group ${g.groupId} txn-offset-commit pid=${req.producerId} gen=${req.generationId} member=${req.memberId}: ${error}`);
      return respond(error);
    }
    const written = this.storeOffsets(state, req.group, req.offsets, req.producerId, req.producerEpoch, (appendError, appended) => {
      if (appendError === 'NONE' && appended.size === 0) {
        // Only the producer-state check's duplicate path answers NONE without appending; Kafka's coordinator
        // appends are never deduplicated, so say so in the trace.
        this.sim.log(`${this.broker.id} group ${g.groupId} txn-offset-commit pid=${req.producerId}: taken for a duplicate, not appended`);
      } else if (appendError !== 'NONE') {
        this.sim.log(`${this.broker.id} group ${g.groupId} txn-offset-commit pid=${req.producerId} e=${req.producerEpoch}: ${appendError}`);
      }
      respond(coordinatorError(appendError));
    });
    // Pending from the moment the records are in the log: a marker may follow before the append is acknowledged.
    if (written.size > 0) {
      const pending = this.pendingFor(g, req.producerId);
      for (const [key, entry] of written) pending.set(key, entry);
    }
  }

  /**
   * Appends the offset records (one batch, acks=all) and returns what was appended at once, by partition key:
   * empty when the append was refused (an old producer epoch, too few in-sync replicas).
   */
  private storeOffsets(
    state: OffsetsPartitionState, group: string, offsets: Record<string, number>, producerId: number, producerEpoch: number,
    done: (error: ErrorCode, written: Map<string, OffsetAndLogPosition>) => void,
  ): Map<string, OffsetAndLogPosition> {
    const p = state.partition;
    const keys = Object.keys(offsets);
    const records: OffsetCommitValue[] = keys.map((key) => ({ type: 'offset', group, key, offset: offsets[key] }));
    const batch: ProducerBatch = { producerId, producerEpoch, baseSequence: NO_SEQUENCE, isTransactional: producerId !== NO_PRODUCER_ID, records };
    const written = new Map<string, OffsetAndLogPosition>();
    const logEndBefore = p.log.logEndOffset;
    // appendRecords answers at once when it refuses the batch, later when it waits for the ISR.
    const call = { returned: false, earlyError: null as ErrorCode | null };
    this.broker.appendRecords(p, batch, 'all', 5000, (error) => {
      if (call.returned) done(error, written);
      else call.earlyError = error;
    });
    if (p.log.logEndOffset > logEndBefore) keys.forEach((key, i) => written.set(key, { offset: offsets[key], recordOffset: logEndBefore + i }));
    call.returned = true;
    if (call.earlyError !== null) done(call.earlyError, written);
    return written;
  }

  onOffsetFetch(env: Envelope<GroupOffsetFetchRequest>): void {
    const req = env.body;
    const respond = (error: GroupErrorCode, offsets: Record<string, number>) => this.broker.answer<GroupOffsetFetchResponse>(env, { error, offsets });
    const state = this.stateFor(req.group);
    if (!state) return respond('NOT_COORDINATOR', {});
    const g = state.groups.get(req.group);
    // KIP-447: a read_committed consumer must not start from offsets an open transaction may still replace.
    if (req.requireStable && g && req.keys.some((key) => g.hasPendingOffsets(key)) && this.broker.options.checks.on('unstable-offset-commit')) {
      return respond('UNSTABLE_OFFSET_COMMIT', {});
    }
    const offsets: Record<string, number> = {};
    for (const key of req.keys) offsets[key] = g?.offsets.get(key)?.offset ?? -1;
    respond('NONE', offsets);
  }

  // ---- views ----------------------------------------------------------------------------------------------

  /** Committed offsets of every group this coordinator holds (for the run's final report). */
  committed(): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const state of this.partitions.values()) {
      for (const [id, g] of state.groups) {
        if (g.offsets.size === 0) continue;
        out.set(id, new Map([...g.offsets].map(([key, c]) => [key, c.offset])));
      }
    }
    return out;
  }

  /** The group as this coordinator holds it, or null when it is not the group's coordinator or never heard of it. */
  describeGroup(groupId: string): GroupSummary | null {
    const g = this.stateFor(groupId)?.groups.get(groupId);
    if (!g) return null;
    const pendingOffsets: Record<number, Record<string, number>> = {};
    for (const [pid, m] of g.pendingTransactionalOffsets) pendingOffsets[pid] = Object.fromEntries([...m].map(([k, c]) => [k, c.offset]));
    return {
      state: g.state, generationId: g.generationId, protocolName: g.protocolName, leaderId: g.leaderId,
      members: [...g.members.values()].map((m) => ({ memberId: m.memberId, clientId: m.clientId, assignment: [...m.assignment] })),
      offsets: Object.fromEntries([...g.offsets].map(([k, c]) => [k, c.offset])),
      pendingOffsets,
    };
  }
}

function sameProtocols(a: JoinGroupProtocol[], b: JoinGroupProtocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i].name && p.topics.length === b[i].topics.length && p.topics.every((t, j) => t === b[i].topics[j]));
}
