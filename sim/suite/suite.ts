// The scenario suite: every expectation of every scenario, run over its seeds, judged in both directions:
// each expected anomaly kind must appear for at least one seed, and no seed may show a kind that is
// neither expected nor allowed. This is how we know the checker can see, and that protections protect.
import { check } from '../check/checker.ts';
import { buildRunReport, kindsFound } from '../report/run-report.ts';
import { runScenario } from '../run/run-scenario.ts';
import type { ExpectCase, Scenario } from '../scenario/types.ts';
import { reproduceCommand } from './reproduce.ts';

export interface KindSighting {
  kind: string;
  seeds: number;
  firstSeed: number;
  /** Reproduces the first seed that showed the kind. */
  reproduce: string;
}

export interface CaseResult {
  scenario: string;
  caseIndex: number;
  label: string;
  mode: string;
  bugs: string[];
  expected: string[];
  mayAlsoFind: string[];
  seeds: number;
  found: KindSighting[];
  /** Expected kinds no seed showed. */
  missing: string[];
  /** Kinds some seed showed that were neither expected nor allowed. */
  unexpected: string[];
  pass: boolean;
  events: number;
}

export interface SuiteResult {
  cases: CaseResult[];
  pass: boolean;
  runs: number;
  events: number;
}

export function caseLabel(c: ExpectCase): string {
  const parts = [c.mode, ...c.bugs.map((b) => `bug:${b}`)];
  if (c.label) parts.push(c.label);
  return parts.join(' ');
}

export function runCase(scenario: Scenario, caseIndex: number, seeds: number, onRun?: () => void): CaseResult {
  const c = scenario.expect[caseIndex];
  const found = new Map<string, KindSighting>();
  let events = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const run = runScenario(scenario, { mode: c.mode, seed, bugs: c.bugs, overrides: { producer: c.producer, consumer: c.consumer } });
    const reproduce = reproduceCommand(scenario, { caseIndex, seed });
    const report = buildRunReport(scenario.file, run, check(run.history), reproduce);
    events += run.events;
    for (const kind of kindsFound(report)) {
      const s = found.get(kind);
      if (s) s.seeds++;
      else found.set(kind, { kind, seeds: 1, firstSeed: seed, reproduce });
    }
    onRun?.();
  }
  const kinds = [...found.keys()];
  const missing = c.anomalies.filter((k) => !found.has(k));
  const unexpected = kinds.filter((k) => !c.anomalies.includes(k) && !c.mayAlsoFind.includes(k)).sort();
  return {
    scenario: scenario.name, caseIndex, label: caseLabel(c), mode: c.mode, bugs: c.bugs,
    expected: c.anomalies, mayAlsoFind: c.mayAlsoFind, seeds,
    found: [...found.values()].sort((a, b) => a.kind.localeCompare(b.kind)),
    missing, unexpected, pass: missing.length === 0 && unexpected.length === 0, events,
  };
}

export interface SuiteOptions {
  /** Seeds per case; the scenario's own `seeds` when absent. */
  seeds?: number;
  onRun?: () => void;
}

export function runSuite(scenarios: Scenario[], options: SuiteOptions = {}): SuiteResult {
  const cases: CaseResult[] = [];
  let runs = 0;
  for (const s of scenarios) {
    for (let i = 0; i < s.expect.length; i++) {
      const seeds = options.seeds ?? s.seeds;
      cases.push(runCase(s, i, seeds, options.onRun));
      runs += seeds;
    }
  }
  return { cases, pass: cases.every((c) => c.pass), runs, events: cases.reduce((n, c) => n + c.events, 0) };
}

export function suiteRunCount(scenarios: Scenario[], seeds?: number): number {
  return scenarios.reduce((n, s) => n + s.expect.length * (seeds ?? s.seeds), 0);
}
