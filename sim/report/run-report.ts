// A run's report as plain data: what ran, the verdict, the anomalies with their witnesses, and the one
// command that reproduces it. Text and JSON are formatters over this; nothing here formats.
import type { Anomaly, CheckResult, CheckStats } from '../check/anomaly.ts';
import type { FaultSchedule } from '../faults/schedule.ts';
import type { RunOutcome, RunResult } from '../run/run-scenario.ts';
import type { Overrides } from '../scenario/types.ts';
import { eosSimVersion } from '../sweep/replay-file.ts';

/** A run that could not quiesce is a liveness failure; the checker cannot see it in the history. */
export interface LivenessAnomaly {
  kind: 'liveness';
  message: string;
  witness: { stuck: string[]; virtualTimeUs: number; seed: number };
}
export type ReportedAnomaly = Anomaly | LivenessAnomaly;

export interface RunReport {
  scenario: string;
  file: string;
  mode: string;
  seed: number;
  bugs: string[];
  /** The modelled Kafka release (major.minor) and its line. */
  kafka: string;
  kafkaLine: string;
  /** pass / fail judge the history; the other two say the simulator itself broke (exit code 3). */
  verdict: Verdict;
  outcome: RunOutcome;
  /** Protocol coverage of the run (RunResult.coverage). */
  coverage: Record<string, number>;
  anomalies: ReportedAnomaly[];
  /** Every anomaly found per kind, every kind (zeros included) as in CheckResult.counts; the list above is capped per kind. */
  counts: Record<string, number>;
  traceHash: string;
  events: number;
  virtualTimeUs: number;
  quiesced: boolean;
  schedule: FaultSchedule;
  stats: CheckStats & { messagesSent: number; messagesLost: number; lateRequests: number };
  reproduce: string;
  /** The build that wrote the report. */
  eosSimVersion: string;
  /** The hash of the scenario's content (sim/sweep/run-one.ts), so a report can tell whether its file changed since. */
  scenarioHash?: string;
  /** The case of the scenario's expectations the run took its mode, bugs and overrides from (0-based). */
  caseIndex?: number;
  /** Overrides on top of the scenario's (a case's and --set's): with the fields above, what re-runs it. */
  overrides?: Overrides;
  /** Where the model's simplifications are listed (a report is only as true as the model behind it). */
  model: string;
}

export const MODEL_NOTES = 'docs/model.md';

/** What the caller knows about a run beyond its result: which scenario content and which overrides. */
export interface RunOrigin {
  scenarioHash?: string;
  caseIndex?: number;
  overrides?: Overrides;
}

export type Verdict = 'pass' | 'fail' | 'budget-exceeded' | 'invariant-broken';

/** Exit code of a run with this verdict: 0 no violation, 1 violation found, 3 the simulator broke. */
export function verdictExitCode(verdict: Verdict): number {
  return verdict === 'pass' ? 0 : verdict === 'fail' ? 1 : 3;
}

export function buildRunReport(file: string, run: RunResult, check: CheckResult, reproduce: string, origin: RunOrigin = {}): RunReport {
  // A broken run's history stops at the failure: judging it would report the breakage as anomalies.
  const completed = run.outcome.kind === 'completed';
  // The checker sees only the history's `quiesced: false`; the run knows what was stuck, so its liveness
  // anomaly replaces the checker's. Counts have the checker's shape: every kind, zeros included.
  const anomalies: ReportedAnomaly[] = completed ? check.anomalies.filter((a) => a.kind !== 'liveness') : [];
  const counts: Record<string, number> = {};
  for (const [k, n] of Object.entries(check.counts)) counts[k] = completed ? n : 0;
  if (completed && !run.quiesced) {
    anomalies.push({
      kind: 'liveness',
      message: `the run did not quiesce within ${run.virtualTimeUs / 1000} ms of virtual time: ${run.stuck.join('; ')}`,
      witness: { stuck: run.stuck, virtualTimeUs: run.virtualTimeUs, seed: run.seed },
    });
    counts.liveness = 1;
  }
  return {
    scenario: run.scenario, file, mode: run.mode, seed: run.seed, bugs: run.bugs,
    kafka: run.release, kafkaLine: run.config.release.line.name,
    verdict: !completed ? run.outcome.kind as Verdict : anomalies.length > 0 ? 'fail' : 'pass',
    outcome: run.outcome,
    coverage: run.coverage,
    anomalies, counts, traceHash: run.traceHash, events: run.events, virtualTimeUs: run.virtualTimeUs,
    quiesced: run.quiesced, schedule: run.schedule,
    stats: { ...check.stats, ...run.network },
    reproduce,
    eosSimVersion: eosSimVersion(),
    ...origin,
    model: MODEL_NOTES,
  };
}
