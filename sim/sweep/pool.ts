// The worker-thread pool that sweeps and suites run on. tinypool rather than piscina: it is the pool vitest
// itself runs on, small, with no native parts, and a sweep needs nothing piscina adds (no task
// priorities, no cancellation of single tasks, no shared-buffer transfers): a fixed number of threads
// each taking the next task off one queue. Results are summaries of a few hundred bytes, so the
// structured-clone cost of a message is nothing against a run's 20-100 ms.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type Tinypool from 'tinypool';
import type { SweepTask } from './plan.ts';
import type { RunSummary } from './results.ts';

/** Default --jobs: every core the process may use. */
export function defaultJobs(): number {
  return availableParallelism();
}

/**
 * Where the worker's code is. From the sources (tsx: the dev CLI, vitest) it is worker.ts beside this
 * file, loaded through tsx-worker.js, which registers tsx in the thread first; from the bundled CLI
 * (dist/cli.js) it is the sibling bundle dist/sweep-worker.js. Another bundle (the bench's) names its
 * worker itself (PoolOptions.workerUrl).
 */
export function workerEntry(): string {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('./tsx-worker.js', here).href;
  const bundled = new URL('./sweep-worker.js', here);
  if (!existsSync(bundled)) throw new Error(`the sweep's worker bundle ${bundled.pathname} is missing (build it beside ${here})`);
  return bundled.href;
}

export interface PoolOptions {
  jobs: number;
  /** The worker module's URL when not the default (the bench's bundle has no worker of its own). */
  workerUrl?: string;
  /** Called in the main thread as each run finishes, in finishing order. */
  onResult: (s: RunSummary) => void;
}

export interface PoolRun {
  /** Resolves when every task has finished, or rejects with the first task that threw. */
  done: Promise<void>;
  /** Stops the workers; tasks not yet finished are dropped (Ctrl-C). */
  stop: () => Promise<void>;
}

/**
 * tinypool finds its own worker script next to its module file, so it must stay a package of its own and
 * not be inlined into a bundle (dist/cli.js): the specifier is not a literal, which esbuild leaves alone,
 * and Node resolves it at run time from node_modules.
 */
const TINYPOOL: string = 'tinypool';

/**
 * Each worker's young generation, MB (V8 splits it into two semi-spaces and a large-object part). A run
 * allocates about a kilobyte per event, much of it living for a few simulated milliseconds (requests in
 * flight, parked fetches): with V8's default (16 MB semi-spaces) a scavenge every few milliseconds of run
 * copied those survivors, and the scavenger's helper threads took the other core's time, so 2 workers on
 * 2 cores gained nothing over 1. With 32 MB semi-spaces a sweep took 10-17% less CPU
 * time with either number of workers (eos-sim sweep random-faults --seeds 300, 1 and 2 jobs).
 */
const WORKER_YOUNG_GENERATION_MB = 96;

async function startPool(filename: string, jobs: number): Promise<Tinypool> {
  const { default: Pool } = (await import(TINYPOOL)) as { default: typeof Tinypool };
  return new Pool({
    filename, minThreads: jobs, maxThreads: jobs, isolateWorkers: false,
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
}

export function runOnPool(tasks: readonly SweepTask[], options: PoolOptions): PoolRun {
  const jobs = Math.max(1, Math.min(options.jobs, tasks.length));
  const ready = startPool(options.workerUrl ?? workerEntry(), jobs);
  let stopped = false;
  const done = ready.then((pool) => Promise.all(tasks.map(async (t) => {
    const s = (await pool.run(t)) as RunSummary;
    if (!stopped) options.onResult(s);
  })).then(() => pool.destroy(), async (e: unknown) => {
    if (stopped) return;
    stopped = true;
    await pool.destroy();
    throw e;
  }));
  return {
    done,
    stop: async () => {
      stopped = true;
      await (await ready).destroy();
    },
  };
}
