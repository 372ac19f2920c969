// `eos-sim report <results|run dir|out dir> --format html|junit|json|text [-o FILE]`, and the reports that
// `run --report FORMAT` writes beside a run. The formats themselves live in sim/report/formats.ts.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Chalk } from 'chalk';
import type { ReportFormat } from '../sim/report/format-names.ts';
import { renderReport, reportData, writeReport } from '../sim/report/formats.ts';
import { ReportInputError, readReportSources, sourceOfSummary } from '../sim/report/input.ts';
import { detailOfRun } from '../sim/report/rerun.ts';
import type { RunReport } from '../sim/report/run-report.ts';
import type { RunResult } from '../sim/run/run-scenario.ts';
import type { Scenario } from '../sim/scenario/types.ts';
import type { RunSummary } from '../sim/sweep/results.ts';
import { colours } from './cli-shared.ts';

export interface ReportFlags {
  format: ReportFormat;
  output?: string;
}

/** Exit code of a report: 3 when the simulator broke in some run, else 1 when some run failed, else 0. */
function verdictCode(totals: { failing: number; broken: number }): number {
  return totals.broken > 0 ? 3 : totals.failing > 0 ? 1 : 0;
}

/** Progress while failures are re-run for their diagrams: a line each, on stderr. */
function rerunProgress(done: number, total: number): void {
  process.stderr.write(`eos-sim report: re-running failure ${done + 1}/${total} for its diagram…\n`);
}

/** A file gets no colour codes, whatever the terminal supports. */
const PLAIN = new Chalk({ level: 0 });

export function commandReport(paths: string[], flags: ReportFlags): number {
  // An unusable output path is refused before any work, so nothing is half done.
  if (flags.output !== undefined) {
    const dir = dirname(flags.output);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ReportInputError(`-o ${flags.output}: folder ${dir} does not exist`);
    if (existsSync(flags.output) && statSync(flags.output).isDirectory()) throw new ReportInputError(`-o ${flags.output}: is a folder (allowed: a file path)`);
  }
  const sources = paths.flatMap((p) => readReportSources(p));
  const data = reportData(sources, paths, flags.format, { onRerun: rerunProgress });
  const text = renderReport(data, flags.format, flags.output === undefined ? colours() : PLAIN);
  if (flags.output === undefined) process.stdout.write(text);
  else {
    writeFileSync(flags.output, text);
    process.stderr.write(`wrote ${flags.output}\n`);
  }
  return verdictCode(data.totals);
}

/** `run --report FORMAT`: the run's reports, written into its output folder; returns the files written. */
export function writeRunReports(formats: ReportFormat[], dir: string, scenario: Scenario, run: RunResult, report: RunReport, summary: RunSummary): string[] {
  const source = { summary, plan: () => { throw new Error('a run in hand is not re-run'); } };
  // The run kept its trace when HTML was asked for, so its diagram comes from the run itself.
  const details = report.verdict === 'pass' ? [] : [detailOfRun(summary, scenario, run, report)];
  return formats.map((format) => writeReport([source], [report.file], format, dir, PLAIN, { details }));
}

/** `sweep --report FORMAT` and `suite --report FORMAT`: reports over their runs, written under `out`. */
export function writeResultsReports(formats: ReportFormat[], summaries: readonly RunSummary[], out: string): void {
  const sources = summaries.map((s) => sourceOfSummary(s, out));
  for (const format of formats) {
    const file = writeReport(sources, [out], format, out, PLAIN, { onRerun: rerunProgress });
    process.stderr.write(`wrote ${file}\n`);
  }
}
