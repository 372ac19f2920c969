// The group coordinator through its RPCs (a bare test client speaks the protocol) and through load(): the
// classic protocol's fencing of offset commits, KIP-447's transactional offsets (pending until the marker,
// UNSTABLE_OFFSET_COMMIT while pending), and the rebuild of committed vs pending offsets from a log.
import { ModelChecks } from './checks.ts';
import { resolveRelease } from './releases.ts';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../core/simulation.ts';
import type { ApiName } from '../faults/schedule.ts';
import { Network, type Envelope, type NetNode } from '../net/network.ts';
import { RpcClient } from '../net/rpc.ts';
import { brokerNodeId, OFFSETS_TOPIC, type Broker } from './broker.ts';
import { Cluster } from './cluster.ts';
import { DEFAULT_BROKER, DEFAULT_NETWORK } from './config.ts';
import { GroupCoordinator } from './group-coordinator.ts';
import {
  NO_GENERATION, UNKNOWN_MEMBER_ID,
  type GroupMetadataValue, type GroupOffsetCommitRequest, type GroupOffsetFetchResponse, type JoinGroupRequest,
  type JoinGroupResponse, type SyncGroupResponse, type TxnOffsetCommitRequest,
} from './group-protocol.ts';
import { Partition } from './partition.ts';
import { partitionKey, type ProducerBatch, type RecordBatch, type RecordValue } from './protocol.ts';

const MS = 1000;
const GROUP = 'g';
const OFFSETS_KEY = partitionKey(OFFSETS_TOPIC, 0);

/** A bare network node that sends requests and keeps the answers. */
class TestClient implements NetNode {
  incarnation = 0;
  readonly rpc: RpcClient;
  constructor(sim: Simulation, net: Network, readonly id: string) {
    this.rpc = new RpcClient(sim, net, id);
  }
  isUp(): boolean {
    return true;
  }
  deliver(env: Envelope): void {
    if (env.kind === 'response') this.rpc.onResponse(env);
  }
  peerDisconnected(peer: string): void {
    this.rpc.failAll(peer);
  }
}

function setup(seed = 1) {
  const sim = new Simulation({ seed, keepTrace: false });
  const net = new Network(sim, DEFAULT_NETWORK);
  const cluster = new Cluster(sim, net, {
    brokers: 3, topics: [{ name: 'payments', partitions: 3, replicationFactor: 3 }], broker: { ...DEFAULT_BROKER },
    features: resolveRelease('3.5').line.features, offsetsTopicPartitions: 1, transactionStatePartitions: 1,
  });
  const client = new TestClient(sim, net, 'test-client');
  net.add(client);
  const runFor = (ms: number) => sim.run(sim.nowUs + ms * MS);
  const coordinatorId = () => cluster.leaderOf(OFFSETS_KEY);
  const coordinator = () => cluster.broker(coordinatorId());
  /** Sends one request to the group coordinator and runs the simulation until it is answered. */
  const call = <Resp>(api: ApiName, body: object): Resp => {
    let answer: Resp | string | null = null;
    client.rpc.request<object, Resp>(brokerNodeId(coordinatorId()), api, body, 2000, (err, resp) => {
      answer = err ?? resp;
    });
    for (let i = 0; i < 100 && answer === null; i++) runFor(10);
    if (answer === null || typeof answer === 'string') throw new Error(`${api}: no answer (${answer})`);
    return answer;
  };
  const join = (memberId: string, clientId = 'c'): JoinGroupResponse => call<JoinGroupResponse>('JoinGroup', {
    group: GROUP, memberId, clientId, sessionTimeoutMs: 1000, rebalanceTimeoutMs: 3000, protocolType: 'consumer',
    protocols: [{ name: 'range', topics: ['payments'] }],
  } satisfies JoinGroupRequest);
  const fetchOffsets = (requireStable = false) => call<GroupOffsetFetchResponse>('OffsetFetch', { group: GROUP, keys: ['payments/0'], requireStable });
  const commit = (offset: number, generationId = NO_GENERATION, memberId = UNKNOWN_MEMBER_ID) =>
    call<{ error: string }>('OffsetCommit', { group: GROUP, offsets: { 'payments/0': offset }, generationId, memberId } satisfies GroupOffsetCommitRequest).error;
  const txnCommit = (offset: number, producerId: number, producerEpoch: number, generationId = NO_GENERATION, memberId = UNKNOWN_MEMBER_ID) =>
    call<{ error: string }>('TxnOffsetCommit', {
      transactionalId: `t-${producerId}`, group: GROUP, producerId, producerEpoch, generationId, memberId, offsets: { 'payments/0': offset },
    } satisfies TxnOffsetCommitRequest).error;
  /** One member that joins and syncs as leader of its own generation. */
  const joinAlone = (): { memberId: string; generationId: number } => {
    const first = join(UNKNOWN_MEMBER_ID);
    expect(first.error).toBe('MEMBER_ID_REQUIRED');
    const joined = join(first.memberId);
    expect(joined.error).toBe('NONE');
    expect(joined.leader).toBe(first.memberId);
    const sync = call<SyncGroupResponse>('SyncGroup', {
      group: GROUP, generationId: joined.generationId, memberId: joined.memberId, assignments: { [joined.memberId]: ['payments/0'] },
    });
    expect(sync).toEqual({ error: 'NONE', assignment: ['payments/0'] });
    return { memberId: joined.memberId, generationId: joined.generationId };
  };
  runFor(500);
  return { sim, net, cluster, client, runFor, coordinator, call, join, fetchOffsets, commit, txnCommit, joinAlone };
}

describe('group coordinator: membership and offset commit fencing', () => {
  it('JoinGroup hands out a member id first (MEMBER_ID_REQUIRED), then forms generation 1 with the member as leader', () => {
    const t = setup();
    const { memberId, generationId } = t.joinAlone();
    expect(memberId).toMatch(/^c-\d+\.\d+$/);
    expect(generationId).toBe(1);
    expect(t.coordinator().groupCoordinator.describeGroup(GROUP)).toMatchObject({
      state: 'Stable', generationId: 1, leaderId: memberId, members: [{ memberId, assignment: ['payments/0'] }],
    });
  });

  it('OffsetCommit checks generation and member; a simple consumer (-1, "") commits only while the group is empty', () => {
    const t = setup();
    expect(t.commit(3)).toBe('NONE');
    const { memberId, generationId } = t.joinAlone();
    expect(t.commit(5, generationId, memberId)).toBe('NONE');
    expect(t.commit(6, generationId - 1, memberId)).toBe('ILLEGAL_GENERATION');
    expect(t.commit(6, generationId, 'c-9.9')).toBe('UNKNOWN_MEMBER_ID');
    expect(t.commit(6)).toBe('UNKNOWN_MEMBER_ID');
    expect(t.fetchOffsets().offsets).toEqual({ 'payments/0': 5 });
  });

  it('the after-offset-commit failpoint strikes the coordinator once a commit is in its log, before it answers', () => {
    const t = setup();
    const struck: string[] = [];
    t.sim.armFailpoint('after-offset-commit', (node) => struck.push(node));
    expect(t.commit(3)).toBe('NONE');
    expect(struck).toEqual([t.coordinator().id]);
    expect(t.fetchOffsets().offsets['payments/0']).toBe(3);
  });

  it('a rebalance fences the previous generation: its commit gets ILLEGAL_GENERATION', () => {
    const t = setup();
    const { memberId, generationId } = t.joinAlone();
    // The member rejoins (as after REBALANCE_IN_PROGRESS); alone, the rebalance completes at once.
    const rejoined = t.join(memberId);
    expect(rejoined.generationId).toBe(generationId + 1);
    expect(t.commit(9, generationId, memberId)).toBe('ILLEGAL_GENERATION');
    // In CompletingRebalance the current generation may not commit yet either.
    expect(t.commit(9, rejoined.generationId, memberId)).toBe('REBALANCE_IN_PROGRESS');
    expect(t.fetchOffsets().offsets).toEqual({ 'payments/0': -1 });
  });

  it('a member not heard from within its session timeout is removed, and the group becomes Empty', () => {
    const t = setup();
    const { memberId, generationId } = t.joinAlone();
    t.runFor(1500);
    expect(t.coordinator().groupCoordinator.describeGroup(GROUP)).toMatchObject({ state: 'Empty', generationId: generationId + 1, members: [] });
    expect(t.call<{ error: string }>('Heartbeat', { group: GROUP, generationId, memberId }).error).toBe('UNKNOWN_MEMBER_ID');
  });

  it('LeaveGroup removes the member at once', () => {
    const t = setup();
    const { memberId } = t.joinAlone();
    expect(t.call<{ error: string }>('LeaveGroup', { group: GROUP, memberId }).error).toBe('NONE');
    expect(t.coordinator().groupCoordinator.describeGroup(GROUP)?.state).toBe('Empty');
  });
});

describe('group coordinator: KIP-447 transactional offsets', () => {
  it('TxnOffsetCommit stays pending (UNSTABLE_OFFSET_COMMIT for requireStable) until the COMMIT marker', () => {
    const t = setup();
    expect(t.commit(2)).toBe('NONE');
    expect(t.txnCommit(7, 1000, 0)).toBe('NONE');
    expect(t.fetchOffsets().offsets).toEqual({ 'payments/0': 2 });
    expect(t.fetchOffsets(true).error).toBe('UNSTABLE_OFFSET_COMMIT');
    expect(t.coordinator().groupCoordinator.describeGroup(GROUP)?.pendingOffsets).toEqual({ 1000: { 'payments/0': 7 } });
    const b = t.coordinator();
    b.groupCoordinator.onTxnMarker(b.leaderPartition(OFFSETS_KEY)!, 1000, 'COMMIT');
    expect(t.fetchOffsets(true)).toEqual({ error: 'NONE', offsets: { 'payments/0': 7 } });
  });

  // Coordinator appends carry baseSequence -1 and skip the sequence checks (Kafka's AppendOrigin.COORDINATOR):
  // otherwise the second transaction's batch would be taken for a duplicate of the first.
  it('one producer epoch commits offsets in one transaction after another (coordinator appends carry no sequence)', () => {
    const t = setup();
    const b = t.coordinator();
    const p = b.leaderPartition(OFFSETS_KEY)!;
    for (const [i, offset] of [5, 6, 7].entries()) {
      expect(t.txnCommit(offset, 1000, 0), `transaction ${i}`).toBe('NONE');
      b.appendRecords(p, { producerId: 1000, producerEpoch: 0, baseSequence: -1, isTransactional: true, records: [] }, 'all', 1000, () => {}, { control: 'COMMIT', coordinatorEpoch: 0 });
      b.groupCoordinator.onTxnMarker(p, 1000, 'COMMIT');
      expect(t.fetchOffsets(true).offsets, `transaction ${i}`).toEqual({ 'payments/0': offset });
    }
  });

  it('an ABORT marker drops the pending offsets', () => {
    const t = setup();
    expect(t.commit(2)).toBe('NONE');
    expect(t.txnCommit(7, 1000, 0)).toBe('NONE');
    const b = t.coordinator();
    b.groupCoordinator.onTxnMarker(b.leaderPartition(OFFSETS_KEY)!, 1000, 'ABORT');
    expect(t.fetchOffsets(true)).toEqual({ error: 'NONE', offsets: { 'payments/0': 2 } });
  });

  it('a plain commit written after the transactional one wins when the transaction commits', () => {
    const t = setup();
    expect(t.txnCommit(7, 1000, 0)).toBe('NONE');
    expect(t.commit(9)).toBe('NONE');
    const b = t.coordinator();
    b.groupCoordinator.onTxnMarker(b.leaderPartition(OFFSETS_KEY)!, 1000, 'COMMIT');
    expect(t.fetchOffsets().offsets).toEqual({ 'payments/0': 9 });
  });

  it('fences a zombie by generation and member (KIP-447), and an old producer epoch by the log (INVALID_PRODUCER_EPOCH)', () => {
    const t = setup();
    const { memberId, generationId } = t.joinAlone();
    expect(t.txnCommit(4, 1000, 0, generationId - 1, memberId)).toBe('ILLEGAL_GENERATION');
    expect(t.txnCommit(4, 1000, 0, generationId, 'c-9.9')).toBe('UNKNOWN_MEMBER_ID');
    expect(t.txnCommit(4, 1000, 1, generationId, memberId)).toBe('NONE');
    expect(t.txnCommit(5, 1000, 0, generationId, memberId)).toBe('INVALID_PRODUCER_EPOCH');
    expect(t.coordinator().groupCoordinator.describeGroup(GROUP)?.pendingOffsets).toEqual({ 1000: { 'payments/0': 4 } });
  });

  it('a new coordinator rebuilds committed and pending offsets, and the group, from the replicated log', () => {
    const t = setup();
    const { memberId, generationId } = t.joinAlone();
    expect(t.commit(3, generationId, memberId)).toBe('NONE');
    expect(t.txnCommit(8, 1000, 0, generationId, memberId)).toBe('NONE');
    const old = t.coordinator();
    old.crash('process');
    t.runFor(2500);
    const now = t.coordinator();
    expect(now.brokerId).not.toBe(old.brokerId);
    const g = now.groupCoordinator.describeGroup(GROUP);
    // The member kept its generation through the failover (it is gone now only because nobody heartbeats).
    expect(g).toMatchObject({ offsets: { 'payments/0': 3 }, pendingOffsets: { 1000: { 'payments/0': 8 } } });
    expect(g!.generationId).toBeGreaterThanOrEqual(generationId);
    now.groupCoordinator.onTxnMarker(now.leaderPartition(OFFSETS_KEY)!, 1000, 'COMMIT');
    expect(t.fetchOffsets(true).offsets).toEqual({ 'payments/0': 8 });
  });
});

describe('GroupCoordinator.load', () => {
  /** A partition whose log holds `batches` (offsets assigned in order), with a coordinator that leads it. */
  function loaded(batches: (Omit<ProducerBatch, 'records'> & { records: (RecordValue | GroupMetadataValue)[]; control?: 'COMMIT' | 'ABORT' })[]) {
    const sim = new Simulation({ seed: 1, keepTrace: false });
    const p = new Partition(sim, 1, OFFSETS_KEY, OFFSETS_TOPIC, 0, 1, { checks: ModelChecks.ALL_ON, markerEpochCheck: false }, resolveRelease('3.5').line.features);
    for (const b of batches) {
      const baseOffset = p.log.logEndOffset;
      const batch = {
        ...b, records: b.records as RecordValue[], baseOffset, lastOffset: baseOffset + Math.max(b.records.length, 1) - 1,
        partitionLeaderEpoch: 0, control: b.control ?? null, coordinatorEpoch: 0,
      } as RecordBatch;
      p.log.append(batch);
    }
    p.role = 'leader';
    const broker = {
      id: 'broker-1', incarnation: 0, options: { offsetsTopicPartitions: 1 }, config: DEFAULT_BROKER,
      leaderPartition: (key: string) => (key === OFFSETS_KEY ? p : null),
    } as unknown as Broker;
    const gc = new GroupCoordinator(broker, sim);
    gc.load(p);
    return gc;
  }
  const offset = (key: string, o: number): RecordValue => ({ type: 'offset', group: GROUP, key, offset: o });
  const plain = (...records: RecordValue[]) => ({ producerId: -1, producerEpoch: -1, baseSequence: -1, isTransactional: false, records });
  const txn = (pid: number, ...records: RecordValue[]) => ({ producerId: pid, producerEpoch: 0, baseSequence: -1, isTransactional: true, records });
  const marker = (pid: number, control: 'COMMIT' | 'ABORT') => ({ producerId: pid, producerEpoch: 0, baseSequence: -1, isTransactional: true, records: [], control });

  it('keeps transactional offsets pending until a marker of the same producer follows', () => {
    const gc = loaded([
      plain(offset('payments/0', 1), offset('payments/1', 1)),
      txn(7, offset('payments/0', 5)),
      txn(8, offset('payments/1', 6)),
      marker(7, 'COMMIT'),
      txn(9, offset('payments/2', 4)),
      marker(9, 'ABORT'),
      txn(10, offset('payments/2', 9)),
    ]);
    expect(gc.describeGroup(GROUP)).toMatchObject({
      offsets: { 'payments/0': 5, 'payments/1': 1 },
      pendingOffsets: { 8: { 'payments/1': 6 }, 10: { 'payments/2': 9 } },
    });
  });

  it('lets a later plain commit win over an earlier transactional one committed after it', () => {
    const gc = loaded([txn(7, offset('payments/0', 5)), plain(offset('payments/0', 8)), marker(7, 'COMMIT')]);
    expect(gc.describeGroup(GROUP)?.offsets).toEqual({ 'payments/0': 8 });
  });

  it('restores the last stored membership as a Stable group (Empty when it had no members)', () => {
    const member = { memberId: 'c-0.1', clientId: 'c', sessionTimeoutMs: 1000, rebalanceTimeoutMs: 3000, protocols: [{ name: 'range' as const, topics: ['payments'] }], assignment: ['payments/0'] };
    const stored = (generationId: number, members: GroupMetadataValue['members']): GroupMetadataValue => ({
      type: 'group', group: GROUP, generationId, protocolName: 'range', leaderId: members[0]?.memberId ?? null, members,
    });
    const gc = loaded([{ ...plain(), records: [stored(1, [member])] }, { ...plain(), records: [stored(2, [member])] }]);
    expect(gc.describeGroup(GROUP)).toMatchObject({ state: 'Stable', generationId: 2, leaderId: 'c-0.1', members: [{ memberId: 'c-0.1', assignment: ['payments/0'] }] });
    const empty = loaded([{ ...plain(), records: [stored(1, [member])] }, { ...plain(), records: [stored(2, [])] }]);
    expect(empty.describeGroup(GROUP)).toMatchObject({ state: 'Empty', generationId: 2, members: [] });
  });
});
