// A failure's detail for the HTML report. Runs are deterministic, so the trace a diagram needs is not
// stored with the results: the failing run is run again with its trace kept, from its replay file, its
// run folder's report.json, or its scenario and case, and the re-run's trace hash is held against the
// recorded one.
import { readFileSync } from 'node:fs';
import { check } from '../check/checker.ts';
import type { FaultSchedule } from '../faults/schedule.ts';
import { DEFAULT_NETWORK } from '../kafka/config.ts';
import { runScenario, type RunOptions, type RunResult } from '../run/run-scenario.ts';
import { scenarioHash } from '../scenario/hash.ts';
import { loadScenario, parseScenario, resolveScenarioPath } from '../scenario/load.ts';
import type { Bug, Mode, Overrides, Scenario } from '../scenario/types.ts';
import type { FailureDetail } from './report-data.ts';
import { buildRunReport, type RunReport } from './run-report.ts';
import type { RunSummary } from './run-summary.ts';
import { spaceTime } from './space-time.ts';

/** What re-runs a failure: the scenario's content and the run's options. */
export interface RerunPlan {
  scenario: Scenario;
  options: RunOptions;
  caseIndex?: number;
}

/** The fields of a replay file (`<out>/failures/*.json`) that re-run it. */
interface ReplayFile {
  replay: 'eos-sim';
  scenario: unknown;
  mode: Mode;
  bugs: Bug[];
  overrides?: Partial<Overrides>;
  seed: number;
  schedule: FaultSchedule;
}

export function planFromReplayFile(path: string): RerunPlan {
  const file = JSON.parse(readFileSync(path, 'utf8')) as ReplayFile;
  if (file.replay !== 'eos-sim') throw new Error(`${path} is not an eos-sim replay file`);
  // The scenario's content travels in the file; it is validated as if it were a scenario file of its own.
  const scenario = parseScenario(JSON.stringify(file.scenario), `${path}.scenario.json`);
  return {
    scenario,
    options: { mode: file.mode, seed: file.seed, bugs: file.bugs, overrides: file.overrides, schedule: file.schedule, keepTrace: true },
  };
}

export function planFromReport(report: RunReport): RerunPlan {
  return {
    scenario: loadScenario(report.file),
    options: { mode: report.mode as Mode, seed: report.seed, bugs: report.bugs as Bug[], overrides: report.overrides, keepTrace: true },
    caseIndex: report.caseIndex,
  };
}

/** From a results line alone: the scenario by name (or path) and the overrides of its case. */
export function planFromSummary(summary: RunSummary): RerunPlan {
  const scenario = loadScenario(resolveScenarioPath(summary.scenario));
  const c = summary.case === null ? undefined : scenario.expect[summary.case];
  return {
    scenario,
    options: {
      mode: summary.mode as Mode, seed: summary.seed, bugs: summary.bugs as Bug[], keepTrace: true,
      overrides: c === undefined ? undefined : { producer: c.producer, consumer: c.consumer },
    },
    caseIndex: summary.case ?? undefined,
  };
}

const MAX_ANOMALIES_DRAWN = 5;

/** The detail of a run that kept its trace: its report and its diagram. */
export function detailOfRun(summary: RunSummary, scenario: Scenario, run: RunResult, report: RunReport): FailureDetail {
  const notes: string[] = [];
  const hash = scenarioHash(scenario);
  if (summary.scenarioHash !== '' && summary.scenarioHash !== hash) {
    notes.push(`the scenario changed since the run (hash ${summary.scenarioHash}, now ${hash}); this is today's scenario`);
  }
  if (summary.traceHash !== run.traceHash) {
    notes.push(`the re-run's trace hash ${run.traceHash} differs from the recorded ${summary.traceHash}: the scenario or eos-sim changed, or the run is not deterministic`);
  }
  const witnesses = report.anomalies.slice(0, MAX_ANOMALIES_DRAWN).map((a) => ('events' in a.witness ? a.witness.events : []));
  const diagram = run.trace === null ? null : spaceTime(run.trace, run.schedule, witnesses, {
    latencyUsMean: scenario.network.latencyUsMean ?? DEFAULT_NETWORK.latencyUsMean,
  });
  return { summary, report, diagram, note: notes.length > 0 ? notes.join('; ') : null };
}

/** Re-runs a failure with its trace kept; a failure to do so becomes the detail's note, not an error. */
export function rerunDetail(summary: RunSummary, plan: () => RerunPlan): FailureDetail {
  let p: RerunPlan;
  try {
    p = plan();
  } catch (e) {
    return { summary, report: null, diagram: null, note: `cannot re-run it for its diagram: ${(e as Error).message}` };
  }
  const run = runScenario(p.scenario, p.options);
  const report = buildRunReport(p.scenario.file, run, check(run.history), summary.reproduce, {
    scenarioHash: scenarioHash(p.scenario), caseIndex: p.caseIndex, overrides: p.options.overrides as Overrides | undefined,
  });
  return detailOfRun(summary, p.scenario, run, report);
}
