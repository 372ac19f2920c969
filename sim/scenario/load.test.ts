import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ScenarioError, listScenarios, loadScenario, parseScenario, resolveScenarioPath } from './load.ts';
import { MODES, type Scenario } from './types.ts';

const FILE = 'scenarios/x.yaml';
const MINIMAL = 'name: minimal\ndescription: The smallest valid scenario.\n';

/** The error parseScenario throws for `text`, which must be a ScenarioError. */
function errorOf(text: string, file = FILE): ScenarioError {
  try {
    parseScenario(text, file);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error(`expected a ScenarioError for:\n${text}`);
}

describe('parseScenario: valid files', () => {
  it('fills every default into a minimal file', () => {
    expect(parseScenario(MINIMAL, FILE)).toEqual({
      file: FILE,
      name: 'minimal',
      description: 'The smallest valid scenario.',
      cluster: { brokers: 3, topics: [{ name: 'payments', partitions: 3, replicationFactor: 3 }], broker: {} },
      network: {},
      producer: {},
      consumer: {},
      workload: {
        producers: 1, paymentsPerProducer: 200, sendIntervalMs: 5, consumers: 1, topic: 'payments',
        processors: 0, outputTopic: 'ledger-entries', transactionSize: 5, abortProbability: 0, offsetsApi: 'group-metadata', afterAbort: 'seek-to-committed',
      },
      faults: { schedule: [] },
      runLimitMs: 60_000,
      seeds: 20,
      expect: [],
      notMeaningful: [],
    } satisfies Scenario);
  });

  it('takes several input and output topics, their first ones standing for topic and outputTopic', () => {
    const s = parseScenario(`${MINIMAL}cluster: {topics: [{name: a}, {name: b}, {name: x}, {name: y}]}\nworkload: {topics: [a, b], processors: 1, outputTopics: [x, y]}\n`, FILE);
    expect(s.workload).toMatchObject({ topic: 'a', topics: ['a', 'b'], outputTopic: 'x', outputTopics: ['x', 'y'] });
  });

  it('defaults replicationFactor to the broker count when there are fewer than 3 brokers', () => {
    const s = parseScenario(`${MINIMAL}cluster: {brokers: 2, topics: [{name: payments}, {name: b, replicationFactor: 1}]}\n`, FILE);
    expect(s.cluster.topics.map((t) => t.replicationFactor)).toEqual([2, 1]);
  });

  it('reads an empty section (YAML `key:` with nothing after it) as absent', () => {
    expect(parseScenario(`${MINIMAL}faults:\n  # schedule: []\nproducer:\n`, FILE)).toEqual(parseScenario(MINIMAL, FILE));
  });

  const FULL = `
name: full-example
description: Every field set to something other than its default.
cluster:
  brokers: 5
  topics:
    - {name: payments, partitions: 4, replicationFactor: 3}
    - {name: ledger-entries, partitions: 2, replicationFactor: 5}
  broker:
    minInsyncReplicas: 2
    uncleanLeaderElectionEnable: true
    replicaLagTimeMaxMs: 3000
    replicaFetchWaitMaxMs: 50
    brokerHeartbeatIntervalMs: 100
    brokerSessionTimeoutMs: 900
    flushIntervalMs: 250
    restartDelayMs: 10
network: {latencyUsMin: 100, latencyUsMean: 800}
producer:
  acks: all
  enableIdempotence: true
  retries: 3
  maxInFlightRequestsPerConnection: 1
  requestTimeoutMs: 500
  deliveryTimeoutMs: 5000
  retryBackoffMs: 50
  batchMaxRecords: 8
  transactional: true
  transactionTimeoutMs: 4000
consumer:
  isolationLevel: read_committed
  enableAutoCommit: true
  autoCommitIntervalMs: 250
  commitOrder: before-processing
  maxPollRecords: 10
  fetchMaxWaitMs: 20
  requestTimeoutMs: 700
  retryBackoffMs: 30
  processingTimeMs: 0.5
workload: {producers: 2, paymentsPerProducer: 50, sendIntervalMs: 2.5, consumers: 2, topic: ledger-entries}
faults:
  schedule:
    - {atMs: 100, fault: crash-broker, broker: 5, crash: power-loss, restartAfterMs: 400}
    - {atMs: 200, fault: crash-broker, broker: "leader:ledger-entries/1"}
    - {atMs: 300, fault: restart-broker, broker: 2}
    - {atMs: 400, fault: drop, api: Produce, message: response, node: broker-1, count: 2}
    - {atMs: 500, fault: delay, api: Fetch, message: request, count: 1, delayMs: 750}
    - {atMs: 600, fault: isolate, node: controller}
    - {atMs: 700, fault: split, groups: [[broker-1, producer-1], [broker-2, broker-3, consumer-2]]}
    - {atMs: 800, fault: one-way, from: producer-2, to: broker-4}
    - {atMs: 900, fault: heal}
    - {atMs: 1000, fault: crash-client, client: consumer-1, restartAfterMs: 50}
    - {atMs: 1100, fault: restart-client, client: producer-2}
    - {atMs: 1200, fault: stall-broker, broker: "txn-coordinator:producer-1", forMs: 30}
    - {atMs: 1300, fault: crash-broker, broker: "group-coordinator:payments-ledger", restartAfterMs: 20}
    - {atMs: 1400, fault: crash-broker, broker: "leader:__consumer_offsets/2"}
    - {atMs: 1500, fault: failpoint, point: after-commit-marker, times: 3}
  random: {kinds: [drop, delay], meanIntervalMs: 250, fromMs: 1000, untilMs: 9000}
runLimitMs: 30000
seeds: 5
expect:
  - mode: at-least-once
    bugs: [unclean-election]
    anomalies: [lost-write]
    mayAlsoFind: [duplicate]
    label: unclean election
    producer: {retries: 0}
    consumer: {isolationLevel: read_uncommitted}
  - mode: idempotent
`;

  it('keeps every field of a full file', () => {
    const s = parseScenario(FULL, FILE);
    expect(s.cluster.broker.restartDelayMs).toBe(10);
    expect(s.consumer.processingTimeMs).toBe(0.5);
    expect(s.faults.schedule).toHaveLength(15);
    expect(s.faults.schedule.slice(11).map((e) => ('broker' in e ? e.broker : e.fault === 'failpoint' ? e.times : undefined)))
      .toEqual(['txn-coordinator:producer-1', 'group-coordinator:payments-ledger', 'leader:__consumer_offsets/2', 3]);
    expect(s.faults.schedule[1]).toEqual({ atMs: 200, fault: 'crash-broker', broker: 'leader:ledger-entries/1', crash: 'process' });
    expect(s.faults.schedule[4]).toEqual({ atMs: 500, fault: 'delay', api: 'Fetch', message: 'request', count: 1, delayMs: 750 });
    expect(s.faults.random).toEqual({ kinds: ['drop', 'delay'], meanIntervalMs: 250, fromMs: 1000, untilMs: 9000 });
    expect(s.expect).toEqual([
      {
        mode: 'at-least-once', bugs: ['unclean-election'], anomalies: ['lost-write'], mayAlsoFind: ['duplicate'],
        label: 'unclean election', producer: { retries: 0 }, consumer: { isolationLevel: 'read_uncommitted' },
      },
      { mode: 'idempotent', bugs: [], anomalies: [], mayAlsoFind: [], producer: {}, consumer: {} },
    ]);
  });

  it('round-trips a full file: writing the parsed value back and parsing it again changes nothing', () => {
    const s = parseScenario(FULL, FILE);
    const { file: _file, ...content } = s;
    expect(parseScenario(YAML.stringify(content), FILE)).toEqual(s);
    expect(parseScenario(JSON.stringify(content, null, 2), 'scenarios/x.json')).toEqual({ ...s, file: 'scenarios/x.json' });
  });
});

describe('parseScenario: bad input names the file, the field and what is allowed', () => {
  const faults = (...events: string[]) => `${MINIMAL}faults:\n  schedule:\n${events.map((e) => `    - ${e}\n`).join('')}`;
  const cases: { what: string; text: string; path: string; fragment: string }[] = [
    {
      what: 'unknown top-level field', text: `${MINIMAL}seed: 3\n`, path: 'seed',
      fragment: 'unknown field; did you mean "seeds"? (allowed: name, description, cluster, network, producer, consumer, workload, faults, runLimitMs, seeds, expect, notMeaningful, kafka, sink, gateway, ledgerDb)',
    },
    {
      what: 'unknown nested field', text: `${MINIMAL}producer: {enableIdempotency: true}\n`, path: 'producer.enableIdempotency',
      fragment: 'did you mean "enableIdempotence"? (allowed: acks, enableIdempotence, retries,',
    },
    {
      what: 'unknown field of one fault kind lists that kind\'s fields', text: faults('{atMs: 1, fault: heal, node: broker-1}'),
      path: 'faults.schedule[0].node', fragment: 'unknown field (allowed: fault, atMs)',
    },
    { what: 'wrong type', text: `${MINIMAL}cluster: {brokers: three}\n`, path: 'cluster.brokers', fragment: 'must be an integer, got "three"' },
    { what: 'fraction where an integer is needed', text: `${MINIMAL}seeds: 2.5\n`, path: 'seeds', fragment: 'must be an integer, got 2.5' },
    { what: 'list where a mapping is needed', text: `${MINIMAL}workload: [1]\n`, path: 'workload', fragment: 'must be a mapping of fields, got a list' },
    { what: 'bad enum', text: `${MINIMAL}consumer: {isolationLevel: committed}\n`, path: 'consumer.isolationLevel', fragment: '"committed" is not allowed (allowed: "read_uncommitted", "read_committed")' },
    { what: 'unknown offsets API', text: `${MINIMAL}workload: {offsetsApi: groupId}\n`, path: 'workload.offsetsApi', fragment: '"groupId" is not allowed; did you mean "group-id"? (allowed: "group-metadata", "group-id")' },
    { what: 'unknown rewind', text: `${MINIMAL}workload: {afterAbort: rewind}\n`, path: 'workload.afterAbort', fragment: '"rewind" is not allowed (allowed: "seek-to-committed", "rewind-batch")' },
    { what: 'acks as a string', text: `${MINIMAL}producer: {acks: "1"}\n`, path: 'producer.acks', fragment: '"1" is not allowed (allowed: 0, 1, "all")' },
    { what: 'out of range', text: `${MINIMAL}cluster: {brokers: 12}\n`, path: 'cluster.brokers', fragment: 'must be in 1..9, got 12' },
    { what: 'missing required field', text: 'name: x\n', path: 'description', fragment: 'is required' },
    { what: 'name not kebab-case', text: 'name: Lost Ack\ndescription: d\n', path: 'name', fragment: 'must be kebab-case, got "Lost Ack" (allowed: ' },
    { what: 'negative atMs', text: faults('{atMs: -5, fault: heal}'), path: 'faults.schedule[0].atMs', fragment: 'must be >= 0, got -5' },
    { what: 'missing fault kind', text: faults('{atMs: 5}'), path: 'faults.schedule[0].fault', fragment: 'is required (allowed: "crash-broker", "restart-broker",' },
    { what: 'unknown fault kind', text: faults('{atMs: 5, fault: partition}'), path: 'faults.schedule[0].fault', fragment: '"partition" is not allowed (allowed: "crash-broker",' },
    {
      what: 'broker id out of range', text: faults('{atMs: 0, fault: heal}', '{atMs: 10, fault: crash-broker, broker: 7}'),
      path: 'faults.schedule[1].broker', fragment: 'broker 7 does not exist (allowed: 1..3, "leader:<topic>/<partition>", "txn-coordinator:<transactional.id>" or "group-coordinator:<group>")',
    },
    { what: 'restart of a broker that does not exist', text: faults('{atMs: 1, fault: restart-broker, broker: 0}'), path: 'faults.schedule[0].broker', fragment: 'broker 0 does not exist (allowed: 1..3)' },
    { what: 'leader target on an unknown topic', text: faults('{atMs: 1, fault: crash-broker, broker: "leader:orders/0"}'), path: 'faults.schedule[0].broker', fragment: 'topic "orders" does not exist (allowed: "payments", "__consumer_offsets", "__transaction_state")' },
    { what: 'leader target on an internal partition out of range', text: faults('{atMs: 1, fault: crash-broker, broker: "leader:__transaction_state/3"}'), path: 'faults.schedule[0].broker', fragment: 'partition 3 of topic "__transaction_state" does not exist (allowed: 0..2)' },
    { what: 'unknown broker role', text: faults('{atMs: 1, fault: crash-broker, broker: "controller:1"}'), path: 'faults.schedule[0].broker', fragment: '"controller:1" is not a broker role (allowed: "leader:<topic>/<partition>", "txn-coordinator:<transactional.id>" or "group-coordinator:<group>")' },
    { what: 'coordinator of a transactional.id no client uses', text: faults('{atMs: 1, fault: stall-broker, broker: "txn-coordinator:producer-2", forMs: 5}'), path: 'faults.schedule[0].broker', fragment: 'transactional.id "producer-2" does not exist (allowed: producer-1)' },
    { what: 'coordinator of a group the workload does not form', text: faults('{atMs: 1, fault: crash-broker, broker: "group-coordinator:payments-processor"}'), path: 'faults.schedule[0].broker', fragment: 'group "payments-processor" does not exist (allowed: "payments-ledger")' },
    { what: 'mode both run and not meaningful', text: `${MINIMAL}expect: [{mode: idempotent}]\nnotMeaningful: [{mode: idempotent, reason: r}]\n`, path: 'notMeaningful[0].mode', fragment: '"idempotent" has an expectation at expect[0]; a mode that runs is meaningful' },
    { what: 'mode declared not meaningful twice', text: `${MINIMAL}notMeaningful: [{mode: at-most-once, reason: a}, {mode: at-most-once, reason: b}]\n`, path: 'notMeaningful[1].mode', fragment: '"at-most-once" is already declared at notMeaningful[0]' },
    { what: 'not meaningful without a reason', text: `${MINIMAL}notMeaningful: [{mode: at-most-once}]\n`, path: 'notMeaningful[0].reason', fragment: 'is required' },
    { what: 'topic that is not topics[0]', text: `${MINIMAL}cluster: {topics: [{name: a}, {name: b}]}\nworkload: {topic: b, topics: [a, b]}\n`, path: 'workload.topic', fragment: 'must be topics[0] ("a") or left out, got "b"' },
    { what: 'input topic not in the cluster', text: `${MINIMAL}cluster: {topics: [{name: a}, {name: b}]}\nworkload: {topics: [a, c]}\n`, path: 'workload.topics[1]', fragment: 'topic "c" does not exist; did you mean "a"? (allowed: "a", "b")' },
    { what: 'output topic that is also an input', text: `${MINIMAL}cluster: {topics: [{name: a}, {name: b}, {name: c}]}\nworkload: {topics: [a, b], processors: 1, outputTopics: [c, b]}\n`, path: 'workload.outputTopics[1]', fragment: 'topic "b" does not exist; did you mean "c"? (allowed: "c")' },
    { what: 'several input topics with a sink', text: `${MINIMAL}cluster: {topics: [{name: a}, {name: b}]}\nworkload: {topics: [a, b]}\nsink: {pattern: naive}\n`, path: 'workload.topics', fragment: 'several input topics are not supported with a sink section yet' },
    { what: 'failpoint armed zero times', text: faults('{atMs: 1, fault: failpoint, point: after-commit-marker, times: 0}'), path: 'faults.schedule[0].times', fragment: 'must be >= 1, got 0' },
    { what: 'leader target on a partition out of range', text: faults('{atMs: 1, fault: crash-broker, broker: "leader:payments/3"}'), path: 'faults.schedule[0].broker', fragment: 'partition 3 of topic "payments" does not exist (allowed: 0..2)' },
    { what: 'malformed leader target', text: faults('{atMs: 1, fault: crash-broker, broker: "leader:payments"}'), path: 'faults.schedule[0].broker', fragment: 'is not a leader target (allowed: "leader:<topic>/<partition>", e.g. "leader:payments/0")' },
    { what: 'client the workload does not start', text: faults('{atMs: 1, fault: crash-client, client: producer-2}'), path: 'faults.schedule[0].client', fragment: 'client "producer-2" does not exist (allowed: producer-1, consumer-1)' },
    { what: 'broker is not a client', text: faults('{atMs: 1, fault: restart-client, client: broker-1}'), path: 'faults.schedule[0].client', fragment: 'client "broker-1" does not exist' },
    { what: 'unknown node', text: faults('{atMs: 1, fault: isolate, node: broker-4}'), path: 'faults.schedule[0].node', fragment: 'node "broker-4" does not exist (allowed: controller, broker-1..broker-3, producer-1, consumer-1)' },
    { what: 'node twice in a split', text: faults('{atMs: 1, fault: split, groups: [[broker-1], [broker-2, broker-1]]}'), path: 'faults.schedule[0].groups[1][1]', fragment: 'node "broker-1" is already in groups[0]' },
    { what: 'split into one group', text: faults('{atMs: 1, fault: split, groups: [[broker-1]]}'), path: 'faults.schedule[0].groups', fragment: 'must have at least 2 entries, got 1' },
    { what: 'empty split group', text: faults('{atMs: 1, fault: split, groups: [[broker-1], []]}'), path: 'faults.schedule[0].groups[1]', fragment: 'must have at least 1 entry, got 0' },
    { what: 'zero delay', text: faults('{atMs: 1, fault: delay, api: Produce, message: request, delayMs: 0}'), path: 'faults.schedule[0].delayMs', fragment: 'must be > 0, got 0' },
    { what: 'unknown API', text: faults('{atMs: 1, fault: drop, api: produce, message: request}'), path: 'faults.schedule[0].api', fragment: '"produce" is not allowed; did you mean "Produce"?' },
    { what: 'random faults ending before they start', text: `${MINIMAL}faults: {random: {kinds: [heal], meanIntervalMs: 10, fromMs: 500, untilMs: 500}}\n`, path: 'faults.random.untilMs', fragment: 'must be > fromMs (500), got 500' },
    { what: 'random faults without kinds', text: `${MINIMAL}faults: {random: {kinds: [], meanIntervalMs: 10, fromMs: 0, untilMs: 500}}\n`, path: 'faults.random.kinds', fragment: 'must have at least 1 entry, got 0' },
    { what: 'replicationFactor > brokers', text: `${MINIMAL}cluster: {brokers: 2, topics: [{name: payments, replicationFactor: 3}]}\n`, path: 'cluster.topics[0].replicationFactor', fragment: 'must be <= cluster.brokers (2), got 3' },
    { what: 'topic defined twice', text: `${MINIMAL}cluster: {topics: [{name: a}, {name: a}]}\n`, path: 'cluster.topics[1].name', fragment: 'topic "a" is already defined at topics[0]' },
    { what: 'topic name with a slash', text: `${MINIMAL}cluster: {topics: [{name: a/b}]}\n`, path: 'cluster.topics[0].name', fragment: 'must be a legal Kafka topic name, got "a/b"' },
    { what: 'minInsyncReplicas above every replicationFactor', text: `${MINIMAL}cluster: {brokers: 2, broker: {minInsyncReplicas: 3}}\n`, path: 'cluster.broker.minInsyncReplicas', fragment: 'must be <= the largest replicationFactor (2)' },
    { what: 'workload topic not in the cluster', text: `${MINIMAL}workload: {topic: orders}\n`, path: 'workload.topic', fragment: 'topic "orders" does not exist (allowed: "payments")' },
    { what: 'mean latency below its minimum', text: `${MINIMAL}network: {latencyUsMin: 900, latencyUsMean: 600}\n`, path: 'network.latencyUsMean', fragment: 'must be >= latencyUsMin (900), got 600' },
    { what: 'minimum latency above the default mean', text: `${MINIMAL}network: {latencyUsMin: 900}\n`, path: 'network.latencyUsMin', fragment: 'must be <= latencyUsMean (500, the default), got 900' },
    {
      what: 'idempotence with acks=1', text: `${MINIMAL}producer: {enableIdempotence: true, acks: 1}\n`, path: 'producer.acks',
      fragment: '1 conflicts with producer.enableIdempotence: true; Kafka\'s producer refuses this (ConfigException: "Must set acks to all',
    },
    {
      what: 'idempotence in the scenario, acks=0 in a case', text: `${MINIMAL}producer: {enableIdempotence: true}\nexpect: [{mode: idempotent, producer: {acks: 0}}]\n`,
      path: 'expect[0].producer.acks', fragment: '0 conflicts with producer.enableIdempotence: true',
    },
    {
      what: 'idempotence with too many requests in flight', text: `${MINIMAL}producer: {maxInFlightRequestsPerConnection: 6}\nexpect: [{mode: idempotent, producer: {enableIdempotence: true}}]\n`,
      path: 'expect[0].producer.enableIdempotence', fragment: 'true conflicts with producer.maxInFlightRequestsPerConnection: 6',
    },
    {
      what: 'transactions without idempotence', text: `${MINIMAL}producer: {transactional: true, enableIdempotence: false}\n`,
      path: 'producer.enableIdempotence', fragment: 'Cannot set a transactional.id without also enabling idempotence',
    },
    {
      what: 'bad mode in expect', text: `${MINIMAL}expect: [{mode: at_least_once}]\n`, path: 'expect[0].mode',
      fragment: `"at_least_once" is not allowed; did you mean "at-least-once"? (allowed: ${MODES.map((m) => `"${m}"`).join(', ')})`,
    },
    { what: 'bad bug name', text: `${MINIMAL}expect: [{mode: idempotent, bugs: [no-dedup]}]\n`, path: 'expect[0].bugs[0]', fragment: '"no-dedup" is not allowed' },
    { what: 'anomaly name not kebab-case', text: `${MINIMAL}expect: [{mode: idempotent, anomalies: [lost_write]}]\n`, path: 'expect[0].anomalies[0]', fragment: 'must be kebab-case, got "lost_write"' },
    { what: 'anomaly listed twice', text: `${MINIMAL}expect: [{mode: idempotent, mayAlsoFind: [duplicate, duplicate]}]\n`, path: 'expect[0].mayAlsoFind[1]', fragment: '"duplicate" is already listed at [0]' },
    {
      what: 'an expectation naming an unknown anomaly kind', text: `${MINIMAL}expect: [{mode: idempotent, mayAlsoFind: [lost-writes]}]\n`,
      path: 'expect[0].mayAlsoFind[0]', fragment: '"lost-writes" is not allowed; did you mean "lost-write"? (allowed: "lost-write", "duplicate",',
    },
    {
      what: 'a fault at or after the run\'s limit', text: `${MINIMAL}runLimitMs: 1000\nfaults: {schedule: [{atMs: 10, fault: heal}, {atMs: 1000, fault: heal}]}\n`,
      path: 'faults.schedule[1].atMs', fragment: 'must be < runLimitMs (1000), got 1000',
    },
    {
      what: 'random faults that start after the run\'s limit', text: `${MINIMAL}runLimitMs: 1000\nfaults: {random: {kinds: [heal], meanIntervalMs: 10, fromMs: 2000, untilMs: 3000}}\n`,
      path: 'faults.random.fromMs', fragment: 'must be < runLimitMs (1000), got 2000',
    },
    {
      what: 'a transactional producer in a mode without idempotence', text: `${MINIMAL}producer: {transactional: true}\nexpect: [{mode: exactly-once}, {mode: at-least-once}]\n`,
      path: 'expect[1].mode', fragment: '"at-least-once" switches idempotence off, but producer.transactional is true; Kafka\'s producer refuses this',
    },
    {
      what: 'a case that makes the producer transactional in a mode without idempotence', text: `${MINIMAL}expect: [{mode: at-most-once, producer: {transactional: true}}]\n`,
      path: 'expect[0].mode', fragment: 'but expect[0].producer.transactional is true',
    },
    { what: 'empty value for a required field', text: 'name: x\ndescription:\n', path: 'description', fragment: 'is empty; a value is required' },
    { what: 'root that is not a mapping', text: '- name: x\n', path: '', fragment: 'must be a mapping of fields, got a list' },
    { what: 'empty file', text: '', path: '', fragment: 'the file is empty' },
    { what: 'comments only', text: '# nothing yet\n', path: '', fragment: 'the file is empty' },
    { what: 'YAML syntax error', text: 'name: x\ndescription: d\ncluster:\n  brokers: [1, 2\nseeds: 3\n', path: '', fragment: 'YAML syntax error at line 5, column 1' },
    { what: 'duplicate key', text: 'name: x\ndescription: d\nname: y\n', path: '', fragment: 'YAML syntax error at line 3, column 1: Map keys must be unique' },
  ];

  it.each(cases)('$what → $path', ({ text, path, fragment }) => {
    const err = errorOf(text);
    expect(err.file).toBe(FILE);
    expect(err.path).toBe(path);
    expect(err.message.startsWith(path === '' ? `${FILE}: ` : `${FILE}: ${path}: `)).toBe(true);
    expect(err.message).toContain(fragment);
  });

  it('reports JSON syntax errors with line and column', () => {
    const err = errorOf('{\n  "name": "x",\n  "description" "d"\n}\n', 'scenarios/x.json');
    expect(err.message).toMatch(/^scenarios\/x\.json: JSON syntax error at line 3, column \d+: /);
  });

  it('holds JSON files to JSON (no YAML plain scalars)', () => {
    expect(errorOf('{"name": x, "description": "d"}', 'x.json').message).toContain('JSON syntax error at line 1, column 10');
  });

  it('keeps the parts of the message apart for tools', () => {
    const err = errorOf(`${MINIMAL}faults: {schedule: [{atMs: 1, fault: crash-broker, broker: 9}]}\n`);
    expect(err).toMatchObject({
      file: FILE, path: 'faults.schedule[0].broker', problem: 'broker 9 does not exist', allowed: '1..3, "leader:<topic>/<partition>", "txn-coordinator:<transactional.id>" or "group-coordinator:<group>"',
    });
  });
});

describe('loadScenario, resolveScenarioPath, listScenarios', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eos-sim-scenarios-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('loads .yaml, .yml and .json files and records the path', () => {
    for (const name of ['a.yaml', 'b.yml']) expect(loadScenario(write(name, MINIMAL)).file).toBe(join(dir, name));
    expect(loadScenario(write('c.json', '{"name": "c", "description": "d"}')).name).toBe('c');
  });

  it('rejects other extensions and missing files', () => {
    expect(() => loadScenario(write('a.txt', MINIMAL))).toThrow(`${join(dir, 'a.txt')}: unsupported file type ".txt" (allowed: .yaml, .yml, .json)`);
    expect(() => loadScenario(join(dir, 'nope.yaml'))).toThrow(`${join(dir, 'nope.yaml')}: no such file`);
  });

  it('finds a shipped scenario by name and takes anything with a folder or extension as a path', () => {
    write('lost-ack.yaml', 'name: lost-ack\ndescription: d\n');
    expect(resolveScenarioPath('lost-ack', dir)).toBe(join(dir, 'lost-ack.yaml'));
    const path = join(dir, 'lost-ack.yaml');
    expect(resolveScenarioPath(path, dir)).toBe(path);
    expect(() => resolveScenarioPath(join(dir, 'other.yaml'), dir)).toThrow(ScenarioError);
  });

  it('lists the shipped names when a name is unknown', () => {
    write('lost-ack.yaml', 'name: lost-ack\ndescription: d\n');
    write('zombie-fencing.yml', 'name: zombie-fencing\ndescription: d\n');
    expect(() => resolveScenarioPath('lost-acks', dir)).toThrow(
      'lost-acks: no shipped scenario has this name; did you mean "lost-ack"? (allowed: lost-ack, zombie-fencing)',
    );
  });

  it('lists scenarios sorted by name with their descriptions and the modes they do not run', () => {
    write('b-b.yaml', 'name: b-b\ndescription: second\nnotMeaningful: [{mode: at-most-once, reason: no acks}]\n');
    write('b.json', '{"name": "b", "description": "first"}');
    write('notes.md', 'not a scenario');
    expect(listScenarios(dir)).toEqual([
      { name: 'b', file: join(dir, 'b.json'), description: 'first', notMeaningful: [] },
      { name: 'b-b', file: join(dir, 'b-b.yaml'), description: 'second', notMeaningful: [{ mode: 'at-most-once', reason: 'no acks' }] },
    ]);
  });

  it('insists that a shipped scenario is named after its file', () => {
    write('lost-ack.yaml', 'name: lost-acks\ndescription: d\n');
    expect(() => listScenarios(dir)).toThrow('lost-ack.yaml: name: must match the file name, got "lost-acks" (allowed: "lost-ack")');
  });

  it('every shipped scenario loads and is named after its file', () => {
    expect(() => listScenarios()).not.toThrow();
  });
});
