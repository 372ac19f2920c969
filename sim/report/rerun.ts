// A failure's detail for the HTML report. Runs are deterministic, so the trace a diagram needs is not
// stored with the results: the failing run is run again with its trace kept, from its replay file, its
// run folder's report.json, or its scenario and case, and the re-run's scenario and trace hashes are held
// against the recorded ones.
import { DEFAULT_NETWORK } from '../kafka/config.ts';
import type { RunResult } from '../run/run-scenario.ts';
import { resolveScenarioPath } from '../scenario/load.ts';
import type { Bug, Mode, Scenario } from '../scenario/types.ts';
import { readReplayFile, replayScenario } from '../sweep/replay-file.ts';
import type { RunSummary } from '../sweep/results.ts';
import { executeRun, type RunSpec } from '../sweep/run-one.ts';
import { loadWithSource } from '../sweep/scenarios.ts';
import type { FailureDetail } from './report-data.ts';
import type { RunReport } from './run-report.ts';
import { spaceTime } from './space-time.ts';

const NO_OVERRIDES = { producer: {}, consumer: {} };

/** From a replay file: the scenario's content, overrides and concrete schedule travel in it. */
export function planFromReplayFile(path: string, reproduce: string): RunSpec {
  const r = readReplayFile(path);
  return {
    scenario: replayScenario(r, path), source: r.scenario, case: null, mode: r.mode as Mode, bugs: r.bugs as Bug[],
    overrides: r.overrides, kafka: r.kafka, seed: r.seed, swarm: false, schedule: r.schedule, budget: r.budget, keepTrace: true, reproduce,
  };
}

/** From a run folder's report.json: its scenario file, case and overrides. */
export function planFromReport(report: RunReport): RunSpec {
  const { scenario, source } = loadWithSource(report.file);
  return {
    scenario, source, case: report.caseIndex === undefined ? null : report.caseIndex + 1, mode: report.mode as Mode,
    bugs: report.bugs as Bug[], overrides: report.overrides ?? NO_OVERRIDES, kafka: report.kafka, seed: report.seed,
    swarm: false, keepTrace: true, reproduce: report.reproduce,
  };
}

/** From a results line alone: the scenario by name (or path) and the overrides of its case. */
export function planFromSummary(summary: RunSummary): RunSpec {
  const { scenario, source } = loadWithSource(resolveScenarioPath(summary.scenario));
  const c = summary.case === null ? undefined : scenario.expect[summary.case - 1];
  return {
    scenario, source, case: summary.case, mode: summary.mode as Mode, bugs: summary.bugs as Bug[],
    overrides: c === undefined ? NO_OVERRIDES : { producer: c.producer, consumer: c.consumer }, kafka: summary.kafka,
    seed: summary.seed, swarm: summary.swarm !== null, keepTrace: true, reproduce: summary.reproduce,
  };
}

const MAX_ANOMALIES_DRAWN = 5;

/** The detail of a run that kept its trace: its report and its diagram, with what to be careful of. */
export function detailOfRun(summary: RunSummary, scenario: Scenario, run: RunResult, report: RunReport, notes: string[] = []): FailureDetail {
  const witnesses = report.anomalies.slice(0, MAX_ANOMALIES_DRAWN).map((a) => ('events' in a.witness ? a.witness.events : []));
  const diagram = run.trace === null ? null : spaceTime(run.trace, run.schedule, witnesses, {
    latencyUsMean: scenario.network.latencyUsMean ?? DEFAULT_NETWORK.latencyUsMean,
  });
  return { summary, report, diagram, note: notes.length > 0 ? notes.join('; ') : null };
}

/** Re-runs a failure with its trace kept; a failure to do so becomes the detail's note, not an error. */
export function rerunDetail(summary: RunSummary, plan: () => RunSpec): FailureDetail {
  let spec: RunSpec;
  try {
    spec = plan();
  } catch (e) {
    return { summary, report: null, diagram: null, note: `cannot re-run it for its diagram: ${(e as Error).message}` };
  }
  const again = executeRun(spec);
  if (!again.run || !again.report) return { summary, report: null, diagram: null, note: `the re-run broke the simulator: ${again.summary.error}` };
  const notes: string[] = [];
  if (summary.scenarioHash !== again.summary.scenarioHash) {
    notes.push(`the scenario changed since the run (hash ${summary.scenarioHash}, now ${again.summary.scenarioHash}); this is today's scenario`);
  }
  if (summary.traceHash !== again.summary.traceHash) {
    notes.push(`the re-run's trace hash ${again.summary.traceHash} differs from the recorded ${summary.traceHash}: the scenario or eos-sim changed, or the run is not deterministic`);
  }
  return detailOfRun(summary, spec.scenario, again.run, again.report, notes);
}
