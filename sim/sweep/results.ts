// A sweep's results as data: one RunSummary per finished run, streamed to `<out>/results.jsonl` as runs
// finish (the format is the contract with the reports; see docs/scale-out.md). A line is appended only
// once its run is over, so a killed sweep keeps every run it finished, and `--resume` skips them by key.
import { appendFileSync, readFileSync } from 'node:fs';
import type { SwarmChoice } from '../faults/random-schedule.ts';
import type { Verdict } from '../report/run-report.ts';

export type { Verdict };
export const VERDICTS: readonly Verdict[] = ['pass', 'fail', 'budget-exceeded', 'invariant-broken'];

export interface RunSummary {
  scenario: string;
  /** Hash of the scenario's content, so results of an edited scenario are not mixed with the old one's. */
  scenarioHash: string;
  /** The expectation case (1-based) whose mode, bugs and overrides ran; null for a sweep. */
  case: number | null;
  mode: string;
  bugs: string[];
  /** The modelled Kafka release line. */
  kafka: string;
  seed: number;
  swarm: SwarmChoice | null;
  verdict: Verdict;
  /** Anomaly kind → number of anomalies of that kind in the run (liveness included). */
  kinds: Record<string, number>;
  traceHash: string;
  events: number;
  virtualTimeUs: number;
  /** What went wrong inside the simulator (budget-exceeded, invariant-broken); absent otherwise. */
  error?: string;
  reproduce: string;
  /** The replay file, relative to the results file's folder; null when the run passed. */
  failureFile: string | null;
  /** Protocol coverage of the run (RunResult.coverage); absent for a run that never started. */
  coverage?: Record<string, number>;
}

/** What identifies a run within a sweep: two summaries with one key must be the same run. */
export interface RunIdentity {
  scenarioHash: string;
  case: number | null;
  mode: string;
  bugs: readonly string[];
  kafka: string;
  seed: number;
  /** Whether the swarm was on (the drawn choice follows from the seed). */
  swarm: boolean;
}

export function runKey(r: RunIdentity): string {
  return [r.scenarioHash, r.case ?? '-', r.mode, r.bugs.join('+') || '-', r.kafka, r.swarm ? 'swarm' : '-', r.seed].join(' ');
}

export function summaryKey(s: RunSummary): string {
  return runKey({ ...s, swarm: s.swarm !== null });
}

export class ResultsError extends Error {}

/**
 * The summaries of a results file. A last line cut short (the sweep was killed while writing it) is
 * dropped, since its run will simply run again on --resume; a broken line elsewhere is an error.
 */
export function parseResults(text: string, file: string): RunSummary[] {
  const lines = text.split('\n');
  const out: RunSummary[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (i === lines.length - 1) return;
      throw new ResultsError(`${file}: line ${i + 1} is not JSON (a results file has one run summary per line)`);
    }
    const v = value as Partial<RunSummary>;
    if (typeof v !== 'object' || v === null || typeof v.scenarioHash !== 'string' || typeof v.seed !== 'number' || !VERDICTS.includes(v.verdict as Verdict)) {
      throw new ResultsError(`${file}: line ${i + 1} is not a run summary (needs scenario, scenarioHash, mode, seed, verdict, …)`);
    }
    out.push(v as RunSummary);
  });
  return out;
}

export function readResults(file: string): RunSummary[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ResultsError(`${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseResults(text, file);
}

export function appendSummary(file: string, s: RunSummary): void {
  // One write per line: a kill between two writes leaves whole lines only.
  appendFileSync(file, JSON.stringify(s) + '\n');
}

/** A canonical order (scenario, case, mode, bugs, release, swarm, seed), whatever order the runs finished in. */
export function sortSummaries(list: readonly RunSummary[]): RunSummary[] {
  const k = (s: RunSummary) => [s.scenario, s.scenarioHash, String(s.case ?? 0).padStart(6, '0'), s.mode, s.bugs.join('+'), s.kafka, s.swarm ? '1' : '0'].join('\0');
  return [...list].map((s) => ({ s, k: k(s) })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.s.seed - b.s.seed)).map((x) => x.s);
}
