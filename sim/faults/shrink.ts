// Shrinking a failing run to a smaller one that still fails the same way: first delta debugging (ddmin,
// Zeller & Hildebrandt 2002) over the fault list, then smaller fault times, durations and counts, then
// fewer payments, producers and partitions, pass after pass until a pass changes nothing or the budget
// is spent.
//
// Why ddmin and not fast-check's shrinking: the input here is a concrete schedule that already failed,
// read from a replay file, not a value fast-check generated; fast-check shrinks through the shrink trees
// of the arbitraries that produced a value, so the schedule would first have to be re-expressed as the
// output of a schedule arbitrary, and the shrinking would follow that arbitrary's notion of "smaller"
// rather than the fault list's. ddmin works on the list as it is, needs O(n log n) runs for a 1-minimal
// list (no single fault can be removed), is deterministic, and each run costs 20-100 ms.
//
// The algorithm only sees candidates and a test that says whether one still fails; what a candidate means
// (a scenario with fewer producers, a replay) is the caller's. Deterministic for a given run budget; the
// wall budget is a safety net, and the result says which budget stopped it.
import type { FaultEvent, FaultSchedule } from './schedule.ts';

export interface ShrinkCandidate {
  schedule: FaultSchedule;
  producers: number;
  paymentsPerProducer: number;
  /** Partitions of the workload's topic. */
  partitions: number;
}

export interface ShrinkBudget {
  /** At most this many test runs. */
  maxRuns: number;
  /** Stop starting runs once this much wall-clock time has passed. */
  maxWallMs: number;
  /** Wall-clock milliseconds (the caller's clock: the simulator never reads one). */
  nowMs: () => number;
}

export interface ShrinkResult {
  candidate: ShrinkCandidate;
  runs: number;
  /** What ended the shrink: nothing left to try, or a budget. */
  stoppedBy: 'done' | 'run budget' | 'wall budget';
}

class Tester {
  runs = 0;
  stoppedBy: ShrinkResult['stoppedBy'] = 'done';
  private readonly seen = new Map<string, boolean>();
  private readonly started: number;

  constructor(private readonly test: (c: ShrinkCandidate) => boolean, private readonly budget: ShrinkBudget) {
    this.started = budget.nowMs();
  }

  out(): boolean {
    if (this.runs >= this.budget.maxRuns) this.stoppedBy = 'run budget';
    else if (this.budget.nowMs() - this.started >= this.budget.maxWallMs) this.stoppedBy = 'wall budget';
    return this.stoppedBy !== 'done';
  }

  /** Whether the candidate still fails; a candidate already tried is not run again. Out of budget: no. */
  fails(c: ShrinkCandidate): boolean {
    const key = JSON.stringify(c);
    const hit = this.seen.get(key);
    if (hit !== undefined) return hit;
    if (this.out()) return false;
    this.runs++;
    const r = this.test(c);
    this.seen.set(key, r);
    return r;
  }
}

function chunks<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  const size = Math.ceil(items.length / n);
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** ddmin: a sub-list of `items` on which `fails` still holds and from which no single item can be removed. */
export function ddmin<T>(items: readonly T[], fails: (subset: T[]) => boolean): T[] {
  let current = [...items];
  if (current.length > 0 && fails([])) return [];
  let n = 2;
  while (current.length >= 2) {
    const parts = chunks(current, n);
    let next: T[] | null = null;
    for (const p of parts) if (!next && fails(p)) next = p;
    if (!next && parts.length > 2) {
      for (let i = 0; i < parts.length && !next; i++) {
        const complement = parts.filter((_, j) => j !== i).flat();
        if (fails(complement)) next = complement;
      }
    }
    if (next) {
      current = next;
      n = Math.max(n - 1, 2);
    } else if (n >= current.length) {
      break;
    } else {
      n = Math.min(current.length, n * 2);
    }
  }
  return current;
}

/** Numeric fields of a fault that can be made smaller, with the least each may become. */
const SMALLER: [field: string, least: number][] = [['atMs', 0], ['restartAfterMs', 1], ['forMs', 1], ['delayMs', 1], ['count', 1]];

/** Halves `value` toward `least` while the candidate it makes still fails; returns the smallest that failed. */
function halve(value: number, least: number, make: (v: number) => ShrinkCandidate, t: Tester): number {
  let v = value;
  while (v > least) {
    const next = Math.max(least, Math.floor(v / 2));
    if (!t.fails(make(next))) break;
    v = next;
  }
  return v;
}

function smallerFaults(c: ShrinkCandidate, t: Tester): ShrinkCandidate {
  let cur = c;
  for (let i = 0; i < cur.schedule.length; i++) {
    for (const [field, least] of SMALLER) {
      const e = cur.schedule[i] as unknown as Record<string, unknown>;
      if (typeof e[field] !== 'number') continue;
      const with_ = (v: number): ShrinkCandidate => ({
        ...cur, schedule: cur.schedule.map((x, j) => (j === i ? { ...x, [field]: v } as FaultEvent : x)),
      });
      const v = halve(e[field] as number, least, with_, t);
      if (v !== e[field]) cur = with_(v);
    }
  }
  return cur;
}

function smallerWorkload(c: ShrinkCandidate, t: Tester): ShrinkCandidate {
  let cur = c;
  for (const field of ['paymentsPerProducer', 'producers', 'partitions'] as const) {
    const with_ = (v: number): ShrinkCandidate => ({ ...cur, [field]: v });
    cur = with_(halve(cur[field], 1, with_, t));
    // Halving stops at the first size that passes; one less than the result may still fail.
    while (cur[field] > 1 && t.fails(with_(cur[field] - 1))) cur = with_(cur[field] - 1);
  }
  return cur;
}

export function shrink(start: ShrinkCandidate, test: (c: ShrinkCandidate) => boolean, budget: ShrinkBudget): ShrinkResult {
  const t = new Tester(test, budget);
  let cur = start;
  for (;;) {
    const before = JSON.stringify(cur);
    cur = { ...cur, schedule: ddmin(cur.schedule, (schedule) => t.fails({ ...cur, schedule })) };
    cur = smallerFaults(cur, t);
    cur = smallerWorkload(cur, t);
    if (JSON.stringify(cur) === before || t.out()) break;
  }
  return { candidate: cur, runs: t.runs, stoppedBy: t.stoppedBy };
}
