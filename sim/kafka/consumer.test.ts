// The consumer as a group member: real KafkaConsumers against a simulated cluster, driven by a small poll
// loop like an application's. A group forms with a disjoint assignment covering every partition, and
// rebalances when a member crashes (session timeout), joins or leaves.
import { ModelChecks } from './checks.ts';
import { resolveRelease } from './releases.ts';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../core/simulation.ts';
import { Network } from '../net/network.ts';
import { RpcClient } from '../net/rpc.ts';
import { brokerNodeId, OFFSETS_TOPIC } from './broker.ts';
import { Cluster } from './cluster.ts';
import { DEFAULT_BROKER, DEFAULT_CONSUMER, DEFAULT_NETWORK, DEFAULT_PRODUCER, type ConsumerConfig } from './config.ts';
import { KafkaConsumer, type ConsumedRecord } from './consumer.ts';
import type { TxnOffsetCommitRequest } from './group-protocol.ts';
import { KafkaProducer } from './producer.ts';
import { partitionKey } from './protocol.ts';

const MS = 1000;
const GROUP = 'ledger';
const PARTITIONS = 6;
const KEYS = Array.from({ length: PARTITIONS }, (_, p) => `payments/${p}`);

interface Member {
  consumer: KafkaConsumer;
  /** Assignments in the order the listener saw them. */
  assignments: string[][];
  revocations: string[][];
  records: ConsumedRecord[];
  running: boolean;
}

function setup(seed = 1, consumer: Partial<ConsumerConfig> = {}) {
  const sim = new Simulation({ seed, keepTrace: true });
  const net = new Network(sim, DEFAULT_NETWORK);
  const cluster = new Cluster(sim, net, {
    brokers: 3, topics: [{ name: 'payments', partitions: PARTITIONS, replicationFactor: 3 }], broker: { ...DEFAULT_BROKER },
    features: resolveRelease('3.5').line.features, offsetsTopicPartitions: 1, transactionStatePartitions: 1,
  });
  const config: ConsumerConfig = { ...DEFAULT_CONSUMER, ...consumer };
  const members = new Map<string, Member>();
  /** A member whose application polls, commits after each batch, and commits again when partitions are revoked. */
  const start = (id: string): Member => {
    let m = members.get(id);
    if (!m) {
      const c = new KafkaConsumer(sim, net, id, GROUP, config, cluster.brokerIds);
      net.add(c);
      m = { consumer: c, assignments: [], revocations: [], records: [], running: true };
      members.set(id, m);
    }
    const member = m;
    const c = member.consumer;
    const inc = c.incarnation;
    member.running = true;
    c.subscribe(['payments'], {
      onPartitionsRevoked: (keys, done) => {
        member.revocations.push(keys);
        c.commit(c.positions(), () => done());
      },
      onPartitionsAssigned: (keys) => member.assignments.push(keys),
    });
    const loop = () => {
      if (!member.running || inc !== c.incarnation) return;
      c.waitForData(100, () => {
        const records = c.poll();
        member.records.push(...records);
        if (records.length === 0) return loop();
        c.commit(c.positions(), () => loop());
      });
    };
    loop();
    return member;
  };
  const runUntil = (ms: number) => sim.run(ms * MS);
  const current = (id: string) => members.get(id)!.assignments.at(-1) ?? [];
  const coordinator = () => cluster.broker(cluster.leaderOf(partitionKey(OFFSETS_TOPIC, 0))).groupCoordinator;
  return { sim, net, cluster, members, start, runUntil, current, coordinator };
}

function expectDisjointCover(assignments: string[][]): void {
  const all = assignments.flat();
  expect(new Set(all).size).toBe(all.length);
  expect([...all].sort()).toEqual([...KEYS].sort());
}

describe('consumer group membership', () => {
  it('three members form one generation with a disjoint assignment covering every partition, the same for every run of a seed', () => {
    const runs = [1, 1, 2].map((seed) => {
      const t = setup(seed);
      for (const id of ['consumer-1', 'consumer-2', 'consumer-3']) t.start(id);
      t.runUntil(1000);
      const ids = ['consumer-1', 'consumer-2', 'consumer-3'];
      // group.initial.rebalance.delay.ms lets all three into generation 1: one assignment each, no rebalance.
      for (const id of ids) expect(t.members.get(id)!.assignments, id).toHaveLength(1);
      expectDisjointCover(ids.map((id) => t.current(id)));
      for (const id of ids) expect(t.current(id), id).toHaveLength(2);
      const g = t.coordinator().describeGroup(GROUP)!;
      expect(g).toMatchObject({ state: 'Stable', generationId: 1, protocolName: 'range' });
      for (const id of ids) expect(t.members.get(id)!.consumer.groupMetadata()).toMatchObject({ groupId: GROUP, generationId: 1 });
      return ids.map((id) => t.current(id));
    });
    expect(runs[1]).toEqual(runs[0]);
  });

  it('rebalances when a member crashes (after its session timeout) and when one joins', () => {
    const t = setup(3);
    t.start('consumer-1');
    t.start('consumer-2');
    t.runUntil(1000);
    expectDisjointCover([t.current('consumer-1'), t.current('consumer-2')]);
    const generation = t.coordinator().describeGroup(GROUP)!.generationId;

    t.members.get('consumer-2')!.consumer.crash();
    t.runUntil(1800);
    // Not yet: the coordinator waits for consumer-2's session timeout (1000 ms) before it drops the member.
    expect(t.coordinator().describeGroup(GROUP)!.generationId).toBe(generation);
    t.runUntil(3500);
    expect(t.current('consumer-1')).toEqual(KEYS);
    expect(t.coordinator().describeGroup(GROUP)).toMatchObject({ state: 'Stable', generationId: generation + 1 });
    expect(t.members.get('consumer-1')!.revocations.at(-1)!.length).toBe(PARTITIONS / 2);

    t.members.get('consumer-2')!.consumer.restart();
    t.start('consumer-2');
    t.start('consumer-3');
    t.runUntil(6000);
    const ids = ['consumer-1', 'consumer-2', 'consumer-3'];
    expectDisjointCover(ids.map((id) => t.current(id)));
    for (const id of ids) expect(t.current(id), id).toHaveLength(2);
    const g = t.coordinator().describeGroup(GROUP)!;
    expect(g.state).toBe('Stable');
    expect(g.members.map((m) => m.clientId).sort()).toEqual(ids);
    for (const id of ids) expect(t.members.get(id)!.consumer.groupMetadata().generationId, id).toBe(g.generationId);
  });

  it('leave() revokes, sends LeaveGroup, and the others take the partitions without waiting for a session timeout', () => {
    const t = setup(4);
    t.start('consumer-1');
    t.start('consumer-2');
    t.runUntil(1000);
    let left = false;
    t.sim.afterMs(0, () => t.members.get('consumer-2')!.consumer.leave(() => (left = true)));
    t.runUntil(1500);
    expect(left).toBe(true);
    expect(t.current('consumer-1')).toEqual(KEYS);
    expect(t.coordinator().describeGroup(GROUP)!.members.map((m) => m.clientId)).toEqual(['consumer-1']);
  });

  it('a new member starts from the offsets committed by the previous owner: nothing is read twice or skipped', () => {
    const t = setup(5);
    const producer = new KafkaProducer(t.sim, t.net, 'producer-1', { ...DEFAULT_PRODUCER }, t.cluster.brokerIds);
    t.net.add(producer);
    for (let i = 0; i < 120; i++) t.sim.afterMs(200 + 10 * i, () => producer.send(KEYS[i % PARTITIONS], `v${i}`, () => {}));
    t.start('consumer-1');
    t.sim.afterMs(700, () => t.start('consumer-2'));
    t.runUntil(4000);
    const read = [...t.members.values()].flatMap((m) => m.records.map((r) => r.value));
    expect(new Set(read).size).toBe(read.length);
    expect(read.length).toBe(120);
    expect(t.members.get('consumer-1')!.assignments.length).toBeGreaterThanOrEqual(2);
  });

  it('a member that stops polling is dropped after the rebalance timeout; its commit is refused and it rejoins when it polls again', () => {
    const t = setup(6);
    const m1 = t.start('consumer-1');
    t.runUntil(1000);
    const generation = m1.consumer.groupMetadata().generationId;
    // consumer-1's application stalls in a long batch: it keeps heartbeating but does not poll, so it cannot rejoin.
    m1.running = false;
    t.start('consumer-2');
    t.runUntil(1000 + 3000 + 1000);
    const g = t.coordinator().describeGroup(GROUP)!;
    expect(g.members.map((m) => m.clientId)).toEqual(['consumer-2']);
    expect(t.current('consumer-2')).toEqual(KEYS);
    // Its commit still names the old generation and a member the coordinator removed: Kafka's CommitFailedException.
    const errors: (string | null)[] = [];
    m1.consumer.commit({ [t.current('consumer-1')[0]]: 0 }, (e) => errors.push(e));
    t.runUntil(5200);
    expect(errors).toEqual(['UNKNOWN_MEMBER_ID']);
    expect(m1.consumer.groupMetadata().generationId).toBe(generation);
    // The application polls again: the member joins afresh and gets its share back.
    t.start('consumer-1');
    t.runUntil(7000);
    expectDisjointCover([t.current('consumer-1'), t.current('consumer-2')]);
    expect(m1.consumer.groupMetadata().generationId).toBeGreaterThan(g.generationId);
  });
});

describe('consumer positions', () => {
  /** Twelve records v0..v11 in payments/0 from 100 ms, and a consumer that has them assigned from 500 ms. */
  function twelveRecordsAssigned() {
    const t = setup(7);
    const producer = new KafkaProducer(t.sim, t.net, 'producer-1', { ...DEFAULT_PRODUCER }, t.cluster.brokerIds);
    t.net.add(producer);
    for (let i = 0; i < 12; i++) t.sim.afterMs(100 + i, () => producer.send('payments/0', `v${i}`, () => {}));
    const c = new KafkaConsumer(t.sim, t.net, 'manual', GROUP, { ...DEFAULT_CONSUMER }, t.cluster.brokerIds);
    t.net.add(c);
    t.sim.afterMs(500, () => c.assign(['payments/0'], () => {}));
    return { t, c };
  }

  it('seekToCommitted moves positions back to the committed offsets and drops what was buffered', () => {
    const { t, c } = twelveRecordsAssigned();
    let polled: ConsumedRecord[] = [];
    t.sim.afterMs(1000, () => {
      polled = c.poll();
      c.commit({ 'payments/0': 4 }, () => {});
    });
    t.runUntil(1200);
    expect(polled.map((r) => r.offset)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(c.position('payments/0')).toBe(12);
    let done = false;
    c.seekToCommitted(['payments/0'], () => (done = true));
    t.runUntil(1500);
    expect(done).toBe(true);
    expect(c.position('payments/0')).toBe(4);
    expect(c.poll().map((r) => r.offset)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('seekTo moves an assigned partition to the offset the application names, drops what was buffered and skips partitions not assigned', () => {
    const { t, c } = twelveRecordsAssigned();
    t.sim.afterMs(1000, () => {
      expect(c.poll().map((r) => r.offset)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      // Nothing committed: the rewind comes from the application's memory, not from the group.
      c.seekTo({ 'payments/0': 7, 'payments/1': 3 });
      expect(c.position('payments/0')).toBe(7);
      expect(c.assignment()).toEqual(['payments/0']);
      expect(c.poll()).toEqual([]);
    });
    t.runUntil(1300);
    expect(c.poll().map((r) => r.offset)).toEqual([7, 8, 9, 10, 11]);
  });

  it('read_committed: positions wait while a transaction holds offsets for the partition (UNSTABLE_OFFSET_COMMIT), then start at them', () => {
    const t = setup(8);
    const offsetsKey = partitionKey(OFFSETS_TOPIC, 0);
    const sender = { id: 'txn-sender', incarnation: 0, isUp: () => true, rpc: null as unknown as RpcClient,
      deliver(env: Parameters<RpcClient['onResponse']>[0]) { if (env.kind === 'response') this.rpc.onResponse(env); },
      peerDisconnected(peer: string) { this.rpc.failAll(peer); } };
    sender.rpc = new RpcClient(t.sim, t.net, sender.id);
    t.net.add(sender);
    const producer = new KafkaProducer(t.sim, t.net, 'producer-1', { ...DEFAULT_PRODUCER }, t.cluster.brokerIds);
    t.net.add(producer);
    for (let i = 0; i < 5; i++) t.sim.afterMs(100 + i, () => producer.send('payments/0', `v${i}`, () => {}));
    let answer: string | null = null;
    t.sim.afterMs(400, () => {
      const req: TxnOffsetCommitRequest = { transactionalId: 'tx', group: GROUP, producerId: 500, producerEpoch: 0, generationId: -1, memberId: '', offsets: { 'payments/0': 3 } };
      sender.rpc.request<TxnOffsetCommitRequest, { error: string }>(brokerNodeId(t.cluster.leaderOf(offsetsKey)), 'TxnOffsetCommit', req, 1000, (e, r) => (answer = e ?? r!.error));
    });
    const c = new KafkaConsumer(t.sim, t.net, 'reader', GROUP, { ...DEFAULT_CONSUMER, isolationLevel: 'read_committed' }, t.cluster.brokerIds);
    t.net.add(c);
    let ready = false;
    t.sim.afterMs(500, () => c.assign(['payments/0'], () => (ready = true)));
    t.runUntil(1500);
    expect(answer).toBe('NONE');
    expect(ready).toBe(false);
    const b = t.cluster.broker(t.cluster.leaderOf(offsetsKey));
    b.groupCoordinator.onTxnMarker(b.leaderPartition(offsetsKey)!, 500, 'COMMIT');
    t.runUntil(1800);
    expect(ready).toBe(true);
    expect(c.position('payments/0')).toBe(3);
    expect(c.poll().map((r) => r.value)).toEqual(['v3', 'v4']);
  });
});

describe('consumer: position validation after a leader change (KIP-320)', () => {
  /**
   * min.insync.replicas=1 and unclean election: broker 1 leads payments/0 alone (its followers are cut
   * off) and the consumer reads x0..x4 at offsets 5..9, which only broker 1 has. Broker 1 crashes, broker 2
   * becomes leader with a log ending at 5, and b0..b9 are written at offsets 5..14 of the new log.
   */
  function truncatedUnderTheConsumer() {
    const sim = new Simulation({ seed: 3, keepTrace: true });
    const net = new Network(sim, DEFAULT_NETWORK);
    const cluster = new Cluster(sim, net, {
      brokers: 3, topics: [{ name: 'payments', partitions: 1, replicationFactor: 3 }],
      broker: { ...DEFAULT_BROKER, uncleanLeaderElectionEnable: true },
      features: resolveRelease('4.2').line.features, offsetsTopicPartitions: 1, transactionStatePartitions: 1,
    });
    const producer = new KafkaProducer(sim, net, 'producer-1', { ...DEFAULT_PRODUCER, acks: 1 }, cluster.brokerIds);
    net.add(producer);
    const consumer = new KafkaConsumer(sim, net, 'reader', GROUP, { ...DEFAULT_CONSUMER }, cluster.brokerIds);
    net.add(consumer);
    const read: ConsumedRecord[] = [];
    const loop = () => consumer.waitForData(100, () => {
      read.push(...consumer.poll());
      loop();
    });
    const sendAll = (prefix: string) => {
      for (let i = 0; i < (prefix === 'b' ? 10 : 5); i++) producer.send('payments/0', `${prefix}${i}`, () => {});
    };
    sim.afterMs(100, () => sendAll('a'));
    sim.afterMs(200, () => consumer.assign(['payments/0'], loop));
    sim.afterMs(300, () => {
      for (const f of ['broker-2', 'broker-3']) {
        net.cutLink('broker-1', f);
        net.cutLink(f, 'broker-1');
      }
    });
    sim.afterMs(4000, () => sendAll('x'));
    sim.afterMs(4500, () => {
      cluster.crashBroker(1, 'process');
      net.healPartitions();
    });
    sim.afterMs(6000, () => sendAll('b'));
    sim.run(9000 * MS);
    return { sim, cluster, read };
  }

  it('moves back to the divergence point and reads the new leader\'s records there, neither skipping them nor starting over', () => {
    const t = truncatedUnderTheConsumer();
    const log = t.cluster.broker(2).partitions.get('payments/0')!.log.batches.flatMap((b) => b.records.map((v, i) => `${b.baseOffset + i}:${v}`));
    // The new leader's log: the a's, then the b's (in whatever order the retries landed them) from offset 5.
    expect(log).toHaveLength(15);
    expect(log.slice(0, 5).map((e) => e.split(':')[1])).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    expect(log.slice(5).every((e) => e.split(':')[1].startsWith('b'))).toBe(true);
    // Read: the old leader's 0..9, then the new leader's log from 5 on: no b skipped, no a read twice.
    expect(t.read.slice(0, 10).map((r) => r.value)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'x0', 'x1', 'x2', 'x3', 'x4']);
    expect(t.read.slice(10).map((r) => `${r.offset}:${r.value}`)).toEqual(log.slice(5));
    expect(t.sim.trace.records!.some((r) => r.includes('reader payments/0 truncation detected at 10 (epoch 0 ends at 5): seek to 5'))).toBe(true);
  });
});

describe('read_committed: the last stable offset and aborted transactions', () => {
  /**
   * One transactional producer writes payments/0: a committed transaction (c0, c1), an aborted one (a0, a1),
   * another committed one (c2), then leaves one open (o0). A consumer assigned payments/0 reads it all.
   */
  function readTransactions(isolationLevel: ConsumerConfig['isolationLevel'], checks = ModelChecks.ALL_ON): string[] {
    const sim = new Simulation({ seed: 3, keepTrace: false });
    const net = new Network(sim, DEFAULT_NETWORK);
    const cluster = new Cluster(sim, net, {
      brokers: 3, topics: [{ name: 'payments', partitions: 1, replicationFactor: 3 }], broker: { ...DEFAULT_BROKER },
      features: resolveRelease('4.2').line.features, offsetsTopicPartitions: 1, transactionStatePartitions: 1, checks,
    });
    const txnProducer = { ...DEFAULT_PRODUCER, enableIdempotence: true, acks: 'all' as const, transactional: true, transactionTimeoutMs: 60_000 };
    const producer = new KafkaProducer(sim, net, 'producer-1', txnProducer, cluster.brokerIds, { transactionalId: 'producer-1', transactionV2: true });
    net.add(producer);
    // Each transaction ends once its records are written (an abort drops what is still unsent).
    const transaction = (values: string[], commit: boolean | null, then: () => void) => {
      producer.beginTransaction();
      let acked = 0;
      const end = () => {
        if (commit === null) return then();
        if (commit) producer.commitTransaction((e) => { expect(e).toBeNull(); then(); });
        else producer.abortTransaction((e) => { expect(e).toBeNull(); then(); });
      };
      for (const v of values) producer.send('payments/0', v, (r) => { expect(r.status).toBe('ok'); if (++acked === values.length) end(); });
    };
    sim.afterMs(100, () => producer.initTransactions(() =>
      transaction(['c0', 'c1'], true, () => transaction(['a0', 'a1'], false, () => transaction(['c2'], true, () => transaction(['o0'], null, () => {})))),
    ));
    const c = new KafkaConsumer(sim, net, 'reader', GROUP, { ...DEFAULT_CONSUMER, isolationLevel }, cluster.brokerIds, checks);
    net.add(c);
    const read: string[] = [];
    const loop = () => c.waitForData(100, () => {
      read.push(...c.poll().map((r) => r.value));
      loop();
    });
    sim.afterMs(1500, () => c.assign(['payments/0'], loop));
    sim.run(4000 * MS);
    return read;
  }

  it('reads committed transactions only, and nothing at or past the open one', () => {
    expect(readTransactions('read_committed')).toEqual(['c0', 'c1', 'c2']);
  });

  it('read_uncommitted reads the aborted and the open transaction too', () => {
    expect(readTransactions('read_uncommitted')).toEqual(['c0', 'c1', 'a0', 'a1', 'c2', 'o0']);
  });

  it('without the consumer\'s aborted-transaction filter, read_committed hands out the aborted records', () => {
    expect(readTransactions('read_committed', new ModelChecks(['aborted-transaction-filter']))).toEqual(['c0', 'c1', 'a0', 'a1', 'c2']);
  });

  it('without the last-stable-offset bound, read_committed reads into the open transaction', () => {
    expect(readTransactions('read_committed', new ModelChecks(['last-stable-offset']))).toEqual(['c0', 'c1', 'c2', 'o0']);
  });
});
