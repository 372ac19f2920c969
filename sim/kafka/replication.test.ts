// Cluster-level tests of replication: Simulation + Network + Cluster (controller and brokers) and a real
// KafkaProducer, with faults injected by hand at chosen virtual times. Fixed seeds keep them deterministic.
import { resolveRelease } from './releases.ts';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../core/simulation.ts';
import { Network } from '../net/network.ts';
import { Cluster } from './cluster.ts';
import { DEFAULT_BROKER, DEFAULT_NETWORK, DEFAULT_PRODUCER, type Acks, type BrokerConfig } from './config.ts';
import { KafkaProducer, type SendResult } from './producer.ts';

const KEY = 'payments/0';
const MS = 1000;

function setup(seed: number, broker: Partial<BrokerConfig> = {}, acks: Acks = 'all', brokers = 3) {
  const sim = new Simulation({ seed, keepTrace: true });
  const net = new Network(sim, DEFAULT_NETWORK);
  // payments/0 has replicas [1, 2, 3] (with 3 or more brokers): broker 1 leads it first.
  const cluster = new Cluster(sim, net, {
    brokers, topics: [{ name: 'payments', partitions: 1, replicationFactor: 3 }],
    broker: { ...DEFAULT_BROKER, minInsyncReplicas: 2, ...broker },
    features: resolveRelease('4.2').line.features, offsetsTopicPartitions: 1, transactionStatePartitions: 1,
  });
  const producer = new KafkaProducer(sim, net, 'producer-1', { ...DEFAULT_PRODUCER, acks, deliveryTimeoutMs: 60_000 }, cluster.brokerIds);
  net.add(producer);
  const registration = () => cluster.controller.partitions.get(KEY)!;
  const values = (broker: number) => cluster.broker(broker).partitions.get(KEY)?.log.batches.flatMap((b) => b.records) ?? [];
  /** Value at `offset` in a broker's log, or undefined. */
  const at = (broker: number, offset: number) => {
    const b = cluster.broker(broker).partitions.get(KEY)?.log.batches.find((x) => x.baseOffset <= offset && offset <= x.lastOffset);
    return b ? b.records[offset - b.baseOffset] : undefined;
  };
  const runUntil = (ms: number) => sim.run(ms * MS);
  /** Runs in 50 us steps until `done()` holds or `limitMs` passes; returns whether it holds. */
  const runUntilTrue = (done: () => boolean, limitMs: number) => {
    while (!done() && sim.nowUs < limitMs * MS) sim.run(sim.nowUs + 50);
    return done();
  };
  return { sim, net, cluster, producer, registration, values, at, runUntil, runUntilTrue };
}

describe('replication: acks and leader failure', () => {
  it('acks=all with min.insync.replicas=2: an acknowledged record survives the leader crash (every seed)', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const t = setup(seed);
      const results: SendResult[] = [];
      let holdersAtAck = 0;
      let crashed = -1;
      t.sim.afterMs(300, () => {
        for (let i = 0; i < 5; i++) t.producer.send(KEY, `warm-${i}`, () => {});
      });
      t.sim.afterMs(600, () => t.producer.send(KEY, 'R', (r) => {
        results.push(r);
        if (r.status !== 'ok') return;
        holdersAtAck = t.cluster.brokerIds.filter((id) => t.at(id, r.offset!) === 'R').length;
        // Crash the leader the instant the ack arrives, before it can tell anyone anything more.
        crashed = t.cluster.leaderOf(KEY);
        t.cluster.crashBroker(crashed, 'process');
        t.sim.afterMs(1500, () => t.cluster.restartBroker(crashed));
      }));
      t.runUntil(8000);
      expect(results.map((r) => r.status), `seed ${seed}`).toEqual(['ok']);
      const offset = results[0].offset!;
      expect(holdersAtAck, `seed ${seed}`).toBeGreaterThanOrEqual(2);
      const leader = t.cluster.leaderOf(KEY);
      expect(leader, `seed ${seed}`).not.toBe(crashed);
      expect(t.at(leader, offset), `seed ${seed}`).toBe('R');
      // The old leader rejoined and holds the same log as the new one.
      for (const id of t.cluster.brokerIds) expect(t.values(id), `seed ${seed} broker ${id}`).toEqual(t.values(leader));
      expect(t.values(leader).filter((v) => v === 'R')).toHaveLength(1);
    }
  });

  it('acks=1: crashing the leader right after the append loses the acknowledged record for some seeds', () => {
    const lostSeeds: number[] = [];
    const keptSeeds: number[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      const t = setup(seed, {}, 1);
      let result: SendResult | null = null;
      let crashed = -1;
      t.sim.afterMs(300, () => t.producer.send(KEY, 'R', (r) => {
        result = r;
        crashed = t.cluster.leaderOf(KEY);
        t.cluster.crashBroker(crashed, 'process');
        t.sim.afterMs(1500, () => t.cluster.restartBroker(crashed));
      }));
      t.runUntil(8000);
      expect(result!.status).toBe('ok');
      expect(result!.offset).toBe(0);
      const leader = t.cluster.leaderOf(KEY);
      expect(leader).not.toBe(crashed);
      const everywhere = t.cluster.brokerIds.map((id) => t.values(id));
      // Replicas always converge to the new leader's log, whatever it is.
      for (const v of everywhere) expect(v).toEqual(t.values(leader));
      if (t.values(leader).includes('R')) {
        keptSeeds.push(seed);
      } else {
        lostSeeds.push(seed);
        // The old leader had it (process crash keeps the page cache) and truncated it away on return.
        expect(t.sim.trace.records!.some((r) => r.includes(`broker-${crashed} ${KEY} truncate 1->0`))).toBe(true);
      }
    }
    expect(lostSeeds.length).toBeGreaterThan(0);
    expect(keptSeeds.length).toBeGreaterThan(0);
  });

  it('acks=all refuses to append with fewer in-sync replicas than min.insync.replicas', () => {
    const t = setup(7, { minInsyncReplicas: 3 });
    const results: SendResult[] = [];
    // Broker 3 goes away for good: the ISR shrinks to [1, 2] < 3.
    t.sim.afterMs(200, () => t.cluster.crashBroker(3, 'process'));
    t.sim.afterMs(3000, () => t.producer.send(KEY, 'R', (r) => results.push(r)));
    t.runUntil(6000);
    expect(t.registration().isr).toEqual([1, 2]);
    expect(t.values(1)).toEqual([]);
    // Still retrying NOT_ENOUGH_REPLICAS: no ack.
    expect(results).toEqual([]);
    expect(t.sim.trace.records!.some((r) => r.includes('append'))).toBe(false);
  });
});

describe('replication: the controller', () => {
  it('elects the new leader from the ISR, not the first live replica', () => {
    const t = setup(3, {}, 1);
    // Broker 2 cannot fetch from broker 1 (it still heartbeats): it drops out of the ISR. R, written
    // meanwhile, reaches broker 3 only.
    t.sim.afterMs(300, () => {
      t.net.cutLink('broker-1', 'broker-2');
      t.net.cutLink('broker-2', 'broker-1');
    });
    const acked: SendResult[] = [];
    t.sim.afterMs(600, () => t.producer.send(KEY, 'R', (r) => acked.push(r)));
    t.runUntil(4000);
    expect(acked.map((r) => r.status)).toEqual(['ok']);
    expect(t.registration().isr).toEqual([1, 3]);
    expect(t.values(3)).toEqual(['R']);
    expect(t.values(2)).toEqual([]);
    const epoch = t.registration().leaderEpoch;
    t.sim.at(t.sim.nowUs, () => t.cluster.crashBroker(1, 'process'));
    t.runUntil(6000);
    // Broker 2 comes first in the replica list and is alive, but is not in the ISR.
    expect(t.sim.trace.records!.filter((r) => r.includes(`controller elect ${KEY}`)).map((r) => r.replace(/^\d+ /, '')))
      .toEqual([`controller elect ${KEY} leader=3 epoch=${epoch + 1} isr=[3]`]);
    expect(t.registration().leader).toBe(3);
    expect(t.registration().leaderEpoch).toBe(epoch + 1);
    expect(t.cluster.broker(3).leaderPartition(KEY)).not.toBeNull();
    // Broker 2 can reach broker 3: it catches up from the new leader and joins its ISR.
    expect(t.registration().isr).toEqual([3, 2]);
    expect(t.values(3)).toEqual(['R']);
    expect(t.values(2)).toEqual(['R']);
  });

  it('a restarted broker catches up and rejoins the ISR', () => {
    const t = setup(4);
    t.sim.afterMs(300, () => t.cluster.crashBroker(3, 'process'));
    t.runUntil(2500);
    // Its session expired: fenced and out of the ISR. acks=all still works with 2 in sync.
    expect(t.registration().isr).toEqual([1, 2]);
    const acked: SendResult[] = [];
    t.sim.at(t.sim.nowUs, () => {
      for (let i = 0; i < 20; i++) t.producer.send(KEY, `v${i}`, (r) => acked.push(r));
    });
    t.runUntil(3500);
    expect(acked.map((r) => r.status)).toEqual(Array(20).fill('ok'));
    expect(t.values(3)).toEqual([]);
    t.sim.at(t.sim.nowUs, () => t.cluster.restartBroker(3));
    t.runUntil(6000);
    expect([...t.registration().isr].sort()).toEqual([1, 2, 3]);
    expect(t.values(3)).toEqual(t.values(1));
    expect(t.values(3)).toHaveLength(20);
  });

  it('a power-failed follower loses its unflushed tail and fetches it again', () => {
    const t = setup(5, { flushIntervalMs: 100_000 }); // nothing reaches the disk after the start
    t.sim.afterMs(300, () => {
      for (let i = 0; i < 10; i++) t.producer.send(KEY, `v${i}`, () => {});
    });
    t.runUntil(1000);
    expect(t.values(2)).toHaveLength(10);
    t.sim.at(t.sim.nowUs, () => t.cluster.crashBroker(2, 'power-loss'));
    t.runUntil(1001);
    expect(t.values(2)).toEqual([]);
    t.sim.at(t.sim.nowUs, () => t.cluster.restartBroker(2));
    t.runUntil(5000);
    expect(t.values(2)).toEqual(t.values(1));
    expect(t.values(2)).toHaveLength(10);
    expect([...t.registration().isr].sort()).toEqual([1, 2, 3]);
  });

  /** Shrinks payments/0's ISR to [1] (followers cut off from broker 1), writes X on broker 1 alone, crashes it. */
  function onlyLeaderInSync(unclean: boolean) {
    const t = setup(6, { uncleanLeaderElectionEnable: unclean }, 1);
    t.sim.afterMs(300, () => {
      for (const f of ['broker-2', 'broker-3']) {
        t.net.cutLink('broker-1', f);
        t.net.cutLink(f, 'broker-1');
      }
    });
    t.runUntil(4000);
    expect(t.registration().isr).toEqual([1]);
    const acked: SendResult[] = [];
    t.sim.at(t.sim.nowUs, () => t.producer.send(KEY, 'X', (r) => acked.push(r)));
    t.runUntil(4500);
    expect(acked.map((r) => r.status)).toEqual(['ok']);
    expect(t.values(1)).toEqual(['X']);
    t.sim.at(t.sim.nowUs, () => {
      t.cluster.crashBroker(1, 'process');
      t.net.healPartitions();
    });
    t.runUntil(7000);
    return t;
  }

  it('without unclean election, a partition whose only in-sync replica died stays offline, then returns with it', () => {
    const t = onlyLeaderInSync(false);
    expect(t.registration().leader).toBe(-1);
    expect(t.registration().isr).toEqual([1]);
    expect(t.cluster.leaderReplica(KEY)).toBeNull();
    t.sim.at(t.sim.nowUs, () => t.cluster.restartBroker(1));
    t.runUntil(10_000);
    expect(t.registration().leader).toBe(1);
    for (const id of t.cluster.brokerIds) expect(t.values(id)).toEqual(['X']);
  });

  it('with unclean election enabled, an out-of-sync replica leads and the record only the old leader had is lost', () => {
    const t = onlyLeaderInSync(true);
    expect(t.registration().leader).toBe(2);
    // The unclean leader starts alone in the ISR; broker 3 may have caught up with it since.
    expect(t.registration().isr).not.toContain(1);
    expect(t.sim.trace.records!.some((r) => r.includes(`controller unclean election ${KEY} -> broker-2`))).toBe(true);
    t.sim.at(t.sim.nowUs, () => t.cluster.restartBroker(1));
    t.runUntil(10_000);
    for (const id of t.cluster.brokerIds) expect(t.values(id)).toEqual([]);
  });
});

describe('replication: idempotent producer across a leader change', () => {
  it('a retry after a lost ack is deduplicated by the new leader (producer state is replicated)', () => {
    const t = setup(8);
    const producer = new KafkaProducer(t.sim, t.net, 'producer-2', { ...DEFAULT_PRODUCER, enableIdempotence: true }, t.cluster.brokerIds);
    t.net.add(producer);
    const results: SendResult[] = [];
    // The ack of the first Produce is lost; then the leader crashes before the retry.
    t.sim.afterMs(300, () => {
      t.net.addRule({ action: 'drop', api: 'Produce', message: 'response', remaining: 1, delayUs: 0 });
      producer.send(KEY, 'R', (r) => results.push(r));
    });
    t.sim.afterMs(340, () => t.cluster.crashBroker(1, 'process'));
    t.runUntil(8000);
    expect(results.map((r) => r.status)).toEqual(['ok']);
    const leader = t.cluster.leaderOf(KEY);
    expect(leader).not.toBe(1);
    expect(t.values(leader)).toEqual(['R']);
    expect(results[0].offset).toBe(0);
    expect(t.sim.trace.records!.some((r) => r.includes('duplicate pid='))).toBe(true);
  });
});

describe('replication: determinism', () => {
  it('the same seed gives the same trace hash', () => {
    const run = (seed: number) => {
      const t = setup(seed);
      t.sim.afterMs(300, () => {
        for (let i = 0; i < 30; i++) t.producer.send(KEY, `v${i}`, () => {});
      });
      t.sim.afterMs(320, () => t.cluster.crashBroker(1, 'process'));
      t.sim.afterMs(1500, () => t.cluster.restartBroker(1));
      t.runUntil(5000);
      return t.sim.trace.hash();
    };
    expect(run(11)).toBe(run(11));
    expect(run(11)).not.toBe(run(12));
  });
});

describe('replication: ISR changes', () => {
  const cutOneTwo = (t: ReturnType<typeof setup>) => {
    t.net.cutLink('broker-1', 'broker-2');
    t.net.cutLink('broker-2', 'broker-1');
  };

  it('a follower that stops fetching (but still heartbeats) stays out of the ISR: another follower\'s fetch does not re-add it', () => {
    const t = setup(3);
    t.sim.afterMs(300, () => cutOneTwo(t));
    t.runUntil(3500);
    const results: SendResult[] = [];
    let ackedAtUs = -1;
    t.sim.at(t.sim.nowUs, () => t.producer.send(KEY, 'R', (r) => {
      results.push(r);
      ackedAtUs = t.sim.nowUs;
    }));
    t.runUntil(6000);
    // Broker 2 leaves the ISR once, for good: broker 1 never proposes it again while it cannot fetch.
    const isrChanges = t.sim.trace.records!.flatMap((r) => /controller metadata v\d+ (isr payments\/0 .*)$/.exec(r)?.[1] ?? []);
    expect(isrChanges).toEqual(['isr payments/0 [1,3] pe=1']);
    expect(t.sim.trace.records!.filter((r) => r.includes(`broker-1 alter-isr ${KEY}`)).map((r) => r.replace(/^\d+ /, '')))
      .toEqual([`broker-1 alter-isr ${KEY} [1,3]`]);
    // So acks=all is answered once broker 3 has R, without waiting for broker 2 to be dropped again.
    expect(results.map((r) => r.status)).toEqual(['ok']);
    expect(ackedAtUs).toBeLessThan(3600 * MS);
    expect(t.values(3)).toEqual(['R']);
    expect(t.values(2)).toEqual([]);
  });

  /**
   * Broker 2 leaves payments/0's ISR (cut off from broker 1), then catches up: broker 1 proposes [1,3,2],
   * and that AlterPartition takes 1.5 s to reach the controller, which then commits it. Meanwhile broker 2
   * is cut off again and broker 1 hears something that is not the controller's answer (`news`: its
   * request's own timeout at 1 s, or a metadata update about broker 4). R is sent with acks=all as soon as
   * broker 1 stops waiting for the expansion, and broker 1 crashes once it is committed: broker 2 is
   * elected. Four brokers, so that cutting broker 1 from broker 2 touches payments/0 alone.
   */
  function expansionInFlight(seed: number, news: 'timeout' | 'metadata') {
    const t = setup(seed, {}, 'all', 4);
    t.sim.afterMs(300, () => cutOneTwo(t));
    // W (answered once broker 2 is out of the ISR) lifts the high watermark above broker 2's log end.
    t.sim.afterMs(600, () => t.producer.send(KEY, 'W', () => {}));
    t.runUntil(3500);
    expect(t.registration().isr).toEqual([1, 3]);
    t.net.addRule({ action: 'delay', api: 'AlterPartition', message: 'request', nodes: ['broker-1'], remaining: 1, delayUs: 1500 * MS });
    t.sim.at(t.sim.nowUs, () => t.net.healPartitions());
    const leader = t.cluster.broker(1).partitions.get(KEY)!;
    expect(t.runUntilTrue(() => leader.pendingIsr !== null, 6500)).toBe(true);
    expect(leader.pendingIsr).toEqual([1, 3, 2]);
    const expansionMs = t.sim.nowUs / MS;
    t.sim.at(t.sim.nowUs, () => {
      cutOneTwo(t);
      if (news === 'metadata') {
        // Fencing and unfencing broker 4 (no replica of payments/0) bumps the metadata version.
        t.cluster.crashBroker(4, 'process');
        t.cluster.restartBroker(4);
      }
    });
    let isrAtCrash: number[] = [];
    t.sim.at((expansionMs + 1600) * MS, () => {
      isrAtCrash = [...t.registration().isr];
      t.cluster.crashBroker(1, 'process');
      t.net.healPartitions();
    });
    t.sim.at((expansionMs + 3600) * MS, () => t.cluster.restartBroker(1));
    // At the latest, the controller's answer (to the retry, or to the delayed request at 1500 ms) ends the wait.
    expect(t.runUntilTrue(() => leader.pendingIsr === null, expansionMs + 1450)).toBe(true);
    const isrWhenCleared = [...t.registration().isr];
    const results: SendResult[] = [];
    t.sim.at(t.sim.nowUs, () => t.producer.send(KEY, 'R', (r) => results.push(r)));
    t.runUntil(expansionMs + 12_000);
    return { t, results, isrAtCrash, isrWhenCleared };
  }

  for (const news of ['timeout', 'metadata'] as const) {
    it(`an ISR expansion stays pending until the controller answers (${news === 'timeout' ? 'not cleared by a timeout' : 'nor by an unrelated metadata update'}): a record acknowledged meanwhile survives the leader crash`, () => {
      for (const seed of [1, 2, 3]) {
        const { t, results, isrAtCrash, isrWhenCleared } = expansionInFlight(seed, news);
        expect(isrAtCrash, `seed ${seed}`).toEqual([1, 3, 2]);
        const leader = t.cluster.leaderOf(KEY);
        expect(leader, `seed ${seed}`).toBe(2);
        expect(results.map((r) => r.status), `seed ${seed}`).toEqual(['ok']);
        expect(t.values(leader), `seed ${seed}`).toContain('R');
        for (const id of [1, 2, 3]) expect(t.values(id), `seed ${seed} broker ${id}`).toEqual(t.values(leader));
        // The cause: broker 1 stopped counting broker 2 for the high watermark before the controller decided.
        expect(isrWhenCleared, `seed ${seed}`).toEqual([1, 3, 2]);
      }
    });
  }
});
