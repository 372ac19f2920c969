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

export interface BrokenRun {
  seed: number;
  verdict: 'budget-exceeded' | 'invariant-broken';
  message: string;
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
  /** Runs where the simulator itself broke (budget exceeded, invariant broken): not findings, exit code 3. */
  broken: BrokenRun[];
  pass: boolean;
  events: number;
}

export interface SuiteResult {
  cases: CaseResult[];
  pass: boolean;
  /** Runs where the simulator broke, over all cases (exit code 3 when any). */
  broken: number;
  runs: number;
  events: number;
}

export function caseLabel(c: ExpectCase): string {
  const parts = [c.mode, ...c.bugs.map((b) => `bug:${b}`)];
  if (c.kafka) parts.push(`kafka:${c.kafka}`);
  if (c.label) parts.push(c.label);
  return parts.join(' ');
}

export function runCase(scenario: Scenario, caseIndex: number, seeds: number, onRun?: () => void): CaseResult {
  const c = scenario.expect[caseIndex];
  const found = new Map<string, KindSighting>();
  let events = 0;
  const broken: BrokenRun[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const run = runScenario(scenario, { mode: c.mode, seed, bugs: c.bugs, kafka: c.kafka, overrides: { producer: c.producer, consumer: c.consumer } });
    const reproduce = reproduceCommand(scenario, { caseIndex, seed });
    const report = buildRunReport(scenario.file, run, check(run.history), reproduce);
    events += run.events;
    const o = run.outcome;
    if (o.kind !== 'completed') {
      broken.push({ seed, verdict: o.kind, message: o.kind === 'invariant-broken' ? o.message : `more than ${o.limit} ${o.what}`, reproduce });
    }
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
    missing, unexpected, broken, pass: missing.length === 0 && unexpected.length === 0 && broken.length === 0, events,
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
  return {
    cases, pass: cases.every((c) => c.pass), broken: cases.reduce((n, c) => n + c.broken.length, 0), runs,
    events: cases.reduce((n, c) => n + c.events, 0),
  };
}

export function suiteRunCount(scenarios: Scenario[], seeds?: number): number {
  return scenarios.reduce((n, s) => n + s.expect.length * (seeds ?? s.seeds), 0);
}
