// The transaction coordinator's answers, asked directly over the simulated network by a bare RPC client:
// InitProducerId with and without an expected producer id and epoch (KIP-360), EndTxn retries and
// fencing in transaction version 1 and 2. Each test fails if the answer is wrong, not only if it throws.
import { describe, expect, it } from 'vitest';
import { Simulation } from '../core/simulation.ts';
import { Network, type Envelope, type NetNode } from '../net/network.ts';
import { RpcClient } from '../net/rpc.ts';
import { brokerNodeId } from './broker.ts';
import { Cluster } from './cluster.ts';
import { DEFAULT_BROKER, DEFAULT_NETWORK } from './config.ts';
import {
  NO_PRODUCER_EPOCH, NO_PRODUCER_ID,
  type AddPartitionsToTxnRequest, type EndTxnRequest, type FindCoordinatorResponse, type InitProducerIdRequest, type TxnResponse,
} from './protocol.ts';
import { resolveRelease } from './releases.ts';

const TXN_ID = 'payments-app';

function setup(release: string) {
  const sim = new Simulation({ seed: 1, keepTrace: false });
  const net = new Network(sim, DEFAULT_NETWORK);
  const cluster = new Cluster(sim, net, {
    brokers: 3, topics: [{ name: 'payments', partitions: 1, replicationFactor: 3 }], broker: { ...DEFAULT_BROKER, minInsyncReplicas: 2 },
    features: resolveRelease(release).line.features, offsetsTopicPartitions: 1, transactionStatePartitions: 1,
  });
  const rpc = new RpcClient(sim, net, 'client');
  const client: NetNode = { id: 'client', incarnation: 0, isUp: () => true, deliver: (e: Envelope) => rpc.onResponse(e), peerDisconnected: () => {} };
  net.add(client);
  sim.run(1000 * 1000); // the cluster elects leaders and loads the coordinators
  let coordinator = '';
  rpc.request<object, FindCoordinatorResponse>(brokerNodeId(1), 'FindCoordinator', { keyType: 'transaction', key: TXN_ID }, 1000, (_err, resp) => {
    coordinator = brokerNodeId(resp!.nodeId);
  });
  sim.run(sim.nowUs + 100_000);
  /** Sends one request to the coordinator and runs until it is answered. */
  const ask = <Req>(api: 'InitProducerId' | 'AddPartitionsToTxn' | 'EndTxn', body: Req): TxnResponse => {
    let answer: TxnResponse | null = null;
    rpc.request<Req, TxnResponse>(coordinator, api, body, 1000, (err, resp) => {
      answer = resp ?? { error: err as TxnResponse['error'], producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
    });
    sim.run(sim.nowUs + 200_000);
    if (!answer) throw new Error(`${api}: no answer`);
    return answer;
  };
  const init = (producerId = NO_PRODUCER_ID, producerEpoch = NO_PRODUCER_EPOCH, transactionTimeoutMs = 60_000) =>
    ask<InitProducerIdRequest>('InitProducerId', { transactionalId: TXN_ID, transactionTimeoutMs, producerId, producerEpoch });
  const add = (producerId: number, producerEpoch: number) =>
    ask<AddPartitionsToTxnRequest>('AddPartitionsToTxn', { transactionalId: TXN_ID, producerId, producerEpoch, partitions: ['payments/0'], verifyOnly: false });
  const end = (producerId: number, producerEpoch: number, committed: boolean) =>
    ask<EndTxnRequest>('EndTxn', { transactionalId: TXN_ID, producerId, producerEpoch, committed });
  const state = () => {
    for (const b of cluster.brokers.values()) {
      const m = (b.transactionCoordinator as unknown as { loaded: Map<string, { txns: Map<string, { state: string; producerEpoch: number }> }> })
        .loaded.values().next().value?.txns.get(TXN_ID);
      if (m) return m;
    }
    return undefined;
  };
  return { sim, net, init, add, end, state };
}

describe('InitProducerId (KIP-360: prepareInitProducerIdTransit)', () => {
  it('a new instance (no expected epoch) bumps the epoch every time', () => {
    const t = setup('4.2');
    const a = t.init();
    expect(a).toMatchObject({ error: 'NONE', producerEpoch: 0 });
    expect(t.init()).toMatchObject({ error: 'NONE', producerId: a.producerId, producerEpoch: 1 });
  });

  it('a bump with the current epoch succeeds; its retry (the previous epoch) gets the current epoch back without a second bump', () => {
    const t = setup('3.9');
    const a = t.init();
    const bumped = t.init(a.producerId, a.producerEpoch);
    expect(bumped).toMatchObject({ error: 'NONE', producerEpoch: a.producerEpoch + 1 });
    // The answer was lost and the producer asks again with the epoch it still has.
    expect(t.init(a.producerId, a.producerEpoch)).toMatchObject({ error: 'NONE', producerEpoch: a.producerEpoch + 1 });
    expect(t.state()!.producerEpoch).toBe(a.producerEpoch + 1);
  });

  it('a replaced instance is fenced for good: an older epoch or another producer id gets PRODUCER_FENCED', () => {
    const t = setup('3.9');
    const zombie = t.init();
    t.init(); // the replacement takes over (epoch + 1)
    const replacement = t.init(); // and bumps again (epoch + 2)
    expect(t.init(zombie.producerId, zombie.producerEpoch).error).toBe('PRODUCER_FENCED');
    expect(t.init(zombie.producerId + 1000, replacement.producerEpoch).error).toBe('PRODUCER_FENCED');
    expect(t.state()!.producerEpoch).toBe(replacement.producerEpoch);
  });

  it('a zombie\'s own bump right after one replacement started is fenced, not taken for a retry (the new instance left no last epoch)', () => {
    const t = setup('3.9');
    const zombie = t.init();
    const replacement = t.init();
    expect(replacement.producerEpoch).toBe(zombie.producerEpoch + 1);
    expect(t.init(zombie.producerId, zombie.producerEpoch).error).toBe('PRODUCER_FENCED');
    expect(t.state()!.producerEpoch).toBe(replacement.producerEpoch);
  });

  it('a new instance while a transaction is ongoing fences it, aborts it and answers CONCURRENT_TRANSACTIONS until the abort is complete', () => {
    const t = setup('3.9');
    const a = t.init();
    expect(t.add(a.producerId, a.producerEpoch).error).toBe('NONE');
    expect(t.state()!.state).toBe('Ongoing');
    expect(t.init().error).toBe('CONCURRENT_TRANSACTIONS');
    t.sim.run(t.sim.nowUs + 500_000);
    expect(t.state()!.state).toBe('CompleteAbort');
    const b = t.init();
    expect(b).toMatchObject({ error: 'NONE', producerEpoch: a.producerEpoch + 2 });
    expect(t.add(a.producerId, a.producerEpoch).error).toBe('PRODUCER_FENCED');
    expect(t.end(a.producerId, a.producerEpoch, true).error).toBe('PRODUCER_FENCED');
  });
});

describe('EndTxn', () => {
  it('transaction version 2 bumps the epoch at every EndTxn; a retry with the old epoch is answered as done; a stale commit in the next transaction is fenced', () => {
    const t = setup('4.2');
    const a = t.init();
    t.add(a.producerId, a.producerEpoch);
    const committed = t.end(a.producerId, a.producerEpoch, true);
    expect(committed).toMatchObject({ error: 'NONE', producerEpoch: a.producerEpoch + 1 });
    t.sim.run(t.sim.nowUs + 300_000);
    expect(t.state()!.state).toBe('CompleteCommit');
    expect(t.end(a.producerId, a.producerEpoch, true).error).toBe('NONE');
    // The next transaction, then the first commit's delayed copy (KAFKA-17754's shape): fenced by the epoch.
    t.add(a.producerId, committed.producerEpoch);
    expect(t.end(a.producerId, a.producerEpoch, true).error).toBe('PRODUCER_FENCED');
    expect(t.state()!.state).toBe('Ongoing');
  });

  it('transaction version 1 keeps the epoch: a delayed commit in the next transaction commits it (KAFKA-17754)', () => {
    const t = setup('3.9');
    const a = t.init();
    t.add(a.producerId, a.producerEpoch);
    expect(t.end(a.producerId, a.producerEpoch, true)).toMatchObject({ error: 'NONE', producerEpoch: a.producerEpoch });
    t.sim.run(t.sim.nowUs + 300_000);
    t.add(a.producerId, a.producerEpoch);
    expect(t.end(a.producerId, a.producerEpoch, true).error).toBe('NONE');
    expect(['PrepareCommit', 'CompleteCommit']).toContain(t.state()!.state);
  });

  it('after a transaction.timeout.ms abort, version 2 answers the producer\'s EndTxn(abort) as a retry with the bumped epoch; version 1 fences it', () => {
    for (const [release, expected] of [['4.2', 'NONE'], ['3.9', 'PRODUCER_FENCED']] as const) {
      const t = setup(release);
      const a = t.init(NO_PRODUCER_ID, NO_PRODUCER_EPOCH, 300);
      t.add(a.producerId, a.producerEpoch);
      t.sim.run(t.sim.nowUs + 1_000_000);
      expect(t.state()).toMatchObject({ state: 'CompleteAbort', producerEpoch: a.producerEpoch + 1 });
      const answer = t.end(a.producerId, a.producerEpoch, false);
      expect(answer.error).toBe(expected);
      if (expected === 'NONE') expect(answer.producerEpoch).toBe(a.producerEpoch + 1);
      // A commit with the old epoch is never a retry of that abort: version 2 takes the epoch for the abort's
      // and refuses the commit (INVALID_TXN_STATE), version 1 fences the old epoch.
      expect(t.end(a.producerId, a.producerEpoch, true).error).toBe(release === '4.2' ? 'INVALID_TXN_STATE' : 'PRODUCER_FENCED');
    }
  });

  it('an EndTxn retried while its markers are still being written gets CONCURRENT_TRANSACTIONS, in both versions, then its answer', () => {
    for (const release of ['4.2', '3.9']) {
      const t = setup(release);
      const a = t.init();
      t.add(a.producerId, a.producerEpoch);
      // Hold the marker back for 2 s (its copies included: a delay keeps the connection's order).
      t.net.addRule({ action: 'delay', api: 'WriteTxnMarkers', message: 'request', remaining: 1, delayUs: 2_000_000 });
      const first = t.end(a.producerId, a.producerEpoch, true);
      expect(first.error).toBe('NONE');
      expect(t.state()!.state).toBe('PrepareCommit');
      // The answer was lost; the producer retries with the epoch it sent the first time.
      expect(t.end(a.producerId, a.producerEpoch, true).error).toBe('CONCURRENT_TRANSACTIONS');
      t.sim.run(t.sim.nowUs + 3_000_000);
      expect(t.state()!.state).toBe('CompleteCommit');
      expect(t.end(a.producerId, a.producerEpoch, true)).toMatchObject({ error: 'NONE', producerEpoch: first.producerEpoch });
    }
  });

  it('an instance fenced by a new one while its transaction was open cannot end it or reopen one, in either version', () => {
    for (const release of ['4.0', '3.9']) {
      const t = setup(release);
      const a = t.init();
      t.add(a.producerId, a.producerEpoch);
      expect(t.init().error).toBe('CONCURRENT_TRANSACTIONS'); // the new instance fences and aborts a's transaction
      t.sim.run(t.sim.nowUs + 1_000_000);
      expect(t.end(a.producerId, a.producerEpoch, false).error, release).toBe('PRODUCER_FENCED');
      expect(t.end(a.producerId, a.producerEpoch, true).error, release).toBe('PRODUCER_FENCED');
      expect(t.add(a.producerId, a.producerEpoch).error, release).toBe('PRODUCER_FENCED');
      expect(t.init().error, release).toBe('NONE');
    }
  });

  it('an EndTxn for a transaction never begun gets INVALID_TXN_STATE; one with another epoch PRODUCER_FENCED', () => {
    const t = setup('3.9');
    const a = t.init();
    expect(t.end(a.producerId, a.producerEpoch, false).error).toBe('INVALID_TXN_STATE');
    t.add(a.producerId, a.producerEpoch);
    expect(t.end(a.producerId, a.producerEpoch + 5, true).error).toBe('PRODUCER_FENCED');
  });
});
