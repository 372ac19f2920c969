// What `eos-sim report` reads: a sweep's results.jsonl, a run folder (report.json, as `run --out` writes
// it), or an output folder holding either. Each run becomes a results line and a way to re-run it.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { planFromReplayFile, planFromReport, planFromSummary, type RerunPlan } from './rerun.ts';
import type { RunReport } from './run-report.ts';
import { summaryOfReport, VERDICTS, type RunSummary } from './run-summary.ts';

/** Unreadable or malformed input: bad input, exit code 2. */
export class ReportInputError extends Error {}

export interface ReportSource {
  summary: RunSummary;
  /** How to re-run it with its trace kept (called only for the failures a report shows in detail). */
  plan: () => RerunPlan;
}

export const RESULTS_FILE = 'results.jsonl';
export const RUN_REPORT_FILE = 'report.json';

export function readReportSources(path: string): ReportSource[] {
  if (!existsSync(path)) throw new ReportInputError(`${path}: no such file or folder (allowed: a results.jsonl, a run folder, or an output folder)`);
  if (statSync(path).isFile()) {
    if (path.endsWith('.jsonl')) return readResults(path);
    if (path.endsWith('.json')) return [readRunReport(path)];
    throw new ReportInputError(`${path}: not a results file (allowed: a results .jsonl, a run's report.json, or a folder)`);
  }
  const out: ReportSource[] = [];
  if (existsSync(join(path, RESULTS_FILE))) out.push(...readResults(join(path, RESULTS_FILE)));
  if (existsSync(join(path, RUN_REPORT_FILE))) out.push(readRunReport(join(path, RUN_REPORT_FILE)));
  if (out.length > 0) return out;
  // An output folder: one sub-folder per run (`run --out`), read in name order.
  for (const name of readdirSync(path).sort()) {
    const report = join(path, name, RUN_REPORT_FILE);
    if (existsSync(report)) out.push(readRunReport(report));
  }
  if (out.length === 0) {
    throw new ReportInputError(`${path}: holds no ${RESULTS_FILE}, no ${RUN_REPORT_FILE} and no run folders with one (write them with \`eos-sim sweep --out\` or \`eos-sim run --out\`)`);
  }
  return out;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ReportInputError(`${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

function readRunReport(file: string): ReportSource {
  let report: RunReport;
  try {
    report = JSON.parse(readText(file)) as RunReport;
  } catch (e) {
    if (e instanceof ReportInputError) throw e;
    throw new ReportInputError(`${file}: not JSON (${(e as Error).message})`);
  }
  for (const field of ['scenario', 'file', 'mode', 'seed', 'verdict', 'counts', 'traceHash', 'reproduce'] as const) {
    if (report[field] === undefined) throw new ReportInputError(`${file}: not a run report: field ${field} is missing`);
  }
  return { summary: summaryOfReport(report), plan: () => planFromReport(report) };
}

const REQUIRED: [keyof RunSummary, string][] = [
  ['scenario', 'string'], ['mode', 'string'], ['seed', 'number'], ['verdict', 'string'], ['kinds', 'object'],
  ['traceHash', 'string'], ['reproduce', 'string'],
];

function readResults(file: string): ReportSource[] {
  const lines = readText(file).split('\n');
  // A sweep appends a line as each run finishes; one killed mid-write leaves an unterminated last line,
  // which is not a result.
  lines.pop();
  return lines.flatMap((line, i): ReportSource[] => {
    if (line.trim() === '') return [];
    const where = `${file}:${i + 1}`;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line) as Record<string, unknown>;
    } catch (e) {
      throw new ReportInputError(`${where}: not JSON (${(e as Error).message})`);
    }
    for (const [field, type] of REQUIRED) {
      if (typeof row[field] !== type || row[field] === null) throw new ReportInputError(`${where}: field ${field} must be a ${type}, got ${JSON.stringify(row[field])}`);
    }
    if (!(VERDICTS as readonly unknown[]).includes(row.verdict)) {
      throw new ReportInputError(`${where}: verdict ${JSON.stringify(row.verdict)} is not allowed (allowed: ${VERDICTS.join(', ')})`);
    }
    const summary: RunSummary = {
      scenarioHash: '', case: null, bugs: [], kafka: null, swarm: null, events: 0, virtualTimeUs: 0, failureFile: null,
      ...(row as Partial<RunSummary>),
    } as RunSummary;
    return [sourceOfSummary(summary, dirname(file))];
  });
}

/**
 * A results line as a report source: re-run from its replay file when it has one (`dir` is the results
 * file's folder, where a relative path may lie), else from its scenario and case.
 */
export function sourceOfSummary(summary: RunSummary, dir: string): ReportSource {
  const replay = summary.failureFile === null ? null : locate(summary.failureFile, dir);
  return { summary, plan: () => (replay === null ? planFromSummary(summary) : planFromReplayFile(replay)) };
}

/**
 * A path written in a results file: as given when it exists (relative to where the sweep ran), else under
 * the results file's folder, where a copied or downloaded output folder keeps its failures.
 */
function locate(path: string, dir: string): string {
  if (isAbsolute(path) || existsSync(path)) return path;
  return [join(dir, path), join(dir, 'failures', basename(path))].find((p) => existsSync(p)) ?? path;
}
