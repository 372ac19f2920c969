// The report formats and the one entry point that builds and writes a report, for `eos-sim report`,
// `run --report`, and the sweep and suite commands: html (a person, offline), junit (CI), json (machines),
// text (a terminal).
import type { ChalkInstance } from 'chalk';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatHtml } from './html.ts';
import type { ReportSource } from './input.ts';
import { formatJunit } from './junit.ts';
import { buildReportData, failuresToDetail, type FailureDetail, type ReportData } from './report-data.ts';
import { rerunDetail } from './rerun.ts';
import { formatReportText } from './text.ts';
import type { ReportFormat } from './format-names.ts';

/** The file each format is written to under an output folder (report.json is a single run's own report). */
export const REPORT_FILES: Record<ReportFormat, string> = {
  html: 'report.html', junit: 'junit.xml', json: 'summary.json', text: 'summary.txt',
};

/** Failures re-run for a diagram in an HTML report: each costs one run with its trace kept. */
export const MAX_DETAILED_FAILURES = 12;

export interface ReportOptions {
  /** Details already at hand (a run that kept its trace), used instead of re-running. */
  details?: FailureDetail[];
  /** Called before each failure is re-run for its diagram: progress on long work. */
  onRerun?: (done: number, total: number) => void;
}

/** The report's data; only HTML shows failures in detail, so only HTML re-runs them. */
export function reportData(sources: readonly ReportSource[], names: string[], format: ReportFormat, options: ReportOptions = {}): ReportData {
  const data = buildReportData(sources.map((s) => s.summary), names);
  if (format !== 'html') return data;
  let details = options.details;
  if (details === undefined) {
    const chosen = failuresToDetail(data, MAX_DETAILED_FAILURES);
    details = chosen.map((summary, i) => {
      options.onRerun?.(i, chosen.length);
      const source = sources.find((s) => s.summary === summary)!;
      return rerunDetail(summary, source.plan);
    });
  }
  return { ...data, failures: details, failuresNotShown: data.totals.failing + data.totals.broken - details.length };
}

export function renderReport(data: ReportData, format: ReportFormat, c: ChalkInstance): string {
  switch (format) {
    case 'html': return formatHtml(data);
    case 'junit': return formatJunit(data);
    case 'json': return JSON.stringify(data, null, 2) + '\n';
    case 'text': return formatReportText(data, c) + '\n';
  }
}

/** Builds the report and writes it under `dir` (created if needed); returns the file written. */
export function writeReport(sources: readonly ReportSource[], names: string[], format: ReportFormat, dir: string, c: ChalkInstance, options: ReportOptions = {}): string {
  const text = renderReport(reportData(sources, names, format, options), format, c);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, REPORT_FILES[format]);
  writeFileSync(file, text);
  return file;
}
