import { describe, expect, it } from 'vitest';
import { Simulation } from '../core/simulation.ts';
import type { Network } from '../net/network.ts';
import { Recorder } from '../workload/recorder.ts';
import { Nemesis, type FaultTarget } from './nemesis.ts';
import type { FaultSchedule } from './schedule.ts';

/** A nemesis over a target that only records which brokers it crashed; returns the crash log. */
function run(schedule: FaultSchedule, steps: { atMs: number; point: string; node: string }[], coordinators: Record<string, number> = {}) {
  const sim = new Simulation({ seed: 1, keepTrace: false });
  const crashes: string[] = [];
  const target: FaultTarget = {
    network: { healPartitions: () => {} } as unknown as Network,
    brokerIds: [1, 2, 3],
    crashBroker: (id, kind) => crashes.push(`${sim.nowUs / 1000}ms broker-${id} ${kind}`),
    restartBroker: (id) => crashes.push(`${sim.nowUs / 1000}ms restart broker-${id}`),
    leaderOf: (key) => coordinators[`leader:${key}`] ?? -1,
    coordinatorOf: (kind, id) => coordinators[`${kind}:${id}`] ?? -1,
    crashClient: () => {}, restartClient: () => {}, pauseClient: () => {},
    nodesOf: (name) => [name], replaceClient: () => false,
  };
  new Nemesis(sim, target, new Recorder(sim)).install(schedule, 10_000);
  for (const s of steps) sim.at(s.atMs * 1000, () => sim.failpoint(s.point, s.node));
  sim.run(20_000_000);
  return crashes;
}

describe('Nemesis', () => {
  it('strikes a failpoint with times: N the next N times its step happens, then no more', () => {
    const steps = [10, 20, 30, 40].map((atMs, i) => ({ atMs, point: 'after-commit-marker', node: `broker-${i + 1}` }));
    expect(run([{ atMs: 5, fault: 'failpoint', point: 'after-commit-marker', crash: 'process', times: 3 }], steps))
      .toEqual([
        '10ms broker-1 process', '20ms broker-2 process', '30ms broker-3 process',
        '10000ms restart broker-1', '10000ms restart broker-2', '10000ms restart broker-3',
      ]);
  });

  it('lets several failpoint faults on one step take turns in the order they were armed', () => {
    const steps = [10, 20, 30].map((atMs) => ({ atMs, point: 'after-prepare-commit', node: 'broker-2' }));
    expect(run([
      { atMs: 1, fault: 'failpoint', point: 'after-prepare-commit', crash: 'power-loss' },
      { atMs: 2, fault: 'failpoint', point: 'after-prepare-commit', crash: 'process', restartAfterMs: 5 },
    ], steps)).toEqual(['10ms broker-2 power-loss', '20ms broker-2 process', '25ms restart broker-2']);
  });

  it('cuts every node of a client named in isolate, split and one-way (a processor is a consumer and a producer)', () => {
    const sim = new Simulation({ seed: 1, keepTrace: false });
    const cuts: string[] = [];
    const network = {
      healPartitions: () => {},
      isolate: (node: string) => cuts.push(`isolate ${node}`),
      split: (groups: string[][]) => cuts.push(`split ${groups.map((g) => g.join(',')).join(' | ')}`),
      cutLink: (from: string, to: string) => cuts.push(`cut ${from}>${to}`),
    } as unknown as Network;
    const nodes: Record<string, string[]> = { 'processor-1': ['processor-1', 'processor-1-producer'] };
    const target: FaultTarget = {
      network, brokerIds: [1, 2, 3], crashBroker: () => {}, restartBroker: () => {}, leaderOf: () => -1, coordinatorOf: () => -1,
      crashClient: () => {}, restartClient: () => {}, pauseClient: () => {},
      nodesOf: (name) => nodes[name] ?? [name], replaceClient: () => false,
    };
    new Nemesis(sim, target, new Recorder(sim)).install([
      { atMs: 1, fault: 'one-way', from: 'processor-1', to: 'broker-1' },
      { atMs: 2, fault: 'isolate', node: 'processor-1' },
      { atMs: 3, fault: 'split', groups: [['processor-1', 'broker-1'], ['broker-2']] },
    ], 10_000);
    sim.run(5_000);
    expect(cuts).toEqual([
      'cut processor-1>broker-1', 'cut processor-1-producer>broker-1',
      'isolate processor-1', 'isolate processor-1-producer',
      'split processor-1,processor-1-producer,broker-1 | broker-2',
    ]);
  });

  it('resolves a coordinator role when the fault fires, and skips it when there is none', () => {
    expect(run([
      { atMs: 1, fault: 'crash-broker', broker: 'txn-coordinator:producer-1', crash: 'process', restartAfterMs: 1 },
      { atMs: 3, fault: 'crash-broker', broker: 'group-coordinator:payments-ledger', crash: 'process', restartAfterMs: 1 },
      { atMs: 5, fault: 'crash-broker', broker: 'leader:__transaction_state/1', crash: 'process', restartAfterMs: 1 },
      { atMs: 7, fault: 'crash-broker', broker: 'group-coordinator:payments-processor', crash: 'process' },
    ], [], { 'transaction:producer-1': 3, 'group:payments-ledger': 2, 'leader:__transaction_state/1': 1 }))
      .toEqual(['1ms broker-3 process', '2ms restart broker-3', '3ms broker-2 process', '4ms restart broker-2', '5ms broker-1 process', '6ms restart broker-1']);
  });
});
