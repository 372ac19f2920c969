// The replay file: everything one failing run needs to run again on another machine, in one JSON file
// (format in docs/scale-out.md): the scenario's content rather than its path, the release, mode, bugs,
// overrides, seed, swarm draw and the concrete fault schedule that ran, with the trace hash to compare.
import type { RunBudget } from '../core/invariant.ts';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SwarmChoice } from '../faults/random-schedule.ts';
import { isModelCheck, MODEL_CHECK_NAMES, type ModelCheck } from '../kafka/checks.ts';
import type { FaultSchedule } from '../faults/schedule.ts';
import { SCENARIOS_DIR, ScenarioError, parseScenario } from '../scenario/load.ts';
import type { Overrides, Scenario } from '../scenario/types.ts';

export interface ReplayFile {
  replay: 'eos-sim';
  version: 1;
  eosSimVersion: string;
  /** The scenario file's content, parsed (YAML or JSON) but not validated or defaulted. */
  scenario: unknown;
  kafka: string;
  mode: string;
  bugs: string[];
  overrides: Overrides;
  seed: number;
  swarm: SwarmChoice | null;
  schedule: FaultSchedule;
  traceHash: string;
  anomalies: Record<string, number>;
  /** The run's budget when it was not the default (`run --max-events`): a replay must run under the same one. */
  budget?: RunBudget;
  /** Model checks the run switched off (`run --disable-check`), when any: a replay switches them off too. */
  checksOff?: ModelCheck[];
}

export class ReplayFileError extends Error {}

let version: string | undefined;

/** eos-sim's own version, from the package.json beside the shipped scenarios. */
export function eosSimVersion(): string {
  version ??= (JSON.parse(readFileSync(join(SCENARIOS_DIR, '..', 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

export interface ReplayNameParts {
  scenario: string;
  mode: string;
  seed: number;
  bugs: readonly string[];
  kafka: string;
  /** 1-based expectation case, or null. */
  case: number | null;
  swarm: boolean;
  /** A short hash of --set overrides, when there are any that no case brought. */
  setsHash?: string;
  /** An event budget other than the default (`run --max-events`). */
  maxEvents?: number;
  /** Model checks switched off (`run --disable-check`). */
  checksOff?: readonly string[];
}

/**
 * `<scenario>-<mode>-seed<N>[-<bug>…][-case<i>][-kafka<v>][-swarm][-set<hash>][-events<n>][-off-<check>…].json`:
 * distinct runs, distinct names.
 */
export function replayFileName(p: ReplayNameParts): string {
  const parts = [`${p.scenario}-${p.mode}-seed${p.seed}`, ...p.bugs];
  if (p.case !== null) parts.push(`case${p.case}`);
  parts.push(`kafka${p.kafka}`);
  if (p.swarm) parts.push('swarm');
  if (p.setsHash) parts.push(`set${p.setsHash}`);
  if (p.maxEvents !== undefined) parts.push(`events${p.maxEvents}`);
  for (const c of p.checksOff ?? []) parts.push(`off-${c}`);
  return `${parts.join('-')}.json`;
}

/** Writes the file under `<outDir>/failures/` and returns its path relative to outDir. */
export function writeReplayFile(outDir: string, name: string, file: ReplayFile): string {
  const rel = join('failures', name);
  mkdirSync(join(outDir, 'failures'), { recursive: true });
  writeFileSync(join(outDir, rel), JSON.stringify(file, null, 2) + '\n');
  return rel;
}

function field<T>(file: string, data: Record<string, unknown>, name: string, ok: (v: unknown) => boolean, allowed: string): T {
  if (!ok(data[name])) throw new ReplayFileError(`${file}: ${name}: ${data[name] === undefined ? 'missing' : `not allowed: ${JSON.stringify(data[name])}`} (allowed: ${allowed})`);
  return data[name] as T;
}

export function readReplayFile(file: string): ReplayFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ReplayFileError(`${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ReplayFileError(`${file}: not JSON (${(e as Error).message})`);
  }
  const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const isString = (v: unknown) => typeof v === 'string';
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  field(file, d, 'replay', (v) => v === 'eos-sim', '"eos-sim" (a replay file written by eos-sim sweep, run or shrink)');
  field(file, d, 'version', (v) => v === 1, '1');
  return {
    replay: 'eos-sim', version: 1,
    eosSimVersion: field(file, d, 'eosSimVersion', isString, 'a version string'),
    scenario: field(file, d, 'scenario', isObject, 'the scenario\'s content as an object'),
    kafka: field(file, d, 'kafka', isString, 'a Kafka release such as "4.2"'),
    mode: field(file, d, 'mode', isString, 'a mode name'),
    bugs: field(file, d, 'bugs', (v) => Array.isArray(v) && v.every(isString), 'a list of bug mode names'),
    overrides: field(file, d, 'overrides', (v) => isObject(v) && isObject((v as Overrides).producer) && isObject((v as Overrides).consumer), '{ producer: {…}, consumer: {…} }'),
    seed: field(file, d, 'seed', (v) => Number.isSafeInteger(v) && (v as number) >= 0, 'an integer seed'),
    swarm: field(file, d, 'swarm', (v) => v === null || isObject(v), 'null or { kinds, meanIntervalMs }'),
    schedule: field(file, d, 'schedule', Array.isArray, 'a list of fault events'),
    traceHash: field(file, d, 'traceHash', isString, 'a trace hash'),
    anomalies: field(file, d, 'anomalies', isObject, 'anomaly kind → count'),
    ...(d.budget === undefined ? {} : {
      budget: field(file, d, 'budget', (v) => isObject(v) && Number.isSafeInteger((v as RunBudget).maxEvents) && Number.isSafeInteger((v as RunBudget).maxQueuedEvents),
        '{ maxEvents, maxQueuedEvents } (integers)'),
    }),
    ...(d.checksOff === undefined ? {} : {
      checksOff: field(file, d, 'checksOff', (v) => Array.isArray(v) && v.every((c) => isString(c) && isModelCheck(c)), `a list of model check names (${MODEL_CHECK_NAMES.join(', ')})`),
    }),
  };
}

/** The replay's scenario, validated as if it were a file of its own (`<replay file>#scenario`). */
export function replayScenario(r: ReplayFile, file: string): Scenario {
  try {
    return parseScenario(JSON.stringify(r.scenario), `${file}#scenario.json`);
  } catch (e) {
    if (e instanceof ScenarioError) throw new ReplayFileError(e.message);
    throw e;
  }
}
