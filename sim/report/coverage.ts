// Protocol coverage over many runs: for each point the model counted (sim.cover), how many runs and which
// seeds reached it, and which of the safety checks (SAFETY_POINTS) no run reached. Data first; the text
// table is a formatter over it.
import type { ChalkInstance } from 'chalk';
import { SAFETY_POINTS } from '../kafka/coverage.ts';

export interface CoveragePoint {
  point: string;
  hits: number;
  runs: number;
  /** Distinct seeds among the runs that reached it. */
  seeds: number;
}

export interface CoverageTable {
  runs: number;
  points: CoveragePoint[];
  /** Safety checks (sim/kafka/coverage.ts) that no run reached: nothing shows they still protect. */
  neverReached: string[];
}

export function coverageTable(runs: readonly { seed: number; coverage?: Record<string, number> }[]): CoverageTable {
  const byPoint = new Map<string, { hits: number; runs: number; seeds: Set<number> }>();
  for (const r of runs) {
    for (const [point, n] of Object.entries(r.coverage ?? {})) {
      let p = byPoint.get(point);
      if (!p) byPoint.set(point, p = { hits: 0, runs: 0, seeds: new Set() });
      p.hits += n;
      p.runs++;
      p.seeds.add(r.seed);
    }
  }
  const points = [...byPoint].map(([point, p]) => ({ point, hits: p.hits, runs: p.runs, seeds: p.seeds.size }))
    .sort((a, b) => (a.point < b.point ? -1 : a.point > b.point ? 1 : 0));
  return { runs: runs.length, points, neverReached: SAFETY_POINTS.filter((p) => !byPoint.has(p)) };
}

export function formatCoverage(t: CoverageTable, c: ChalkInstance): string {
  const width = Math.min(76, Math.max(...t.points.map((p) => p.point.length), 10));
  const cut = (s: string) => (s.length > width ? `${s.slice(0, width - 1)}…` : s.padEnd(width));
  const out = [c.bold(`Protocol coverage over ${t.runs} runs`), c.bold(`  ${'point'.padEnd(width)}  ${'hits'.padStart(8)}  ${'runs'.padStart(6)}  ${'seeds'.padStart(5)}`)];
  for (const p of t.points) out.push(`  ${cut(p.point)}  ${String(p.hits).padStart(8)}  ${String(p.runs).padStart(6)}  ${String(p.seeds).padStart(5)}`);
  out.push('');
  if (t.neverReached.length === 0) out.push(c.green('Every safety check was reached by some run.'));
  else {
    out.push(c.yellow(`Never reached (${t.neverReached.length} safety checks no run exercised):`));
    for (const p of t.neverReached) out.push(`  ${p}`);
  }
  return out.join('\n');
}
