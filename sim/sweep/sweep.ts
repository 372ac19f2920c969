// A sweep or suite run on the worker pool, streamed to `<out>/results.jsonl`. A fresh sweep starts that
// file over (and removes the replay files the old one listed, so nothing stale stays); `resume` keeps its
// finished runs and runs only the rest. Either way the file ends with one line per planned run.
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepTask } from './plan.ts';
import { runOnPool } from './pool.ts';
import { appendSummary, readResults, summaryKey, type RunSummary } from './results.ts';

export const RESULTS_FILE = 'results.jsonl';

export class SweepError extends Error {}

export interface SweepRunOptions {
  outDir: string;
  jobs: number;
  resume: boolean;
  /** Before the first run: how many runs there are in all, and how many a resumed file already holds. */
  onStart?: (total: number, already: number) => void;
  onResult?: (s: RunSummary) => void;
}

export interface SweepHandle {
  /** Every planned run's summary (the resumed ones included), in finishing order; `interrupted` after stop(). */
  done: Promise<{ summaries: RunSummary[]; interrupted: boolean; resumed: number }>;
  /** Ctrl-C: stop the workers; what finished stays in results.jsonl. */
  stop: () => Promise<void>;
}

/** Runs a resumed file already holds; a run the plan does not know means the file is another sweep's. */
function resumed(file: string, tasks: readonly SweepTask[]): RunSummary[] {
  if (!existsSync(file)) return [];
  const planned = new Set(tasks.map((t) => t.key));
  const kept = readResults(file);
  const foreign = kept.find((s) => !planned.has(summaryKey(s)));
  if (foreign) {
    throw new SweepError(`${file}: holds runs this sweep does not plan (e.g. ${foreign.scenario} ${foreign.mode} seed ${foreign.seed}); resume with the same scenarios, seeds, modes, bugs, --kafka, --swarm and --shard, or use another --out`);
  }
  // Rewritten whole: a line cut short by a kill must not run into the next one appended.
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, kept.map((s) => JSON.stringify(s) + '\n').join(''));
  renameSync(tmp, file);
  return kept;
}

/** A fresh sweep: the old results and the replay files they listed go, so no stale failure remains. */
function startOver(outDir: string, file: string): void {
  if (!existsSync(file)) return;
  for (const s of readResults(file)) if (s.failureFile) rmSync(join(outDir, s.failureFile), { force: true });
  rmSync(file);
}

export function runSweep(tasks: readonly SweepTask[], o: SweepRunOptions): SweepHandle {
  const file = join(o.outDir, RESULTS_FILE);
  const kept = o.resume ? resumed(file, tasks) : [];
  if (!o.resume) startOver(o.outDir, file);
  writeFileSync(file, '', { flag: 'a' });
  const doneKeys = new Set(kept.map(summaryKey));
  const todo = tasks.filter((t) => !doneKeys.has(t.key));
  o.onStart?.(tasks.length, kept.length);
  const summaries = [...kept];
  if (todo.length === 0) return { done: Promise.resolve({ summaries, interrupted: false, resumed: kept.length }), stop: async () => {} };
  let interrupted = false;
  const pool = runOnPool(todo, {
    jobs: o.jobs,
    onResult: (s) => {
      appendSummary(file, s);
      summaries.push(s);
      o.onResult?.(s);
    },
  });
  return {
    done: pool.done.then(() => ({ summaries, interrupted, resumed: kept.length })),
    stop: async () => {
      interrupted = true;
      await pool.stop();
    },
  };
}
