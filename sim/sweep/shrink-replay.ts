// `eos-sim shrink`: a replay file's failing run made smaller (sim/faults/shrink.ts) while the same anomaly
// kind still appears. A candidate is the replay's scenario with fewer producers, payments or partitions,
// run with a smaller schedule; the result is a replay file of its own.
import { shrink, type ShrinkBudget, type ShrinkCandidate } from '../faults/shrink.ts';
import type { Bug, Mode, Scenario } from '../scenario/types.ts';
import { replayScenario, ReplayFileError, type ReplayFile } from './replay-file.ts';
import { executeRun, type RunOutcome } from './run-one.ts';

export interface ShrinkFacts {
  faults: number;
  producers: number;
  paymentsPerProducer: number;
  payments: number;
  partitions: number;
  events: number;
}

export interface ShrinkReport {
  kind: string;
  before: ShrinkFacts;
  after: ShrinkFacts;
  runs: number;
  stoppedBy: string;
  replay: ReplayFile;
}

function withCandidate(base: Scenario, c: ShrinkCandidate): Scenario {
  const topic = base.workload.topic;
  return {
    ...base,
    workload: { ...base.workload, producers: c.producers, paymentsPerProducer: c.paymentsPerProducer },
    cluster: { ...base.cluster, topics: base.cluster.topics.map((t) => (t.name === topic ? { ...t, partitions: c.partitions } : t)) },
  };
}

/** The scenario file's content with the candidate's sizes written in (topics spelled out in full). */
function sourceWith(source: unknown, shrunk: Scenario): unknown {
  const s = structuredClone(source) as { workload?: Record<string, unknown>; cluster?: Record<string, unknown> };
  s.workload = { ...s.workload, producers: shrunk.workload.producers, paymentsPerProducer: shrunk.workload.paymentsPerProducer };
  s.cluster = { ...s.cluster, topics: shrunk.cluster.topics };
  return s;
}

function facts(c: ShrinkCandidate, events: number): ShrinkFacts {
  return { faults: c.schedule.length, producers: c.producers, paymentsPerProducer: c.paymentsPerProducer, payments: c.producers * c.paymentsPerProducer, partitions: c.partitions, events };
}

/** The anomaly kind to keep: the one asked for, else the replay's first. */
export function shrinkKind(r: ReplayFile, file: string, asked?: string): string {
  const kinds = Object.keys(r.anomalies);
  if (kinds.length === 0) throw new ReplayFileError(`${file}: anomalies: the replay file records no anomaly, so there is nothing to keep while shrinking`);
  if (asked === undefined) return kinds[0];
  if (!kinds.includes(asked)) throw new ReplayFileError(`${file}: --kind: the run found no ${JSON.stringify(asked)} (allowed: ${kinds.join(', ')})`);
  return asked;
}

export function shrinkReplay(r: ReplayFile, file: string, kind: string, budget: ShrinkBudget): ShrinkReport {
  const base = replayScenario(r, file);
  const topic = base.cluster.topics.find((t) => t.name === base.workload.topic)!;
  const run = (c: ShrinkCandidate): RunOutcome => {
    const scenario = withCandidate(base, c);
    return executeRun({
      scenario, source: sourceWith(r.scenario, scenario), case: null, mode: r.mode as Mode, bugs: r.bugs as Bug[], overrides: r.overrides,
      kafka: r.kafka, seed: r.seed, swarm: false, schedule: c.schedule, budget: r.budget, checksOff: r.checksOff, reproduce: '',
    });
  };
  const keeps = (o: RunOutcome) => o.summary.verdict === 'fail' && (o.summary.kinds[kind] ?? 0) > 0;
  const start: ShrinkCandidate = { schedule: r.schedule, producers: base.workload.producers, paymentsPerProducer: base.workload.paymentsPerProducer, partitions: topic.partitions };
  const first = run(start);
  if (!keeps(first)) throw new ReplayFileError(`${file}: the replayed run no longer shows ${kind} (trace hash ${first.summary.traceHash}, recorded ${r.traceHash}); replay it to see what changed`);
  const result = shrink(start, (c) => {
    try {
      return keeps(run(c));
    } catch {
      // A candidate the model refuses (a size it cannot configure) is not a smaller failure.
      return false;
    }
  }, budget);
  const last = run(result.candidate);
  return {
    kind, before: facts(start, first.summary.events), after: facts(result.candidate, last.summary.events),
    runs: result.runs + 2, stoppedBy: result.stoppedBy, replay: { ...last.replay!, swarm: r.swarm },
  };
}
