// Sweep throughput for `npm run bench`: runs per wall second of `eos-sim sweep` with one worker and with
// every core, and the speed-up between them (the target: >= 1.8x on 2 cores). Each is timed as a
// user waits for it: the eos-sim command as installed, started as a process, its worker pool starting up
// (each worker loads the simulator and warms up its JIT), the runs, and the results file written.
//
// The sweep is the one users run most, exactly-once under random faults, and long enough to be a sweep
// (1,000 runs): a worker's warm-up (loading, then its first ~50 runs in V8's slower tiers while the
// compiler works on the other core) is a fixed cost that a short sweep is mostly made of. Each job count
// also runs the first half alone, so the second half's runs per second, the rate a longer sweep
// approaches once its workers are warm, is printed beside the end-to-end figure.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const TARGET_SPEEDUP = 1.8;

const SWEEP = ['sweep', 'random-faults', '--modes', 'exactly-once'];

export interface SweepBenchRow {
  jobs: number;
  runs: number;
  wallMs: number;
  /**
   * CPU seconds the command used (every thread: workers, V8's compiler and GC threads, the main thread),
   * over its wall seconds: how many cores it kept busy. Null where /proc does not tell.
   */
  coresBusy: number | null;
  runsPerSec: number;
  /** The first half of the runs alone, and the second half's rate from the difference. */
  halfWallMs: number;
  warmRunsPerSec: number;
}

export interface SweepBenchResult {
  command: string;
  /** Wall time of `eos-sim --version`: the command's own start-up, included in each row's wallMs. */
  startupMs: number;
  one: SweepBenchRow;
  all: SweepBenchRow;
  /** End to end, warm-up included: what the target is judged on. */
  speedup: number;
  /** Once the workers are warm (the second half of the runs). */
  warmSpeedup: number;
  target: { speedup: number; met: boolean };
}

/** The package root: npm names its package.json when it runs a script; else the working directory. */
function packageRoot(): string {
  return process.env.npm_package_json ? dirname(process.env.npm_package_json) : process.cwd();
}

/**
 * CPU seconds of this process's finished children (Linux: cutime + cstime of /proc/self/stat, in clock
 * ticks of 1/100 s); null elsewhere.
 */
function childrenCpuSec(): number | null {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

function timed(args: string[]): { wallMs: number; cpuSec: number | null } {
  const cpuBefore = childrenCpuSec();
  const started = performance.now();
  const r = spawnSync(process.execPath, [join(packageRoot(), 'bin', 'eos-sim.js'), ...args], { encoding: 'utf8' });
  const wallMs = performance.now() - started;
  // Exit 1 is a sweep that found anomalies; anything else is a broken bench.
  if (r.status !== 0 && r.status !== 1) throw new Error(`bench: eos-sim ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const cpuAfter = childrenCpuSec();
  return { wallMs, cpuSec: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore };
}

function sweep(jobs: number, seeds: number): { wallMs: number; cpuSec: number | null } {
  const out = mkdtempSync(join(tmpdir(), 'eos-bench-sweep-'));
  try {
    return timed([...SWEEP, '--seeds', String(seeds), '--jobs', String(jobs), '--out', out, '--json']);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export function benchSweep(options: { quick: boolean }): SweepBenchResult {
  const runs = options.quick ? 100 : 1000;
  const half = runs / 2;
  const startupMs = timed(['--version']).wallMs;
  const jobs = [1, availableParallelism()];
  // Interleaved, so a change in the host's speed during the bench falls on both job counts alike.
  const halfMs = jobs.map((j) => sweep(j, half).wallMs);
  const full = jobs.map((j) => sweep(j, runs));
  const [one, all] = jobs.map((j, i): SweepBenchRow => ({
    jobs: j, runs, wallMs: full[i].wallMs, runsPerSec: runs / (full[i].wallMs / 1000),
    coresBusy: full[i].cpuSec === null ? null : full[i].cpuSec! / (full[i].wallMs / 1000),
    halfWallMs: halfMs[i], warmRunsPerSec: (runs - half) / (Math.max(1, full[i].wallMs - halfMs[i]) / 1000),
  }));
  const speedup = all.runsPerSec / one.runsPerSec;
  return {
    command: `eos-sim ${SWEEP.join(' ')} --seeds ${runs} --jobs N`,
    startupMs, one, all, speedup, warmSpeedup: all.warmRunsPerSec / one.warmRunsPerSec,
    target: { speedup: TARGET_SPEEDUP, met: speedup >= TARGET_SPEEDUP },
  };
}

export function formatSweepBench(r: SweepBenchResult): string {
  const row = (x: SweepBenchRow) => `  ${String(x.jobs).padStart(2)} worker${x.jobs === 1 ? ' ' : 's'}  ${x.runs} runs in ${(x.wallMs / 1000).toFixed(1)} s`
    + `  ${x.runsPerSec.toFixed(1)} runs/s;  once warm (runs ${x.runs / 2 + 1}-${x.runs}): ${x.warmRunsPerSec.toFixed(1)} runs/s`
    + (x.coresBusy === null ? '' : `;  ${x.coresBusy.toFixed(2)} cores busy`);
  return [
    `sweep: ${r.command} (command start-up ${(r.startupMs / 1000).toFixed(2)} s)`,
    row(r.one), row(r.all),
    `speed-up with ${r.all.jobs} workers: ${r.speedup.toFixed(2)}x end to end, ${r.warmSpeedup.toFixed(2)}x once warm`,
    'cores busy: CPU seconds of every thread over wall seconds; one worker keeps more than one core busy because V8\'s',
    'compiler (and GC) threads run beside it, and each worker compiles the simulator for itself',
    `target speed-up >= ${r.target.speedup}x end to end: ${r.target.met ? 'met' : 'NOT met'}`,
  ].join('\n');
}
