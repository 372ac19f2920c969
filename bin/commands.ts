// The commands' implementations, behind the command line's definition (cli.ts), which loads this file only
// when a command runs: `eos-sim --help` and bad usage pay for none of the simulator, the checker or the
// report libraries. Exit codes: 0 no violation, 1 violation found, 2 bad usage or input (nothing written),
// 3 the simulator broke.
import { createHash } from 'node:crypto';
import {
  accessSync, closeSync, constants as fsConstants, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { ANOMALY_DESCRIPTIONS, ANOMALY_KINDS } from '../sim/check/anomaly.ts';
import { historyToEdnLines } from '../sim/check/edn.ts';
import { historyToJsonl, HistoryError } from '../sim/check/parse.ts';
import { checkHistoryFile, readHistoryFile } from '../sim/check/read.ts';
import { DEFAULT_BUDGET } from '../sim/core/invariant.ts';
import { describeFault } from '../sim/faults/nemesis.ts';
import { FAULT_DESCRIPTIONS, FAULT_KINDS } from '../sim/faults/schedule.ts';
import { MODEL_CHECK_NAMES, MODEL_CHECKS, ModelChecks } from '../sim/kafka/checks.ts';
import { NEWEST_RELEASE, RELEASE_LINES, ReleaseError, resolveRelease } from '../sim/kafka/releases.ts';
import { verdictExitCode } from '../sim/report/run-report.ts';
import { formatAnomalies, formatRunReport } from '../sim/report/text.ts';
import { ConfigError } from '../sim/run/run-scenario.ts';
import { transactionalProblem, transactionalWithoutIdempotence } from '../sim/scenario/format.ts';
import { parseSets as parseScenarioSets } from '../sim/scenario/set.ts';
import { listScenarios, resolveScenarioPath, ScenarioError } from '../sim/scenario/load.ts';
import { SchemaIssue } from '../sim/scenario/schema.ts';
import { BUGS, MODES, type Bug, type Mode, type Overrides } from '../sim/scenario/types.ts';
import { BUG_DESCRIPTIONS } from '../sim/workload/bugs.ts';
import { MODE_PRESETS } from '../sim/workload/modes.ts';
import { formatSuite } from '../sim/suite/format.ts';
import { reproduceCommand } from '../sim/suite/reproduce.ts';
import { judgeSuite } from '../sim/suite/suite.ts';
import { formatSweep } from '../sim/sweep/format.ts';
import { checkPlan, planSuite, planSweep, shardTasks, type SeedRange, type Shard, type SweepTask } from '../sim/sweep/plan.ts';
import { defaultJobs, runOnPool } from '../sim/sweep/pool.ts';
import { startProgress, type Progress } from '../sim/sweep/progress.ts';
import { eosSimVersion, readReplayFile, replayFileName, replayScenario, ReplayFileError, writeReplayFile } from '../sim/sweep/replay-file.ts';
import { readResults, ResultsError, sortSummaries, summaryKey, type RunSummary } from '../sim/sweep/results.ts';
import { executeRun } from '../sim/sweep/run-one.ts';
import { shrinkKind, shrinkReplay } from '../sim/sweep/shrink-replay.ts';
import { loadWithSource } from '../sim/sweep/scenarios.ts';
import { RESULTS_FILE, runSweep, SweepError } from '../sim/sweep/sweep.ts';
import { tabulate } from '../sim/sweep/table.ts';
import type { ReportFormat } from '../sim/report/format-names.ts';
import { coverageTable, formatCoverage } from '../sim/report/coverage.ts';
import { ReportInputError } from '../sim/report/input.ts';
import { oneOfFlag, parsePositive, UsageError } from './usage.ts';
import { colours, DEFAULT_OUT, EXPORT_FORMATS, SHRINK_MAX_RUNS, SHRINK_MAX_SECONDS } from './cli-shared.ts';

/** The simulator itself failed (a model invariant, a budget): exit code 3, never read as a finding. */
class SimulatorBroke extends Error {}

/** The report writers, loaded only when --report asks for a report: they bring the HTML and JUnit libraries. */
const reportWriters = () => import('./report-command.ts');

/** Files a run writes into its --out folder. */
const RUN_FILES = ['history.jsonl', 'report.json', 'trace.txt'];

const SCENARIO_EXTENSIONS = ['.yaml', '.yml', '.json'];

function parseSeed(text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`--seed: ${JSON.stringify(text)} is not a seed (allowed: an integer 0..${Number.MAX_SAFE_INTEGER})`);
  return Number(text);
}

function parseRelease(text: string): string {
  try {
    return resolveRelease(text).release;
  } catch (e) {
    if (e instanceof ReleaseError) throw new UsageError(`--kafka: ${e.message}`);
    throw e;
  }
}

/** --set producer.acks=1 (repeatable): validated by the same rules as the scenario file's producer/consumer sections. */
function parseSets(sets: string[]): Overrides {
  try {
    return parseScenarioSets(sets);
  } catch (e) {
    if (e instanceof SchemaIssue) throw new UsageError(`--set: ${e.message}`);
    throw e;
  }
}

export interface RunFlags {
  /** Every --seed given; a run has one, so more than one is an error rather than "the last wins". */
  seed: string[];
  mode?: string;
  bug: string[];
  case?: string;
  kafka?: string;
  maxEvents?: string;
  set: string[];
  json?: boolean;
  out?: string;
  trace?: boolean;
  swarm?: boolean;
  disableCheck: string[];
  report: ReportFormat[];
}

/** A short hash of --set overrides, so runs that differ only in them get folders of their own. */
function setsHash(sets: string[]): string | undefined {
  return sets.length === 0 ? undefined : createHash('sha256').update(sets.join('\n')).digest('hex').slice(0, 8);
}

/**
 * An --out folder checked before anything runs: created if missing, and writable; otherwise one line and
 * exit 2, with nothing written.
 */
function usableOut(dir: string): string {
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--out: ${dir} is a file, not a folder`);
    mkdirSync(dir, { recursive: true });
    accessSync(dir, fsConstants.W_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--out: cannot write to ${dir} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return dir;
}

export async function commandRun(scenarioArg: string, flags: RunFlags): Promise<number> {
  if (flags.trace && !flags.out) throw new UsageError('--trace: the trace is written under --out; give --out DIR too');
  const { scenario, source } = loadWithSource(resolveScenarioPath(scenarioArg));
  if (flags.seed.length > 1) throw new UsageError(`--seed: given ${flags.seed.length} times (${flags.seed.join(', ')}); a run has one seed (allowed: one --seed; sweep --seeds A..B runs many)`);
  const seed = parseSeed(flags.seed[0] ?? '1');
  let mode: Mode = 'at-least-once';
  let bugs: Bug[] = [];
  let overrides: Overrides = { producer: {}, consumer: {} };
  let caseIndex: number | undefined;
  let kafka = scenario.kafka;
  if (flags.case !== undefined) {
    if (scenario.expect.length === 0) throw new UsageError(`--case: ${scenario.name} declares no expectation cases`);
    caseIndex = parsePositive('--case', flags.case, scenario.expect.length) - 1;
    const c = scenario.expect[caseIndex];
    mode = c.mode;
    bugs = [...c.bugs];
    kafka = c.kafka ?? kafka;
    overrides = { producer: { ...c.producer }, consumer: { ...c.consumer } };
  }
  if (flags.mode !== undefined) mode = oneOfFlag('--mode', flags.mode, MODES);
  if (flags.kafka !== undefined) kafka = parseRelease(flags.kafka);
  for (const b of flags.bug) if (!bugs.includes(b as Bug)) bugs.push(oneOfFlag('--bug', b, BUGS));
  const sets = parseSets(flags.set);
  overrides = { producer: { ...overrides.producer, ...sets.producer }, consumer: { ...overrides.consumer, ...sets.consumer } };
  if (transactionalWithoutIdempotence(mode, [scenario.producer, overrides.producer])) {
    const { problem, allowed } = transactionalProblem(`--mode ${mode}`, 'producer.transactional');
    throw new UsageError(`${problem} (allowed: ${allowed})`);
  }
  const out = flags.out !== undefined ? usableOut(flags.out) : flags.report.length > 0 ? usableOut(DEFAULT_OUT) : undefined;

  const budget = flags.maxEvents === undefined ? undefined
    : { ...DEFAULT_BUDGET, maxEvents: parsePositive('--max-events', flags.maxEvents, Number.MAX_SAFE_INTEGER) };
  const swarm = flags.swarm === true;
  // In the table's order, whatever the flags' order: one run, one reproduce command, one file name.
  const checksOff = new ModelChecks(flags.disableCheck.map((n) => oneOfFlag('--disable-check', n, MODEL_CHECK_NAMES))).switchedOff();
  const reproduce = reproduceCommand(scenario, {
    seed, caseIndex,
    mode: caseIndex === undefined || flags.mode !== undefined ? mode : undefined,
    bugs: flags.bug, kafka: flags.kafka === undefined ? undefined : kafka, sets: flags.set, swarm, checksOff,
  });
  const { run, report: bare, summary, replay } = executeRun({
    scenario, source, case: caseIndex === undefined ? null : caseIndex + 1, mode, bugs, overrides, kafka, seed, swarm, checksOff,
    // An HTML report draws the failure's diagram from the trace, so the run keeps it.
    keepTrace: flags.trace === true || flags.report.includes('html'), budget, reproduce,
  });
  if (!run || !bare) throw new SimulatorBroke(`${summary.error} (reproduce: ${reproduce})`);
  // The report names what ran: the scenario's content by its hash, the case and the overrides (and the release).
  const report = { ...bare, scenarioHash: summary.scenarioHash, caseIndex, overrides };
  if (out) {
    const name = replayFileName({ ...summary, swarm, setsHash: setsHash(flags.set), maxEvents: budget?.maxEvents, checksOff });
    const dir = join(out, basename(name, '.json'));
    mkdirSync(dir, { recursive: true });
    // The folder is this run's alone (its name says scenario, mode, seed, bugs, case, release, swarm and
    // overrides); a file an earlier run of it left that this one does not write (trace.txt) goes.
    for (const f of RUN_FILES) rmSync(join(dir, f), { force: true });
    writeFileSync(join(dir, 'history.jsonl'), historyToJsonl(run.history));
    writeFileSync(join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    if (flags.trace && run.trace) writeFileSync(join(dir, 'trace.txt'), run.trace.join('\n') + '\n');
    const reports = flags.report.length === 0 ? []
      : (await reportWriters()).writeRunReports(flags.report, dir, scenario, run, report, summary).map((f) => basename(f));
    const written = [`${dir}/{${['history.jsonl', 'report.json', ...(flags.trace ? ['trace.txt'] : []), ...reports].join(',')}}`];
    if (replay) written.push(join(out, writeReplayFile(out, name, replay)));
    if (!flags.json) process.stderr.write(`wrote ${written.join(' and ')}\n`);
  }
  if (flags.json) process.stdout.write(JSON.stringify({ ...report, swarm: summary.swarm }) + '\n');
  else process.stdout.write(formatRunReport(report, colours()) + '\n');
  return verdictExitCode(summary.verdict);
}

/** Scenario arguments: shipped names, files, or folders (every scenario file in them, by name). */
function scenarioFiles(args: string[]): string[] {
  const files: string[] = [];
  for (const a of args) {
    if (existsSync(a) && statSync(a).isDirectory()) {
      const found = readdirSync(a).filter((f) => SCENARIO_EXTENSIONS.includes(extname(f))).sort().map((f) => join(a, f));
      if (found.length === 0) throw new UsageError(`${a}: no scenario files (.yaml, .yml, .json) in this folder`);
      files.push(...found);
    } else files.push(resolveScenarioPath(a));
  }
  return [...new Set(files)];
}

function parseSeedRange(text: string): SeedRange {
  const max = 10_000_000;
  const m = /^(\d+)(?:\.\.(\d+))?$/.exec(text);
  const range = m ? (m[2] === undefined ? { from: 1, to: Number(m[1]) } : { from: Number(m[1]), to: Number(m[2]) }) : null;
  if (!range || range.from > range.to || range.to < 1 || range.to - range.from >= max) {
    throw new UsageError(`--seeds: ${JSON.stringify(text)} is not allowed (allowed: N for seeds 1..N, or A..B with A <= B, at most ${max.toLocaleString('en-US')} seeds)`);
  }
  return range;
}

function parseShard(text: string | undefined): Shard | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) throw new UsageError(`--shard: ${JSON.stringify(text)} is not allowed (allowed: i/n with 1 <= i <= n, e.g. 2/8)`);
  return { index: Number(m[1]), count: Number(m[2]) };
}

function parseJobs(text: string | undefined): number {
  return text === undefined ? defaultJobs() : parsePositive('--jobs', text, 1024);
}

/** Runs tasks on the pool with progress on stderr; Ctrl-C stops the workers and keeps what finished. */
async function runWithProgress(tasks: SweepTask[], o: { label: string; out: string; jobs: number; resume: boolean }) {
  let progress: Progress | undefined;
  const handle = runSweep(tasks, {
    outDir: o.out, jobs: o.jobs, resume: o.resume,
    onStart: (total, already) => {
      progress = startProgress({ total, already, stream: process.stderr, nowMs: Date.now, label: o.label });
    },
    onResult: (s) => progress?.tick(s.verdict !== 'pass'),
  });
  const interrupt = () => { void handle.stop(); };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    return await handle.done;
  } finally {
    progress?.stop();
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

export interface SweepFlags {
  seeds: string;
  modes: string;
  bug: string[];
  kafka?: string;
  jobs?: string;
  swarm?: boolean;
  out: string;
  shard?: string;
  resume?: boolean;
  json?: boolean;
  coverage?: boolean;
  report: ReportFormat[];
}

export async function commandSweep(args: string[], flags: SweepFlags): Promise<number> {
  let loaded = (args.length > 0 ? scenarioFiles(args) : listScenarios().map((s) => s.file)).map(loadWithSource);
  const seeds = parseSeedRange(flags.seeds);
  const modes = [...new Set(flags.modes.split(',').map((m) => oneOfFlag('--modes', m.trim(), MODES)))];
  const bugs = [...new Set(flags.bug.map((b) => oneOfFlag('--bug', b, BUGS)))];
  const shard = parseShard(flags.shard);
  const jobs = parseJobs(flags.jobs);
  const kafka = flags.kafka === undefined ? undefined : parseRelease(flags.kafka);
  if (flags.swarm) {
    const without = loaded.filter((l) => !l.scenario.faults.random).map((l) => l.scenario.name);
    if (without.length === loaded.length) throw new UsageError(`--swarm: ${without.join(', ')} ${without.length === 1 ? 'has' : 'have'} no faults.random (a swarm switches random fault kinds on and off per seed; scripted schedules stay as written)`);
    if (without.length > 0) process.stderr.write(`--swarm: left out ${without.join(', ')}: no faults.random to draw a swarm from\n`);
    loaded = loaded.filter((l) => l.scenario.faults.random);
  }
  const out = usableOut(flags.out);
  const planned = planSweep(loaded, { seeds, modes, bugs, kafka, swarm: flags.swarm === true, outDir: out });
  checkPlan(planned, loaded);
  const tasks = shard ? shardTasks(planned, shard) : planned;
  const what = `${loaded.length} scenario${loaded.length === 1 ? '' : 's'} × ${modes.length} mode${modes.length === 1 ? '' : 's'} × ${seeds.to - seeds.from + 1} seeds`;
  process.stderr.write(`eos-sim sweep: ${what}${shard ? `, shard ${shard.index}/${shard.count}` : ''} = ${tasks.length} runs on ${Math.min(jobs, tasks.length)} worker${jobs === 1 ? '' : 's'} → ${join(out, RESULTS_FILE)}\n`);
  const { summaries, interrupted, resumed } = await runWithProgress(tasks, { label: 'sweep', out, jobs, resume: flags.resume === true });
  if (interrupted) {
    process.stderr.write(`eos-sim sweep: interrupted; ${summaries.length} of ${tasks.length} runs are in ${join(out, RESULTS_FILE)}; the same command with --resume runs the rest\n`);
    return 130;
  }
  if (resumed > 0) process.stderr.write(`eos-sim sweep: resumed ${resumed} runs from ${join(out, RESULTS_FILE)}\n`);
  const table = tabulate(summaries);
  const coverage = flags.coverage ? coverageTable(summaries) : undefined;
  if (flags.json) process.stdout.write(JSON.stringify(coverage ? { ...table, coverage } : table) + '\n');
  else {
    process.stdout.write(formatSweep(table, colours()) + '\n');
    if (coverage) process.stdout.write('\n' + formatCoverage(coverage, colours()) + '\n');
    if (table.failing + table.broken > 0) process.stdout.write(`replay files: ${join(out, 'failures')}/ (eos-sim replay FILE, eos-sim shrink FILE)\n`);
  }
  if (flags.report.length > 0) (await reportWriters()).writeResultsReports(flags.report, summaries, out);
  return table.broken > 0 ? 3 : table.failing > 0 ? 1 : 0;
}

export interface SuiteFlags {
  seeds?: string;
  json?: boolean;
  coverage?: boolean;
  jobs?: string;
  out: string;
  report: ReportFormat[];
}

export async function commandSuite(names: string[], flags: SuiteFlags): Promise<number> {
  const files = names.length > 0 ? names.map((x) => resolveScenarioPath(x)) : listScenarios().map((s) => s.file);
  const loaded = files.map(loadWithSource);
  const seeds = flags.seeds === undefined ? undefined : parsePositive('--seeds', flags.seeds, 100000);
  const jobs = parseJobs(flags.jobs);
  const reportOut = flags.report.length > 0 ? usableOut(flags.out) : undefined;
  const tasks = planSuite(loaded, seeds, null);
  if (tasks.length === 0) {
    throw new UsageError(`suite: nothing to check: ${loaded.map((l) => l.scenario.name).join(', ')} ${loaded.length === 1 ? 'declares' : 'declare'} no expectation cases (add an \`expect:\` list, or explore with eos-sim sweep)`);
  }
  checkPlan(tasks, loaded);
  const runs: RunSummary[] = [];
  const progress = startProgress({ total: tasks.length, already: 0, stream: process.stderr, nowMs: Date.now, label: 'suite', counted: 'with anomalies' });
  const pool = runOnPool(tasks, { jobs, onResult: (s) => { runs.push(s); progress.tick(s.verdict !== 'pass'); } });
  try {
    await pool.done;
  } finally {
    progress.stop();
  }
  const result = judgeSuite(loaded.map((l) => l.scenario), seeds, runs);
  const coverage = flags.coverage ? coverageTable(runs) : undefined;
  if (flags.json) process.stdout.write(JSON.stringify(coverage ? { ...result, coverage } : result) + '\n');
  else {
    process.stdout.write(formatSuite(result, colours()) + '\n');
    if (coverage) process.stdout.write('\n' + formatCoverage(coverage, colours()) + '\n');
  }
  if (reportOut) (await reportWriters()).writeResultsReports(flags.report, runs, reportOut);
  return result.broken > 0 ? 3 : result.pass ? 0 : 1;
}

export function commandReplay(file: string, flags: { json?: boolean }): number {
  const r = readReplayFile(file);
  const scenario = replayScenario(r, file);
  const bad = (f: string, v: string, allowed: readonly string[]) => new ReplayFileError(`${file}: ${f}: unknown value ${JSON.stringify(v)} (allowed: ${allowed.join(', ')})`);
  if (!MODES.includes(r.mode as Mode)) throw bad('mode', r.mode, MODES);
  for (const b of r.bugs) if (!BUGS.includes(b as Bug)) throw bad('bugs', b, BUGS);
  const { report, summary } = executeRun({
    scenario, source: r.scenario, case: null, mode: r.mode as Mode, bugs: r.bugs as Bug[], overrides: r.overrides,
    kafka: r.kafka, seed: r.seed, swarm: false, schedule: r.schedule, budget: r.budget, checksOff: r.checksOff,
    reproduce: `npx eos-sim replay ${file}`,
  });
  if (!report) throw new SimulatorBroke(`${summary.error} (reproduce: npx eos-sim replay ${file})`);
  const same = summary.traceHash === r.traceHash;
  if (flags.json) process.stdout.write(JSON.stringify({ ...report, swarm: r.swarm, recordedTraceHash: r.traceHash, deterministic: same }) + '\n');
  else process.stdout.write(formatRunReport(report, colours()) + '\n');
  if (!same) {
    process.stderr.write(`eos-sim replay: DETERMINISM BUG: ${file} recorded trace hash ${r.traceHash} (eos-sim ${r.eosSimVersion}), this replay gave ${summary.traceHash} (eos-sim ${eosSimVersion()}). The same scenario, options, seed and schedule must give the same trace: if eos-sim changed since the file was written (another version or commit), the model did; if not, something in the run is not a function of its seed (please report it with this file).\n`);
    return 1;
  }
  process.stderr.write(`eos-sim replay: same trace hash ${summary.traceHash} as recorded\n`);
  return verdictExitCode(summary.verdict);
}

export function commandShrink(file: string, flags: { kind?: string; maxRuns?: string; maxSeconds?: string; o?: string; json?: boolean }): number {
  const r = readReplayFile(file);
  const kind = shrinkKind(r, file, flags.kind);
  const maxRuns = flags.maxRuns === undefined ? SHRINK_MAX_RUNS : parsePositive('--max-runs', flags.maxRuns, 1_000_000);
  const maxSeconds = flags.maxSeconds === undefined ? SHRINK_MAX_SECONDS : parsePositive('--max-seconds', flags.maxSeconds, 86_400);
  const target = flags.o ?? join(dirname(file), `${basename(file, '.json')}-shrunk.json`);
  usableOut(dirname(target));
  if (!flags.json) process.stderr.write(`eos-sim shrink: keeping ${kind}; at most ${maxRuns} runs or ${maxSeconds} s…\n`);
  const res = shrinkReplay(r, file, kind, { maxRuns, maxWallMs: maxSeconds * 1000, nowMs: Date.now });
  writeFileSync(target, JSON.stringify(res.replay, null, 2) + '\n');
  if (flags.json) {
    process.stdout.write(JSON.stringify({ kind, before: res.before, after: res.after, runs: res.runs, stoppedBy: res.stoppedBy, file: target }) + '\n');
    return 0;
  }
  const c = colours();
  const row = (label: string, a: number, b: number) => `  ${label.padEnd(24)}${a.toLocaleString('en-US').padStart(10)}  →${b.toLocaleString('en-US').padStart(10)}`;
  process.stdout.write([
    `${c.bold('eos-sim shrink')} ${file}: still ${c.red.bold(kind)}`,
    row('faults', res.before.faults, res.after.faults),
    row('payments', res.before.payments, res.after.payments),
    row('  producers', res.before.producers, res.after.producers),
    row('  payments per producer', res.before.paymentsPerProducer, res.after.paymentsPerProducer),
    row('partitions', res.before.partitions, res.after.partitions),
    row('events', res.before.events, res.after.events),
    c.bold('minimal schedule:'),
    ...(res.replay.schedule.length === 0 ? ['  none: the run fails without faults'] : res.replay.schedule.map((e) => `  ${(e.atMs / 1000).toFixed(3)} s  ${describeFault(e)}`)),
    `${res.runs} runs; ${res.stoppedBy === 'done' ? 'nothing smaller fails the same way' : `stopped by the ${res.stoppedBy} (--max-runs, --max-seconds): it may shrink further`}`,
    `wrote ${target}  (npx eos-sim replay ${target})`,
  ].join('\n') + '\n');
  return 0;
}

export function commandReportMerge(files: string[], flags: { out: string; json?: boolean }): number {
  const merged = new Map<string, { s: RunSummary; from: string }>();
  for (const f of files) {
    for (const s of readResults(f)) {
      const key = summaryKey(s);
      const had = merged.get(key);
      if (had && had.s.traceHash !== s.traceHash) {
        throw new UsageError(`${f}: ${s.scenario} ${s.mode} seed ${s.seed} has trace hash ${s.traceHash}, but ${had.from} has ${had.s.traceHash} for the same run (results of different eos-sim versions? same inputs must give the same trace)`);
      }
      if (!had) merged.set(key, { s, from: f });
    }
  }
  const out = usableOut(flags.out);
  const target = join(out, RESULTS_FILE);
  // Each shard's replay files come along, so the merged folder is self-contained.
  for (const { s, from } of merged.values()) {
    if (!s.failureFile) continue;
    const src = join(dirname(from), s.failureFile);
    const dst = join(out, s.failureFile);
    if (existsSync(src) && resolve(src) !== resolve(dst)) {
      mkdirSync(dirname(dst), { recursive: true });
      copyFileSync(src, dst);
    }
  }
  const summaries = sortSummaries([...merged.values()].map((x) => x.s));
  writeFileSync(`${target}.tmp`, summaries.map((s) => JSON.stringify(s) + '\n').join(''));
  renameSync(`${target}.tmp`, target);
  const table = tabulate(summaries);
  if (flags.json) process.stdout.write(JSON.stringify(table) + '\n');
  else process.stdout.write(formatSweep(table, colours()) + '\n');
  process.stderr.write(`eos-sim report merge: ${summaries.length} runs from ${files.length} file${files.length === 1 ? '' : 's'} → ${target}\n`);
  return table.broken > 0 ? 3 : table.failing > 0 ? 1 : 0;
}

/** Reads a history file (JSON Lines v1, or Jepsen EDN when it ends in .edn), for check and export. */
function readFile<T>(file: string, read: (file: string) => T): T {
  try {
    return read(file);
  } catch (e) {
    // A line or file beyond what one string can hold: bad input, not a crash of ours.
    if (e instanceof RangeError) throw new UsageError(`${file}: too large to read (${e.message}); split the history`);
    throw e;
  }
}

export function commandCheck(file: string, flags: { json?: boolean }): number {
  // Progress on a terminal: a million-line history takes a while.
  const progress = process.stderr.isTTY ? (lines: number) => process.stderr.write(`\r  read ${lines.toLocaleString('en-US')} lines…`) : undefined;
  const { header: h, ops, finals, result } = readFile(file, (f) => checkHistoryFile(f, progress));
  if (progress !== undefined) process.stderr.write('\r' + ' '.repeat(40) + '\r');
  if (ops === 0 && finals === 0) {
    throw new UsageError(`${file}: nothing checked: the history has a header but no operation or final lines`);
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    const c = colours();
    process.stdout.write(`${c.bold('eos-sim check')} ${file}  scenario=${h.scenario} mode=${h.mode} seed=${h.seed}\n`);
    const s = result.stats;
    process.stdout.write(`  checked ${s.ops} operation lines (${s.sends.ok + s.sends.info + s.sends.fail} sends, `
      + `${s.txns.ok + s.txns.info + s.txns.fail} transactions, ${s.polls} polls reading ${s.valuesRead} records) and ${s.finalLogs} final logs\n`);
    process.stdout.write(result.verdict === 'pass' ? `${c.green.bold('PASS')}  no anomaly found\n` : `${c.red.bold('FAIL')}  ${Object.entries(result.counts).filter(([, v]) => v > 0).map(([k, v]) => `${k} ×${v}`).join(', ')}\n`);
    const lines = formatAnomalies(result.anomalies, c);
    if (lines.length > 0) process.stdout.write(lines.join('\n') + '\n');
  }
  return result.verdict === 'pass' ? 0 : 1;
}

export function commandExport(file: string, flags: { format: string; out?: string }): number {
  oneOfFlag('--format', flags.format, EXPORT_FORMATS);
  const history = readFile(file, readHistoryFile);
  if (flags.out === undefined) {
    for (const line of historyToEdnLines(history)) process.stdout.write(line + '\n');
    return 0;
  }
  // Written beside the target and renamed at the end, so a failure leaves nothing half written.
  const partial = `${flags.out}.partial`;
  const fd = openSync(partial, 'w');
  try {
    let chunk: string[] = [];
    for (const line of historyToEdnLines(history)) {
      chunk.push(line);
      if (chunk.length === 10_000) {
        writeSync(fd, chunk.join('\n') + '\n');
        chunk = [];
      }
    }
    if (chunk.length > 0) writeSync(fd, chunk.join('\n') + '\n');
  } finally {
    closeSync(fd);
  }
  renameSync(partial, flags.out);
  process.stderr.write(`wrote ${flags.out}\n`);
  return 0;
}

export function commandList(flags: { json?: boolean }): number {
  const scenarios = listScenarios();
  const data = {
    scenarios: scenarios.map((s) => ({ name: s.name, file: s.file, description: s.description, notMeaningful: s.notMeaningful })),
    modes: MODES.map((m) => ({ name: m, description: MODE_PRESETS[m].description })),
    bugs: BUGS.map((b) => ({ name: b, description: BUG_DESCRIPTIONS[b] })),
    checks: MODEL_CHECK_NAMES.map((n) => ({ name: n, description: `${MODEL_CHECKS[n].protects[0].toUpperCase()}${MODEL_CHECKS[n].protects.slice(1)}.`, where: MODEL_CHECKS[n].where })),
    releases: RELEASE_LINES.map((l) => ({ name: l.name, description: l.changes, features: l.features })),
    faults: FAULT_KINDS.map((f) => ({ name: f, description: FAULT_DESCRIPTIONS[f] })),
    anomalies: ANOMALY_KINDS.map((a) => ({ name: a, description: ANOMALY_DESCRIPTIONS[a] })),
  };
  if (flags.json) {
    process.stdout.write(JSON.stringify(data) + '\n');
    return 0;
  }
  const c = colours();
  const section = (title: string, rows: { name: string; description: string }[]) => {
    const w = Math.max(...rows.map((r) => r.name.length));
    // The first sentence is the summary; `eos-sim list --json` has the whole description.
    const summary = (d: string) => d.replace(/\s+/g, ' ').trim().replace(/^(.*?[.])\s.*$/, '$1');
    return [c.bold(title), ...rows.map((r) => `  ${c.cyan(r.name.padEnd(w))}  ${summary(r.description)}`)].join('\n');
  };
  process.stdout.write([
    section('Scenarios', data.scenarios), section('Modes (--mode)', data.modes), section('Bug modes (--bug)', data.bugs),
    section('Model checks (run --disable-check, for testing; eos-sim necessity proves each one needed)', data.checks),
    section(`Kafka release lines (--kafka; default ${NEWEST_RELEASE})`, data.releases),
    section('Fault kinds (scenario faults)', data.faults), section('Anomaly kinds', data.anomalies),
    section('Modes a scenario does not run (notMeaningful)', data.scenarios.flatMap((s) => s.notMeaningful.map((n) => ({ name: `${s.name} ${n.mode}`, description: n.reason })))),
  ].join('\n\n') + '\n');
  return 0;
}

/**
 * The exit code of an error a command threw, after printing it: 2 for bad usage or input (one line), 3 for
 * a simulator that broke; null for anything else, which the caller lets through as an internal error.
 */
export function exitCodeOfError(e: unknown): number | null {
  if (e instanceof UsageError || e instanceof ScenarioError || e instanceof HistoryError || e instanceof ConfigError
    || e instanceof ReplayFileError || e instanceof ResultsError || e instanceof SweepError || e instanceof ReportInputError) {
    process.stderr.write(`eos-sim: ${e.message}\n`);
    return 2;
  }
  if (e instanceof SimulatorBroke) {
    process.stderr.write(`eos-sim: the simulator broke: ${e.message}\n`);
    return 3;
  }
  return null;
}
