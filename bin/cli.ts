// The command line: run one seeded scenario, run the scenario suite, judge a history file, list what
// there is. Exit codes: 0 no violation, 1 violation found, 2 bad usage or input (nothing written).
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Chalk, type ChalkInstance } from 'chalk';
import { Command, CommanderError, Option } from 'commander';
import YAML from 'yaml';
import packageJson from '../package.json' with { type: 'json' };
import { ANOMALY_DESCRIPTIONS, ANOMALY_KINDS } from '../sim/check/anomaly.ts';
import { check } from '../sim/check/checker.ts';
import { historyToEdnLines } from '../sim/check/edn.ts';
import { historyToJsonl, HistoryError } from '../sim/check/parse.ts';
import { checkHistoryFile, readHistoryFile } from '../sim/check/read.ts';
import { DEFAULT_BUDGET } from '../sim/core/invariant.ts';
import { DEFAULT_COST_MODEL } from '../sim/costs/cost-model.ts';
import { FAULT_DESCRIPTIONS, FAULT_KINDS } from '../sim/faults/schedule.ts';
import { DEFAULT_NETWORK } from '../sim/kafka/config.ts';
import { knownReleasesText, NEWEST_RELEASE, RELEASE_LINES, ReleaseError, resolveRelease } from '../sim/kafka/releases.ts';
import { buildRunReport, verdictExitCode } from '../sim/report/run-report.ts';
import { formatAnomalies, formatRunReport, formatSuite } from '../sim/report/text.ts';
import { ConfigError, runScenario } from '../sim/run/run-scenario.ts';
import { consumerOverrides, producerOverrides } from '../sim/scenario/format.ts';
import { listScenarios, loadScenario, resolveScenarioPath, ScenarioError } from '../sim/scenario/load.ts';
import { SchemaIssue } from '../sim/scenario/schema.ts';
import { BUGS, MODES, type Bug, type Mode, type Overrides, type Scenario } from '../sim/scenario/types.ts';
import { BUG_DESCRIPTIONS } from '../sim/workload/bugs.ts';
import { commandCosts, type CostFlags } from './costs.ts';
import { MODE_PRESETS } from '../sim/workload/modes.ts';
import { reproduceCommand } from '../sim/suite/reproduce.ts';
import { runSuite, suiteRunCount } from '../sim/suite/suite.ts';

/** Bad usage or input: printed as is, exit code 2. */
class UsageError extends Error {}

function colours(): ChalkInstance {
  const on = process.stdout.isTTY && !process.env.NO_COLOR;
  return new Chalk({ level: on ? 1 : 0 });
}

function parseSeed(text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UsageError(`--seed: ${JSON.stringify(text)} is not a seed (allowed: an integer 0..${Number.MAX_SAFE_INTEGER})`);
  return Number(text);
}

function parsePositive(flag: string, text: string, max: number): number {
  const v = Number(text);
  if (!/^\d+$/.test(text) || v < 1 || v > max) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not allowed (allowed: an integer 1..${max})`);
  return v;
}

function oneOfFlag<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new UsageError(`${flag}: unknown value ${JSON.stringify(value)} (allowed: ${allowed.join(', ')})`);
  return value as T;
}

function parseRelease(text: string): string {
  try {
    return resolveRelease(text).release;
  } catch (e) {
    if (e instanceof ReleaseError) throw new UsageError(`--kafka: ${e.message}`);
    throw e;
  }
}

function load(nameOrPath: string): Scenario {
  return loadScenario(resolveScenarioPath(nameOrPath));
}

/** --set producer.acks=1: validated by the same rules as the scenario file's producer/consumer sections. */
function parseSets(sets: string[]): Overrides {
  const out: Overrides = { producer: {}, consumer: {} };
  for (const s of sets) {
    const m = /^(producer|consumer)\.(\w+)=(.*)$/.exec(s);
    if (!m) throw new UsageError(`--set: ${JSON.stringify(s)} is not of the form section.field=value (allowed sections: producer, consumer)`);
    const [, section, field, raw] = m;
    const spec = section === 'producer' ? producerOverrides : consumerOverrides;
    try {
      const parsed = spec.parse({ [field]: YAML.parse(raw) }, [section]) as Record<string, unknown>;
      Object.assign(out[section as 'producer' | 'consumer'], parsed);
    } catch (e) {
      if (e instanceof SchemaIssue) throw new UsageError(`--set: ${e.message}`);
      throw e;
    }
  }
  return out;
}

interface RunFlags {
  seed: string;
  mode?: string;
  bug: string[];
  case?: string;
  kafka?: string;
  maxEvents?: string;
  set: string[];
  json?: boolean;
  out?: string;
  trace?: boolean;
}

function commandRun(scenarioArg: string, flags: RunFlags): number {
  const scenario = load(scenarioArg);
  const seed = parseSeed(flags.seed);
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

  const budget = flags.maxEvents === undefined ? undefined
    : { ...DEFAULT_BUDGET, maxEvents: parsePositive('--max-events', flags.maxEvents, Number.MAX_SAFE_INTEGER) };
  const run = runScenario(scenario, { mode, seed, bugs, kafka, overrides, keepTrace: flags.trace === true, budget });
  const reproduce = reproduceCommand(scenario, {
    seed, caseIndex,
    mode: caseIndex === undefined || flags.mode !== undefined ? mode : undefined,
    bugs: flags.bug, kafka: flags.kafka === undefined ? undefined : kafka, sets: flags.set,
  });
  const report = buildRunReport(scenario.file, run, check(run.history), reproduce);
  if (flags.out) {
    const dir = join(flags.out, `${scenario.name}-${mode}${bugs.map((b) => `-${b}`).join('')}-seed${seed}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'history.jsonl'), historyToJsonl(run.history));
    writeFileSync(join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    if (run.trace) writeFileSync(join(dir, 'trace.txt'), run.trace.join('\n') + '\n');
    if (!flags.json) process.stderr.write(`wrote ${dir}/{history.jsonl,report.json${run.trace ? ',trace.txt' : ''}}\n`);
  }
  if (flags.json) process.stdout.write(JSON.stringify({ ...report, virtualTimeUs: report.virtualTimeUs }) + '\n');
  else process.stdout.write(formatRunReport(report, colours()) + '\n');
  return verdictExitCode(report.verdict);
}

function commandSuite(names: string[], flags: { seeds?: string; json?: boolean }): number {
  const files = names.length > 0 ? names.map((x) => resolveScenarioPath(x)) : listScenarios().map((s) => s.file);
  const scenarios = files.map((f) => loadScenario(f));
  const seeds = flags.seeds === undefined ? undefined : parsePositive('--seeds', flags.seeds, 100000);
  const total = suiteRunCount(scenarios, seeds);
  if (total === 0) throw new UsageError(`nothing checked: ${scenarios.map((x) => x.name).join(', ')} declare${scenarios.length === 1 ? 's' : ''} no expectation cases`);
  let done = 0;
  const progress = process.stderr.isTTY;
  const result = runSuite(scenarios, {
    seeds,
    onRun: () => {
      done++;
      if (progress && (done % 10 === 0 || done === total)) process.stderr.write(`\r  running ${done}/${total} runs…`);
    },
  });
  if (progress) process.stderr.write('\r' + ' '.repeat(40) + '\r');
  if (flags.json) process.stdout.write(JSON.stringify(result) + '\n');
  else process.stdout.write(formatSuite(result, colours()) + '\n');
  return result.broken > 0 ? 3 : result.pass ? 0 : 1;
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

function commandCheck(file: string, flags: { json?: boolean }): number {
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

const EXPORT_FORMATS = ['edn'] as const;

function commandExport(file: string, flags: { format: string; out?: string }): number {
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

function commandList(flags: { json?: boolean }): number {
  const scenarios = listScenarios();
  const data = {
    scenarios: scenarios.map((s) => ({ name: s.name, file: s.file, description: s.description })),
    modes: MODES.map((m) => ({ name: m, description: MODE_PRESETS[m].description })),
    bugs: BUGS.map((b) => ({ name: b, description: BUG_DESCRIPTIONS[b] })),
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
    section(`Kafka release lines (--kafka; default ${NEWEST_RELEASE})`, data.releases),
    section('Fault kinds (scenario faults)', data.faults), section('Anomaly kinds', data.anomalies),
  ].join('\n\n') + '\n');
  return 0;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function main(argv: string[]): number {
  let exitCode = 0;
  const program = new Command('eos-sim')
    .description('Deterministic simulator of Apache Kafka\'s exactly-once machinery, with a history checker.\nExit codes: 0 no violation, 1 violation found, 2 bad usage or input, 3 the simulator itself broke (model invariant, budget).')
    .version(packageJson.version, '-V, --version', 'print the eos-sim version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program.command('run')
    .description('run one scenario with one seed and check its history')
    .argument('<scenario>', 'a shipped scenario name (see `eos-sim list`) or a path to a .yaml/.json file')
    .option('--seed <n>', 'the run seed: same seed, same run, same trace hash', '1')
    .addOption(new Option('--mode <mode>', 'delivery mode (default at-least-once, or the --case\'s)').choices([...MODES]))
    .option('--bug <name>', 'switch one protection off (repeatable; see `eos-sim list`)', collect, [])
    .option('--case <n>', 'take mode, bugs, release and overrides from the scenario\'s n-th expectation case')
    .option('--kafka <release>', `the Kafka release to model, e.g. 3.6 (lines: ${knownReleasesText()}; default: the scenario's, else ${NEWEST_RELEASE})`)
    .option('--set <field=value>', 'override a client option, e.g. producer.acks=1 (repeatable)', collect, [])
    .option('--max-events <n>', `event budget of the run; a run past it ends with BUDGET EXCEEDED, exit 3 (default ${DEFAULT_BUDGET.maxEvents})`)
    .option('--json', 'print one JSON object instead of text')
    .option('--out <dir>', 'write history.jsonl and report.json (and trace.txt with --trace) under this folder')
    .option('--trace', 'keep the full trace (written with --out)')
    .action((scenario: string, flags: RunFlags) => { exitCode = commandRun(scenario, flags); });

  program.command('suite')
    .description('run every expectation of the given (default: all shipped) scenarios over their seeds')
    .argument('[scenarios...]', 'scenario names or paths')
    .option('--seeds <n>', 'seeds per case (default: each scenario\'s own `seeds`)')
    .option('--json', 'print the suite result as JSON')
    .action((names: string[], flags: { seeds?: string; json?: boolean }) => { exitCode = commandSuite(names, flags); });

  program.command('check')
    .description('judge a history file: format v1 (.jsonl, from eos-sim or any harness) or a Jepsen Kafka/queue history (.edn)')
    .argument('<history>', 'a .jsonl history file, or a Jepsen history.edn')
    .option('--json', 'print the check result as JSON')
    .addHelpText('after', '\nExit codes: 0 no anomaly, 1 anomalies found, 2 unreadable or invalid file, or nothing to check.\n'
      + 'A header-only history checks nothing and exits 2. Rules and their Jepsen counterparts: docs/anomalies.md.')
    .action((file: string, flags: { json?: boolean }) => { exitCode = commandCheck(file, flags); });

  program.command('costs')
    .description('what each guarantee costs in virtual time: throughput and produce / end-to-end latency (p50, p99) per mode and\n'
      + 'transaction size, relative to at-least-once, from fault-free runs under a broker cost model (docs/costs.md)')
    .option('--payments <n>', 'payments per run', '3000')
    .option('--sizes <list>', 'exactly-once transaction sizes (payments per transaction), comma-separated', '1,10,100,1000')
    .option('--pacing-ms <ms>', 'time between two payments in the latency runs', '1')
    .option('--seed <n>', 'the run seed', '1')
    .option('--broker-request-us <us>', `broker time per request (default ${DEFAULT_COST_MODEL.brokerRequestUs})`)
    .option('--broker-record-us <us>', `broker time per produced record (default ${DEFAULT_COST_MODEL.brokerRecordUs})`)
    .option('--marker-write-us <us>', `broker time per transaction marker (default ${DEFAULT_COST_MODEL.markerWriteUs})`)
    .option('--fsync-us <us>', `time of one fsync, with --fsync-every-write (default ${DEFAULT_COST_MODEL.fsyncUs})`)
    .option('--fsync-every-write', 'sync the log on every write (Kafka: flush.messages=1); off as in Kafka')
    .option('--latency-us-min <us>', `network latency minimum (default ${DEFAULT_NETWORK.latencyUsMin})`)
    .option('--latency-us-mean <us>', `network latency mean (default ${DEFAULT_NETWORK.latencyUsMean})`)
    .option('--json', 'print the cost table as JSON')
    .action((flags: CostFlags) => { exitCode = commandCosts(flags); });
  program.command('export')
    .description("write a history in another tool's format: --format edn writes Jepsen's Kafka history shape")
    .argument('<history>', 'a .jsonl history file (or .edn)')
    .addOption(new Option('--format <format>', 'output format').choices([...EXPORT_FORMATS]).default('edn'))
    .option('--out <file>', 'write to this file instead of standard output')
    .addHelpText('after', '\nOne EDN map per operation, times in nanoseconds; the eos-sim header and final lines follow as :info\n'
      + 'operations of process "eos-sim", so `eos-sim check` of the export gives the same verdict (docs/history-format.md).')
    .action((file: string, flags: { format: string; out?: string }) => { exitCode = commandExport(file, flags); });

  program.command('list')
    .description('list shipped scenarios, modes, bug modes, fault kinds and anomaly kinds')
    .option('--json', 'print as JSON')
    .action((flags: { json?: boolean }) => { exitCode = commandList(flags); });

  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; every other commander error is bad usage.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError || e instanceof ScenarioError || e instanceof HistoryError || e instanceof ConfigError) {
      process.stderr.write(`eos-sim: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  return exitCode;
}

// A reader that stops early (`eos-sim … | head`) closes the pipe: that is not an error of ours.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = main(process.argv.slice(2));
