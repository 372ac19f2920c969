// What a report of many runs says, as plain data: the runs, their groups (scenario × mode × release) with
// failing seeds and anomaly kinds, the totals, and the failures shown in detail. HTML, JUnit, JSON and
// text are formatters over this value; nothing here formats.
import { MODES } from '../scenario/types.ts';
import type { RunReport } from './run-report.ts';
import { eosSimVersion } from '../sweep/replay-file.ts';
import type { RunSummary, Verdict } from '../sweep/results.ts';
import type { SpaceTime } from './space-time.ts';

export interface KindCount {
  kind: string;
  /** Runs (seeds) that showed the kind. */
  seeds: number;
  /** Anomalies of the kind over all those runs. */
  anomalies: number;
}

/** The runs of one scenario in one mode (bugs included) and one release. */
export interface RunGroup {
  scenario: string;
  /** The mode, with the bug modes switched on: `exactly-once +no-fencing`. */
  mode: string;
  kafka: string;
  scenarioHashes: string[];
  runs: number;
  /** Seeds whose verdict is 'fail', ascending. */
  failingSeeds: number[];
  /** Seeds where the simulator broke (budget exceeded, invariant broken): not findings. */
  brokenSeeds: number[];
  kinds: KindCount[];
  /** The first failing (else broken) run, to reproduce. */
  first: RunSummary | null;
}

/** A failure shown in detail: its report re-built by re-running it, and its space-time diagram. */
export interface FailureDetail {
  summary: RunSummary;
  report: RunReport | null;
  diagram: SpaceTime | null;
  /** Why the report or diagram is missing, or what to be careful of (a trace hash that changed). */
  note: string | null;
}

export interface ReportData {
  eosSimVersion: string;
  /** What the report was built from (files and folders as given). */
  sources: string[];
  totals: { runs: number; failing: number; broken: number; pass: number };
  groups: RunGroup[];
  /** Anomaly kinds per mode over all scenarios: seeds that showed each kind. */
  kindsByMode: { mode: string; kinds: KindCount[] }[];
  runs: RunSummary[];
  failures: FailureDetail[];
  /** Failing runs not shown in detail (the detail is capped; each still has its reproduce command). */
  failuresNotShown: number;
}

const isBroken = (v: Verdict) => v === 'budget-exceeded' || v === 'invariant-broken';

export function modeLabel(run: Pick<RunSummary, 'mode' | 'bugs'>): string {
  return [run.mode, ...run.bugs.map((b) => `+${b}`)].join(' ');
}

/** Order of groups: scenario, then mode in the order of MODES (weakest first), bugs, release. */
function compareRuns(a: RunSummary, b: RunSummary): number {
  const byText = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  const modeRank = (m: string) => {
    const i = (MODES as readonly string[]).indexOf(m);
    return i < 0 ? MODES.length : i;
  };
  return byText(a.scenario, b.scenario) || modeRank(a.mode) - modeRank(b.mode) || byText(a.mode, b.mode)
    || byText(modeLabel(a), modeLabel(b)) || byText(a.kafka, b.kafka) || a.seed - b.seed
    || byText(a.traceHash, b.traceHash);
}

function addKinds(into: Map<string, KindCount>, kinds: Record<string, number>): void {
  for (const [kind, n] of Object.entries(kinds)) {
    if (n <= 0) continue;
    const k = into.get(kind) ?? { kind, seeds: 0, anomalies: 0 };
    k.seeds++;
    k.anomalies += n;
    into.set(kind, k);
  }
}

const sortedKinds = (m: Map<string, KindCount>) => [...m.values()].sort((a, b) => b.seeds - a.seeds || (a.kind < b.kind ? -1 : 1));

export function groupRuns(runs: readonly RunSummary[]): RunGroup[] {
  const groups = new Map<string, { group: RunGroup; kinds: Map<string, KindCount> }>();
  for (const run of [...runs].sort(compareRuns)) {
    const key = JSON.stringify([run.scenario, modeLabel(run), run.kafka]);
    let g = groups.get(key);
    if (!g) {
      g = {
        group: {
          scenario: run.scenario, mode: modeLabel(run), kafka: run.kafka, scenarioHashes: [], runs: 0,
          failingSeeds: [], brokenSeeds: [], kinds: [], first: null,
        },
        kinds: new Map(),
      };
      groups.set(key, g);
    }
    const { group } = g;
    group.runs++;
    if (run.scenarioHash !== '' && !group.scenarioHashes.includes(run.scenarioHash)) group.scenarioHashes.push(run.scenarioHash);
    if (run.verdict === 'fail') group.failingSeeds.push(run.seed);
    if (isBroken(run.verdict)) group.brokenSeeds.push(run.seed);
    if (run.verdict !== 'pass' && (group.first === null || (group.first.verdict !== 'fail' && run.verdict === 'fail'))) group.first = run;
    addKinds(g.kinds, run.kinds);
  }
  return [...groups.values()].map(({ group, kinds }) => ({ ...group, kinds: sortedKinds(kinds) }));
}

/** The report without failure details (formats.ts adds them for HTML). */
export function buildReportData(runs: readonly RunSummary[], sources: string[]): ReportData {
  const sorted = [...runs].sort(compareRuns);
  const byMode = new Map<string, Map<string, KindCount>>();
  for (const run of sorted) {
    const m = modeLabel(run);
    if (!byMode.has(m)) byMode.set(m, new Map());
    addKinds(byMode.get(m)!, run.kinds);
  }
  const failing = sorted.filter((r) => r.verdict === 'fail').length;
  const broken = sorted.filter((r) => isBroken(r.verdict)).length;
  return {
    eosSimVersion: eosSimVersion(),
    sources,
    totals: { runs: sorted.length, failing, broken, pass: sorted.length - failing - broken },
    groups: groupRuns(sorted),
    kindsByMode: [...byMode].map(([mode, kinds]) => ({ mode, kinds: sortedKinds(kinds) })),
    runs: sorted,
    failures: [],
    failuresNotShown: failing + broken,
  };
}

/**
 * The failures worth a detailed look, at most `max`: the first failing (or broken) run of each group first,
 * then further failing runs in report order.
 */
export function failuresToDetail(data: Pick<ReportData, 'groups' | 'runs'>, max: number): RunSummary[] {
  const firsts = data.groups.map((g) => g.first).filter((r): r is RunSummary => r !== null);
  const rest = data.runs.filter((r) => r.verdict !== 'pass' && !firsts.includes(r));
  return [...firsts, ...rest].slice(0, max);
}
