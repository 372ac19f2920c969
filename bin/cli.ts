// The command line's definition: every command, option and --help text, and the exit code. The commands'
// implementations load only when one runs (commands.ts and the other command files, through import()), so
// that `eos-sim --help`, `--version` and bad usage start in a fraction of the time: the bundle build splits
// what is imported lazily into chunks of its own (scripts/build.mjs). Exit codes: 0 no violation,
// 1 violation found, 2 bad usage or input (nothing written), 3 the simulator broke.
import { Command, CommanderError, Option } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { DEFAULT_BUDGET } from '../sim/core/invariant.ts';
import { DEFAULT_COST_MODEL } from '../sim/costs/cost-model.ts';
import { DEFAULT_NETWORK } from '../sim/kafka/config.ts';
import { MODEL_CHECK_NAMES } from '../sim/kafka/checks.ts';
import { knownReleasesText, NEWEST_RELEASE } from '../sim/kafka/releases.ts';
import { REPORT_FORMATS, type ReportFormat } from '../sim/report/format-names.ts';
import { MODES } from '../sim/scenario/types.ts';
import { defaultJobs } from '../sim/sweep/pool.ts';
import { DEFAULT_OUT, EXPORT_FORMATS, NECESSITY_SEARCH_SEEDS, SHRINK_MAX_RUNS, SHRINK_MAX_SECONDS } from './cli-shared.ts';
import type { RunFlags, SuiteFlags, SweepFlags } from './commands.ts';
import type { CostFlags } from './costs.ts';
import type { NecessityFlags } from './necessity-command.ts';
import type { ReportFlags } from './report-command.ts';
import { oneOfFlag, UsageError } from './usage.ts';

/** The commands' implementations, loaded on first use. */
const commands = () => import('./commands.ts');

/** Registers `report`; subcommands (e.g. `report merge`) can be added to the command it returns. */
function registerReportCommand(program: Command, setExit: (code: number) => void): Command {
  return program.command('report')
    .description('turn results into a report: a sweep\'s results.jsonl, a run folder (run --out) or an output folder of them.\nExit code: 0 all runs pass, 1 a run found a violation, 3 the simulator broke in a run.')
    .argument('<results...>', 'results.jsonl files, run folders (with report.json) or output folders')
    .addOption(new Option('--format <format>', 'html: one offline file with diagrams; junit: XML for CI; json; text').choices([...REPORT_FORMATS]).default('text'))
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (paths: string[], flags: ReportFlags) => { setExit((await import('./report-command.ts')).commandReport(paths, flags)); });
}

/** `report merge`, in a function of its own so other `report` subcommands can sit beside it. */
function registerReportMerge(report: Command, setExit: (code: number) => void): void {
  report.command('merge')
    .description('join results.jsonl files (shards of one sweep) into one, with the end table')
    .argument('<results...>', 'results.jsonl files')
    .option('--out <dir>', 'write the merged results.jsonl (and the shards\' replay files) here', 'reports')
    .option('--json', 'print the end table as JSON')
    .option('--coverage', 'also print protocol coverage: each protection and decision point the runs reached, and the safety checks none reached')
    .action(async (files: string[], flags: { out: string; json?: boolean }) => { setExit((await commands()).commandReportMerge(files, flags)); });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function collectFormat(value: string, previous: ReportFormat[]): ReportFormat[] {
  return [...previous, oneOfFlag('--report', value, REPORT_FORMATS)];
}

/** `--report FORMAT` (repeatable): the same option on run, sweep and suite. */
function reportOption(where: string): Option {
  return new Option('--report <format>', `also write a report in this format ${where} (repeatable)`).choices([...REPORT_FORMATS]).argParser(collectFormat).default([]);
}

function registerNecessityCommand(program: Command, setExit: (code: number) => void): void {
  program.command('necessity')
    .description('prove each model check necessary: switch it off and show a shipped scenario\'s clean case then finds an anomaly (exit 1 if some check is not proven)')
    .argument('[checks...]', `checks to prove (default: all; see \`eos-sim list\`): ${MODEL_CHECK_NAMES.join(', ')}`)
    .option('--search', 'search every shipped scenario\'s clean cases for a witness instead of running the recorded one')
    .option('--seeds <n>', `seeds per clean case with --search (default ${NECESSITY_SEARCH_SEEDS})`)
    .option('--json', 'print the proofs as JSON')
    .action(async (names: string[], flags: NecessityFlags) => { setExit((await import('./necessity-command.ts')).commandNecessity(names, flags)); });
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('eos-sim')
    .description('Deterministic simulator of Apache Kafka\'s exactly-once machinery, with a history checker.\nExit codes: 0 no violation, 1 violation found, 2 bad usage or input, 3 the simulator itself broke (model invariant, budget).')
    .version(packageJson.version, '-V, --version', 'print the eos-sim version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program.command('run')
    .description('run one scenario with one seed and check its history')
    .argument('<scenario>', 'a shipped scenario name (see `eos-sim list`) or a path to a .yaml/.json file')
    .option('--seed <n>', 'the run seed: same seed, same run, same trace hash (default 1)', collect, [])
    .addOption(new Option('--mode <mode>', 'delivery mode (default at-least-once, or the --case\'s)').choices([...MODES]))
    .option('--bug <name>', 'switch one protection off (repeatable; see `eos-sim list`)', collect, [])
    .option('--case <n>', 'take mode, bugs, release and overrides from the scenario\'s n-th expectation case')
    .option('--kafka <release>', `the Kafka release to model, e.g. 3.6 (lines: ${knownReleasesText()}; default: the scenario's, else ${NEWEST_RELEASE})`)
    .option('--set <field=value>', 'override a client option, e.g. producer.acks=1 (repeatable)', collect, [])
    .option('--max-events <n>', `event budget of the run; a run past it ends with BUDGET EXCEEDED, exit 3 (default ${DEFAULT_BUDGET.maxEvents})`)
    .option('--json', 'print one JSON object instead of text')
    .option('--out <dir>', 'write history.jsonl and report.json (and trace.txt with --trace) under this folder')
    .option('--trace', 'keep the full trace (written with --out; an error without it)')
    .option('--swarm', 'switch a random subset of the scenario\'s random fault kinds on, at a random rate, drawn from the seed')
    .option('--disable-check <name>', 'for testing the model: switch one of its safety checks off (repeatable; see `eos-sim list`, `eos-sim necessity`)', collect, [])
    .addOption(reportOption(`into the run's folder under --out (default ${DEFAULT_OUT}/)`))
    .action(async (scenario: string, flags: RunFlags) => { exitCode = await (await commands()).commandRun(scenario, flags); });

  program.command('sweep')
    .description('explore: run scenarios × modes × seeds on every core and report what each found (no expectations)')
    .argument('[scenarios...]', 'scenario names, files or folders of scenario files (default: every shipped scenario)')
    .option('--seeds <n|a..b>', 'seeds 1..n, or a..b', '100')
    .option('--modes <list>', `comma-separated delivery modes (${MODES.join(', ')})`, MODES.join(','))
    .option('--bug <name>', 'switch one protection off in every run (repeatable)', collect, [])
    .option('--kafka <release>', `the Kafka release to model, e.g. 3.6 (lines: ${knownReleasesText()}; default: each scenario's, else ${NEWEST_RELEASE})`)
    .option('--jobs <n>', `worker threads (default: every core, here ${defaultJobs()})`)
    .option('--swarm', 'per seed, switch a random subset of each scenario\'s random fault kinds on at a random rate (scenarios without faults.random are left out)')
    .option('--out <dir>', 'write results.jsonl and failures/<run>.json (replay files) here', 'reports')
    .option('--shard <i/n>', 'run only the i-th of n deterministic slices (merge them with `eos-sim report merge`)')
    .option('--resume', 'keep the runs <out>/results.jsonl already holds and run only the rest')
    .option('--json', 'print the end table as JSON')
    .addOption(reportOption('under --out'))
    .addHelpText('after', '\nExit codes: 0 nothing found, 1 some run found an anomaly, 2 bad usage, 3 some run broke the simulator, 130 interrupted (finished runs are kept; --resume continues).')
    .action(async (args: string[], flags: SweepFlags) => { exitCode = await (await commands()).commandSweep(args, flags); });

  program.command('suite')
    .description('run every expectation of the given (default: all shipped) scenarios over their seeds')
    .argument('[scenarios...]', 'scenario names or paths')
    .option('--seeds <n>', 'seeds per case (default: each scenario\'s own `seeds`)')
    .option('--jobs <n>', `worker threads (default: every core, here ${defaultJobs()})`)
    .option('--json', 'print the suite result as JSON')
    .option('--coverage', 'also print protocol coverage: each protection and decision point the runs reached, and the safety checks none reached')
    .addOption(reportOption('under --out'))
    .option('--out <dir>', 'where --report writes', DEFAULT_OUT)
    .action(async (names: string[], flags: SuiteFlags) => { exitCode = await (await commands()).commandSuite(names, flags); });

  program.command('replay')
    .description('run a replay file (failures/<run>.json from sweep, run --out or shrink) again and compare its trace hash')
    .argument('<file>', 'a replay file')
    .option('--json', 'print the run report as JSON')
    .addHelpText('after', '\nExit codes: 0 the run passes, 1 an anomaly was found or the trace hash differs (a determinism bug; the message says so), 2 bad file, 3 the simulator broke.')
    .action(async (file: string, flags: { json?: boolean }) => { exitCode = (await commands()).commandReplay(file, flags); });

  program.command('shrink')
    .description('minimise a failing replay file while the same anomaly kind still appears, and write the minimal one')
    .argument('<file>', 'a replay file (failures/<run>.json)')
    .option('--kind <anomaly>', 'the anomaly kind to keep (default: the file\'s first)')
    .option('--max-runs <n>', `run budget (default ${SHRINK_MAX_RUNS})`)
    .option('--max-seconds <s>', `wall-clock budget (default ${SHRINK_MAX_SECONDS})`)
    .option('-o <file>', 'where to write the minimal replay file (default: <file>-shrunk.json beside it)')
    .option('--json', 'print before/after as JSON')
    .addHelpText('after', `
How: delta debugging (ddmin) over the fault list, then each fault's time, duration and count halved while
it still fails, then fewer payments, producers and partitions; pass after pass until nothing changes.
Deterministic for a given run budget (default ${SHRINK_MAX_RUNS} runs); the wall budget (default
${SHRINK_MAX_SECONDS} s) is a safety net, and the output says which budget stopped it.
Exit codes: 0 written, 2 bad file or the run no longer fails with that kind, 3 the simulator broke.`)
    .action(async (file: string, flags: { kind?: string; maxRuns?: string; maxSeconds?: string; o?: string; json?: boolean }) => { exitCode = (await commands()).commandShrink(file, flags); });

  const setExit = (code: number) => { exitCode = code; };
  registerReportMerge(registerReportCommand(program, setExit), setExit);
  registerNecessityCommand(program, setExit);

  program.command('check')
    .description('judge a history file: format v1 (.jsonl, from eos-sim or any harness) or a Jepsen Kafka/queue history (.edn)')
    .argument('<history>', 'a .jsonl history file, or a Jepsen history.edn')
    .option('--json', 'print the check result as JSON')
    .addHelpText('after', '\nExit codes: 0 no anomaly, 1 anomalies found, 2 unreadable or invalid file, or nothing to check.\n'
      + 'A header-only history checks nothing and exits 2. Rules and their Jepsen counterparts: docs/anomalies.md.')
    .action(async (file: string, flags: { json?: boolean }) => { exitCode = (await commands()).commandCheck(file, flags); });

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
    .action(async (flags: CostFlags) => { exitCode = (await import('./costs.ts')).commandCosts(flags); });
  program.command('export')
    .description("write a history in another tool's format: --format edn writes Jepsen's Kafka history shape")
    .argument('<history>', 'a .jsonl history file (or .edn)')
    .addOption(new Option('--format <format>', 'output format').choices([...EXPORT_FORMATS]).default('edn'))
    .option('--out <file>', 'write to this file instead of standard output')
    .addHelpText('after', '\nOne EDN map per operation, times in nanoseconds; the eos-sim header and final lines follow as :info\n'
      + 'operations of process "eos-sim", so `eos-sim check` of the export gives the same verdict (docs/history-format.md).')
    .action(async (file: string, flags: { format: string; out?: string }) => { exitCode = (await commands()).commandExport(file, flags); });

  program.command('list')
    .description('list shipped scenarios, modes, bug modes, model checks, Kafka release lines, fault kinds and anomaly kinds')
    .option('--json', 'print as JSON')
    .action(async (flags: { json?: boolean }) => { exitCode = (await commands()).commandList(flags); });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with code 0; every other commander error is bad usage.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError) { // an option's parser (--report) refused its value
      process.stderr.write(`eos-sim: ${e.message}\n`);
      return 2;
    }
    // Any other error came from a command's implementation; commands.ts knows all of their kinds.
    const code = (await commands()).exitCodeOfError(e);
    if (code !== null) return code;
    throw e;
  }
  return exitCode;
}

// A reader that stops early (`eos-sim … | head`) closes the pipe: that is not an error of ours.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await main(process.argv.slice(2));
