// The simulator benchmark (`npm run bench [-- --quick] [-- --json] [-- --tsx]`). It runs one standard scenario, built
// here in code, in at-least-once and idempotent modes through runScenario, and in the same process a bare
// binary-heap loop (sim/core/event-queue.ts, no-op actions) over the same number of events with the same
// distribution of scheduling delays and the same mean queue length as the simulation. It reports:
//   - simulated events per wall second, virtual/wall time ratio and runs per second, per mode;
//   - the bare loop's events per second, and the simulator's cost per event as a multiple of the loop's;
// and whether the issue's targets are met (>= 1,000,000 events/s on one core, <= 5x the bare loop's cost
// per event). A missed target is reported, not fatal: the exit code is 0 either way.
// Wall time is read with performance.now(): allowed here (and only here, see eslint.config.js).
//
// bin/bench.js runs this file from an esbuild bundle (keepNames off), so tsx's loader and its `__name`
// wrappers are not measured; `--tsx` runs it through tsx instead. The loader is printed with the results.
// Warm-up matters: V8 needs a few runs to optimise the model's hot paths, and --quick's short runs and
// single warm-up round still include some of that, so compare a change by several interleaved runs.
//
// Profiling: tsx maps stack frames back to the .ts sources poorly in --cpu-prof output, so profile a
// source-mapped bundle instead (esbuild ships with tsx):
//   npx esbuild bench/bench.ts --bundle --platform=node --format=esm --sourcemap --outfile=/tmp/eos-bench.mjs
//   node --cpu-prof --cpu-prof-dir=/tmp/eos-prof /tmp/eos-bench.mjs
// and resolve the profile's positions through /tmp/eos-bench.mjs.map (source-map-js is in node_modules).
import { EventQueue, type Action } from '../sim/core/event-queue.ts';
import { RandomStream } from '../sim/core/random.ts';
import { runScenario } from '../sim/run/run-scenario.ts';
import type { Mode, Scenario } from '../sim/scenario/types.ts';
import { benchSweep, formatSweepBench } from './sweep.ts';

export const TARGET_EVENTS_PER_SEC = 1_000_000;
export const TARGET_COST_RATIO = 5;

export interface BenchOptions {
  quick: boolean;
  json: boolean;
}

/** How the code was loaded: 'esbuild bundle' or 'tsx', as bin/bench.js says; 'unknown' when run otherwise. */
function loader(): string {
  return process.env.EOS_BENCH_LOADER ?? 'unknown';
}

/** The standard scenario: 3 brokers, payments with 3 partitions RF 3, 2 producers, 1 consumer, a few faults. */
export function standardScenario(paymentsPerProducer: number): Scenario {
  return {
    file: '<bench>',
    name: 'bench-standard',
    description: 'benchmark: steady payments through a 3-broker cluster with a leader crash and lost acks',
    cluster: {
      brokers: 3,
      topics: [{ name: 'payments', partitions: 3, replicationFactor: 3 }],
      broker: { minInsyncReplicas: 2 },
    },
    network: {},
    producer: {},
    consumer: {},
    workload: {
      producers: 2, paymentsPerProducer, sendIntervalMs: 1, consumers: 1, topic: 'payments',
      // No consume-transform-produce stage and no transactions: the modes benchmarked do not use them.
      processors: 0, outputTopic: 'ledger-entries', transactionSize: 5, abortProbability: 0,
    },
    faults: {
      schedule: [
        { atMs: 300, fault: 'drop', api: 'Produce', message: 'response', count: 2 },
        { atMs: 600, fault: 'crash-broker', broker: 'leader:payments/0', crash: 'process', restartAfterMs: 1500 },
        { atMs: 1200, fault: 'drop', api: 'Produce', message: 'response', count: 3 },
        { atMs: 1700, fault: 'drop', api: 'Produce', message: 'response', node: 'broker-2', count: 2 },
      ],
    },
    runLimitMs: 120_000,
    seeds: 1,
    expect: [],
  };
}

export interface ModeResult {
  mode: Mode;
  runs: number;
  events: number;
  virtualTimeUs: number;
  wallMs: number;
  /** CPU time of this process over the same runs (user + system): less sensitive to a busy machine. */
  cpuMs: number;
  eventsPerSec: number;
  eventsPerCpuSec: number;
  virtualToWall: number;
  runsPerSec: number;
  /** Runs that did not quiesce before the time limit (a benchmark of a stuck run would mislead). */
  notQuiesced: number;
  traceHashes: string[];
}

export interface BaselineResult {
  events: number;
  wallMs: number;
  cpuMs: number;
  eventsPerSec: number;
  eventsPerCpuSec: number;
  meanQueueLength: number;
}

export interface BenchResult {
  quick: boolean;
  loader: string;
  node: string;
  paymentsPerProducer: number;
  repetitions: number;
  warmups: number;
  modes: ModeResult[];
  baseline: BaselineResult;
  /** Simulator wall time per event over the bare loop's, over all modes. */
  costRatio: number;
  /** The same ratio in CPU time. */
  costRatioCpu: number;
  simEventsPerSec: number;
  simEventsPerCpuSec: number;
  targets: { eventsPerSec: { target: number; met: boolean }; costRatio: { target: number; met: boolean } };
}

function cpuMsNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function runMode(scenario: Scenario, mode: Mode, seeds: number[]): ModeResult {
  let events = 0;
  let virtualTimeUs = 0;
  let wallMs = 0;
  let cpuMs = 0;
  let notQuiesced = 0;
  const traceHashes: string[] = [];
  for (const seed of seeds) {
    const c0 = cpuMsNow();
    const t0 = performance.now();
    const r = runScenario(scenario, { mode, seed, bugs: [] });
    wallMs += performance.now() - t0;
    cpuMs += cpuMsNow() - c0;
    events += r.events;
    virtualTimeUs += r.virtualTimeUs;
    if (!r.quiesced) notQuiesced++;
    traceHashes.push(r.traceHash);
  }
  return {
    mode, runs: seeds.length, events, virtualTimeUs, wallMs, cpuMs,
    eventsPerSec: events / (wallMs / 1000),
    eventsPerCpuSec: events / (cpuMs / 1000),
    virtualToWall: virtualTimeUs / 1000 / wallMs,
    runsPerSec: seeds.length / (wallMs / 1000),
    notQuiesced, traceHashes,
  };
}

interface QueueProfile {
  /** Scheduling delay (event time - current time, us) of every push, in order. */
  delaysUs: number[];
  meanQueueLength: number;
  events: number;
}

/**
 * Runs the scenario once with EventQueue's methods wrapped, to learn the simulation's own distribution of
 * scheduling delays and its mean queue length. Only this untimed pass is instrumented; the wrappers are
 * removed before anything is measured.
 */
function profileQueue(scenario: Scenario, mode: Mode, seed: number): QueueProfile {
  const proto = EventQueue.prototype;
  const push = proto.push;
  const pop = proto.pop;
  const delaysUs: number[] = [];
  let now = 0;
  let pops = 0;
  let lengthSum = 0;
  proto.push = function (this: EventQueue, timeUs: number, action: Action): void {
    delaysUs.push(timeUs - now);
    push.call(this, timeUs, action);
  };
  proto.pop = function (this: EventQueue): Action {
    now = this.peekTime();
    pops++;
    lengthSum += this.size;
    return pop.call(this);
  };
  try {
    runScenario(scenario, { mode, seed, bugs: [] });
  } finally {
    proto.push = push;
    proto.pop = pop;
  }
  return { delaysUs, meanQueueLength: lengthSum / Math.max(1, pops), events: pops };
}

const noop: Action = () => {};

/**
 * The bare loop: a "hold" model over the same heap. The queue starts with the simulation's mean length;
 * each step pops the earliest event, runs its no-op action and pushes one new event, its delay drawn from
 * the simulation's recorded delays. Delays are drawn before timing starts.
 */
function bareLoop(events: number, profile: QueueProfile, seed: number): BaselineResult {
  const rng = new RandomStream('bench-baseline', seed);
  const pool = profile.delaysUs;
  const delays = new Float64Array(events);
  for (let i = 0; i < events; i++) delays[i] = pool[rng.int(pool.length)];
  const q = new EventQueue();
  const initial = Math.max(1, Math.round(profile.meanQueueLength));
  for (let i = 0; i < initial; i++) q.push(pool[rng.int(pool.length)], noop);
  const c0 = cpuMsNow();
  const t0 = performance.now();
  for (let i = 0; i < events; i++) {
    const t = q.peekTime();
    q.pop()();
    q.push(t + delays[i], noop);
  }
  const wallMs = performance.now() - t0;
  const cpuMs = cpuMsNow() - c0;
  if (q.size !== initial) throw new Error(`bench: bare loop queue length drifted (${q.size} != ${initial})`);
  return {
    events, wallMs, cpuMs, eventsPerSec: events / (wallMs / 1000), eventsPerCpuSec: events / (cpuMs / 1000),
    meanQueueLength: profile.meanQueueLength,
  };
}

export function bench(options: BenchOptions): BenchResult {
  const paymentsPerProducer = options.quick ? 400 : 2000;
  const warmups = options.quick ? 1 : 2;
  const repetitions = options.quick ? 2 : 5;
  const scenario = standardScenario(paymentsPerProducer);
  const modes: Mode[] = ['at-least-once', 'idempotent'];
  const seeds = Array.from({ length: repetitions }, (_, i) => i + 1);

  // Warm-up: let the JIT see every path (both modes, faults included) before anything is timed.
  for (let i = 0; i < warmups; i++) for (const mode of modes) runScenario(scenario, { mode, seed: 1000 + i, bugs: [] });
  const results = modes.map((mode) => runMode(scenario, mode, seeds));

  const totalEvents = results.reduce((s, r) => s + r.events, 0);
  const totalWallMs = results.reduce((s, r) => s + r.wallMs, 0);
  const totalCpuMs = results.reduce((s, r) => s + r.cpuMs, 0);
  const simEventsPerSec = totalEvents / (totalWallMs / 1000);

  // Baseline: same number of events as all timed runs together, delay shape and queue length from the
  // simulation itself. A warm-up round first, as for the simulator.
  const profile = profileQueue(scenario, modes[0], 1);
  // Three timed rounds, and the median: a single round of --quick's few thousand events lasts a few
  // milliseconds, and one scheduler hiccup moved the ratio by 2x.
  bareLoop(Math.min(totalEvents, 200_000), profile, 2);
  const rounds = [1, 3, 4].map((seed) => bareLoop(totalEvents, profile, seed)).sort((a, b) => a.wallMs - b.wallMs);
  const baseline = rounds[1];

  const costRatio = (totalWallMs / totalEvents) / (baseline.wallMs / baseline.events);
  const costRatioCpu = (totalCpuMs / totalEvents) / (baseline.cpuMs / baseline.events);
  return {
    quick: options.quick,
    loader: loader(),
    node: process.version,
    paymentsPerProducer, repetitions, warmups,
    modes: results, baseline, costRatio, costRatioCpu, simEventsPerSec,
    simEventsPerCpuSec: totalEvents / (totalCpuMs / 1000),
    targets: {
      eventsPerSec: { target: TARGET_EVENTS_PER_SEC, met: simEventsPerSec >= TARGET_EVENTS_PER_SEC },
      costRatio: { target: TARGET_COST_RATIO, met: costRatio <= TARGET_COST_RATIO },
    },
  };
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmt(n: number, digits: number): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

export function formatText(r: BenchResult): string {
  const lines: string[] = [];
  lines.push(`eos-sim bench${r.quick ? ' (quick)' : ''}: node ${r.node} (${r.loader}), ${r.paymentsPerProducer} payments x 2 producers, ` +
    `${r.repetitions} runs per mode after ${r.warmups} warm-up round(s)`);
  lines.push('');
  const rows = [['', 'runs', 'events/run', 'events/s', 'virtual/wall', 'runs/s', 'ns/event']];
  for (const m of r.modes) {
    rows.push([m.mode, String(m.runs), fmtInt(m.events / m.runs), fmtInt(m.eventsPerSec), `${fmt(m.virtualToWall, 1)}x`,
      fmt(m.runsPerSec, 2), fmt((m.wallMs * 1e6) / m.events, 0)]);
  }
  const b = r.baseline;
  rows.push(['bare heap loop', '-', fmtInt(b.events), fmtInt(b.eventsPerSec), '-', '-', fmt((b.wallMs * 1e6) / b.events, 0)]);
  lines.push(table(rows));
  const stuck = r.modes.filter((m) => m.notQuiesced > 0);
  if (stuck.length > 0) lines.push(`note: ${stuck.map((m) => `${m.mode}: ${m.notQuiesced} run(s) hit the time limit`).join('; ')}`);
  lines.push('');
  lines.push(`bare loop: mean queue length ${fmt(b.meanQueueLength, 1)}, same event count and delay distribution as the runs`);
  lines.push(`process CPU time (all threads, GC helpers included; less sensitive to other load): simulator ${fmtInt(r.simEventsPerCpuSec)} events/s, ` +
    `bare loop ${fmtInt(b.eventsPerCpuSec)} events/s, ratio ${fmt(r.costRatioCpu, 1)}x`);
  const mark = (met: boolean) => (met ? 'met' : 'NOT met');
  lines.push(`target >= ${fmtInt(r.targets.eventsPerSec.target)} simulated events/s: ${fmtInt(r.simEventsPerSec)} -> ${mark(r.targets.eventsPerSec.met)}`);
  lines.push(`target <= ${r.targets.costRatio.target}x the bare loop's cost per event: ${fmt(r.costRatio, 1)}x -> ${mark(r.targets.costRatio.met)}`);
  return lines.join('\n');
}

function main(argv: string[]): void {
  // --tsx is bin/bench.js's: it chose the loader before this file was loaded.
  const known = new Set(['--quick', '--json', '--tsx']);
  const unknown = argv.filter((a) => !known.has(a));
  if (unknown.length > 0) {
    console.error(`bench: unknown option ${unknown.join(' ')} (allowed: --quick, --json, --tsx)`);
    process.exitCode = 2;
    return;
  }
  const options: BenchOptions = { quick: argv.includes('--quick'), json: argv.includes('--json') };
  const result = bench(options);
  console.log(options.json ? JSON.stringify(result) : formatText(result));
  console.log(options.json ? JSON.stringify({ sweep: benchSweep(options) }) : `\n${formatSweepBench(benchSweep(options))}`);
}

main(process.argv.slice(2));
