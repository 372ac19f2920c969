// One run as a sweep, a suite, `run`, `replay` and `shrink` all see it: the scenario with the swarm draw
// applied, runScenario, the checker, and the outcome folded into a RunSummary and, for a failing run, the
// replay file. A pure function of its spec, so a worker thread and the main thread give the same answer.
import { createHash } from 'node:crypto';
import { check } from '../check/checker.ts';
import { RandomStream } from '../core/random.ts';
import { drawSwarm, type SwarmChoice } from '../faults/random-schedule.ts';
import type { FaultSchedule } from '../faults/schedule.ts';
import type { RunBudget } from '../core/invariant.ts';
import type { ModelCheck } from '../kafka/checks.ts';
import { resolveRelease } from '../kafka/releases.ts';
import { buildRunReport, type RunReport } from '../report/run-report.ts';
import { ConfigError, runScenario, type RunOptions, type RunResult } from '../run/run-scenario.ts';
import type { Bug, Mode, Overrides, Scenario } from '../scenario/types.ts';
import { eosSimVersion, type ReplayFile } from './replay-file.ts';
import type { RunSummary } from './results.ts';

export interface RunSpec {
  scenario: Scenario;
  /** The scenario file's content as parsed; it goes into the replay file and the scenario hash. */
  source: unknown;
  /** 1-based expectation case whose mode, bugs and overrides these are, or null. */
  case: number | null;
  mode: Mode;
  bugs: Bug[];
  overrides: Overrides;
  /** The Kafka release asked for (a release line such as '3.6'); the scenario's or the newest when absent. */
  kafka?: string;
  seed: number;
  /** Draw a swarm subset of the scenario's random fault kinds for this seed. */
  swarm: boolean;
  /** Limits of the run (the model's default when absent). */
  budget?: RunBudget;
  /** Model checks switched off for testing (the necessity test). */
  checksOff?: ModelCheck[];
  /** Replay this schedule instead of the scenario's (replay, shrink). */
  schedule?: FaultSchedule;
  keepTrace?: boolean;
  reproduce: string;
}

export interface RunOutcome {
  summary: RunSummary;
  /** Null when the simulator broke before it produced a result. */
  run: RunResult | null;
  report: RunReport | null;
  /** The replay file's content for a run that did not pass (written by the caller). */
  replay: ReplayFile | null;
}

/** The stream the swarm draws from: its own name, so switching the swarm on shifts no other draw. */
export const SWARM_STREAM = 'swarm';

export function scenarioHash(source: unknown): string {
  return createHash('sha256').update(JSON.stringify(source)).digest('hex').slice(0, 16);
}

/**
 * The scenario a seed runs under the swarm: its random fault kinds and rate replaced by the seed's draw.
 * A scenario without random faults has nothing to draw from; the caller refuses --swarm for it.
 */
export function swarmScenario(scenario: Scenario, seed: number): { scenario: Scenario; swarm: SwarmChoice } {
  const random = scenario.faults.random;
  if (!random) throw new ConfigError(`${scenario.file}: --swarm needs faults.random (the kinds a swarm picks from); this scenario has only a scripted schedule`);
  const swarm = drawSwarm(random, new RandomStream(SWARM_STREAM, seed));
  return { scenario: { ...scenario, faults: { ...scenario.faults, random: { ...random, ...swarm } } }, swarm };
}

/** The release a run models, as its summary names it: the one asked for, else the scenario's, else the newest. */
export function releaseOf(scenario: Scenario, kafka: string | undefined): string {
  return resolveRelease(kafka ?? scenario.kafka).release;
}

/** What broke, for a run whose simulator broke; a simulator failure is never read as a finding. */
function errorOf(run: RunResult): string | undefined {
  const o = run.outcome;
  if (o.kind === 'budget-exceeded') return `more than ${o.limit} ${o.what === 'events' ? 'events executed' : 'events queued at once'} at ${o.atUs} µs`;
  if (o.kind === 'invariant-broken') return `${o.message} at ${o.atUs} µs`;
  return undefined;
}

export function executeRun(spec: RunSpec): RunOutcome {
  const { scenario, swarm } = spec.swarm && spec.schedule === undefined
    ? swarmScenario(spec.scenario, spec.seed)
    : { scenario: spec.scenario, swarm: null };
  const options: RunOptions = {
    mode: spec.mode, seed: spec.seed, bugs: spec.bugs, overrides: spec.overrides, kafka: spec.kafka,
    schedule: spec.schedule, keepTrace: spec.keepTrace, budget: spec.budget, checksOff: spec.checksOff,
  };
  const identity = (kafka: string) => ({
    scenario: scenario.name, scenarioHash: scenarioHash(spec.source), case: spec.case, mode: spec.mode, bugs: [...spec.bugs],
    kafka, seed: spec.seed, swarm,
  });
  const trailer = { reproduce: spec.reproduce, failureFile: null };
  let run: RunResult;
  try {
    run = runScenario(scenario, options);
  } catch (e) {
    // Bad input is the caller's to report (exit 2); anything else thrown is the simulator breaking in a
    // way runScenario did not catch as an outcome.
    if (e instanceof ConfigError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    return {
      summary: { ...identity(releaseOf(scenario, spec.kafka)), verdict: 'invariant-broken', kinds: {}, traceHash: '', events: 0, virtualTimeUs: 0, error: message, ...trailer },
      run: null, report: null, replay: null,
    };
  }
  const report = buildRunReport(scenario.file, run, check(run.history), spec.reproduce);
  // The report counts every kind, zeros included; summaries and replay files list the kinds found.
  const found = Object.fromEntries(Object.entries(report.counts).filter(([, n]) => n > 0));
  const verdict = report.verdict;
  const error = errorOf(run);
  const kafka = run.release;
  const summary: RunSummary = {
    ...identity(kafka), verdict, kinds: found, traceHash: run.traceHash, events: run.events, virtualTimeUs: run.virtualTimeUs,
    ...(error === undefined ? {} : { error }), ...trailer, coverage: run.coverage,
  };
  const replay: ReplayFile | null = verdict === 'pass' ? null : {
    replay: 'eos-sim', version: 1, eosSimVersion: eosSimVersion(), scenario: spec.source, kafka, mode: spec.mode,
    bugs: [...spec.bugs], overrides: spec.overrides, seed: spec.seed, swarm, schedule: run.schedule,
    traceHash: run.traceHash, anomalies: found, ...(spec.budget === undefined ? {} : { budget: spec.budget }),
    ...(spec.checksOff === undefined || spec.checksOff.length === 0 ? {} : { checksOff: [...spec.checksOff] }),
  };
  return { summary, run, report, replay };
}
