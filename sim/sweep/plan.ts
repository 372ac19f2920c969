// What a sweep or a suite runs, as a list of tasks in one fixed order (scenario, case or mode, seed), so a
// shard (`--shard i/n`: every n-th task from the i-th) is the same slice on every machine, and a resumed
// sweep can tell by key which tasks are already done.
import type { RunSpec } from './run-one.ts';
import { ConfigError, resolveConfig } from '../run/run-scenario.ts';
import type { Bug, Mode, Overrides } from '../scenario/types.ts';
import { reproduceCommand } from '../suite/reproduce.ts';
import { runKey } from './results.ts';
import { releaseOf, scenarioHash } from './run-one.ts';
import type { LoadedScenario } from './scenarios.ts';

/** One run, as plain data a worker thread can receive: a RunSpec with its scenario named by file. */
export interface SweepTask extends Pick<RunSpec, 'case' | 'mode' | 'bugs' | 'overrides' | 'kafka' | 'seed' | 'swarm' | 'reproduce'> {
  key: string;
  scenarioFile: string;
  /** Where the worker writes the replay file of a failing run; null: nowhere. */
  outDir: string | null;
}

export interface SeedRange {
  /** First and last seed, inclusive. */
  from: number;
  to: number;
}

export interface SweepPlanOptions {
  seeds: SeedRange;
  modes: Mode[];
  bugs: Bug[];
  kafka?: string;
  swarm: boolean;
  outDir: string | null;
}

const NO_OVERRIDES: Overrides = { producer: {}, consumer: {} };

function task(l: LoadedScenario, t: Omit<SweepTask, 'key' | 'scenarioFile'>): SweepTask {
  // The key names the release the run will model, as its summary will, so --resume can match them.
  const kafka = releaseOf(l.scenario, t.kafka);
  const key = runKey({ scenarioHash: scenarioHash(l.source), case: t.case, mode: t.mode, bugs: t.bugs, kafka, seed: t.seed, swarm: t.swarm });
  return { key, scenarioFile: l.scenario.file, ...t };
}

/** Exploration: every scenario × mode × seed, with the given bugs and no expectations. */
export function planSweep(scenarios: readonly LoadedScenario[], o: SweepPlanOptions): SweepTask[] {
  const tasks: SweepTask[] = [];
  for (const l of scenarios) {
    for (const mode of o.modes) {
      for (let seed = o.seeds.from; seed <= o.seeds.to; seed++) {
        const reproduce = reproduceCommand(l.scenario, { seed, mode, bugs: o.bugs, kafka: o.kafka, swarm: o.swarm });
        tasks.push(task(l, { case: null, mode, bugs: o.bugs, overrides: NO_OVERRIDES, kafka: o.kafka, seed, swarm: o.swarm, reproduce, outDir: o.outDir }));
      }
    }
  }
  return tasks;
}

/** The suite: every expectation case of every scenario over seeds 1..n (the scenario's own n by default). */
export function planSuite(scenarios: readonly LoadedScenario[], seeds: number | undefined, outDir: string | null): SweepTask[] {
  const tasks: SweepTask[] = [];
  for (const l of scenarios) {
    l.scenario.expect.forEach((c, i) => {
      for (let seed = 1; seed <= (seeds ?? l.scenario.seeds); seed++) {
        const reproduce = reproduceCommand(l.scenario, { caseIndex: i, seed });
        tasks.push(task(l, {
          case: i + 1, mode: c.mode, bugs: c.bugs, kafka: c.kafka, overrides: { producer: c.producer, consumer: c.consumer },
          seed, swarm: false, reproduce, outDir,
        }));
      }
    });
  }
  return tasks;
}

/**
 * Refuses, before anything runs, a plan with a combination the model cannot configure (a scenario that
 * sets acks=1 swept in a mode with idempotence, say): one line naming the file, instead of every worker
 * failing on it later.
 */
export function checkPlan(tasks: readonly SweepTask[], scenarios: readonly LoadedScenario[]): void {
  const byFile = new Map(scenarios.map((l) => [l.scenario.file, l.scenario]));
  const seen = new Set<string>();
  for (const t of tasks) {
    const combo = JSON.stringify([t.scenarioFile, t.mode, t.bugs, t.kafka, t.overrides]);
    if (seen.has(combo)) continue;
    seen.add(combo);
    try {
      resolveConfig(byFile.get(t.scenarioFile)!, { mode: t.mode, seed: t.seed, bugs: t.bugs, kafka: t.kafka, overrides: t.overrides });
    } catch (e) {
      if (e instanceof ConfigError) throw new ConfigError(`${t.scenarioFile}: ${e.message}`);
      throw e;
    }
  }
}

export interface Shard {
  /** 1-based index of this shard. */
  index: number;
  count: number;
}

/** Every count-th task from the index-th: shards interleave, so each gets a like share of slow scenarios. */
export function shardTasks(tasks: readonly SweepTask[], shard: Shard): SweepTask[] {
  return tasks.filter((_, i) => i % shard.count === shard.index - 1);
}
