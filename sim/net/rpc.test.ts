import { describe, expect, it } from 'vitest';
import { Simulation } from '../core/simulation.ts';
import { Network, type Envelope, type NetNode } from './network.ts';
import { RpcClient, reply, type RpcError } from './rpc.ts';

/** A client node whose RpcClient sees responses and resets, as KafkaProducer wires it. */
class Client implements NetNode {
  incarnation = 0;
  responsesDelivered = 0;
  readonly rpc: RpcClient;
  constructor(readonly id: string, sim: Simulation, net: Network) {
    this.rpc = new RpcClient(sim, net, id);
  }
  isUp(): boolean {
    return true;
  }
  deliver(env: Envelope): void {
    if (env.kind !== 'response') return;
    this.responsesDelivered++;
    this.rpc.onResponse(env);
  }
  peerDisconnected(peer: string, connectionId: number): void {
    this.rpc.failAll(peer, connectionId);
  }
}

/** A server that holds requests until the test answers them. */
class Server implements NetNode {
  incarnation = 0;
  readonly requests: Envelope<{ n: number }>[] = [];
  constructor(readonly id: string) {}
  isUp(): boolean {
    return true;
  }
  deliver(env: Envelope): void {
    if (env.kind === 'request') this.requests.push(env as Envelope<{ n: number }>);
  }
  peerDisconnected(): void {}
}

interface Outcome {
  n: number;
  error: RpcError | null;
  response: { echo: number } | null;
  atUs: number;
}

function setup() {
  const sim = new Simulation({ seed: 3, keepTrace: true });
  const net = new Network(sim, { latencyUsMin: 100, latencyUsMean: 300 });
  const client = new Client('c', sim, net);
  const s1 = new Server('s1');
  const s2 = new Server('s2');
  for (const n of [client, s1, s2]) net.add(n);
  const outcomes: Outcome[] = [];
  const call = (to: string, n: number, timeoutMs: number) =>
    client.rpc.request<{ n: number }, { echo: number }>(to, 'Produce', { n }, timeoutMs, (error, response) => {
      outcomes.push({ n, error, response, atUs: sim.nowUs });
    });
  const answer = (server: Server, n: number) => {
    const env = server.requests.find((e) => e.body.n === n)!;
    reply(net, env, { echo: n });
  };
  return { sim, net, client, s1, s2, outcomes, call, answer };
}

describe('RpcClient', () => {
  it('routes each response to its request by correlation id, whatever the answer order', () => {
    const { sim, client, s1, outcomes, call, answer } = setup();
    sim.at(0, () => {
      call('s1', 1, 1000);
      call('s1', 2, 1000);
      call('s1', 3, 1000);
      expect(client.rpc.inFlightTo('s1')).toBe(3);
    });
    sim.run(50_000);
    expect(s1.requests.map((e) => e.body.n)).toEqual([1, 2, 3]);
    expect(new Set(s1.requests.map((e) => e.correlationId)).size).toBe(3);
    sim.at(sim.nowUs, () => answer(s1, 3));
    sim.at(sim.nowUs + 10_000, () => answer(s1, 1));
    sim.at(sim.nowUs + 20_000, () => answer(s1, 2));
    sim.run(200_000);
    expect(outcomes.map((o) => [o.n, o.error, o.response?.echo])).toEqual([[3, null, 3], [1, null, 1], [2, null, 2]]);
    expect(client.rpc.inFlightTo('s1')).toBe(0);
  });

  it('a response from another peer with the same correlation id is ignored', () => {
    const { sim, net, client, s1, outcomes, call } = setup();
    sim.at(0, () => call('s1', 1, 1000));
    sim.run(50_000);
    // s2 "answers" with s1's correlation id: not the peer the request went to.
    const forged = { ...s1.requests[0], from: 'c', to: 's2', connectionId: undefined } as unknown as Envelope;
    sim.at(sim.nowUs, () => reply(net, forged, { echo: 99 }));
    sim.run(100_000);
    expect(client.responsesDelivered).toBe(1);
    expect(outcomes).toEqual([]);
    expect(client.rpc.inFlightTo('s1')).toBe(1);
  });

  it('a timeout fails that request with REQUEST_TIMED_OUT and every other request to the peer with NETWORK_EXCEPTION', () => {
    const { sim, outcomes, call } = setup();
    sim.at(0, () => {
      call('s1', 1, 10); // times out at 10 ms
      call('s1', 2, 50); // would time out at 50 ms, fails with the connection at 10 ms
      call('s2', 3, 50); // another peer: unaffected
    });
    sim.at(1000, () => call('s1', 4, 50)); // also pending on s1 at 10 ms
    sim.run(20_000);
    expect(outcomes.map((o) => [o.n, o.error, o.atUs])).toEqual([
      [1, 'REQUEST_TIMED_OUT', 10_000],
      [2, 'NETWORK_EXCEPTION', 10_000],
      [4, 'NETWORK_EXCEPTION', 10_000],
    ]);
    sim.run(100_000);
    // The other requests' own timers find nothing left to fail; s2's request times out on its own.
    expect(outcomes.map((o) => [o.n, o.error, o.atUs])).toEqual([
      [1, 'REQUEST_TIMED_OUT', 10_000],
      [2, 'NETWORK_EXCEPTION', 10_000],
      [4, 'NETWORK_EXCEPTION', 10_000],
      [3, 'REQUEST_TIMED_OUT', 50_000],
    ]);
  });

  it('an answer held up past the timeout never reaches the client: the timeout closed its connection', () => {
    const { sim, net, client, s1, outcomes, call, answer } = setup();
    net.addRule({ action: 'delay', api: 'Produce', message: 'response', remaining: 1, delayUs: 30_000 });
    sim.at(0, () => call('s1', 1, 10));
    sim.run(5000);
    sim.at(sim.nowUs, () => answer(s1, 1));
    sim.run(100_000);
    expect(client.responsesDelivered).toBe(0);
    expect(outcomes.map((o) => [o.n, o.error])).toEqual([[1, 'REQUEST_TIMED_OUT']]);
  });

  it('an answered request does not time out later', () => {
    const { sim, s1, outcomes, call, answer } = setup();
    sim.at(0, () => call('s1', 1, 10));
    sim.run(3000);
    sim.at(sim.nowUs, () => answer(s1, 1));
    sim.run(100_000);
    expect(outcomes.map((o) => [o.n, o.error])).toEqual([[1, null]]);
  });

  it('a reset from the peer fails its requests with NETWORK_EXCEPTION only', () => {
    const { sim, client, outcomes, call } = setup();
    sim.at(0, () => {
      call('s1', 1, 1000);
      call('s2', 2, 1000);
    });
    sim.at(500, () => client.peerDisconnected('s1', -1)); // -1: every connection to s1 (it crashed)
    sim.run(600);
    expect(outcomes.map((o) => [o.n, o.error])).toEqual([[1, 'NETWORK_EXCEPTION']]);
    expect(client.rpc.inFlightTo('s2')).toBe(1);
  });

  it('a reset fails only the requests sent on the connection that died; one sent on the new connection gets its answer', () => {
    const { sim, net, s1, outcomes, call, answer } = setup();
    // The answer to 1 is lost: that resets the connection, and the client hears of it one latency later.
    net.addRule({ action: 'drop', api: 'Produce', message: 'response', remaining: 1, delayUs: 0 });
    sim.at(0, () => call('s1', 1, 1000));
    sim.run(50_000);
    sim.at(sim.nowUs, () => {
      answer(s1, 1);
      call('s1', 2, 1000); // after the reset, before the client knows of it: goes on the new connection
    });
    sim.run(sim.nowUs + 50_000);
    expect(outcomes.map((o) => [o.n, o.error])).toEqual([[1, 'NETWORK_EXCEPTION']]);
    expect(s1.requests.map((e) => e.body.n)).toEqual([1, 2]);
    sim.at(sim.nowUs, () => answer(s1, 2));
    sim.run(sim.nowUs + 50_000);
    expect(outcomes.map((o) => [o.n, o.error, o.response?.echo])).toEqual([[1, 'NETWORK_EXCEPTION', undefined], [2, null, 2]]);
  });

  it('a timeout closes only its own connection: a request in flight on a newer one still gets its answer', () => {
    const { sim, net, s1, outcomes, call, answer } = setup();
    // 1 is dropped, which resets the connection; it times out (0.05 ms) before the reset reaches the
    // client (one latency, >= 0.1 ms), so its timeout names a connection already replaced. 2 leaves on
    // the new connection before that.
    net.addRule({ action: 'drop', api: 'Produce', message: 'request', remaining: 1, delayUs: 0 });
    sim.at(0, () => call('s1', 1, 0.05));
    sim.at(60, () => call('s1', 2, 1000));
    sim.run(20_000);
    expect(s1.requests.map((e) => e.body.n)).toEqual([2]);
    sim.at(sim.nowUs, () => answer(s1, 2));
    sim.run(sim.nowUs + 50_000);
    expect(outcomes.map((o) => [o.n, o.error, o.response?.echo ?? null])).toEqual([[1, 'REQUEST_TIMED_OUT', null], [2, null, 2]]);
  });

  it('clear() drops pending requests without callbacks, and their timers stay silent', () => {
    const { sim, client, outcomes, call } = setup();
    sim.at(0, () => {
      call('s1', 1, 10);
      call('s2', 2, 10);
      client.rpc.clear();
    });
    sim.run(1e9);
    expect(outcomes).toEqual([]);
    expect(client.rpc.inFlightTo('s1')).toBe(0);
  });

  it('one-way sends expect no answer and use fresh correlation ids', () => {
    const { sim, client, s1, call } = setup();
    sim.at(0, () => {
      client.rpc.sendOneWay('s1', 'Produce', { n: 1 });
      call('s1', 2, 1000);
      client.rpc.sendOneWay('s1', 'Produce', { n: 3 });
    });
    sim.run(50_000);
    expect(client.rpc.inFlightTo('s1')).toBe(1);
    expect(new Set(s1.requests.map((e) => e.correlationId)).size).toBe(3);
  });
});
