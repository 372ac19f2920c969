// The nemesis applies a fault schedule to a running cluster at the scheduled virtual times, and at the end
// of the fault window heals everything (network healed, crashed nodes restarted) so the run can quiesce.
// Each applied fault is written to the trace and, as a "nemesis" fault op, to the history.
import type { Simulation } from '../core/simulation.ts';
import type { Network } from '../net/network.ts';
import type { Recorder } from '../workload/recorder.ts';
import type { BrokerTarget, CrashKind, Failpoint, FaultEvent, FaultSchedule } from './schedule.ts';

/** What the nemesis needs from the system under test. */
export interface FaultTarget {
  network: Network;
  brokerIds: number[];
  crashBroker(id: number, kind: CrashKind): void;
  restartBroker(id: number): void;
  /** Current leader of "topic/partition" as the controller sees it, or -1. */
  leaderOf(key: string): number;
  /** The broker coordinating a transactional.id or a consumer group now (the leader of its internal partition), or -1. */
  coordinatorOf(kind: 'transaction' | 'group', id: string): number;
  crashClient(name: string): void;
  restartClient(name: string): void;
  pauseClient(name: string, forMs: number): void;
  /** The network nodes a fault naming `name` strikes: a client application's clients, or the node itself. */
  nodesOf(name: string): string[];
  /** Starts a second instance of the client's application; returns false when that client cannot be replaced. */
  replaceClient(name: string): boolean;
}

/** Renders a fault as one short line (history, trace, reports). */
export function describeFault(e: FaultEvent): string {
  const { atMs: _at, fault, ...rest } = e;
  const args = Object.entries(rest).map(([k, v]) => `${k}=${Array.isArray(v) ? JSON.stringify(v) : v}`);
  return [fault, ...args].join(' ');
}

/** How long after the last scheduled fault (or restart) the nemesis heals everything. */
export const HEAL_ALL_AFTER_MS = 1000;

/** Virtual time (ms) at which the nemesis heals everything: a while after the schedule's last action. */
export function healAllAtMs(schedule: FaultSchedule): number {
  if (schedule.length === 0) return 0;
  let end = 0;
  for (const e of schedule) {
    const restart = 'restartAfterMs' in e && e.restartAfterMs !== undefined ? e.restartAfterMs : 0;
    const stall = e.fault === 'pause-client' || e.fault === 'stall-broker' ? e.forMs : 0;
    end = Math.max(end, e.atMs + restart, e.atMs + stall);
  }
  return end + HEAL_ALL_AFTER_MS;
}

export class Nemesis {
  private readonly crashedBrokers = new Set<number>();
  private readonly crashedClients = new Set<string>();
  /**
   * Armed failpoint faults by step, in the order they were armed, each with the strikes it has left: the
   * simulation holds one handler per step, so several faults on one step take their turns here.
   */
  private readonly armed = new Map<Failpoint, { event: FaultEvent & { fault: 'failpoint' }; left: number }[]>();

  constructor(
    private readonly sim: Simulation,
    private readonly target: FaultTarget,
    private readonly recorder: Recorder,
  ) {}

  install(schedule: FaultSchedule, healAtMs: number): void {
    for (const e of schedule) this.sim.at(e.atMs * 1000, () => this.apply(e));
    this.sim.at(healAtMs * 1000, () => this.healAll());
  }

  private note(text: string): void {
    this.sim.log(`nemesis ${text}`);
    this.recorder.instant('nemesis', 'fault', [text], [text]);
  }

  private resolveBroker(b: BrokerTarget): number {
    if (typeof b === 'number') return b;
    const cut = b.indexOf(':');
    const [role, what] = [b.slice(0, cut), b.slice(cut + 1)];
    if (role === 'txn-coordinator') return this.target.coordinatorOf('transaction', what);
    if (role === 'group-coordinator') return this.target.coordinatorOf('group', what);
    return this.target.leaderOf(what);
  }

  private apply(e: FaultEvent): void {
    const net = this.target.network;
    switch (e.fault) {
      case 'crash-broker': {
        const id = this.resolveBroker(e.broker);
        if (id < 0) return this.note(`${describeFault(e)} (no leader: skipped)`);
        this.note(`${describeFault(e)} -> broker-${id}`);
        this.crashedBrokers.add(id);
        this.target.crashBroker(id, e.crash);
        if (e.restartAfterMs !== undefined) this.sim.afterMs(e.restartAfterMs, () => this.restartBroker(id));
        return;
      }
      case 'restart-broker':
        return this.restartBroker(e.broker);
      case 'drop':
      case 'delay':
        this.note(describeFault(e));
        net.addRule({ action: e.fault, api: e.api, message: e.message, nodes: e.node === undefined ? undefined : this.target.nodesOf(e.node), remaining: e.count, delayUs: e.fault === 'delay' ? e.delayMs * 1000 : 0 });
        return;
      // A client's name stands for all its nodes: a processor is a consumer and a producer.
      case 'isolate':
        this.note(describeFault(e));
        for (const node of this.target.nodesOf(e.node)) net.isolate(node);
        return;
      case 'split':
        this.note(describeFault(e));
        return net.split(e.groups.map((group) => group.flatMap((name) => this.target.nodesOf(name))));
      case 'one-way':
        this.note(describeFault(e));
        for (const from of this.target.nodesOf(e.from)) for (const to of this.target.nodesOf(e.to)) net.cutLink(from, to);
        return;
      case 'heal':
        this.note('heal');
        return net.heal();
      case 'crash-client':
        this.note(describeFault(e));
        // A permanent crash is never healed: nothing will end what the client left open.
        if (!e.permanent) this.crashedClients.add(e.client);
        this.target.crashClient(e.client);
        if (e.restartAfterMs !== undefined) this.sim.afterMs(e.restartAfterMs, () => this.restartClient(e.client));
        return;
      case 'restart-client':
        return this.restartClient(e.client);
      case 'pause-client':
        this.note(describeFault(e));
        return this.target.pauseClient(e.client, e.forMs);
      case 'stall-broker': {
        const id = this.resolveBroker(e.broker);
        if (id < 0) return this.note(`${describeFault(e)} (no leader: skipped)`);
        this.note(`${describeFault(e)} -> broker-${id}`);
        // The process stops: what reaches it or leaves it waits in socket buffers until it wakes.
        return net.hold(`broker-${id}`, this.sim.nowUs + e.forMs * 1000);
      }
      case 'failpoint': {
        this.note(`arm ${describeFault(e)}`);
        const queue = this.armed.get(e.point);
        if (queue !== undefined) queue.push({ event: e, left: e.times ?? 1 });
        else {
          this.armed.set(e.point, [{ event: e, left: e.times ?? 1 }]);
          this.armFailpoint(e.point);
        }
        return;
      }
      case 'replace-client':
        if (this.target.replaceClient(e.client)) this.note(describeFault(e));
        else this.note(`${describeFault(e)} (only producers and processors can be replaced: skipped)`);
        return;
    }
  }

  /** The step's next strike goes to the first armed fault on it; the step stays armed while any has strikes left. */
  private armFailpoint(point: Failpoint): void {
    this.sim.armFailpoint(point, (node) => {
      const queue = this.armed.get(point)!;
      const { event, left } = queue[0];
      if (left > 1) queue[0].left = left - 1;
      else queue.shift();
      if (queue.length > 0) this.armFailpoint(point);
      else this.armed.delete(point);
      const id = Number(node.replace('broker-', ''));
      this.note(`${describeFault(event)} -> ${node}`);
      this.crashedBrokers.add(id);
      this.target.crashBroker(id, event.crash);
      if (event.restartAfterMs !== undefined) this.sim.afterMs(event.restartAfterMs, () => this.restartBroker(id));
    });
  }

  private restartBroker(id: number): void {
    if (!this.crashedBrokers.delete(id)) return;
    this.note(`restart-broker broker=${id}`);
    this.target.restartBroker(id);
  }

  private restartClient(name: string): void {
    if (!this.crashedClients.delete(name)) return;
    this.note(`restart-client client=${name}`);
    this.target.restartClient(name);
  }

  /**
   * End of the fault window: heal partitions and bring every crashed node back. Message rules are left to
   * run out by their counts, so a drop scheduled near the end still strikes.
   */
  private healAll(): void {
    this.note('heal-all');
    this.target.network.healPartitions();
    for (const id of [...this.crashedBrokers].sort((a, b) => a - b)) this.restartBroker(id);
    for (const name of [...this.crashedClients].sort()) this.restartClient(name);
  }
}
