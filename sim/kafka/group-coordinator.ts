// The group coordinator of one broker (Kafka's GroupCoordinator / GroupMetadataManager): for each
// __consumer_offsets partition the broker leads, it serves OffsetCommit and OffsetFetch. A commit is a
// record appended with acks=all; it takes effect in the cache only once replicated, so a coordinator
// failover never loses an acknowledged commit. A new leader rebuilds its cache from the log.
import type { Envelope } from '../net/network.ts';
import type { Broker } from './broker.ts';
import { OFFSETS_TOPIC } from './broker.ts';
import type { Partition } from './partition.ts';
import { coordinatorPartitionFor } from './partitioner.ts';
import {
  NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, partitionKey,
  type ErrorCode, type OffsetCommitRequest, type OffsetCommitResponse, type OffsetCommitValue,
  type OffsetFetchRequest, type OffsetFetchResponse,
} from './protocol.ts';

/** Errors of the log append that a client should see as "find the coordinator again". */
function coordinatorError(error: ErrorCode): ErrorCode {
  if (error === 'NONE') return 'NONE';
  if (error === 'NOT_LEADER_OR_FOLLOWER') return 'NOT_COORDINATOR';
  return 'COORDINATOR_NOT_AVAILABLE';
}

export class GroupCoordinator {
  /** __consumer_offsets partition key -> group -> topic-partition key -> committed next offset. */
  private readonly offsets = new Map<string, Map<string, Map<string, number>>>();

  constructor(private readonly broker: Broker) {}

  clear(): void {
    this.offsets.clear();
  }

  load(p: Partition): void {
    const groups = new Map<string, Map<string, number>>();
    for (const b of p.log.batches) {
      if (b.control) continue;
      for (const r of b.records) {
        if (typeof r === 'string' || r.type !== 'offset') continue;
        this.put(groups, r);
      }
    }
    this.offsets.set(p.key, groups);
  }

  unload(p: Partition): void {
    this.offsets.delete(p.key);
  }

  private put(groups: Map<string, Map<string, number>>, r: OffsetCommitValue): void {
    let g = groups.get(r.group);
    if (!g) {
      g = new Map();
      groups.set(r.group, g);
    }
    g.set(r.key, r.offset);
  }

  private partitionFor(group: string): Partition | null {
    const n = this.broker.options.offsetsTopicPartitions;
    const key = partitionKey(OFFSETS_TOPIC, coordinatorPartitionFor(group, n));
    return this.offsets.has(key) ? this.broker.leaderPartition(key) : null;
  }

  onOffsetCommit(env: Envelope<OffsetCommitRequest>): void {
    const req = env.body;
    const p = this.partitionFor(req.group);
    const inc = this.broker.incarnation;
    if (!p) return this.broker.answer<OffsetCommitResponse>(env, { error: 'NOT_COORDINATOR' });
    const records: OffsetCommitValue[] = Object.keys(req.offsets).map((key) => ({ type: 'offset', group: req.group, key, offset: req.offsets[key] }));
    const batch = { producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH, baseSequence: NO_SEQUENCE, isTransactional: false, records };
    this.broker.appendRecords(p, batch, 'all', 5000, (error) => {
      const groups = this.offsets.get(p.key);
      if (error === 'NONE' && groups) for (const r of records) this.put(groups, r);
      this.broker.answer<OffsetCommitResponse>(env, { error: coordinatorError(error) }, inc);
    });
  }

  onOffsetFetch(env: Envelope<OffsetFetchRequest>): void {
    const req = env.body;
    const p = this.partitionFor(req.group);
    if (!p) return this.broker.answer<OffsetFetchResponse>(env, { error: 'NOT_COORDINATOR', offsets: {} });
    const g = this.offsets.get(p.key)?.get(req.group);
    const offsets: Record<string, number> = {};
    for (const key of req.keys) offsets[key] = g?.get(key) ?? -1;
    this.broker.answer<OffsetFetchResponse>(env, { error: 'NONE', offsets });
  }

  /** Committed offsets of every group this coordinator holds (for the run's final report). */
  committed(): Map<string, Map<string, number>> {
    const out = new Map<string, Map<string, number>>();
    for (const groups of this.offsets.values()) for (const [g, m] of groups) out.set(g, m);
    return out;
  }
}
