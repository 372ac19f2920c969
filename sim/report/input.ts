// What `eos-sim report` reads: a sweep's results.jsonl, a run folder (report.json, as `run --out` writes
// it), or an output folder holding either. Each run becomes a results line and a way to re-run it.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { readResults, type RunSummary } from '../sweep/results.ts';
import type { RunSpec } from '../sweep/run-one.ts';
import { RESULTS_FILE } from '../sweep/sweep.ts';
import { planFromReplayFile, planFromReport, planFromSummary } from './rerun.ts';
import type { RunReport } from './run-report.ts';

/** Unreadable or malformed input: bad input, exit code 2. */
export class ReportInputError extends Error {}

export interface ReportSource {
  summary: RunSummary;
  /** How to re-run it with its trace kept (called only for the failures a report shows in detail). */
  plan: () => RunSpec;
}

export const RUN_REPORT_FILE = 'report.json';

export function readReportSources(path: string): ReportSource[] {
  if (!existsSync(path)) throw new ReportInputError(`${path}: no such file or folder (allowed: a results.jsonl, a run folder, or an output folder)`);
  if (statSync(path).isFile()) {
    if (path.endsWith('.jsonl')) return readResults(path).map((s) => sourceOfSummary(s, dirname(path)));
    if (path.endsWith('.json')) return [readRunReport(path)];
    throw new ReportInputError(`${path}: not a results file (allowed: a results .jsonl, a run's report.json, or a folder)`);
  }
  const out: ReportSource[] = [];
  const results = join(path, RESULTS_FILE);
  if (existsSync(results)) out.push(...readResults(results).map((s) => sourceOfSummary(s, path)));
  if (existsSync(join(path, RUN_REPORT_FILE))) out.push(readRunReport(join(path, RUN_REPORT_FILE)));
  if (out.length > 0) return out;
  // An output folder of runs: one sub-folder per run (`run --out`), read in name order.
  for (const name of readdirSync(path).sort()) {
    const report = join(path, name, RUN_REPORT_FILE);
    if (existsSync(report)) out.push(readRunReport(report));
  }
  if (out.length === 0) {
    throw new ReportInputError(`${path}: holds no ${RESULTS_FILE}, no ${RUN_REPORT_FILE} and no run folders with one (write them with \`eos-sim sweep --out\` or \`eos-sim run --out\`)`);
  }
  return out;
}

/** A single run's report as a results line. */
export function summaryOfReport(r: RunReport): RunSummary {
  return {
    scenario: r.scenario, scenarioHash: r.scenarioHash ?? '', case: r.caseIndex === undefined ? null : r.caseIndex + 1,
    mode: r.mode, bugs: r.bugs, kafka: r.kafka, seed: r.seed, swarm: null, verdict: r.verdict,
    kinds: r.counts, traceHash: r.traceHash, events: r.events, virtualTimeUs: r.virtualTimeUs, reproduce: r.reproduce,
    failureFile: null,
  };
}

function readRunReport(file: string): ReportSource {
  let report: RunReport;
  try {
    report = JSON.parse(readFileSync(file, 'utf8')) as RunReport;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ReportInputError(`${file}: ${err.code ? `cannot read the file (${err.code})` : `not JSON (${err.message})`}`);
  }
  for (const field of ['scenario', 'file', 'mode', 'seed', 'verdict', 'counts', 'traceHash', 'reproduce'] as const) {
    if (report[field] === undefined) throw new ReportInputError(`${file}: not a run report: field ${field} is missing`);
  }
  return { summary: summaryOfReport(report), plan: () => planFromReport(report) };
}

/**
 * A results line as a report source: re-run from its replay file when it has one (`dir` is the results
 * file's folder, which the sweep writes replay paths relative to), else from its scenario and case.
 */
export function sourceOfSummary(summary: RunSummary, dir: string): ReportSource {
  const replay = summary.failureFile === null ? null : locate(summary.failureFile, dir);
  return { summary, plan: () => (replay === null ? planFromSummary(summary) : planFromReplayFile(replay, summary.reproduce)) };
}

/** A replay file's path: under the results file's folder, else as given, else in that folder's failures/. */
function locate(path: string, dir: string): string {
  if (isAbsolute(path)) return path;
  return [join(dir, path), path, join(dir, 'failures', basename(path))].find((p) => existsSync(p)) ?? join(dir, path);
}
