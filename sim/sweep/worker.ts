// The worker thread's entry (tinypool calls the default export once per task): run one task and, when it
// did not pass, write its replay file. Writing here rather than in the main thread spreads the JSON work
// over the workers; the main thread appends the summary to results.jsonl only after the file exists, so a
// results line never names a replay file that is not there. The bundled CLI ships this file as
// dist/sweep-worker.js (see pool.ts).
import type { RunSummary } from './results.ts';
import type { SweepTask } from './plan.ts';
import { replayFileName, writeReplayFile } from './replay-file.ts';
import { executeRun } from './run-one.ts';
import { loadWithSource } from './scenarios.ts';

export function runTask(task: SweepTask): RunSummary {
  // Parsed once per file per thread (loadWithSource's cache): a sweep runs each scenario many times.
  const { scenario, source } = loadWithSource(task.scenarioFile);
  const { summary, replay } = executeRun({ ...task, scenario, source });
  if (replay === null || task.outDir === null) return summary;
  const name = replayFileName({ ...summary, swarm: summary.swarm !== null });
  return { ...summary, failureFile: writeReplayFile(task.outDir, name, replay) };
}

export default runTask;
