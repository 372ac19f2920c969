// The controller (KRaft's active controller, modelled as one node that does not crash: the quorum's own
// failover is outside this model). It tracks broker liveness by heartbeats, fences a broker whose session
// expires, elects leaders from the ISR (or, with unclean.leader.election.enable, from any live replica),
// commits ISR changes that leaders propose (AlterPartition), and allocates producer ids. Brokers learn
// the metadata from heartbeat responses, which stand in for KRaft's metadata log fetch.
import type { Simulation } from '../core/simulation.ts';
import type { Envelope, NetNode, Network } from '../net/network.ts';
import { reply } from '../net/rpc.ts';
import type { ModelChecks } from './checks.ts';
import type { BrokerConfig } from './config.ts';
import type {
  AlterPartitionRequest, AlterPartitionResponse, BrokerHeartbeatRequest, BrokerHeartbeatResponse,
  MetadataImage, PartitionRegistration,
} from './protocol.ts';

export const CONTROLLER_ID = 'controller';

interface BrokerRegistration {
  id: number;
  incarnation: number;
  lastHeartbeatUs: number;
  fenced: boolean;
}

export class Controller implements NetNode {
  readonly id = CONTROLLER_ID;
  incarnation = 0;
  private readonly brokers = new Map<number, BrokerRegistration>();
  readonly partitions = new Map<string, PartitionRegistration>();
  private version = 1;
  private nextProducerId = 1000;

  constructor(
    private readonly sim: Simulation,
    private readonly net: Network,
    private readonly config: BrokerConfig,
    brokerIds: number[],
    partitions: PartitionRegistration[],
    private readonly checks: ModelChecks,
  ) {
    for (const id of brokerIds) this.brokers.set(id, { id, incarnation: -1, lastHeartbeatUs: 0, fenced: false });
    for (const p of partitions) this.partitions.set(p.key, p);
    this.scheduleSessionCheck();
  }

  isUp(): boolean {
    return true;
  }

  peerDisconnected(): void {}

  /** Producer ids are allocated centrally so they never repeat (Kafka: AllocateProducerIds blocks). */
  allocateProducerId(): number {
    return this.nextProducerId++;
  }

  image(): MetadataImage {
    const liveBrokers = [...this.brokers.values()].filter((b) => !b.fenced).map((b) => b.id);
    const partitions = [...this.partitions.values()].map((p) => ({ ...p, replicas: [...p.replicas], isr: [...p.isr] }));
    return { version: this.version, liveBrokers, partitions };
  }

  deliver(env: Envelope): void {
    if (env.kind !== 'request') return;
    if (env.api === 'BrokerHeartbeat') this.onHeartbeat(env as Envelope<BrokerHeartbeatRequest>);
    else if (env.api === 'AlterPartition') this.onAlterPartition(env as Envelope<AlterPartitionRequest>);
  }

  private onHeartbeat(env: Envelope<BrokerHeartbeatRequest>): void {
    const req = env.body;
    const b = this.brokers.get(req.brokerId)!;
    if (b.incarnation !== req.incarnation) {
      // A new incarnation means the previous one died, however briefly: treat it as a failure first, so a
      // broker that lost its unflushed tail does not come back as leader of data it no longer has.
      if (b.incarnation !== -1 && !b.fenced) this.fence(b, 'restarted');
      b.incarnation = req.incarnation;
    }
    b.lastHeartbeatUs = this.sim.nowUs;
    if (b.fenced) this.unfence(b);
    const resp: BrokerHeartbeatResponse = { error: 'NONE', image: req.metadataVersion < this.version ? this.image() : null };
    reply(this.net, env, resp);
  }

  private onAlterPartition(env: Envelope<AlterPartitionRequest>): void {
    const req = env.body;
    const p = this.partitions.get(req.key);
    let resp: AlterPartitionResponse;
    if (!p) resp = { error: 'UNKNOWN_TOPIC_OR_PARTITION', registration: null };
    else if (p.leader !== req.brokerId || p.leaderEpoch !== req.leaderEpoch) resp = { error: 'FENCED_LEADER_EPOCH', registration: { ...p } };
    else if (p.partitionEpoch !== req.partitionEpoch) resp = { error: 'INVALID_UPDATE_VERSION', registration: { ...p } };
    else if (req.newIsr.some((id) => !p.isr.includes(id) && this.brokers.get(id)?.fenced !== false)) {
      // Only live (unfenced) brokers may join the ISR.
      resp = { error: 'INVALID_UPDATE_VERSION', registration: { ...p } };
    } else {
      p.isr = [...req.newIsr];
      p.partitionEpoch++;
      this.changed(`isr ${p.key} [${p.isr.join(',')}] pe=${p.partitionEpoch}`);
      resp = { error: 'NONE', registration: { ...p, isr: [...p.isr], replicas: [...p.replicas] } };
    }
    reply(this.net, env, resp);
  }

  private scheduleSessionCheck(): void {
    this.sim.afterMs(this.config.brokerHeartbeatIntervalMs, () => {
      const deadline = this.sim.nowUs - this.config.brokerSessionTimeoutMs * 1000;
      for (const b of this.brokers.values()) {
        if (!b.fenced && b.incarnation !== -1 && b.lastHeartbeatUs < deadline) this.fence(b, 'session expired');
      }
      this.scheduleSessionCheck();
    });
  }

  private fence(b: BrokerRegistration, why: string): void {
    if (!this.checks.on('broker-fencing')) return;
    b.fenced = true;
    this.sim.log(`controller fence broker-${b.id} (${why})`);
    this.sim.cover(`Controller fenced a broker (${why})`);
    for (const p of this.partitions.values()) {
      if (!p.replicas.includes(b.id)) continue;
      if (p.leader === b.id) {
        this.elect(p, b.id);
      } else if (p.isr.includes(b.id)) {
        p.isr = p.isr.filter((id) => id !== b.id);
        p.partitionEpoch++;
      }
    }
    this.changed(`fenced broker-${b.id}`);
  }

  private unfence(b: BrokerRegistration): void {
    b.fenced = false;
    this.sim.log(`controller unfence broker-${b.id}`);
    for (const p of this.partitions.values()) {
      if (p.leader === -1 && p.replicas.includes(b.id)) this.elect(p, -1);
    }
    this.changed(`unfenced broker-${b.id}`);
  }

  /** Elects a new leader for p, excluding `failed`. KRaft keeps the last ISR member in the ISR when it dies. */
  private elect(p: PartitionRegistration, failed: number): void {
    const live = (id: number) => id !== failed && this.brokers.get(id)?.fenced === false;
    const survivors = p.isr.filter((id) => id !== failed);
    let leader = p.replicas.find((id) => survivors.includes(id) && live(id)) ?? -1;
    // The ISR never becomes empty: the last member stays so that only it can lead again (no data loss).
    let isr = survivors.length > 0 ? survivors : p.isr;
    if (leader === -1 && this.config.uncleanLeaderElectionEnable) {
      // Unclean election: any live replica, whatever it is missing. The data only it lacked is lost.
      leader = p.replicas.find(live) ?? -1;
      if (leader !== -1) {
        isr = [leader];
        this.sim.log(`controller unclean election ${p.key} -> broker-${leader}`);
        this.sim.cover('Controller unclean leader election');
      }
    }
    p.leader = leader;
    p.isr = isr;
    p.leaderEpoch++;
    p.partitionEpoch++;
    this.sim.log(`controller elect ${p.key} leader=${leader} epoch=${p.leaderEpoch} isr=[${isr.join(',')}]`);
  }

  private changed(what: string): void {
    this.version++;
    this.sim.log(`controller metadata v${this.version} ${what}`);
  }
}
