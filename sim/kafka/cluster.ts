// Wires a cluster: the controller, the brokers and the topics with their initial replica assignment
// (Kafka's rack-unaware round-robin: partition p of the t-th topic starts at broker (p + t) mod n).
import type { Simulation } from '../core/simulation.ts';
import type { CrashKind } from '../faults/schedule.ts';
import type { Network } from '../net/network.ts';
import { Broker, OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from './broker.ts';
import type { BrokerConfig } from './config.ts';
import { ModelChecks } from './checks.ts';
import type { KafkaFeatures } from './releases.ts';
import { Controller } from './controller.ts';
import type { Partition } from './partition.ts';
import { coordinatorPartitionFor } from './partitioner.ts';
import { partitionKey, type PartitionRegistration } from './protocol.ts';

export interface TopicConfig {
  name: string;
  partitions: number;
  replicationFactor: number;
}

export interface ClusterOptions {
  brokers: number;
  topics: TopicConfig[];
  broker: BrokerConfig;
  /** The safety checks the brokers perform (default: all; the necessity test switches them off one by one). */
  checks?: ModelChecks;
  features: KafkaFeatures;
  offsetsTopicPartitions: number;
  transactionStatePartitions: number;
}

export class Cluster {
  readonly controller: Controller;
  readonly brokers = new Map<number, Broker>();
  readonly brokerIds: number[];
  readonly topics: TopicConfig[];

  constructor(sim: Simulation, net: Network, readonly options: ClusterOptions) {
    if (!(options.brokers >= 1)) throw new Error(`cluster: need at least one broker, got ${options.brokers}`);
    this.brokerIds = Array.from({ length: options.brokers }, (_, i) => i + 1);
    this.topics = [
      ...options.topics,
      { name: OFFSETS_TOPIC, partitions: options.offsetsTopicPartitions, replicationFactor: Math.min(3, options.brokers) },
      { name: TRANSACTION_STATE_TOPIC, partitions: options.transactionStatePartitions, replicationFactor: Math.min(3, options.brokers) },
    ];
    const registrations: PartitionRegistration[] = [];
    this.topics.forEach((t, ti) => {
      if (t.replicationFactor > options.brokers) throw new Error(`cluster: topic ${t.name} replication factor ${t.replicationFactor} > ${options.brokers} brokers`);
      for (let p = 0; p < t.partitions; p++) {
        const replicas = Array.from({ length: t.replicationFactor }, (_, r) => this.brokerIds[(p + ti + r) % options.brokers]);
        registrations.push({
          key: partitionKey(t.name, p), topic: t.name, partition: p, replicas, isr: [...replicas],
          leader: replicas[0], leaderEpoch: 0, partitionEpoch: 0,
        });
      }
    });
    const checks = options.checks ?? ModelChecks.ALL_ON;
    this.controller = new Controller(sim, net, options.broker, this.brokerIds, registrations, checks);
    net.add(this.controller);
    for (const id of this.brokerIds) {
      const b = new Broker(sim, net, id, {
        config: options.broker, checks, features: options.features,
        offsetsTopicPartitions: options.offsetsTopicPartitions, transactionStatePartitions: options.transactionStatePartitions,
        allocateProducerId: () => this.controller.allocateProducerId(),
      });
      this.brokers.set(id, b);
      net.add(b);
    }
  }

  broker(id: number): Broker {
    const b = this.brokers.get(id);
    if (!b) throw new Error(`cluster: no broker ${id}`);
    return b;
  }

  crashBroker(id: number, kind: CrashKind): void {
    this.broker(id).crash(kind);
  }

  restartBroker(id: number): void {
    this.broker(id).restart();
  }

  leaderOf(key: string): number {
    return this.controller.partitions.get(key)?.leader ?? -1;
  }

  /** The replica that leads `key` now, if its broker is up and knows it leads. */
  leaderReplica(key: string): Partition | null {
    const id = this.leaderOf(key);
    if (id < 0) return null;
    const b = this.broker(id);
    return b.isUp() ? b.leaderPartition(key) : null;
  }

  /**
   * Committed offsets of a group as its current coordinator holds them: the leader of the group's
   * __consumer_offsets partition (empty when it has none). Another broker may still hold an old copy.
   */
  committedOffsets(group: string): Map<string, number> {
    const key = partitionKey(OFFSETS_TOPIC, coordinatorPartitionFor(group, this.options.offsetsTopicPartitions));
    const leader = this.leaderReplica(key);
    if (!leader) return new Map();
    return this.broker(leader.brokerId).groupCoordinator.committed().get(group) ?? new Map();
  }

  /** The broker coordinating a transactional.id or a group now: the leader of its internal partition, or -1. */
  coordinatorOf(kind: 'transaction' | 'group', id: string): number {
    const [topic, partitions] = kind === 'transaction'
      ? [TRANSACTION_STATE_TOPIC, this.options.transactionStatePartitions]
      : [OFFSETS_TOPIC, this.options.offsetsTopicPartitions];
    return this.leaderOf(partitionKey(topic, coordinatorPartitionFor(id, partitions)));
  }

  dataKeys(topic: string): string[] {
    const t = this.topics.find((x) => x.name === topic);
    if (!t) throw new Error(`cluster: no topic ${topic}`);
    return Array.from({ length: t.partitions }, (_, p) => partitionKey(topic, p));
  }
}
