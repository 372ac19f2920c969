// The one command that reproduces a run. A shipped scenario is named by its name, any other by its path;
// a case of the scenario's expectations is named by its index, which brings its mode, bugs and overrides.
import { relative } from 'node:path';
import { SCENARIOS_DIR } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';

export interface ReproduceSpec {
  seed: number;
  caseIndex?: number;
  mode?: string;
  bugs?: string[];
  kafka?: string;
  sets?: string[];
  swarm?: boolean;
  /** Model checks switched off (`--disable-check`, the necessity test). */
  checksOff?: string[];
}

export function scenarioArg(scenario: Scenario): string {
  const rel = relative(SCENARIOS_DIR, scenario.file);
  return !rel.startsWith('..') && !rel.includes('/') ? scenario.name : scenario.file;
}

export function reproduceCommand(scenario: Scenario, spec: ReproduceSpec): string {
  const parts = ['npx eos-sim run', scenarioArg(scenario)];
  if (spec.caseIndex !== undefined) parts.push(`--case ${spec.caseIndex + 1}`);
  if (spec.mode !== undefined) parts.push(`--mode ${spec.mode}`);
  for (const b of spec.bugs ?? []) parts.push(`--bug ${b}`);
  if (spec.kafka !== undefined) parts.push(`--kafka ${spec.kafka}`);
  for (const s of spec.sets ?? []) parts.push(`--set ${s}`);
  if (spec.swarm) parts.push('--swarm');
  for (const c of spec.checksOff ?? []) parts.push(`--disable-check ${c}`);
  parts.push(`--seed ${spec.seed}`);
  return parts.join(' ');
}
