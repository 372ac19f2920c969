// The scenario suite: every expectation of every scenario, run over its seeds, judged in both directions:
// each expected anomaly kind must appear for at least one seed, and no seed may show a kind that is
// neither expected nor allowed. This is how we know the checker can see, and that protections protect.
import type { RunSummary } from '../sweep/results.ts';
import { executeRun } from '../sweep/run-one.ts';
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

/** Judges one case from the summaries of its runs (in any order). */
export function judgeCase(scenario: Scenario, caseIndex: number, seeds: number, runs: readonly RunSummary[]): CaseResult {
  const c = scenario.expect[caseIndex];
  const found = new Map<string, KindSighting>();
  let events = 0;
  const broken: BrokenRun[] = [];
  for (const run of [...runs].sort((a, b) => a.seed - b.seed)) {
    events += run.events;
    if (run.verdict === 'budget-exceeded' || run.verdict === 'invariant-broken') {
      broken.push({ seed: run.seed, verdict: run.verdict, message: run.error ?? '', reproduce: run.reproduce });
    }
    for (const kind of Object.keys(run.kinds)) {
      const s = found.get(kind);
      if (s) s.seeds++;
      else found.set(kind, { kind, seeds: 1, firstSeed: run.seed, reproduce: run.reproduce });
    }
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

/** One case over seeds 1..seeds in this thread (the scenario tests run each case as its own test). */
export function runCase(scenario: Scenario, caseIndex: number, seeds: number): CaseResult {
  const c = scenario.expect[caseIndex];
  const runs: RunSummary[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    runs.push(executeRun({
      scenario, source: scenario, case: caseIndex + 1, mode: c.mode, bugs: c.bugs, kafka: c.kafka,
      overrides: { producer: c.producer, consumer: c.consumer },
      seed, swarm: false, reproduce: reproduceCommand(scenario, { caseIndex, seed }),
    }).summary);
  }
  return judgeCase(scenario, caseIndex, seeds, runs);
}

/** The suite's verdict from the summaries of all its runs (from the worker pool, in finishing order). */
export function judgeSuite(scenarios: readonly Scenario[], seeds: number | undefined, runs: readonly RunSummary[]): SuiteResult {
  const byCase = new Map<string, RunSummary[]>();
  for (const r of runs) {
    const key = `${r.scenario}\0${r.case}`;
    const list = byCase.get(key);
    if (list) list.push(r);
    else byCase.set(key, [r]);
  }
  const cases: CaseResult[] = [];
  for (const s of scenarios) {
    s.expect.forEach((_, i) => cases.push(judgeCase(s, i, seeds ?? s.seeds, byCase.get(`${s.name}\0${i + 1}`) ?? [])));
  }
  return {
    cases, pass: cases.every((c) => c.pass), broken: cases.reduce((n, c) => n + c.broken.length, 0), runs: runs.length,
    events: cases.reduce((n, c) => n + c.events, 0),
  };
}
