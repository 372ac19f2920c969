// The classic consumer group protocol's request/response bodies (Kafka's JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup, TxnOffsetCommit, and OffsetCommit / OffsetFetch with the fields group membership and
// KIP-447 add), named as in Kafka's *Request/*Response classes. Bodies carry only what the model needs;
// the consumer "protocol metadata" (its subscription) and the assignment travel as plain data instead of
// the serialized ConsumerProtocol bytes.
import { partitionKey, type ErrorCode, type OffsetCommitRequest, type OffsetFetchRequest } from './protocol.ts';

/** Errors of the group APIs on top of protocol.ts's (org.apache.kafka.common.protocol.Errors names). */
export type GroupErrorCode =
  | ErrorCode
  /** The request's generation is not the group's current one (a member fenced by a rebalance). */
  | 'ILLEGAL_GENERATION'
  /** The member id is not (or no longer) in the group: the member must join again with a new id. */
  | 'UNKNOWN_MEMBER_ID'
  /** The group is rebalancing: the member must rejoin. */
  | 'REBALANCE_IN_PROGRESS'
  /** KIP-447: a transactional offset commit for the partition is pending; retry OffsetFetch later. */
  | 'UNSTABLE_OFFSET_COMMIT'
  /** KIP-394: first JoinGroup of a dynamic member; the response carries the id to join with. */
  | 'MEMBER_ID_REQUIRED'
  /** The members share no assignment strategy. */
  | 'INCONSISTENT_GROUP_PROTOCOL';

/** JoinGroupRequest.UNKNOWN_MEMBER_ID: a member that has not been given an id yet (or lost it). */
export const UNKNOWN_MEMBER_ID = '';
/** GroupCoordinator.NoGeneration / OffsetCommitRequest.DEFAULT_GENERATION_ID: no group membership. */
export const NO_GENERATION = -1;

/** Kafka's partition.assignment.strategy names for the two eager assignors the model implements. */
export type AssignorName = 'range' | 'roundrobin';

/** One protocol a member supports: an assignor and the member's subscription (its metadata). */
export interface JoinGroupProtocol {
  name: AssignorName;
  topics: string[];
}

export interface JoinGroupRequest {
  group: string;
  /** UNKNOWN_MEMBER_ID on the first join. */
  memberId: string;
  clientId: string;
  sessionTimeoutMs: number;
  /** How long the coordinator waits for the known members to rejoin (the consumer's max.poll.interval.ms). */
  rebalanceTimeoutMs: number;
  protocolType: 'consumer';
  /** In preference order. */
  protocols: JoinGroupProtocol[];
}
/** A member as the leader sees it in its JoinGroup response: id and subscription. */
export interface JoinGroupMember {
  memberId: string;
  topics: string[];
}
export interface JoinGroupResponse {
  error: GroupErrorCode;
  generationId: number;
  /** The chosen assignor; null on error. */
  protocolName: AssignorName | null;
  leader: string;
  /** The member's id (also set with MEMBER_ID_REQUIRED). */
  memberId: string;
  /** Every member with its subscription, for the leader only; empty for followers. */
  members: JoinGroupMember[];
}

export interface SyncGroupRequest {
  group: string;
  generationId: number;
  memberId: string;
  /** The leader's assignment: member id -> partition keys. Followers send an empty object. */
  assignments: Record<string, string[]>;
}
export interface SyncGroupResponse {
  error: GroupErrorCode;
  /** The partition keys assigned to this member. */
  assignment: string[];
}

export interface HeartbeatRequest {
  group: string;
  generationId: number;
  memberId: string;
}
export interface HeartbeatResponse {
  error: GroupErrorCode;
}

export interface LeaveGroupRequest {
  group: string;
  memberId: string;
}
export interface LeaveGroupResponse {
  error: GroupErrorCode;
}

/**
 * OffsetCommit with group membership (OffsetCommitRequest v1+). Without generationId/memberId, or with
 * NO_GENERATION and UNKNOWN_MEMBER_ID, it is a "simple consumer" commit (manual assignment), which Kafka
 * accepts only while the group has no members.
 */
export interface GroupOffsetCommitRequest extends OffsetCommitRequest {
  generationId?: number;
  memberId?: string;
}
export interface GroupOffsetCommitResponse {
  error: GroupErrorCode;
}

/** OffsetFetch with KIP-447's require_stable flag (read_committed consumers set it). */
export interface GroupOffsetFetchRequest extends OffsetFetchRequest {
  requireStable?: boolean;
}
export interface GroupOffsetFetchResponse {
  error: GroupErrorCode;
  /** -1 for a partition with no committed offset. */
  offsets: Record<string, number>;
}

/**
 * TxnOffsetCommit (v3+, KIP-447): offsets written inside a producer's transaction. The generation and
 * member id come from the consumer's groupMetadata(), so a zombie whose partitions were reassigned is fenced
 * by the group coordinator even though its producer epoch is still valid.
 */
export interface TxnOffsetCommitRequest {
  transactionalId: string;
  group: string;
  producerId: number;
  producerEpoch: number;
  generationId: number;
  memberId: string;
  offsets: Record<string, number>;
}
export interface TxnOffsetCommitResponse {
  error: GroupErrorCode;
}

/**
 * A record in __consumer_offsets: the group's membership after a rebalance (Kafka's GroupMetadataValue,
 * written by GroupMetadataManager.storeGroup), so a new coordinator resumes the generation instead of
 * making every member join again.
 */
export interface GroupMetadataValue {
  type: 'group';
  group: string;
  generationId: number;
  protocolName: AssignorName | null;
  leaderId: string | null;
  members: StoredMember[];
}

/** A member as the group metadata record keeps it (the coordinator adds its in-memory waiters on top). */
export interface StoredMember {
  memberId: string;
  clientId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: JoinGroupProtocol[];
  assignment: string[];
}

/** The consumer's group identity, handed to sendOffsetsToTransaction (Kafka's ConsumerGroupMetadata). */
export interface ConsumerGroupMetadata {
  groupId: string;
  generationId: number;
  memberId: string;
}

/** A member's subscription as an assignor sees it. */
export interface Subscription {
  memberId: string;
  topics: string[];
}

/**
 * The partition assignors (run by the group leader on the client, as Kafka's RangeAssignor and
 * RoundRobinAssignor do). Deterministic: members are sorted by id, partitions by topic then number.
 * `partitions` gives each topic's partition count; keys are "topic/partition".
 */
export function assignPartitions(
  strategy: AssignorName, members: Subscription[], partitions: ReadonlyMap<string, number>,
): Record<string, string[]> {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const out: Record<string, string[]> = {};
  for (const m of sorted) out[m.memberId] = [];
  const topics = [...new Set(sorted.flatMap((m) => m.topics))].filter((t) => partitions.has(t)).sort();
  if (strategy === 'range') {
    // Per topic: the subscribers split the partitions into contiguous ranges; the first ones get one more.
    for (const topic of topics) {
      const subscribers = sorted.filter((m) => m.topics.includes(topic));
      const n = partitions.get(topic)!;
      const per = Math.floor(n / subscribers.length);
      const extra = n % subscribers.length;
      subscribers.forEach((m, i) => {
        const start = per * i + Math.min(i, extra);
        const length = per + (i < extra ? 1 : 0);
        for (let p = start; p < start + length; p++) out[m.memberId].push(partitionKey(topic, p));
      });
    }
    return out;
  }
  // roundrobin: every partition of every subscribed topic in turn to the next member subscribed to it.
  let next = 0;
  for (const topic of topics) {
    for (let p = 0; p < partitions.get(topic)!; p++) {
      for (let tried = 0; tried < sorted.length; tried++) {
        const m = sorted[(next + tried) % sorted.length];
        if (!m.topics.includes(topic)) continue;
        out[m.memberId].push(partitionKey(topic, p));
        next = (next + tried + 1) % sorted.length;
        break;
      }
    }
  }
  return out;
}
