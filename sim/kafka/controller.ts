// The controller (KRaft's active controller, modelled as one node that does not crash: the quorum's own
// failover is outside this model). It tracks broker liveness by heartbeats, fences a broker whose session
// expires, elects leaders from the ISR (or, with unclean.leader.election.enable, from any live replica),
// commits ISR changes that leaders propose (AlterPartition), and allocates producer ids. Brokers learn
// the metadata from heartbeat responses, which stand in for KRaft's metadata log fetch. With eligible
// leader replicas (KIP-966, 4.1+) partition changes follow Kafka's PartitionChangeBuilder instead.
import type { Simulation } from '../core/simulation.ts';
import type { Envelope, NetNode, Network } from '../net/network.ts';
import { reply } from '../net/rpc.ts';
import type { ModelChecks } from './checks.ts';
import type { BrokerConfig } from './config.ts';
import type { KafkaFeatures } from './releases.ts';
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

/** KIP-966 state of a partition that the brokers do not need (Kafka: PartitionRegistration.elr and lastKnownElr). */
interface EligibleLeaders {
  /** Replicas that left an ISR already below min.insync.replicas: they have every committed record. */
  elr: number[];
  /** The leader when the ISR became empty (Kafka keeps it in lastKnownElr), or -1. */
  lastKnownLeader: number;
}

export class Controller implements NetNode {
  readonly id = CONTROLLER_ID;
  incarnation = 0;
  private readonly brokers = new Map<number, BrokerRegistration>();
  readonly partitions = new Map<string, PartitionRegistration>();
  private readonly eligible = new Map<string, EligibleLeaders>();
  private version = 1;
  private nextProducerId = 1000;

  constructor(
    private readonly sim: Simulation,
    private readonly net: Network,
    private readonly config: BrokerConfig,
    private readonly features: KafkaFeatures,
    brokerIds: number[],
    partitions: PartitionRegistration[],
    private readonly checks: ModelChecks,
  ) {
    for (const id of brokerIds) this.brokers.set(id, { id, incarnation: -1, lastHeartbeatUs: 0, fenced: false });
    for (const p of partitions) {
      this.partitions.set(p.key, p);
      this.eligible.set(p.key, { elr: [], lastKnownLeader: -1 });
    }
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

  /** The eligible leader replicas of a partition (KIP-966; always empty on lines without it). */
  eligibleLeaderReplicas(key: string): number[] {
    return [...(this.eligible.get(key)?.elr ?? [])];
  }

  image(): MetadataImage {
    const liveBrokers = [...this.brokers.values()].filter((b) => !b.fenced).map((b) => b.id);
    const partitions = [...this.partitions.values()].map(registrationCopy);
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
      // Every crash of the model is an unclean shutdown (kill -9 or power loss): with KIP-966 the
      // controller then takes the broker out of every ISR and ELR (ClusterControlManager.registerBroker ->
      // ReplicationControlManager.handleBrokerUncleanShutdown), since it may have lost its unflushed tail.
      if (b.incarnation !== -1 && this.features.eligibleLeaderReplicas && this.checks.on('broker-fencing')) this.uncleanShutdown(b);
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
    else if (p.leader !== req.brokerId || p.leaderEpoch !== req.leaderEpoch) resp = { error: 'FENCED_LEADER_EPOCH', registration: registrationCopy(p) };
    else if (p.partitionEpoch !== req.partitionEpoch) resp = { error: 'INVALID_UPDATE_VERSION', registration: registrationCopy(p) };
    else if (req.newIsr.some((id) => !p.isr.includes(id) && this.brokers.get(id)?.fenced !== false)) {
      // Only live (unfenced) brokers may join the ISR.
      resp = { error: 'INVALID_UPDATE_VERSION', registration: registrationCopy(p) };
    } else if (this.features.isrBrokerEpochCheck && req.newIsr.some((id, i) => {
      const epoch = req.newIsrBrokerEpochs[i] ?? -1;
      return epoch !== -1 && this.brokers.get(id)?.incarnation !== epoch;
    })) {
      // KIP-903 (ReplicationControlManager.ineligibleReplicasForIsr): the leader saw a member fetch from
      // another incarnation than the registered one: its view of that replica's log may be stale.
      this.sim.cover('Controller refused an ISR member of another broker epoch (KIP-903)');
      resp = { error: 'INELIGIBLE_REPLICA', registration: registrationCopy(p) };
    } else {
      if (this.features.eligibleLeaderReplicas) {
        this.changePartition(p, { targetIsr: req.newIsr });
      } else {
        p.isr = [...req.newIsr];
        p.partitionEpoch++;
      }
      this.changed(`isr ${p.key} [${p.isr.join(',')}] pe=${p.partitionEpoch}`);
      resp = { error: 'NONE', registration: registrationCopy(p) };
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
      if (this.features.eligibleLeaderReplicas) {
        // ReplicationControlManager.handleBrokerFenced: out of every ISR, even the last member.
        if (p.isr.includes(b.id)) this.changePartition(p, { targetIsr: p.isr.filter((id) => id !== b.id), notLeader: b.id });
      } else if (p.leader === b.id) {
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
      if (p.leader !== -1 || !p.replicas.includes(b.id)) continue;
      // ReplicationControlManager.handleBrokerUnfenced: an election for each partition without a leader.
      if (this.features.eligibleLeaderReplicas) this.changePartition(p, { targetIsr: p.isr });
      else this.elect(p, -1);
    }
    this.changed(`unfenced broker-${b.id}`);
  }

  /** ReplicationControlManager.handleBrokerUncleanShutdown: out of every ISR and ELR, and not a leader now. */
  private uncleanShutdown(b: BrokerRegistration): void {
    this.sim.cover('Controller removed an uncleanly shut down broker from ISRs and ELRs (KIP-966)');
    for (const p of this.partitions.values()) {
      if (!p.isr.includes(b.id) && !this.eligible.get(p.key)!.elr.includes(b.id)) continue;
      this.changePartition(p, { targetIsr: p.isr.filter((id) => id !== b.id), notLeader: b.id, uncleanShutdown: b.id });
    }
    this.changed(`unclean shutdown of broker-${b.id}`);
  }

  /**
   * One partition change with eligible leader replicas, as Kafka's PartitionChangeBuilder.build() makes it
   * for an online election: the new ELR (maybePopulateTargetElr), the leader (electAnyLeader, tryElection),
   * the ISR (which may be empty) and the last known leader (maybeUpdateLastKnownLeader).
   */
  private changePartition(p: PartitionRegistration, change: { targetIsr: number[]; notLeader?: number; uncleanShutdown?: number }): void {
    const state = this.eligible.get(p.key)!;
    const minIsr = Math.min(this.config.minInsyncReplicas, p.replicas.length);
    let isr = [...change.targetIsr];
    // maybePopulateTargetElr: at or above min ISR nobody needs to be eligible; below it, every member that
    // leaves the ISR keeps every committed record (the high watermark waits, KAFKA-15583), except one that
    // shut down uncleanly. Replica order keeps the lists deterministic.
    let elr = isr.length >= minIsr ? [] : p.replicas.filter((id) =>
      (state.elr.includes(id) || p.isr.includes(id)) && !isr.includes(id) && id !== change.uncleanShutdown);
    const acceptable = (id: number) => id !== change.notLeader && this.brokers.get(id)?.fenced === false;
    // isValidNewLeader: a member of the ISR, or of the ELR when the ISR is empty.
    const valid = (id: number) => (isr.includes(id) || (isr.length === 0 && elr.includes(id))) && acceptable(id);
    let leader = p.leader;
    let unclean = false;
    if (leader === -1 || !valid(leader)) {
      leader = p.replicas.find(valid) ?? -1;
      if (leader === -1 && isr.length === 0 && elr.length === 0 && state.lastKnownLeader !== -1 && acceptable(state.lastKnownLeader)) {
        // canElectLastKnownLeader: with ISR and ELR empty the last leader may lead again, as before KIP-966,
        // whatever it lost. Kafka counts this election as unclean.
        leader = state.lastKnownLeader;
        unclean = true;
        this.sim.cover('Controller elected the last known leader (KIP-966)');
      } else if (leader === -1 && this.config.uncleanLeaderElectionEnable) {
        leader = p.replicas.find(acceptable) ?? -1;
        unclean = leader !== -1;
        if (unclean) this.sim.log(`controller unclean election ${p.key} -> broker-${leader}`);
        if (unclean) this.sim.cover('Controller unclean leader election');
      }
    }
    const leaderChanged = leader !== p.leader;
    if (leaderChanged && elr.includes(leader)) {
      // tryElection: a leader from the ELR starts a new ISR of itself.
      isr = [leader];
      elr = elr.filter((id) => id !== leader);
      this.sim.cover('Controller elected a leader from the eligible leader replicas (KIP-966)');
    } else if (leaderChanged && unclean) {
      isr = [leader];
      elr = [];
    }
    if (isr.length === 0 && p.isr.length > 0 && p.leader !== -1) state.lastKnownLeader = p.leader;
    else if (leader !== -1) state.lastKnownLeader = -1;
    const isrChanged = isr.length !== p.isr.length || isr.some((id, i) => id !== p.isr[i]);
    const elrChanged = elr.length !== state.elr.length || elr.some((id, i) => id !== state.elr[i]);
    state.elr = elr;
    if (!leaderChanged && !isrChanged && !elrChanged) return;
    p.isr = isr;
    p.partitionEpoch++;
    if (leaderChanged) {
      p.leader = leader;
      p.leaderEpoch++;
      this.sim.log(`controller elect ${p.key} leader=${leader} epoch=${p.leaderEpoch} isr=[${isr.join(',')}] elr=[${elr.join(',')}]`);
    } else {
      this.sim.log(`controller isr ${p.key} [${isr.join(',')}] elr=[${elr.join(',')}] pe=${p.partitionEpoch}`);
    }
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

/**
 * A registration for a broker to keep, built field by field in one order: every copy has one shape (a
 * spread of one object overriding some of its fields made copies of several shapes, and the brokers' code
 * reading them deoptimised on each new one). The lists are copied: the controller replaces its own, a
 * broker must not see them change.
 */
function registrationCopy(p: PartitionRegistration): PartitionRegistration {
  return {
    key: p.key, topic: p.topic, partition: p.partition, replicas: [...p.replicas], isr: [...p.isr],
    leader: p.leader, leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch,
  };
}
