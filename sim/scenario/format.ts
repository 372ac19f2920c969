// The scenario file format as zod schemas (docs/scenarios.md is its user-facing description, and
// scenario.schema.json is generated from `scenarioSchema` for editors; keep all three in step): what every
// field accepts, its default, and the rules that span fields. Field names are the TypeScript names of
// types.ts and sim/kafka/config.ts, so a file reads like the options it sets.
//
// Fault targets (brokers, nodes, clients) depend on the cluster and the workload, so they are checked in
// two steps: `scenarioSchema` knows their shapes only (that is what editors can check), and the whole
// scenario's check then judges the faults against the scenario's own topology.
import { z } from 'zod';
import { ANOMALY_KINDS } from '../check/anomaly.ts';
import {
  API_NAMES, FAILPOINTS, CRASH_KINDS, FAULT_KINDS, type BrokerTarget,
} from '../faults/schedule.ts';
import {
  DEFAULT_GATEWAY, DEFAULT_LEDGER_DB, GATEWAY_NODE, LEDGER_DB_NODE, SINK_PATTERNS, type GatewayConfig, type LedgerDbConfig, type SinkConfig,
} from '../external/config.ts';
import {
  DEFAULT_NETWORK,
  type BrokerConfig, type ConsumerConfig, type NetworkConfig, type ProducerConfig,
} from '../kafka/config.ts';
import { OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from '../kafka/broker.ts';
import { knownReleasesText, ReleaseError, resolveRelease } from '../kafka/releases.ts';
import { GROUP, INTERNAL_TOPIC_PARTITIONS, PROCESSOR_GROUP } from '../run/run-scenario.ts';
import { MODE_PRESETS } from '../workload/modes.ts';
import {
  andThen, bool, discriminated, fail, formatPath, int, list, number, object, oneOf, parseWith, show, str, withDefault,
  type Path, type StringRule,
} from './schema.ts';
import { AFTER_ABORT, BUGS, MODES, OFFSETS_APIS, type Mode, type Scenario, type TopicSpec } from './types.ts';

const KEBAB_CASE: StringRule = {
  pattern: /^[a-z0-9]+(-[a-z0-9]+)*$/,
  name: 'kebab-case',
  allowed: 'lowercase letters and digits in words joined by "-", e.g. "lost-ack"',
};

// Kafka's own rule (Topic.validate); it also keeps "/" out, which the history uses in "topic/partition" keys.
const TOPIC_NAME: StringRule = {
  pattern: /^[a-zA-Z0-9._-]{1,249}$/,
  name: 'a legal Kafka topic name',
  allowed: 'up to 249 letters, digits, ".", "_" and "-"',
};

const MAX_BROKERS = 9;
const MAX_CLIENTS = 16;

// ---- overrides of sim/kafka/config.ts -----------------------------------------------------------------

/** A section that overrides some fields of a config; the mapped type makes tsc demand a schema per field. */
function overrides<C>(fields: { [K in keyof C]-?: z.ZodType<C[K]> }): z.ZodType<Partial<C>> {
  // The parameter's mapped type is what ties each field to C; tsc cannot follow it through `object` for a
  // generic C, hence the cast.
  return withDefault(object({}, fields as Record<string, z.ZodType>), {}) as unknown as z.ZodType<Partial<C>>;
}

// Intervals and periods are > 0 because a periodic timer with period 0 would never let virtual time advance.
const positiveMs = number({ greaterThan: 0 });
const ms = number({ min: 0 });

export const producerOverrides = overrides<ProducerConfig>({
  acks: oneOf([0, 1, 'all']),
  enableIdempotence: bool(),
  retries: int({ min: 0 }),
  maxInFlightRequestsPerConnection: int({ min: 1 }),
  requestTimeoutMs: positiveMs,
  deliveryTimeoutMs: positiveMs,
  retryBackoffMs: ms,
  batchMaxRecords: int({ min: 1 }),
  transactional: bool(),
  transactionTimeoutMs: positiveMs,
});

export const consumerOverrides = overrides<ConsumerConfig>({
  isolationLevel: oneOf(['read_uncommitted', 'read_committed']),
  enableAutoCommit: bool(),
  autoCommitIntervalMs: positiveMs,
  commitOrder: oneOf(['before-processing', 'after-processing']),
  maxPollRecords: int({ min: 1 }),
  fetchMaxWaitMs: ms,
  requestTimeoutMs: positiveMs,
  retryBackoffMs: ms,
  processingTimeMs: ms,
  sessionTimeoutMs: positiveMs,
  heartbeatIntervalMs: positiveMs,
  rebalanceTimeoutMs: positiveMs,
  partitionAssignmentStrategy: oneOf(['range', 'roundrobin']),
});

const brokerOverrides = overrides<BrokerConfig>({
  minInsyncReplicas: int({ min: 1, max: MAX_BROKERS }),
  uncleanLeaderElectionEnable: bool(),
  replicaLagTimeMaxMs: positiveMs,
  replicaFetchWaitMaxMs: ms,
  brokerHeartbeatIntervalMs: positiveMs,
  brokerSessionTimeoutMs: positiveMs,
  flushIntervalMs: positiveMs,
  restartDelayMs: ms,
  groupInitialRebalanceDelayMs: ms,
});

// Past Kafka's boundary (sim/external/config.ts). A scenario with a `sink` section runs the gateway and the
// ledger database; `gateway` and `ledgerDb` tune them.
// These sections have no default: their presence is what switches the external systems on.
const sinkSection = object({}, { pattern: oneOf(SINK_PATTERNS), requestTimeoutMs: positiveMs, retryBackoffMs: ms }) as unknown as z.ZodType<Partial<SinkConfig>>;
const serviceLatency = { latencyMsMin: ms, latencyMsMean: ms };
const gatewaySection = object({}, { ...serviceLatency, honoursIdempotencyKeys: bool() }) as unknown as z.ZodType<Partial<GatewayConfig>>;
const ledgerDbSection = object({}, serviceLatency) as unknown as z.ZodType<Partial<LedgerDbConfig>>;

// The latency model is min + an exponential tail with the given mean, so the mean cannot be below the min;
// the check runs on the effective values because one field alone can conflict with the other's default.
const networkOverrides = andThen(
  overrides<NetworkConfig>({ latencyUsMin: int({ min: 0 }), latencyUsMean: int({ min: 0 }) }),
  (net) => {
    const { latencyUsMin, latencyUsMean } = { ...DEFAULT_NETWORK, ...net };
    if (latencyUsMean >= latencyUsMin) return net;
    if (net.latencyUsMean === undefined) {
      fail(['latencyUsMin'], `must be <= latencyUsMean (${latencyUsMean}, the default), got ${latencyUsMin}`);
    }
    return fail(['latencyUsMean'], `must be >= latencyUsMin (${latencyUsMin}), got ${latencyUsMean}`);
  },
);

/**
 * Combinations Kafka's KafkaProducer constructor rejects with a ConfigException. Both fields must be set
 * explicitly (in the scenario's or a case's overrides): the defaults never conflict, and which protections
 * a mode preset switches on is the preset's business.
 */
const PRODUCER_CONFLICTS: {
  a: keyof ProducerConfig; b: keyof ProducerConfig;
  conflict: (c: Partial<ProducerConfig>) => boolean; kafka: string;
}[] = [
  {
    a: 'enableIdempotence', b: 'acks', conflict: (c) => c.enableIdempotence === true && c.acks !== 'all',
    kafka: 'Must set acks to all in order to use the idempotent producer',
  },
  {
    a: 'enableIdempotence', b: 'maxInFlightRequestsPerConnection',
    conflict: (c) => c.enableIdempotence === true && (c.maxInFlightRequestsPerConnection ?? 0) > 5,
    kafka: 'Must set max.in.flight.requests.per.connection to at most 5 to use the idempotent producer',
  },
  {
    a: 'transactional', b: 'enableIdempotence', conflict: (c) => c.transactional === true && c.enableIdempotence === false,
    kafka: 'Cannot set a transactional.id without also enabling idempotence',
  },
];

/**
 * Kafka's producer enables idempotence by itself when a transactional.id is set, and refuses a
 * transactional.id with idempotence switched off; a mode preset that switches it off (at-least-once,
 * at-most-once) under a transactional producer is that configuration.
 */
export function transactionalWithoutIdempotence(mode: Mode, layers: readonly Partial<ProducerConfig>[]): boolean {
  const effective: Partial<ProducerConfig> = Object.assign({}, MODE_PRESETS[mode].producer, ...layers);
  return effective.transactional === true && effective.enableIdempotence === false;
}

/** The problem and what is allowed, for a mode `modeText` that switches idempotence off under `transactional` set by `setBy`. */
export function transactionalProblem(modeText: string, setBy: string): { problem: string; allowed: string } {
  return {
    problem: `${modeText} switches idempotence off, but ${setBy} is true; `
      + 'Kafka\'s producer refuses this (ConfigException: "Cannot set a transactional.id without also enabling idempotence")',
    allowed: `a mode with idempotence (${MODES.filter((m) => MODE_PRESETS[m].producer.enableIdempotence).join(', ')}), or enableIdempotence: true`,
  };
}

function checkTransactionalIdempotence(mode: Mode, layers: ProducerLayer[], modePath: Path): void {
  if (!transactionalWithoutIdempotence(mode, layers.map((l) => l.config))) return;
  const setBy = [...layers].reverse().find((l) => 'transactional' in l.config)!;
  const { problem, allowed } = transactionalProblem(show(mode), formatPath([...setBy.path, 'transactional']));
  fail(modePath, problem, allowed);
}

/** Producer overrides stacked in the order they apply (the scenario's, then a case's), each with its path. */
type ProducerLayer = { path: Path; config: Partial<ProducerConfig> };

function checkProducerConflicts(layers: ProducerLayer[]): void {
  const effective: Partial<ProducerConfig> = Object.assign({}, ...layers.map((l) => l.config));
  // The layer that set a field last, i.e. the one the effective value comes from.
  const setIn = (field: keyof ProducerConfig) => layers.reduce((last, l, i) => (field in l.config ? i : last), -1);
  for (const { a, b, conflict, kafka } of PRODUCER_CONFLICTS) {
    const [layerA, layerB] = [setIn(a), setIn(b)];
    if (layerA < 0 || layerB < 0 || !conflict(effective)) continue;
    // Blame the field set in the later layer: adding it is what created the conflict.
    const [blamed, blamedLayer, other, otherLayer] = layerA > layerB ? [a, layerA, b, layerB] : [b, layerB, a, layerA];
    fail(
      [...layers[blamedLayer].path, blamed],
      `${show(effective[blamed])} conflicts with ${formatPath([...layers[otherLayer].path, other])}: `
        + `${show(effective[other])}; Kafka's producer refuses this (ConfigException: "${kafka}")`,
    );
  }
}

// ---- cluster, workload, expectations ------------------------------------------------------------------

const topic = object(
  { name: str(TOPIC_NAME), partitions: withDefault(int({ min: 1 }), 3) },
  // Its default and upper bound depend on the broker count; the cluster schema fills in and checks both.
  { replicationFactor: int({ min: 1, max: MAX_BROKERS }) },
);

const cluster = andThen(
  object({
    brokers: withDefault(int({ min: 1, max: MAX_BROKERS }), 3),
    topics: withDefault(list(topic, { minLength: 1 }), [{ name: 'payments' }]),
    broker: brokerOverrides,
  }),
  (c) => {
    const topics = c.topics.map((t, i): TopicSpec => {
      const at = ['topics', i];
      const first = c.topics.findIndex((u) => u.name === t.name);
      if (first !== i) fail([...at, 'name'], `topic ${JSON.stringify(t.name)} is already defined at topics[${first}]`);
      const replicationFactor = t.replicationFactor ?? Math.min(3, c.brokers);
      if (replicationFactor > c.brokers) {
        fail([...at, 'replicationFactor'], `must be <= cluster.brokers (${c.brokers}), got ${replicationFactor}`);
      }
      return { name: t.name, partitions: t.partitions, replicationFactor };
    });
    const maxRf = Math.max(...topics.map((t) => t.replicationFactor));
    const minIsr = c.broker.minInsyncReplicas;
    if (minIsr !== undefined && minIsr > maxRf) {
      fail(['broker', 'minInsyncReplicas'],
        `must be <= the largest replicationFactor (${maxRf}) or no acks=all write can succeed, got ${minIsr}`);
    }
    return { ...c, topics };
  },
);

const topicList = list(str(TOPIC_NAME), { minLength: 1, unique: true });

const workload = andThen(
  object({
    producers: withDefault(int({ min: 1, max: MAX_CLIENTS }), 1),
    paymentsPerProducer: withDefault(int({ min: 1 }), 200),
    sendIntervalMs: withDefault(positiveMs, 5),
    consumers: withDefault(int({ min: 0, max: MAX_CLIENTS }), 1),
    processors: withDefault(int({ min: 0, max: MAX_CLIENTS }), 0),
    transactionSize: withDefault(int({ min: 1, max: 1000 }), 5),
    abortProbability: withDefault(number({ min: 0, max: 1 }), 0),
    offsetsApi: withDefault(oneOf(OFFSETS_APIS), 'group-metadata'),
    afterAbort: withDefault(oneOf(AFTER_ABORT), 'seek-to-committed'),
  }, {
    // Must name topics of cluster.topics; checked by the scenario's check, which sees both. `topics` and
    // `outputTopics` are the several-topic forms: their first entries are `topic` and `outputTopic`.
    topic: str(TOPIC_NAME).meta({ default: 'payments' }),
    topics: topicList,
    outputTopic: str(TOPIC_NAME).meta({ default: 'ledger-entries' }),
    outputTopics: topicList,
  }),
  (w) => {
    const first = (one: 'topic' | 'outputTopic', many: 'topics' | 'outputTopics', fallback: string): string => {
      const list = w[many];
      if (list === undefined) return w[one] ?? fallback;
      if (w[one] !== undefined && w[one] !== list[0]) fail([one], `must be ${many}[0] (${show(list[0])}) or left out, got ${show(w[one])}`);
      return list[0];
    };
    return { ...w, topic: first('topic', 'topics', 'payments'), outputTopic: first('outputTopic', 'outputTopics', 'ledger-entries') };
  },
);

/**
 * A Kafka release, e.g. "3.6". YAML reads an unquoted 3.6 as a number (and 4.0 as 4), so numbers are
 * taken back to major.minor; quoting is still the clear way to write it.
 */
const kafkaRelease = andThen(
  z.unknown().meta({ anyOf: [{ type: 'string' }, { type: 'number' }], description: `a Kafka release of a known line (${knownReleasesText()}), quoted, e.g. "3.6"` }),
  (value): string => {
    const text = typeof value === 'number' ? (Number.isInteger(value) ? `${value}.0` : String(value)) : value;
    if (typeof text !== 'string') return fail([], `${show(value)} is not a Kafka release`, knownReleasesText());
    try {
      return resolveRelease(text).release;
    } catch (e) {
      if (e instanceof ReleaseError) return fail([], `${show(value)} is not a known Kafka release`, `a release of the lines ${knownReleasesText()}, e.g. "3.6"`);
      throw e;
    }
  },
);

/** What an expectation may name: the checker's kinds, and liveness (a run that could not quiesce). */
export const EXPECTABLE_KINDS = [...ANOMALY_KINDS, 'liveness'] as const;

// Kebab-case first, so a snake_case name is told the naming rule; then the kind must be one the checker reports.
const anomalyName = andThen(str(KEBAB_CASE).meta({ enum: [...EXPECTABLE_KINDS] }), (k) => parseWith(oneOf(EXPECTABLE_KINDS), k));
const anomalyNames = withDefault(list(anomalyName, { unique: true }), []);

const expectCase = object(
  {
    mode: oneOf(MODES),
    bugs: withDefault(list(oneOf(BUGS), { unique: true }), []),
    anomalies: anomalyNames,
    mayAlsoFind: anomalyNames,
    producer: producerOverrides,
    consumer: consumerOverrides,
  },
  { label: str(), kafka: kafkaRelease },
);

const notMeaningfulEntry = object({ mode: oneOf(MODES), reason: str() });

// ---- faults ------------------------------------------------------------------------------------------

/** What fault targets are checked against: the brokers and topics, and the clients the workload starts. */
interface Topology {
  brokers: number;
  topics: TopicSpec[];
  producers: number;
  consumers: number;
  processors: number;
  /** The scenario runs the external systems (a `sink` section): they are fault targets too. */
  external: boolean;
}

/** `prefix-1`..`prefix-n` as names and as the message lists them. */
function series(prefix: string, n: number): { names: string[]; text: string[] } {
  const names = Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);
  return { names, text: n === 0 ? [] : [n === 1 ? names[0] : `${names[0]}..${names[n - 1]}`] };
}

const LEADER_FORM = '"leader:<topic>/<partition>"';
const ROLE_FORMS = `${LEADER_FORM}, "txn-coordinator:<transactional.id>" or "group-coordinator:<group>"`;
const BROKER_PATTERN = '^(leader:[a-zA-Z0-9._-]+/[0-9]+|txn-coordinator:.+|group-coordinator:.+)$';

/** The targets a fault may name: their shapes (for editors), or those of one topology. */
interface Targets {
  broker: z.ZodType<BrokerTarget>;
  brokerId: z.ZodType<number>;
  node: z.ZodType<string>;
  client: z.ZodType<string>;
}

const NODE_PATTERN = '^(controller|broker-[0-9]+|(producer|consumer|processor)-[0-9]+|gateway|ledger-db)$';
const CLIENT_PATTERN = '^((producer|consumer|processor)-[0-9]+|gateway|ledger-db)$';

/** Shapes only: any broker id or leader target, any node or client name; the topology check judges them. */
const ANY_TARGET: Targets = {
  broker: z.union([z.int(), z.string()], { error: (iss) => `must be a broker id, ${ROLE_FORMS}, got ${show(iss.input)}` })
    .meta({ description: `a broker id (1..cluster.brokers), ${ROLE_FORMS} (a role is resolved when the fault fires)`, anyOf: [{ type: 'integer', minimum: 1, maximum: MAX_BROKERS }, { type: 'string', pattern: BROKER_PATTERN }] }) as z.ZodType<BrokerTarget>,
  brokerId: int().meta({ minimum: 1, maximum: MAX_BROKERS }),
  node: str().meta({ description: 'controller, broker-<n>, producer-<n>, consumer-<n> or processor-<n>', pattern: NODE_PATTERN }),
  client: str().meta({ description: 'producer-<n>, consumer-<n> or processor-<n>', pattern: CLIENT_PATTERN }),
};

function brokerId(t: Topology, allowed: string) {
  return oneOf(Array.from({ length: t.brokers }, (_, i) => i + 1), { what: 'broker', allowed });
}

/** The targets of one topology: brokers, topics and clients that exist. */
function targetsOf(t: Topology): Targets {
  const brokers = series('broker', t.brokers);
  const producers = series('producer', t.producers);
  const consumers = series('consumer', t.consumers);
  const processors = series('processor', t.processors);
  const services = t.external ? [GATEWAY_NODE, LEDGER_DB_NODE] : [];
  const clientNames = [...producers.names, ...consumers.names, ...processors.names, ...services];
  const clientText = [...producers.text, ...consumers.text, ...processors.text, ...services];
  const id = brokerId(t, `1..${t.brokers}, ${ROLE_FORMS}`);
  // Internal topics may be named too: their leaders are the coordinators.
  const allTopics = [...t.topics, ...[OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC].map((name) => ({ name, partitions: INTERNAL_TOPIC_PARTITIONS }))];
  const topicName = oneOf(allTopics.map((x) => x.name), { what: 'topic' });
  // The transactional.ids the workload's clients use (a replacement keeps its original's), and its groups.
  const transactionalIds = oneOf([...producers.names, ...processors.names], { what: 'transactional.id', allowed: [...producers.text, ...processors.text].join(', ') });
  const groups = oneOf([...(t.consumers > 0 ? [GROUP] : []), ...(t.processors > 0 ? [PROCESSOR_GROUP] : [])], { what: 'group' });
  // A broker id, or a role resolved when the fault fires (the partition, transactional.id or group must exist).
  const broker = andThen(z.unknown(), (value): BrokerTarget => {
    if (typeof value !== 'string' || !/^[a-z-]+:/.test(value)) return parseWith(id, value);
    const cut = value.indexOf(':');
    const [role, what] = [value.slice(0, cut), value.slice(cut + 1)];
    if (role === 'txn-coordinator') return `txn-coordinator:${parseWith(transactionalIds, what)}`;
    if (role === 'group-coordinator') return `group-coordinator:${parseWith(groups, what)}`;
    if (role !== 'leader') return fail([], `${show(value)} is not a broker role`, ROLE_FORMS);
    const m = /^(.+)\/(\d+)$/.exec(what);
    if (m === null) return fail([], `${show(value)} is not a leader target`, `${LEADER_FORM}, e.g. "leader:${t.topics[0].name}/0"`);
    const name = parseWith(topicName, m[1]);
    const { partitions } = allTopics.find((x) => x.name === name)!;
    const partition = Number(m[2]);
    if (partition >= partitions) {
      fail([], `partition ${partition} of topic ${JSON.stringify(name)} does not exist`, `0..${partitions - 1}`);
    }
    return `leader:${name}/${partition}`;
  });
  return {
    broker,
    brokerId: brokerId(t, `1..${t.brokers}`),
    node: oneOf(['controller', ...brokers.names, ...clientNames], { what: 'node', allowed: ['controller', ...brokers.text, ...clientText].join(', ') }),
    client: oneOf(clientNames, { what: 'client', allowed: clientText.join(', ') }),
  };
}

/** The `faults` section with targets of the given kind. */
function faultsSchema({ broker, brokerId: restartable, node, client }: Targets) {
  const at = { atMs: ms };
  const matchMessages = {
    api: oneOf(API_NAMES),
    message: oneOf(['request', 'response']),
    count: withDefault(int({ min: 1 }), 1),
  };
  // A node may sit in one group only: a split is a partition of the nodes, not a set of overlapping links.
  const groups = andThen(list(list(node, { minLength: 1 }), { minLength: 2 }), (gs) => {
    const seen = new Map<string, number>();
    gs.forEach((g, i) => g.forEach((n, j) => {
      const other = seen.get(n);
      if (other !== undefined) fail([i, j], `node ${JSON.stringify(n)} is already in groups[${other}]`);
      seen.set(n, i);
    }));
    return gs;
  });

  const event = discriminated('fault', {
    'crash-broker': object(
      { ...at, broker, crash: withDefault(oneOf(CRASH_KINDS), 'process') },
      { restartAfterMs: ms },
    ),
    'restart-broker': object({ ...at, broker: restartable }),
    'stall-broker': object({ ...at, broker, forMs: positiveMs }),
    drop: object({ ...at, ...matchMessages }, { node }),
    delay: object({ ...at, ...matchMessages, delayMs: positiveMs }, { node }),
    isolate: object({ ...at, node }),
    split: object({ ...at, groups }),
    'one-way': object({ ...at, from: node, to: node }),
    heal: object(at),
    'crash-client': object({ ...at, client }, { restartAfterMs: ms, permanent: bool() }),
    'restart-client': object({ ...at, client }),
    'pause-client': object({ ...at, client, forMs: positiveMs }),
    'replace-client': object({ ...at, client }),
    // times: the next N times the step happens (a fault per strike); several faults on one step take turns.
    failpoint: object(
      { ...at, point: oneOf(FAILPOINTS), crash: withDefault(oneOf(CRASH_KINDS), 'process') },
      { restartAfterMs: ms, times: int({ min: 1 }) },
    ),
  });

  const random = andThen(
    object({
      kinds: list(oneOf(FAULT_KINDS), { minLength: 1, unique: true }),
      meanIntervalMs: positiveMs,
      fromMs: ms,
      untilMs: ms,
    }),
    (r) => {
      if (r.untilMs <= r.fromMs) fail(['untilMs'], `must be > fromMs (${r.fromMs}), got ${r.untilMs}`);
      return r;
    },
  );

  return withDefault(object({ schedule: withDefault(list(event), []) }, { random }), {});
}

// ---- the whole file ----------------------------------------------------------------------------------

/** The file's fields with their shapes and defaults; what an editor can check (scenario.schema.json). */
export const scenarioSchema = object({
  name: str(KEBAB_CASE),
  description: str(),
  cluster: withDefault(cluster, {}),
  network: networkOverrides,
  producer: producerOverrides,
  consumer: consumerOverrides,
  workload: withDefault(workload, {}),
  faults: faultsSchema(ANY_TARGET),
  runLimitMs: withDefault(positiveMs, 60_000),
  seeds: withDefault(int({ min: 1, max: 10_000 }), 20),
  expect: withDefault(list(expectCase), []),
  notMeaningful: withDefault(list(notMeaningfulEntry), []),
}, { kafka: kafkaRelease, sink: sinkSection, gateway: gatewaySection, ledgerDb: ledgerDbSection });

/** The rules that span sections: topics the workload names, fault targets and times, producer configs. */
const scenarioChecked = andThen(scenarioSchema, (s): Omit<Scenario, 'file'> => {
  // The payment systems name one payments topic in the history header (sim/workload/payment-systems.ts).
  if (s.sink !== undefined && (s.workload.topics?.length ?? 1) > 1) fail(['workload', 'topics'], 'several input topics are not supported with a sink section yet', 'one topic');
  const clusterTopic = oneOf(s.cluster.topics.map((t) => t.name), { what: 'topic' });
  const inputs = s.workload.topics ?? [s.workload.topic];
  inputs.forEach((t, i) => parseWith(clusterTopic, t, s.workload.topics ? ['workload', 'topics', i] : ['workload', 'topic']));
  if (s.workload.processors > 0) {
    const outputTopic = oneOf(s.cluster.topics.map((t) => t.name).filter((n) => !inputs.includes(n)), { what: 'topic' });
    (s.workload.outputTopics ?? [s.workload.outputTopic])
      .forEach((t, i) => parseWith(outputTopic, t, s.workload.outputTopics ? ['workload', 'outputTopics', i] : ['workload', 'outputTopic']));
  }
  for (const section of ['gateway', 'ledgerDb'] as const) {
    if (s[section] !== undefined && s.sink === undefined) fail([section], 'needs a sink section: without one the consumers use the in-process ledger');
    const { latencyMsMin, latencyMsMean } = { ...(section === 'gateway' ? DEFAULT_GATEWAY : DEFAULT_LEDGER_DB), ...s[section] };
    if (latencyMsMean < latencyMsMin) fail([section, 'latencyMsMean'], `must be >= latencyMsMin (${latencyMsMin}), got ${latencyMsMean}`);
  }
  const faults = parseWith(faultsSchema(targetsOf({ ...s.workload, ...s.cluster, external: s.sink !== undefined })), s.faults, ['faults']) as Scenario['faults'];
  // A fault the run never reaches is a mistake in the story, not a fault.
  faults.schedule.forEach((e, i) => {
    if (e.atMs >= s.runLimitMs) fail(['faults', 'schedule', i, 'atMs'], `must be < runLimitMs (${s.runLimitMs}), got ${e.atMs}`);
  });
  if (faults.random && faults.random.fromMs >= s.runLimitMs) {
    fail(['faults', 'random', 'fromMs'], `must be < runLimitMs (${s.runLimitMs}), got ${faults.random.fromMs}`);
  }
  // A mode is either run (some expect case) or declared not meaningful, once: never both.
  s.notMeaningful.forEach((n, i) => {
    const first = s.notMeaningful.findIndex((o) => o.mode === n.mode);
    if (first !== i) fail(['notMeaningful', i, 'mode'], `${show(n.mode)} is already declared at notMeaningful[${first}]`);
    const run = s.expect.findIndex((c) => c.mode === n.mode);
    if (run >= 0) fail(['notMeaningful', i, 'mode'], `${show(n.mode)} has an expectation at expect[${run}]; a mode that runs is meaningful`);
  });
  const scenarioLayer = { path: ['producer'], config: s.producer };
  checkProducerConflicts([scenarioLayer]);
  s.expect.forEach((c, i) => {
    const caseLayer = { path: ['expect', i, 'producer'], config: c.producer };
    checkProducerConflicts([scenarioLayer, caseLayer]);
    checkTransactionalIdempotence(c.mode, [scenarioLayer, caseLayer], ['expect', i, 'mode']);
  });
  return { ...s, faults } as Omit<Scenario, 'file'>;
});

/** A scenario file's content, validated and with defaults; `load.ts` adds the file it came from. */
export function parseScenarioContent(data: unknown): Omit<Scenario, 'file'> {
  return parseWith(scenarioChecked, data);
}
