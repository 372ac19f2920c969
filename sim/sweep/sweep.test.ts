// The sweep's promises: the same results whatever the number of workers, shards that join into the
// unsharded sweep, and a resumed sweep that ends where an uninterrupted one does.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveScenarioPath } from '../scenario/load.ts';
import { planSweep, shardTasks, type SweepTask } from './plan.ts';
import { parseResults, sortSummaries, summaryKey, type RunSummary } from './results.ts';
import { loadWithSource } from './scenarios.ts';
import { RESULTS_FILE, runSweep } from './sweep.ts';
import { tabulate } from './table.ts';

const scenarios = ['lost-ack', 'random-faults'].map((n) => loadWithSource(resolveScenarioPath(n)));

function plan(outDir: string, swarm = false): SweepTask[] {
  return planSweep(scenarios, { seeds: { from: 1, to: 3 }, modes: ['at-least-once', 'exactly-once'], bugs: [], swarm, outDir });
}

async function sweep(tasks: SweepTask[], outDir: string, jobs: number, resume = false): Promise<RunSummary[]> {
  return (await runSweep(tasks, { outDir, jobs, resume }).done).summaries;
}

/** What must not depend on how the sweep ran: each run's identity, verdict, kinds and trace hash. */
function essence(list: RunSummary[]): string[] {
  return sortSummaries(list).map((s) => `${summaryKey(s)} ${s.verdict} ${JSON.stringify(s.kinds)} ${s.traceHash} ${s.failureFile}`);
}

function fileSummaries(dir: string): RunSummary[] {
  return parseResults(readFileSync(join(dir, RESULTS_FILE), 'utf8'), 'results.jsonl');
}

describe('sweep', () => {
  // The reference: the sweep on one worker, uninterrupted and unsharded.
  const one = mkdtempSync(join(tmpdir(), 'eos-sweep-1-'));
  let a: RunSummary[] = [];
  beforeAll(async () => {
    a = await sweep(plan(one), one, 1);
  }, 120_000);

  it('gives the same results and table with 1 and 2 workers, and streams every run to results.jsonl', async () => {
    const two = mkdtempSync(join(tmpdir(), 'eos-sweep-2-'));
    const b = await sweep(plan(two), two, 2);
    expect(a).toHaveLength(12);
    expect(essence(b)).toEqual(essence(a));
    expect(tabulate(b)).toEqual(tabulate(a));
    expect(essence(fileSummaries(two))).toEqual(essence(a));
    // The story holds: at-least-once duplicates, exactly-once stays clean, and every failure has its file.
    const t = tabulate(a);
    expect(t.rows.find((r) => r.scenario === 'lost-ack' && r.mode === 'at-least-once')!.failing).toBe(3);
    expect(t.rows.filter((r) => r.mode === 'exactly-once').every((r) => r.failing === 0)).toBe(true);
    for (const s of a.filter((x) => x.verdict !== 'pass')) expect(JSON.parse(readFileSync(join(one, s.failureFile!), 'utf8')).traceHash).toBe(s.traceHash);
  });

  it('splits into shards that together are the unsharded sweep', async () => {
    const tasks = plan(one);
    const parts: RunSummary[] = [];
    const keys: string[][] = [];
    for (const index of [1, 2, 3]) {
      const dir = mkdtempSync(join(tmpdir(), `eos-sweep-shard${index}-`));
      const slice = shardTasks(plan(dir), { index, count: 3 });
      keys.push(slice.map((t) => t.key));
      parts.push(...(await sweep(slice, dir, 1)));
    }
    expect(new Set(keys.flat()).size).toBe(tasks.length);
    expect(keys.flat()).toHaveLength(tasks.length);
    expect(essence(parts)).toEqual(essence(a));
  });

  it('resumes an interrupted sweep: keeps what finished, runs the rest, ends with the same results', async () => {
    const expected = a;
    const dir = mkdtempSync(join(tmpdir(), 'eos-sweep-killed-'));
    const tasks = plan(dir);
    // As a kill leaves it: 5 whole lines and the 6th cut short.
    const lines = readFileSync(join(one, RESULTS_FILE), 'utf8').split('\n');
    writeFileSync(join(dir, RESULTS_FILE), lines.slice(0, 5).join('\n') + '\n' + lines[5].slice(0, 40));
    let ran = 0;
    const handle = runSweep(tasks, { outDir: dir, jobs: 2, resume: true, onResult: () => ran++ });
    const { summaries, resumed } = await handle.done;
    expect(resumed).toBe(5);
    expect(ran).toBe(tasks.length - 5);
    expect(essence(summaries)).toEqual(essence(expected));
    expect(essence(fileSummaries(dir))).toEqual(essence(expected));
  });

  it('refuses to resume a results file of another sweep', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eos-sweep-other-'));
    const other: RunSummary = {
      scenario: 'x', scenarioHash: 'abc', case: null, mode: 'idempotent', bugs: [], kafka: '4.2', seed: 1, swarm: null,
      verdict: 'pass', kinds: {}, traceHash: '0', events: 1, virtualTimeUs: 1, reproduce: 'r', failureFile: null,
    };
    writeFileSync(join(dir, RESULTS_FILE), JSON.stringify(other) + '\n');
    expect(() => runSweep(plan(dir), { outDir: dir, jobs: 1, resume: true })).toThrow(/does not plan.*another --out/);
  });
});
