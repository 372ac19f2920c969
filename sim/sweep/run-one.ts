// One run as a sweep, a suite, `run`, `replay` and `shrink` all see it: the scenario with the swarm draw
// applied, runScenario, the checker, and the outcome folded into a RunSummary and, for a failing run, the
// replay file. A pure function of its spec, so a worker thread and the main thread give the same answer.
import { createHash } from 'node:crypto';
import { check } from '../check/checker.ts';
import { RandomStream } from '../core/random.ts';
import { drawSwarm, type SwarmChoice } from '../faults/random-schedule.ts';
import type { FaultSchedule } from '../faults/schedule.ts';
import { buildRunReport, type RunReport } from '../report/run-report.ts';
import { ConfigError, runScenario, type RunOptions, type RunResult } from '../run/run-scenario.ts';
import type { Bug, Mode, Overrides, Scenario } from '../scenario/types.ts';
import { eosSimVersion, type ReplayFile } from './replay-file.ts';
import type { RunSummary, Verdict } from './results.ts';

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
  /** Replay this schedule instead of the scenario's (replay, shrink). */
  schedule?: FaultSchedule;
  keepTrace?: boolean;
  /** The run's event and memory budget (the model's default when absent). */
  budget?: RunOptions['budget'];
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

/** The modelled release a run reports: the lead's RunResult.release once it exists, else what was asked. */
function releaseOf(run: RunResult | null, spec: RunSpec): string {
  const r = (run as { release?: string } | null)?.release;
  return r ?? spec.kafka ?? 'newest';
}

/** How the run ended, as a verdict; a simulator failure is never read as a finding. */
function outcomeOf(run: RunResult, report: RunReport): { verdict: Verdict; error?: string } {
  const outcome = (run as { outcome?: { kind: string; message?: string; what?: string; limit?: number } }).outcome;
  if (outcome?.kind === 'budget-exceeded') return { verdict: 'budget-exceeded', error: `${outcome.what} budget of ${outcome.limit} exceeded` };
  if (outcome?.kind === 'invariant-broken') return { verdict: 'invariant-broken', error: outcome.message };
  return { verdict: report.verdict };
}

export function executeRun(spec: RunSpec): RunOutcome {
  const { scenario, swarm } = spec.swarm && spec.schedule === undefined
    ? swarmScenario(spec.scenario, spec.seed)
    : { scenario: spec.scenario, swarm: null };
  const options: RunOptions & { kafka?: string } = {
    mode: spec.mode, seed: spec.seed, bugs: spec.bugs, overrides: spec.overrides, kafka: spec.kafka,
    schedule: spec.schedule, keepTrace: spec.keepTrace, budget: spec.budget,
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
    // Bad input is the caller's to report (exit 2); anything else thrown is the simulator breaking.
    if (e instanceof ConfigError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    return {
      summary: { ...identity(releaseOf(null, spec)), verdict: 'invariant-broken', kinds: {}, traceHash: '', events: 0, virtualTimeUs: 0, error: message, ...trailer },
      run: null, report: null, replay: null,
    };
  }
  const report = buildRunReport(scenario.file, run, check(run.history), spec.reproduce);
  const { verdict, error } = outcomeOf(run, report);
  const kafka = releaseOf(run, spec);
  const summary: RunSummary = {
    ...identity(kafka), verdict, kinds: report.counts, traceHash: run.traceHash, events: run.events, virtualTimeUs: run.virtualTimeUs,
    ...(error === undefined ? {} : { error }), ...trailer,
  };
  const replay: ReplayFile | null = verdict === 'pass' ? null : {
    replay: 'eos-sim', version: 1, eosSimVersion: eosSimVersion(), scenario: spec.source, kafka, mode: spec.mode,
    bugs: [...spec.bugs], overrides: spec.overrides, seed: spec.seed, swarm, schedule: run.schedule,
    traceHash: run.traceHash, anomalies: report.counts,
  };
  return { summary, run, report, replay };
}
