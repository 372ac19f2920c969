// The simulator benchmark (`npm run bench [-- --quick] [-- --json]`). Each row times one (scenario, mode)
// through runScenario over several seeds: the standard payment scenario, built here in code, in
// at-least-once, idempotent and exactly-once, and the shipped `random-faults` scenario in exactly-once (its
// transactional pipeline, with a different fault schedule drawn for every seed). For each row it reports
//   - simulated events per wall second, ns per event, runs per second and virtual/wall time;
//   - the cost per event as a multiple of a bare binary-heap loop's (sim/core/event-queue.ts, no-op
//     actions) timed in the same process right after the row, with the row's own distribution of
//     scheduling delays and mean queue length;
//   - the share of the runs' time spent in garbage-collection pauses (PerformanceObserver 'gc' entries);
//   - the bytes allocated per event (v8.GCProfiler: heap growth between collections plus what each one
//     freed), which unlike the times does not swing with the machine's load: compare allocation changes by it;
// and whether the issue's targets are met (>= 1,000,000 events/s on one core in every row, <= 5x the bare
// loop's cost per event, GC <= 5% of CPU). A missed target is reported, not fatal: the exit code is 0.
// Wall time is read with performance.now(): allowed here (and only here, see eslint.config.js).
//
// --json prints one JSON object with a field per part of the benchmark: `simulator` here; other parts
// (the checker's, bench/checker.ts) add theirs in main() below.
//
// bin/bench.js runs this file from an esbuild bundle built as the eos-sim command's is (scripts/build.mjs).
// Warm-up matters: V8 needs a few runs to optimise the model's hot paths, and --quick's short runs and
// single warm-up round still include some of that, so compare a change by several interleaved runs.
//
// Profiling: profile a source-mapped bundle and resolve positions through its .map (source-map-js is in
// node_modules):
//   npx esbuild bench/bench.ts --bundle --platform=node --format=esm --sourcemap --outfile=node_modules/.cache/b/bench.js
//   node --cpu-prof --cpu-prof-dir=/tmp/eos-prof node_modules/.cache/b/bench.js
// (inside the package folder, so that the simulator finds its scenarios).
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { EventQueue, type Action } from '../sim/core/event-queue.ts';
import { RandomStream } from '../sim/core/random.ts';
import { benchChecker, formatCheckerBench } from './checker.ts';
import { runScenario } from '../sim/run/run-scenario.ts';
import { loadScenario, resolveScenarioPath } from '../sim/scenario/load.ts';
import type { Mode, Scenario } from '../sim/scenario/types.ts';
import { benchSweep, formatSweepBench } from './sweep.ts';

export const TARGET_EVENTS_PER_SEC = 1_000_000;
export const TARGET_COST_RATIO = 5;
export const TARGET_GC_SHARE = 0.05;

export interface BenchOptions {
  quick: boolean;
  json: boolean;
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
      // Producers and a consumer, no consume-transform-produce stage: the rows compare what each mode costs
      // the producer and the broker (exactly-once: transactions of 5 payments, a read_committed consumer).
      // random-faults' row has the pipeline.
      producers: 2, paymentsPerProducer, sendIntervalMs: 1, consumers: 1, topic: 'payments',
      processors: 0, outputTopic: 'ledger-entries', transactionSize: 5, abortProbability: 0, offsetsApi: 'group-metadata', afterAbort: 'seek-to-committed',
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

/** One row of the benchmark: a scenario in a mode, timed over `runs` seeds after `warmups` untimed runs. */
interface BenchCase {
  scenario: Scenario;
  mode: Mode;
  runs: number;
  warmups: number;
  /** Events per timed round of this row's bare heap loop. */
  bareLoopEvents: number;
}

export interface BaselineResult {
  events: number;
  wallMs: number;
  cpuMs: number;
  nsPerEvent: number;
  meanQueueLength: number;
}

export interface RowResult {
  scenario: string;
  mode: Mode;
  runs: number;
  events: number;
  virtualTimeUs: number;
  wallMs: number;
  /** CPU time of this process over the same runs (user + system, all threads). */
  cpuMs: number;
  /** Garbage-collection pauses of the main thread during the runs (PerformanceObserver 'gc' entries). */
  gcMs: number;
  eventsPerSec: number;
  nsPerEvent: number;
  runsPerSec: number;
  virtualToWall: number;
  /** The bare heap loop timed right after this row, shaped like it. */
  baseline: BaselineResult;
  /** nsPerEvent over the bare loop's. */
  costRatio: number;
  /**
   * gcMs over wallMs: the share of the runs' time the main thread spent in GC pauses (pauses are measured
   * in wall time, so the denominator is too; on an idle machine that is the main thread's CPU time).
   * Concurrent marking and sweeping on helper threads pause nothing and are not counted.
   */
  gcShare: number;
  /** Bytes the runs allocated on the JavaScript heap, per event (see HeapAllocation). */
  bytesPerEvent: number;
  /** Runs that did not quiesce before the time limit (a benchmark of a stuck run would mislead). */
  notQuiesced: number;
  traceHashes: string[];
  targets: { eventsPerSec: boolean; costRatio: boolean; gcShare: boolean };
}

export interface BenchResult {
  quick: boolean;
  node: string;
  paymentsPerProducer: number;
  rows: RowResult[];
  targets: { eventsPerSec: number; costRatio: number; gcShare: number; allMet: boolean };
}

function cpuMsNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Collects the main thread's GC pauses; `pausedMs` sums those that started inside the given windows. */
class GcPauses {
  private readonly entries: PerformanceEntry[] = [];
  private readonly observer = new PerformanceObserver((list) => { this.entries.push(...list.getEntries()); });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Entries reach the observer from the event loop's timers phase (setImmediate is too early): yield to it before reading them. */
  async flush(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }

  pausedMs(windows: [number, number][]): number {
    let sum = 0;
    for (const e of this.entries) if (windows.some(([from, to]) => e.startTime >= from && e.startTime < to)) sum += e.duration;
    return sum;
  }

  stop(): void {
    this.observer.disconnect();
  }
}

/**
 * Bytes allocated on the JavaScript heap while it runs: what the heap grew by between collections, plus
 * what each collection found in use (v8.GCProfiler reports the heap before and after every collection).
 * Node 20 has no allocation counter; this one misses only objects that die inside a collection's own work.
 */
class HeapAllocation {
  private readonly profiler = new GCProfiler();
  private readonly usedAtStart: number;

  constructor() {
    this.usedAtStart = getHeapStatistics().used_heap_size;
    this.profiler.start();
  }

  stop(): number {
    const usedAtEnd = getHeapStatistics().used_heap_size;
    const { statistics } = this.profiler.stop()!;
    let allocated = 0;
    let usedAfterLast = this.usedAtStart;
    for (const gc of statistics) {
      allocated += gc.beforeGC.heapStatistics.usedHeapSize - usedAfterLast;
      usedAfterLast = gc.afterGC.heapStatistics.usedHeapSize;
    }
    return allocated + usedAtEnd - usedAfterLast;
  }
}

interface QueueProfile {
  /** Scheduling delay (event time - current time, us) of every push, in order. */
  delaysUs: number[];
  meanQueueLength: number;
}

/**
 * Runs the case once with EventQueue's methods wrapped, to learn the simulation's own distribution of
 * scheduling delays and its mean queue length. Only this untimed pass is instrumented; the wrappers are
 * removed before anything is measured.
 */
function profileQueue(c: BenchCase, seed: number): QueueProfile {
  const proto = EventQueue.prototype;
  const { push, pushEvent, runNext } = proto;
  const delaysUs: number[] = [];
  let now = 0;
  let pops = 0;
  let lengthSum = 0;
  proto.push = function (this: EventQueue, timeUs: number, action: Action): void {
    delaysUs.push(timeUs - now);
    push.call(this, timeUs, action);
  };
  proto.pushEvent = function (this: EventQueue, timeUs: number, kind: number, a: number, b: number): void {
    delaysUs.push(timeUs - now);
    pushEvent.call(this, timeUs, kind, a, b);
  };
  proto.runNext = function (this: EventQueue): void {
    now = this.peekTime();
    pops++;
    lengthSum += this.size;
    runNext.call(this);
  };
  try {
    runScenario(c.scenario, { mode: c.mode, seed, bugs: [] });
  } finally {
    Object.assign(proto, { push, pushEvent, runNext });
  }
  return { delaysUs, meanQueueLength: lengthSum / Math.max(1, pops) };
}

const noop: Action = () => {};

/**
 * The bare loop: a "hold" model over the same heap. The queue starts with the simulation's mean length;
 * each step pops the earliest event, runs its no-op action and pushes one new event, its delay drawn from
 * the simulation's recorded delays. Delays are drawn before timing starts.
 */
function bareLoopOnce(events: number, profile: QueueProfile, seed: number): BaselineResult {
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
    q.runNext();
    q.push(t + delays[i], noop);
  }
  const wallMs = performance.now() - t0;
  const cpuMs = cpuMsNow() - c0;
  if (q.size !== initial) throw new Error(`bench: bare loop queue length drifted (${q.size} != ${initial})`);
  return { events, wallMs, cpuMs, nsPerEvent: (wallMs * 1e6) / events, meanQueueLength: profile.meanQueueLength };
}

/**
 * A warm-up round, then the fastest of three timed rounds of `events` events (the loop's cost per event does
 * not depend on how many there are: the queue's length stays put). A round of a row's own few thousand
 * events lasted a millisecond or two, and one preemption on a busy machine made it 20x slower.
 */
function bareLoop(events: number, profile: QueueProfile): BaselineResult {
  bareLoopOnce(Math.min(events, 200_000), profile, 2);
  return [1, 3, 4].map((seed) => bareLoopOnce(events, profile, seed)).sort((a, b) => a.wallMs - b.wallMs)[0];
}

async function runCase(c: BenchCase, profile: QueueProfile, gc: GcPauses): Promise<RowResult> {
  // Warm-up: let the JIT see every path of this case (faults included) before anything is timed.
  for (let i = 0; i < c.warmups; i++) runScenario(c.scenario, { mode: c.mode, seed: 1000 + i, bugs: [] });
  let events = 0;
  let virtualTimeUs = 0;
  let wallMs = 0;
  let cpuMs = 0;
  let notQuiesced = 0;
  const traceHashes: string[] = [];
  const windows: [number, number][] = [];
  const heap = new HeapAllocation();
  for (let seed = 1; seed <= c.runs; seed++) {
    const c0 = cpuMsNow();
    const t0 = performance.now();
    const r = runScenario(c.scenario, { mode: c.mode, seed, bugs: [] });
    const t1 = performance.now();
    cpuMs += cpuMsNow() - c0;
    wallMs += t1 - t0;
    windows.push([t0, t1]);
    events += r.events;
    virtualTimeUs += r.virtualTimeUs;
    if (!r.quiesced) notQuiesced++;
    traceHashes.push(r.traceHash);
  }
  const allocated = heap.stop();
  await gc.flush();
  const gcMs = gc.pausedMs(windows);
  const baseline = bareLoop(c.bareLoopEvents, profile);
  const nsPerEvent = (wallMs * 1e6) / events;
  const eventsPerSec = events / (wallMs / 1000);
  const costRatio = nsPerEvent / baseline.nsPerEvent;
  const gcShare = gcMs / wallMs;
  return {
    scenario: c.scenario.name, mode: c.mode, runs: c.runs, events, virtualTimeUs, wallMs, cpuMs, gcMs,
    eventsPerSec, nsPerEvent, runsPerSec: c.runs / (wallMs / 1000), virtualToWall: virtualTimeUs / 1000 / wallMs,
    baseline, costRatio, gcShare, bytesPerEvent: allocated / events, notQuiesced, traceHashes,
    targets: {
      eventsPerSec: eventsPerSec >= TARGET_EVENTS_PER_SEC,
      costRatio: costRatio <= TARGET_COST_RATIO,
      gcShare: gcShare <= TARGET_GC_SHARE,
    },
  };
}

export async function bench(options: BenchOptions): Promise<BenchResult> {
  const paymentsPerProducer = options.quick ? 400 : 2000;
  const standard = standardScenario(paymentsPerProducer);
  const randomFaults = loadScenario(resolveScenarioPath('random-faults'));
  const bareLoopEvents = options.quick ? 200_000 : 1_000_000;
  const cases: BenchCase[] = [
    ...(['at-least-once', 'idempotent', 'exactly-once'] as const).map((mode) => ({
      scenario: standard, mode, runs: options.quick ? 2 : 5, warmups: options.quick ? 1 : 2, bareLoopEvents,
    })),
    // Shorter runs, each with its own fault schedule: more of them, for a figure that is not one seed's story.
    { scenario: randomFaults, mode: 'exactly-once', runs: options.quick ? 4 : 20, warmups: options.quick ? 2 : 4, bareLoopEvents },
  ];
  // Every queue profile first: profiling swaps EventQueue's methods, and swapping them after V8 optimised
  // the queue made later bare loops up to 8x slower.
  const profiles = cases.map((c) => profileQueue(c, 1));
  const gc = new GcPauses();
  const rows: RowResult[] = [];
  try {
    for (const [i, c] of cases.entries()) rows.push(await runCase(c, profiles[i], gc));
  } finally {
    gc.stop();
  }
  return {
    quick: options.quick,
    node: process.version,
    paymentsPerProducer,
    rows,
    targets: {
      eventsPerSec: TARGET_EVENTS_PER_SEC, costRatio: TARGET_COST_RATIO, gcShare: TARGET_GC_SHARE,
      allMet: rows.every((r) => r.targets.eventsPerSec && r.targets.costRatio && r.targets.gcShare),
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
  return rows.map((r) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

export function formatText(r: BenchResult): string {
  const lines: string[] = [];
  lines.push(`eos-sim bench${r.quick ? ' (quick)' : ''}: node ${r.node}; standard scenario: ${fmtInt(r.paymentsPerProducer)} payments x 2 producers`);
  lines.push('');
  const miss = (met: boolean) => (met ? ' ' : '!');
  const rows = [['scenario', 'mode', 'runs', 'events/run', 'events/s', 'events/CPU s', 'ns/event', 'x bare', 'GC', 'bytes/event', 'runs/s', 'virtual/wall']];
  for (const m of r.rows) {
    rows.push([
      m.scenario === 'bench-standard' ? 'standard' : m.scenario, m.mode, String(m.runs), fmtInt(m.events / m.runs),
      fmtInt(m.eventsPerSec) + miss(m.targets.eventsPerSec), fmtInt(m.events / (m.cpuMs / 1000)), fmt(m.nsPerEvent, 0), `${fmt(m.costRatio, 1)}x${miss(m.targets.costRatio)}`,
      `${fmt(m.gcShare * 100, 1)}%${miss(m.targets.gcShare)}`, fmtInt(m.bytesPerEvent), fmt(m.runsPerSec, 2), `${fmt(m.virtualToWall, 1)}x`,
    ]);
  }
  lines.push(table(rows));
  const stuck = r.rows.filter((m) => m.notQuiesced > 0);
  if (stuck.length > 0) lines.push(`note: ${stuck.map((m) => `${m.scenario} ${m.mode}: ${m.notQuiesced} run(s) hit the time limit`).join('; ')}`);
  lines.push('');
  lines.push(`x bare: ns/event over a bare heap loop's (${r.rows.map((m) => fmt(m.baseline.nsPerEvent, 0)).join(', ')} ns/event), ` +
    'timed after each row with its delay distribution and mean queue length');
  lines.push('GC: the share of the runs\' time spent in main-thread garbage-collection pauses');
  lines.push('bytes/event: JavaScript heap allocated per event (GC statistics), steadier than the times under other load');
  lines.push('events/CPU s: per second of the process\'s CPU time (all threads), less sensitive to other load than events/s');
  lines.push(`targets: >= ${fmtInt(r.targets.eventsPerSec)} events/s, <= ${r.targets.costRatio}x the bare loop, ` +
    `GC <= ${fmt(r.targets.gcShare * 100, 0)}% in every row: ${r.targets.allMet ? 'all met' : 'NOT all met (! marks a miss)'}`);
  return lines.join('\n');
}

/** One part of the benchmark: its figures under `key` in the --json object, and its text. */
interface BenchPart {
  key: string;
  result: unknown;
  text: string;
}

async function main(argv: string[]): Promise<void> {
  const known = new Set(['--quick', '--json']);
  const unknown = argv.filter((a) => !known.has(a));
  if (unknown.length > 0) {
    console.error(`bench: unknown option ${unknown.join(' ')} (allowed: --quick, --json)`);
    process.exitCode = 2;
    return;
  }
  const options: BenchOptions = { quick: argv.includes('--quick'), json: argv.includes('--json') };
  const simulator = await bench(options);
  const parts: BenchPart[] = [{ key: 'simulator', result: simulator, text: formatText(simulator) }];
  // Further parts go here, each run after the simulator's: e.g. the checker's (bench/checker.ts).
  const checker = benchChecker(options.quick ? 100_000 : 1_000_000);
  parts.push({ key: 'checker', result: checker, text: formatCheckerBench(checker) });
  const sweep = benchSweep(options);
  parts.push({ key: 'sweep', result: sweep, text: formatSweepBench(sweep) });
  console.log(options.json
    ? JSON.stringify(Object.fromEntries(parts.map((p) => [p.key, p.result])))
    : parts.map((p) => p.text).join('\n\n'));
}

await main(process.argv.slice(2));
