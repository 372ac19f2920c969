// A sweep's end table as data: one row per scenario × mode × bugs × release (× swarm), with the runs,
// the failing seeds, each anomaly kind with the number of seeds that showed it, and the first failing
// seed's reproduce command. The text formatter is format.ts; the HTML and JUnit reports read the same rows.
import { sortSummaries, type RunSummary } from './results.ts';

export interface KindCount {
  kind: string;
  /** Seeds that showed the kind. */
  seeds: number;
  /** The expectation allows the kind without requiring it (suite cases only). */
  allowed?: boolean;
}

export interface SweepRow {
  scenario: string;
  case: number | null;
  mode: string;
  bugs: string[];
  kafka: string;
  swarm: boolean;
  runs: number;
  /** Seeds that found an anomaly. */
  failing: number;
  /** Runs where the simulator broke (invariant-broken) or ran out of budget: not findings. */
  broken: number;
  kinds: KindCount[];
  firstFailingSeed: number | null;
  firstFailing: string | null;
  firstBroken: { seed: number; reproduce: string; error: string } | null;
  events: number;
}

export interface SweepTotals {
  rows: SweepRow[];
  runs: number;
  failing: number;
  broken: number;
  events: number;
}

function rowKey(s: RunSummary): string {
  return [s.scenario, s.scenarioHash, s.case ?? '-', s.mode, s.bugs.join('+'), s.kafka, s.swarm ? 'swarm' : '-'].join('\0');
}

/** Rows in the canonical summary order, so the table is the same whatever order the runs finished in. */
export function tabulate(summaries: readonly RunSummary[]): SweepTotals {
  const rows = new Map<string, SweepRow>();
  const seen = new Map<string, Map<string, number>>();
  for (const s of sortSummaries(summaries)) {
    const key = rowKey(s);
    let row = rows.get(key);
    if (!row) {
      row = {
        scenario: s.scenario, case: s.case, mode: s.mode, bugs: s.bugs, kafka: s.kafka, swarm: s.swarm !== null,
        runs: 0, failing: 0, broken: 0, kinds: [], firstFailingSeed: null, firstFailing: null, firstBroken: null, events: 0,
      };
      rows.set(key, row);
      seen.set(key, new Map());
    }
    row.runs++;
    row.events += s.events;
    if (s.verdict === 'fail') {
      row.failing++;
      if (row.firstFailing === null) {
        row.firstFailingSeed = s.seed;
        row.firstFailing = s.reproduce;
      }
    } else if (s.verdict !== 'pass') {
      row.broken++;
      row.firstBroken ??= { seed: s.seed, reproduce: s.reproduce, error: `${s.verdict}: ${s.error ?? ''}` };
    }
    const kinds = seen.get(key)!;
    for (const k of Object.keys(s.kinds)) kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  for (const [key, row] of rows) {
    row.kinds = [...seen.get(key)!].map(([kind, seeds]) => ({ kind, seeds })).sort((a, b) => b.seeds - a.seeds || (a.kind < b.kind ? -1 : 1));
  }
  const list = [...rows.values()];
  return {
    rows: list,
    runs: list.reduce((n, r) => n + r.runs, 0),
    failing: list.reduce((n, r) => n + r.failing, 0),
    broken: list.reduce((n, r) => n + r.broken, 0),
    events: list.reduce((n, r) => n + r.events, 0),
  };
}
