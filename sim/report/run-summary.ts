// One finished run as a line of a results file: the shape of docs' contract for `<out>/results.jsonl`
// (sweeps append one per run; `eos-sim report` reads them). It mirrors `RunSummary` of the sweep's
// results module, so a report reads a sweep's file and a single run's report alike.
import type { RunReport } from './run-report.ts';

/** 'budget-exceeded' and 'invariant-broken' mean the simulator broke, not that Kafka did. */
export const VERDICTS = ['pass', 'fail', 'budget-exceeded', 'invariant-broken'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface RunSummary {
  /** The scenario's name. */
  scenario: string;
  scenarioHash: string;
  /** The expectation case (0-based) the run took mode, bugs and overrides from; null when none. */
  case: number | null;
  mode: string;
  bugs: string[];
  /** The Kafka release the run modelled; null from a model without releases. */
  kafka: string | null;
  seed: number;
  /** The swarm draw (fault kinds and rates switched on), null outside swarm runs. */
  swarm: object | null;
  verdict: Verdict;
  /** Anomalies found, per kind (liveness included). */
  kinds: Record<string, number>;
  traceHash: string;
  events: number;
  virtualTimeUs: number;
  reproduce: string;
  /** The replay file written for a failure, null when none was written. */
  failureFile: string | null;
}

/** A single run's report as a results line, for `run --report` and run folders. */
export function summaryOfReport(r: RunReport): RunSummary {
  return {
    scenario: r.scenario, scenarioHash: r.scenarioHash ?? '', case: r.caseIndex ?? null, mode: r.mode, bugs: r.bugs,
    kafka: r.release ?? null, seed: r.seed, swarm: null, verdict: r.verdict, kinds: r.counts, traceHash: r.traceHash,
    events: r.events, virtualTimeUs: r.virtualTimeUs, reproduce: r.reproduce, failureFile: null,
  };
}
