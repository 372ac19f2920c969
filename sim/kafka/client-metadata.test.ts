import { describe, expect, it } from 'vitest';
import { Simulation } from '../core/simulation.ts';
import { Network } from '../net/network.ts';
import { RpcClient } from '../net/rpc.ts';
import { ClientMetadata } from './client-metadata.ts';
import { DEFAULT_NETWORK } from './config.ts';
import type { Envelope, NetNode } from '../net/network.ts';

describe('ClientMetadata.refresh', () => {
  it('keeps one waiter per function, however often it is asked, and runs it once per answer', () => {
    const sim = new Simulation({ seed: 1, keepTrace: false });
    const net = new Network(sim, DEFAULT_NETWORK);
    const rpc = new RpcClient(sim, net, 'client');
    const client: NetNode = { id: 'client', incarnation: 0, isUp: () => true, deliver: (e: Envelope) => rpc.onResponse(e), peerDisconnected: () => {} };
    let version = 0;
    const broker: NetNode = {
      id: 'broker-1', incarnation: 0, isUp: () => true, peerDisconnected: () => {},
      deliver: (e: Envelope) => net.send('broker-1', 'client', 'response', 'Metadata', e.correlationId, { image: { version: ++version, liveBrokers: [1], partitions: [] } }),
    };
    net.add(client);
    net.add(broker);
    const metadata = new ClientMetadata(sim, rpc, sim.stream('m'), [1], 1000, 100, () => true);
    let runs = 0;
    const waiter = () => runs++;
    for (let i = 0; i < 5; i++) metadata.refresh(waiter);
    sim.run(1_000_000);
    expect(runs).toBe(1);
    expect(metadata.image?.version).toBe(1);
  });
});
