// One run: a pure function of (scenario, options, seed) that returns data. It wires the simulated
// cluster, clients and workload, installs the fault schedule, runs until the system quiesces (or the
// virtual time limit), and returns the history (format v1, with final logs, offsets and sink) plus the
// trace hash. Nothing here reads the wall clock or an unseeded random source.
import type { FinalLine, FinalLog, History, HistoryHeader, RecordMeta } from '../check/history.ts';
import { BudgetExceededError, InvariantError, type RunBudget } from '../core/invariant.ts';
import { Simulation } from '../core/simulation.ts';
import { Nemesis, healAllAtMs } from '../faults/nemesis.ts';
import { mergeSchedules, randomSchedule } from '../faults/random-schedule.ts';
import type { FaultSchedule } from '../faults/schedule.ts';
import { installBrokerCosts, type CostModel } from '../costs/cost-model.ts';
import { Cluster } from '../kafka/cluster.ts';
import {
  DEFAULT_BROKER, DEFAULT_CONSUMER, DEFAULT_NETWORK, DEFAULT_PRODUCER,
  type BrokerConfig, type ConsumerConfig, type ProducerConfig,
} from '../kafka/config.ts';
import { ModelChecks, type ModelCheck } from '../kafka/checks.ts';
import { KafkaConsumer } from '../kafka/consumer.ts';
import { KafkaProducer } from '../kafka/producer.ts';
import { ReleaseError, resolveRelease, type Release } from '../kafka/releases.ts';
import type { Partition } from '../kafka/partition.ts';
import { NO_PRODUCER_ID, type RecordBatch } from '../kafka/protocol.ts';
import { Network } from '../net/network.ts';
import type { Bug, Mode, Overrides, Scenario } from '../scenario/types.ts';
import { BUG_CHECKS } from '../workload/bugs.ts';
import { Ledger, LedgerSink } from '../workload/ledger.ts';
import { MODE_PRESETS } from '../workload/modes.ts';
import { PaymentsConsumer } from '../workload/payments-consumer.ts';
import { PaymentSystems } from '../workload/payment-systems.ts';
import { PaymentsProducer } from '../workload/payments-producer.ts';
import { Processor } from '../workload/processor.ts';
import { Recorder } from '../workload/recorder.ts';

export interface RunOptions {
  mode: Mode;
  seed: number;
  bugs: Bug[];
  /** Case-level overrides on top of the scenario's. */
  overrides?: Partial<Overrides>;
  /** The Kafka release to model (e.g. '3.6'); the case's, then the scenario's, then the newest when absent. */
  kafka?: string;
  /** Replace the scenario's schedule (replay, shrinking). */
  schedule?: FaultSchedule;
  keepTrace?: boolean;
  /** Model checks switched off for testing (sim/kafka/checks.ts; the necessity test), on top of the bug modes'. */
  checksOff?: ModelCheck[];
  /** Broker service times (sim/costs): for measuring what a guarantee costs; safety runs leave it out. */
  costModel?: CostModel;
  /** Limits of the run (default DEFAULT_BUDGET in sim/core/invariant.ts). */
  budget?: RunBudget;
}

export interface RunConfig {
  producer: ProducerConfig;
  consumer: ConsumerConfig;
  broker: BrokerConfig;
  /** The safety checks the model performs: all but those the bug modes and checksOff switch off. */
  checks: ModelChecks;
  /** The modelled release and its line's behaviours. */
  release: Release;
}

export interface RunResult {
  scenario: string;
  mode: Mode;
  seed: number;
  bugs: Bug[];
  /** The modelled Kafka release, major.minor (its line: config.release.line). */
  release: string;
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
  /** Whether the simulation itself held up: a broken run's history is not judged (exit code 3). */
  outcome: RunOutcome;
  /** Protocol coverage: how often each named protection or decision point was reached, by name. */
  coverage: Record<string, number>;
  /** lateRequests: requests served after their client had closed the connection (Network.requestsServedAfterClose). */
  network: { messagesSent: number; messagesLost: number; lateRequests: number };
}

export class ConfigError extends Error {}

export type RunOutcome =
  | { kind: 'completed' }
  | { kind: 'budget-exceeded'; what: 'events' | 'queued-events'; limit: number; atUs: number }
  | { kind: 'invariant-broken'; message: string; atUs: number; lastTrace: string[] };

/** Trace records shown with a broken invariant: enough to see the steps that led there. */
const LAST_TRACE_RECORDS = 30;

/**
 * The simulation threw: a budget ran out, or the model broke one of its own rules (an InvariantError,
 * an illegal state transition, or any other exception, which in a model is always a bug). Runs are pure
 * functions of their inputs, so the trace leading there is recovered by running again with records kept.
 */
function brokenOutcome(e: unknown, sim: Simulation, scenario: Scenario, options: RunOptions): RunOutcome {
  if (e instanceof BudgetExceededError) return { kind: 'budget-exceeded', what: e.what, limit: e.limit, atUs: e.atUs };
  const message = e instanceof InvariantError ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  let records = sim.trace.records;
  if (records === null) records = runScenario(scenario, { ...options, keepTrace: true }).trace ?? [];
  return { kind: 'invariant-broken', message, atUs: sim.nowUs, lastTrace: records.slice(-LAST_TRACE_RECORDS) };
}

export const GROUP = 'payments-ledger';
export const PROCESSOR_GROUP = 'payments-processor';
/** Partitions of __consumer_offsets and of __transaction_state (fault targets name them). */
export const INTERNAL_TOPIC_PARTITIONS = 3;
const QUIESCE_CHECK_MS = 50;

/** Mode preset, then scenario, then case overrides, then bug modes. */
export function resolveConfig(scenario: Scenario, options: RunOptions): RunConfig {
  const preset = MODE_PRESETS[options.mode];
  if (!preset) throw new ConfigError(`unknown mode ${options.mode}`);
  const producer: ProducerConfig = { ...DEFAULT_PRODUCER, ...preset.producer, ...scenario.producer, ...options.overrides?.producer };
  const consumer: ConsumerConfig = { ...DEFAULT_CONSUMER, ...preset.consumer, ...scenario.consumer, ...options.overrides?.consumer };
  const broker: BrokerConfig = { ...DEFAULT_BROKER, ...scenario.cluster.broker };
  const bugs = new Set(options.bugs);
  let release: Release;
  try {
    release = resolveRelease(options.kafka ?? scenario.kafka);
  } catch (e) {
    if (e instanceof ReleaseError) throw new ConfigError(`--kafka: ${e.message}`);
    throw e;
  }
  if (bugs.has('unclean-election')) broker.uncleanLeaderElectionEnable = true;
  if (bugs.has('read-uncommitted')) consumer.isolationLevel = 'read_uncommitted';
  if (producer.enableIdempotence && producer.acks !== 'all') {
    throw new ConfigError(`mode ${options.mode}: enable.idempotence requires acks=all, but acks=${producer.acks} was set (Kafka rejects this with a ConfigException)`);
  }
  return {
    producer, consumer, broker,
    checks: new ModelChecks([...(options.checksOff ?? []), ...options.bugs.flatMap((b) => BUG_CHECKS[b] ?? [])]), release,
  };
}

export function runScenario(scenario: Scenario, options: RunOptions): RunResult {
  const config = resolveConfig(scenario, options);
  const preset = MODE_PRESETS[options.mode];
  const sim = new Simulation({ seed: options.seed, keepTrace: options.keepTrace ?? false, budget: options.budget });
  const net = new Network(sim, { ...DEFAULT_NETWORK, ...scenario.network });
  const cluster = new Cluster(sim, net, {
    brokers: scenario.cluster.brokers, topics: scenario.cluster.topics, broker: config.broker,
    checks: config.checks, features: config.release.line.features,
    offsetsTopicPartitions: INTERNAL_TOPIC_PARTITIONS, transactionStatePartitions: INTERNAL_TOPIC_PARTITIONS,
  });
  if (options.costModel) installBrokerCosts(sim, net, cluster.brokerIds.map((id) => `broker-${id}`), options.costModel);
  const recorder = new Recorder(sim);
  const w = scenario.workload;
  const topicSpec = (name: string, field: string) => {
    const t = scenario.cluster.topics.find((x) => x.name === name);
    if (!t) throw new ConfigError(`workload.${field} ${name} is not a topic of the cluster`);
    return t;
  };
  const inputTopics = (w.topics ?? [w.topic]).map((name) => topicSpec(name, 'topic'));
  const keys = inputTopics.flatMap((t) => cluster.dataKeys(t.name));

  const txn = config.producer.transactional;
  const producers: PaymentsProducer[] = [];
  for (let i = 1; i <= w.producers; i++) {
    const name = `producer-${i}`;
    const client = new KafkaProducer(sim, net, name, config.producer, cluster.brokerIds, txn ? { transactionalId: name, transactionV2: config.release.line.features.transactionV2 } : null);
    net.add(client);
    let reads = 0;
    const reader = () => {
      const c = new KafkaConsumer(sim, net, `${name}-reader-${++reads}`, `${name}-reader`, { ...config.consumer, isolationLevel: 'read_committed' }, cluster.brokerIds, config.checks);
      net.add(c);
      return c;
    };
    const topic = inputTopics[(i - 1) % inputTopics.length];
    producers.push(new PaymentsProducer(sim, recorder, client, {
      index: i, count: w.paymentsPerProducer, sendIntervalMs: w.sendIntervalMs, topic: topic.name,
      partitions: topic.partitions, resendUnknown: preset.resendUnknown, transactionSize: txn ? w.transactionSize : 0,
      reader: txn ? reader : undefined,
    }));
  }

  const processors: Processor[] = [];
  const outputTopics = w.processors > 0 ? (w.outputTopics ?? [w.outputTopic]).map((name) => topicSpec(name, 'outputTopic')) : [];
  const startProcessor = (index: number, process: string, transactionalId: string): Processor => {
    const consumer = new KafkaConsumer(sim, net, process, PROCESSOR_GROUP, config.consumer, cluster.brokerIds, config.checks);
    const producer = new KafkaProducer(sim, net, `${process}-producer`, config.producer, cluster.brokerIds, txn ? { transactionalId, transactionV2: config.release.line.features.transactionV2 } : null);
    net.add(consumer);
    net.add(producer);
    return new Processor(sim, recorder, consumer, producer, {
      index, inputTopics: inputTopics.map((t) => t.name), outputTopics, transactional: txn,
      offsetsInTransaction: !options.bugs.includes('offsets-outside-txn'), abortProbability: w.abortProbability,
      // An application that picks a random transactional.id also predates KIP-447 (see docs/model.md).
      groupMetadataInOffsets: w.offsetsApi === 'group-metadata' && !options.bugs.includes('random-txn-id'),
      afterAbort: w.afterAbort,
    }, config.consumer, process);
  };
  for (let i = 1; i <= w.processors; i++) processors.push(startProcessor(i, `processor-${i}`, `processor-${i}`));

  // The ledger consumers read the payments themselves, or the processors' output when there is a pipeline.
  const sinkTopics = (w.processors > 0 ? outputTopics : inputTopics).map((t) => t.name);
  const sinkKeys = sinkTopics.flatMap((t) => cluster.dataKeys(t));
  const ledger = new Ledger('ledger', preset.sinkIdempotencyKeys);
  const external = scenario.sink === undefined ? null : new PaymentSystems(sim, net, recorder, {
    gateway: scenario.gateway, ledgerDb: scenario.ledgerDb, sink: scenario.sink, paymentsTopic: w.topic,
    modePattern: preset.sinkIdempotencyKeys ? 'idempotency-key' : 'naive',
  });
  const consumers: PaymentsConsumer[] = [];
  for (let i = 1; i <= w.consumers; i++) {
    const client = new KafkaConsumer(sim, net, `consumer-${i}`, GROUP, config.consumer, cluster.brokerIds, config.checks);
    net.add(client);
    const sink = external ? external.sinkFor(`consumer-${i}`) : new LedgerSink(ledger, recorder, `consumer-${i}`);
    // Members of group GROUP subscribed to the sink topic: the group leader assigns the partitions.
    consumers.push(new PaymentsConsumer(sim, recorder, client, sink, sinkTopics, config.consumer, i, consumers));
  }

  const clients = new Map<string, PaymentsProducer | PaymentsConsumer | Processor | ReturnType<PaymentSystems['services']>[number]>();
  for (const p of producers) clients.set(p.process, p);
  for (const c of consumers) clients.set(c.process, c);
  for (const p of processors) clients.set(p.process, p);
  for (const s of external?.services() ?? []) clients.set(s.id, s);
  const drawn = scenario.faults.random
    ? randomSchedule(scenario.faults.random, sim.stream('faults'), { brokerIds: cluster.brokerIds, clients: [...clients.keys()], keys })
    : [];
  const schedule = options.schedule ?? mergeSchedules(scenario.faults.schedule, drawn);
  const healAtMs = Math.max(healAllAtMs(schedule), scenario.faults.random?.untilMs ?? 0);
  const restarts = new Map<string, number>();
  const nemesis = new Nemesis(sim, {
    network: net,
    brokerIds: cluster.brokerIds,
    crashBroker: (id, kind) => cluster.crashBroker(id, kind),
    restartBroker: (id) => cluster.restartBroker(id),
    leaderOf: (key) => cluster.leaderOf(key),
    coordinatorOf: (kind, id) => cluster.coordinatorOf(kind, id),
    nodesOf: (name) => clients.get(name)?.nodes() ?? [name],
    crashClient: (name) => clients.get(name)?.crash(),
    restartClient: (name) => {
      const c = clients.get(name);
      if (c instanceof Processor && options.bugs.includes('random-txn-id')) {
        // The bug: every start picks a fresh transactional.id, so the previous instance is never fenced.
        const n = (restarts.get(name) ?? 0) + 1;
        restarts.set(name, n);
        c.setTransactionalId(`${name}-${n}`);
      }
      c?.restart();
    },
    pauseClient: (name, forMs) => {
      const c = clients.get(name);
      if (!c) return;
      c.pause(forMs);
      for (const node of c.nodes()) net.hold(node, sim.nowUs + forMs * 1000);
    },
    replaceClient: (name) => {
      const c = clients.get(name);
      if (c instanceof PaymentsProducer) {
        const process = `${name}.2`;
        const transactionalId = options.bugs.includes('random-txn-id') ? process : name;
        const client = new KafkaProducer(sim, net, process, config.producer, cluster.brokerIds, txn ? { transactionalId, transactionV2: config.release.line.features.transactionV2 } : null);
        net.add(client);
        const replacement = c.replacement(client);
        producers.push(replacement);
        clients.set(replacement.process, replacement);
        return true;
      }
      if (!(c instanceof Processor)) return false;
      const id = options.bugs.includes('random-txn-id') ? `${name}.2` : c.transactionalId();
      const replacement = startProcessor(c.index, `${name}.2`, id);
      c.restartOnFence = false;
      processors.push(replacement);
      clients.set(replacement.process, replacement);
      return true;
    },
  }, recorder);
  nemesis.install(schedule, healAtMs);

  const isolation = config.consumer.isolationLevel;
  /** What keeps the run from ending now; empty when it has quiesced. */
  const stuck = (): string[] => {
    // Checked every 50 ms: the cheap reason first, so a long fault window costs nothing.
    if (sim.nowUs < healAtMs * 1000) return ['fault window still open'];
    const why: string[] = [];
    for (const p of producers) if (!p.done()) why.push(`${p.process} has unacknowledged payments`);
    const ends: Record<string, number> = {};
    for (const key of [...keys, ...(w.processors > 0 ? sinkKeys : [])]) {
      const leader = cluster.leaderReplica(key);
      if (!leader) why.push(`${key} has no leader`);
      else if (leader.lastStableOffset() < leader.log.highWatermark && sim.nowUs >= healAtMs * 1000) {
        why.push(`${key} has an open transaction at offset ${leader.lastStableOffset()} (LSO < HW ${leader.log.highWatermark})`);
      } else ends[key] = dataEnd(leader, isolation === 'read_committed' ? leader.lastStableOffset() : leader.log.highWatermark);
    }
    if (why.length > 0) return why;
    for (const p of processors) if (!p.idle()) why.push(`${p.process} is mid-transaction`);
    if (processors.length > 0) {
      const committed = cluster.committedOffsets(PROCESSOR_GROUP);
      for (const key of keys) if ((committed.get(key) ?? 0) < ends[key]) why.push(`processors have not committed ${key} to ${ends[key]}`);
    }
    for (const c of consumers) if (!c.caughtUp(ends)) why.push(`${c.process} has not consumed and committed to the end`);
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
  let outcome: RunOutcome = { kind: 'completed' };
  try {
    sim.run(scenario.runLimitMs * 1000);
  } catch (e) {
    outcome = brokenOutcome(e, sim, scenario, options);
  }

  const header: HistoryHeader = {
    history: 'eos-sim', version: 1, scenario: scenario.name, mode: options.mode, seed: options.seed, bugs: [...options.bugs],
    // The isolation the run promises: with the read-uncommitted bug the consumers break that promise.
    isolation: options.bugs.includes('read-uncommitted') ? 'read_committed' : isolation,
    kafka: config.release.release,
    producer: {
      acks: String(config.producer.acks) as '0' | '1' | 'all', idempotence: config.producer.enableIdempotence,
      maxInFlight: config.producer.maxInFlightRequestsPerConnection, retries: config.producer.retries,
      transactional: config.producer.transactional,
    },
    sinks: w.consumers > 0 && !external ? [{ name: ledger.name, topics: sinkTopics }] : [],
  };
  if (external) header.payments = external.description();
  if (!quiesced && outcome.kind === 'completed') header.quiesced = false;
  // A broken model's logs are not evidence: the history stops at the failure, with no final lines.
  const finals: FinalLine[] = outcome.kind !== 'completed' ? [] : [...keys, ...(w.processors > 0 ? sinkKeys : [])].map((key) => finalLog(cluster, key));
  for (const [group, groupKeys] of outcome.kind !== 'completed' ? [] : [[PROCESSOR_GROUP, keys], [GROUP, sinkKeys]] as const) {
    const committed = cluster.committedOffsets(group);
    if (committed.size === 0) continue;
    const offsets: Record<string, number> = {};
    for (const key of groupKeys) if (committed.has(key)) offsets[key] = committed.get(key)!;
    finals.push({ final: 'offsets', group, offsets });
  }
  if (w.consumers > 0 && !external && outcome.kind === 'completed') finals.push({ final: 'sink', name: ledger.name, applied: ledger.rows() });
  if (external && outcome.kind === 'completed') finals.push(...external.finals());

  return {
    scenario: scenario.name, mode: options.mode, seed: options.seed, bugs: [...options.bugs], release: config.release.release, config, schedule,
    history: { header, ops: recorder.ops, finals },
    traceHash: sim.trace.hash(), trace: sim.trace.records, events: sim.events, virtualTimeUs: sim.nowUs,
    quiesced, stuck: quiesced || outcome.kind !== 'completed' ? [] : stuck(), outcome,
    coverage: Object.fromEntries([...sim.coverage].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    network: { messagesSent: net.messagesSent, messagesLost: net.messagesLost, lateRequests: net.requestsServedAfterClose },
  };
}

/**
 * One past the last data record below `bound`: where a consumer that read everything stands. Trailing
 * markers and aborted batches do not count, since a consumer commits only after records it was handed.
 */
function dataEnd(p: Partition, bound: number): number {
  const batches = p.log.batches;
  for (let i = batches.length - 1; i >= 0; i--) {
    const b = batches[i];
    if (b.lastOffset >= bound || b.control) continue;
    const aborted = b.isTransactional && p.producerState.abortedIndex.some((a) => a.producerId === b.producerId && a.firstOffset <= b.baseOffset && b.baseOffset < a.lastOffset);
    if (!aborted) return b.lastOffset + 1;
  }
  return 0;
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
  const batches = p.log.read(0, hw, Number.MAX_SAFE_INTEGER);
  // A transactional batch's outcome is the first marker of its producer after it (none yet: still open).
  const outcome = new Map<RecordBatch, RecordMeta['txn']>();
  const nextMarker = new Map<number, RecordMeta['txn']>();
  for (let i = batches.length - 1; i >= 0; i--) {
    const b = batches[i];
    if (b.control) nextMarker.set(b.producerId, b.control === 'COMMIT' ? 'committed' : 'aborted');
    else if (b.isTransactional) outcome.set(b, nextMarker.get(b.producerId) ?? null);
  }
  const records: FinalLog['records'] = [];
  for (const b of batches) {
    if (b.control) continue;
    const hasPid = b.producerId !== NO_PRODUCER_ID;
    b.records.forEach((r, i) => {
      if (typeof r !== 'string') return;
      const meta: RecordMeta = {
        pid: hasPid ? b.producerId : null, epoch: hasPid ? b.producerEpoch : null,
        seq: hasPid && b.baseSequence >= 0 ? b.baseSequence + i : null, txn: outcome.get(b) ?? null,
      };
      records.push([b.baseOffset + i, r, meta]);
    });
  }
  return { final: 'log', key, hw, lso: p.lastStableOffset(), records };
}
