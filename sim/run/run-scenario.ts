// One run: a pure function of (scenario, options, seed) that returns data. It wires the simulated
// cluster, clients and workload, installs the fault schedule, runs until the system quiesces (or the
// virtual time limit), and returns the history (format v1, with final logs, offsets and sink) plus the
// trace hash. Nothing here reads the wall clock or an unseeded random source.
import type { FinalLine, FinalLog, History, HistoryHeader, RecordMeta } from '../check/history.ts';
import { Simulation } from '../core/simulation.ts';
import { Nemesis, healAllAtMs } from '../faults/nemesis.ts';
import { mergeSchedules, randomSchedule } from '../faults/random-schedule.ts';
import type { FaultSchedule } from '../faults/schedule.ts';
import { Cluster } from '../kafka/cluster.ts';
import {
  DEFAULT_BROKER, DEFAULT_CONSUMER, DEFAULT_NETWORK, DEFAULT_PRODUCER,
  type BrokerConfig, type ConsumerConfig, type ProducerConfig,
} from '../kafka/config.ts';
import { KafkaConsumer } from '../kafka/consumer.ts';
import { KafkaProducer } from '../kafka/producer.ts';
import { NO_PRODUCER_ID } from '../kafka/protocol.ts';
import { Network } from '../net/network.ts';
import type { Bug, Mode, Overrides, Scenario } from '../scenario/types.ts';
import { Ledger } from '../workload/ledger.ts';
import { MODE_PRESETS } from '../workload/modes.ts';
import { PaymentsConsumer } from '../workload/payments-consumer.ts';
import { PaymentsProducer } from '../workload/payments-producer.ts';
import { Recorder } from '../workload/recorder.ts';

export interface RunOptions {
  mode: Mode;
  seed: number;
  bugs: Bug[];
  /** Case-level overrides on top of the scenario's. */
  overrides?: Partial<Overrides>;
  /** Replace the scenario's schedule (replay, shrinking). */
  schedule?: FaultSchedule;
  keepTrace?: boolean;
}

export interface RunConfig {
  producer: ProducerConfig;
  consumer: ConsumerConfig;
  broker: BrokerConfig;
  sequenceChecks: boolean;
}

export interface RunResult {
  scenario: string;
  mode: Mode;
  seed: number;
  bugs: Bug[];
  config: RunConfig;
  /** The schedule that ran: scripted events merged with the drawn ones. */
  schedule: FaultSchedule;
  history: History;
  traceHash: string;
  trace: string[] | null;
  events: number;
  virtualTimeUs: number;
  /** The workload finished and every consumer caught up before the time limit. */
  quiesced: boolean;
  /** Why the run could not quiesce (empty when it did). */
  stuck: string[];
  network: { messagesSent: number; messagesLost: number };
}

export class ConfigError extends Error {}

export const GROUP = 'payments-ledger';
const QUIESCE_CHECK_MS = 50;

/** Mode preset, then scenario, then case overrides, then bug modes. */
export function resolveConfig(scenario: Scenario, options: RunOptions): RunConfig {
  const preset = MODE_PRESETS[options.mode];
  if (!preset) throw new ConfigError(`unknown mode ${options.mode}`);
  const producer: ProducerConfig = { ...DEFAULT_PRODUCER, ...preset.producer, ...scenario.producer, ...options.overrides?.producer };
  const consumer: ConsumerConfig = { ...DEFAULT_CONSUMER, ...preset.consumer, ...scenario.consumer, ...options.overrides?.consumer };
  const broker: BrokerConfig = { ...DEFAULT_BROKER, ...scenario.cluster.broker };
  if (options.bugs.includes('unclean-election')) broker.uncleanLeaderElectionEnable = true;
  if (producer.enableIdempotence && producer.acks !== 'all') {
    throw new ConfigError(`mode ${options.mode}: enable.idempotence requires acks=all, but acks=${producer.acks} was set (Kafka rejects this with a ConfigException)`);
  }
  return { producer, consumer, broker, sequenceChecks: !options.bugs.includes('no-seq-dedup') };
}

export function runScenario(scenario: Scenario, options: RunOptions): RunResult {
  const config = resolveConfig(scenario, options);
  const preset = MODE_PRESETS[options.mode];
  const sim = new Simulation({ seed: options.seed, keepTrace: options.keepTrace ?? false });
  const net = new Network(sim, { ...DEFAULT_NETWORK, ...scenario.network });
  const cluster = new Cluster(sim, net, {
    brokers: scenario.cluster.brokers, topics: scenario.cluster.topics, broker: config.broker,
    sequenceChecks: config.sequenceChecks, offsetsTopicPartitions: 3,
  });
  const recorder = new Recorder(sim);
  const w = scenario.workload;
  const topic = scenario.cluster.topics.find((t) => t.name === w.topic);
  if (!topic) throw new ConfigError(`workload.topic ${w.topic} is not a topic of the cluster`);
  const keys = cluster.dataKeys(w.topic);

  const producers: PaymentsProducer[] = [];
  for (let i = 1; i <= w.producers; i++) {
    const client = new KafkaProducer(sim, net, `producer-${i}`, config.producer, cluster.brokerIds);
    net.add(client);
    producers.push(new PaymentsProducer(sim, recorder, client, {
      index: i, count: w.paymentsPerProducer, sendIntervalMs: w.sendIntervalMs, topic: w.topic,
      partitions: topic.partitions, resendUnknown: preset.resendUnknown,
    }));
  }
  const ledger = new Ledger('ledger', preset.sinkIdempotencyKeys);
  const consumers: PaymentsConsumer[] = [];
  for (let i = 1; i <= w.consumers; i++) {
    const client = new KafkaConsumer(sim, net, `consumer-${i}`, GROUP, config.consumer, cluster.brokerIds);
    net.add(client);
    // Static assignment (round-robin over consumers); group membership and rebalancing come with the group protocol.
    const assigned = keys.filter((_, k) => k % w.consumers === i - 1);
    consumers.push(new PaymentsConsumer(sim, recorder, client, ledger, assigned, config.consumer, i));
  }

  const clients = new Map<string, PaymentsProducer | PaymentsConsumer>();
  for (const p of producers) clients.set(p.process, p);
  for (const c of consumers) clients.set(c.process, c);
  const drawn = scenario.faults.random
    ? randomSchedule(scenario.faults.random, sim.stream('faults'), { brokerIds: cluster.brokerIds, clients: [...clients.keys()], keys })
    : [];
  const schedule = options.schedule ?? mergeSchedules(scenario.faults.schedule, drawn);
  const healAtMs = Math.max(healAllAtMs(schedule), scenario.faults.random?.untilMs ?? 0);
  const nemesis = new Nemesis(sim, {
    network: net,
    brokerIds: cluster.brokerIds,
    crashBroker: (id, kind) => cluster.crashBroker(id, kind),
    restartBroker: (id) => cluster.restartBroker(id),
    leaderOf: (key) => cluster.leaderOf(key),
    crashClient: (name) => clients.get(name)?.crash(),
    restartClient: (name) => clients.get(name)?.restart(),
  }, recorder);
  nemesis.install(schedule, healAtMs);

  const isolation = config.consumer.isolationLevel;
  /** What keeps the run from ending now; empty when it has quiesced. */
  const stuck = (): string[] => {
    const why: string[] = [];
    if (sim.nowUs < healAtMs * 1000) why.push('fault window still open');
    for (const p of producers) if (!p.done()) why.push(`${p.process} has unacknowledged payments`);
    const ends: Record<string, number> = {};
    for (const key of keys) {
      const leader = cluster.leaderReplica(key);
      if (!leader) why.push(`${key} has no leader`);
      else ends[key] = isolation === 'read_committed' ? leader.lastStableOffset() : leader.log.highWatermark;
    }
    if (why.length === 0) for (const c of consumers) if (!c.caughtUp(ends)) why.push(`${c.process} has not consumed and committed to the end`);
    return why;
  };
  let quiesced = false;
  const watch = () => {
    if (stuck().length === 0) {
      quiesced = true;
      sim.stop();
      return;
    }
    sim.afterMs(QUIESCE_CHECK_MS, watch);
  };
  sim.afterMs(QUIESCE_CHECK_MS, watch);
  sim.run(scenario.runLimitMs * 1000);

  const header: HistoryHeader = {
    history: 'eos-sim', version: 1, scenario: scenario.name, mode: options.mode, seed: options.seed, bugs: [...options.bugs],
    isolation,
    producer: {
      acks: String(config.producer.acks) as '0' | '1' | 'all', idempotence: config.producer.enableIdempotence,
      maxInFlight: config.producer.maxInFlightRequestsPerConnection, retries: config.producer.retries,
      transactional: config.producer.transactional,
    },
    sinks: w.consumers > 0 ? [{ name: ledger.name, topics: [w.topic] }] : [],
  };
  const finals: FinalLine[] = keys.map((key) => finalLog(cluster, key));
  const committed = committedOffsets(cluster, keys);
  if (committed) finals.push({ final: 'offsets', group: GROUP, offsets: committed });
  if (w.consumers > 0) finals.push({ final: 'sink', name: ledger.name, applied: ledger.rows() });

  return {
    scenario: scenario.name, mode: options.mode, seed: options.seed, bugs: [...options.bugs], config, schedule,
    history: { header, ops: recorder.ops, finals },
    traceHash: sim.trace.hash(), trace: sim.trace.records, events: sim.events, virtualTimeUs: sim.nowUs,
    quiesced, stuck: quiesced ? [] : stuck(),
    network: { messagesSent: net.messagesSent, messagesLost: net.messagesLost },
  };
}

/** The committed part of a partition's log as its leader holds it (or, with no leader, the most advanced replica). */
function finalLog(cluster: Cluster, key: string): FinalLog {
  let p = cluster.leaderReplica(key);
  if (!p) {
    for (const b of cluster.brokers.values()) {
      const r = b.partitions.get(key);
      if (b.isUp() && r && (!p || r.log.highWatermark > p.log.highWatermark)) p = r;
    }
  }
  if (!p) return { final: 'log', key, hw: 0, lso: 0, records: [] };
  const hw = p.log.highWatermark;
  const records: FinalLog['records'] = [];
  for (const b of p.log.read(0, hw, Number.MAX_SAFE_INTEGER)) {
    if (b.control) continue;
    const hasPid = b.producerId !== NO_PRODUCER_ID;
    b.records.forEach((r, i) => {
      if (typeof r !== 'string') return;
      const meta: RecordMeta = {
        pid: hasPid ? b.producerId : null, epoch: hasPid ? b.producerEpoch : null,
        seq: hasPid && b.baseSequence >= 0 ? b.baseSequence + i : null, txn: null,
      };
      records.push([b.baseOffset + i, r, meta]);
    });
  }
  return { final: 'log', key, hw, lso: p.lastStableOffset(), records };
}

function committedOffsets(cluster: Cluster, keys: string[]): Record<string, number> | null {
  for (const b of cluster.brokers.values()) {
    if (!b.isUp()) continue;
    const g = b.groupCoordinator.committed().get(GROUP);
    if (g) {
      const out: Record<string, number> = {};
      for (const key of keys) if (g.has(key)) out[key] = g.get(key)!;
      return out;
    }
  }
  return null;
}
