// Sweep throughput for `npm run bench`: runs per wall second of `eos-sim sweep` with one worker and with
// every core, and the speed-up between them (the target: >= 1.8x on 2 cores). Each is timed as a
// user waits for it: the eos-sim command as installed, started as a process, its worker pool starting up
// (each worker loads the simulator), the runs, and the results file written. The command's own start-up
// is timed too and reported, so runs/s can also be read without it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const TARGET_SPEEDUP = 1.8;

export interface SweepBenchRow {
  jobs: number;
  runs: number;
  wallMs: number;
  runsPerSec: number;
}

export interface SweepBenchResult {
  command: string;
  /** Wall time of `eos-sim list`: the command's start-up, included in each row's wallMs. */
  startupMs: number;
  one: SweepBenchRow;
  all: SweepBenchRow;
  speedup: number;
  target: { speedup: number; met: boolean };
}

/** The package root: npm names its package.json when it runs a script; else the working directory. */
function packageRoot(): string {
  return process.env.npm_package_json ? dirname(process.env.npm_package_json) : process.cwd();
}

function timedMs(args: string[]): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [join(packageRoot(), 'bin', 'eos-sim.js'), ...args], { encoding: 'utf8' });
  // Exit 1 is a sweep that found anomalies (at-least-once always does); anything else is a broken bench.
  if (r.status !== 0 && r.status !== 1) throw new Error(`bench: eos-sim ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return performance.now() - started;
}

function sweepRow(jobs: number, seeds: number): SweepBenchRow {
  const out = mkdtempSync(join(tmpdir(), 'eos-bench-sweep-'));
  try {
    const wallMs = timedMs(['sweep', 'lost-ack', '--seeds', String(seeds), '--modes', 'at-least-once,exactly-once', '--jobs', String(jobs), '--out', out, '--json']);
    const runs = seeds * 2;
    return { jobs, runs, wallMs, runsPerSec: runs / (wallMs / 1000) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export function benchSweep(options: { quick: boolean }): SweepBenchResult {
  const seeds = options.quick ? 20 : 100;
  const startupMs = timedMs(['list', '--json']);
  const one = sweepRow(1, seeds);
  const all = sweepRow(availableParallelism(), seeds);
  const speedup = all.runsPerSec / one.runsPerSec;
  return {
    command: `eos-sim sweep lost-ack --seeds ${seeds} --modes at-least-once,exactly-once --jobs N`,
    startupMs, one, all, speedup, target: { speedup: TARGET_SPEEDUP, met: speedup >= TARGET_SPEEDUP },
  };
}

export function formatSweepBench(r: SweepBenchResult): string {
  const row = (x: SweepBenchRow) => {
    const net = x.runs / ((x.wallMs - r.startupMs) / 1000);
    return `  ${String(x.jobs).padStart(2)} worker${x.jobs === 1 ? ' ' : 's'}  ${x.runs} runs in ${(x.wallMs / 1000).toFixed(1)} s  ${x.runsPerSec.toFixed(1)} runs/s  (${net.toFixed(1)} runs/s without the command's start-up)`;
  };
  return [
    `sweep: ${r.command} (command start-up ${(r.startupMs / 1000).toFixed(1)} s)`,
    row(r.one), row(r.all),
    `target speed-up >= ${r.target.speedup}x with ${r.all.jobs} workers: ${r.speedup.toFixed(2)}x -> ${r.target.met ? 'met' : 'NOT met'}`,
  ].join('\n');
}
