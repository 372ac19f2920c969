// Every protection proven necessary, as mutation testing would: switch one of the model's checks off
// (sim/kafka/checks.ts) and require some shipped scenario, in a case where the check is expected to
// protect (an expectation case with no anomalies), to show an anomaly for some seed. The same seed with
// the check on is run too (the control): it must not show that anomaly, so the switch is what made it.
import { executeRun } from '../sweep/run-one.ts';
import type { ModelCheck } from '../kafka/checks.ts';
import { caseLabel } from '../suite/suite.ts';
import { reproduceCommand } from '../suite/reproduce.ts';
import type { Scenario } from '../scenario/types.ts';
import type { WitnessEntry } from './witnesses.ts';

/** A clean expectation case: one the checks are expected to keep free of anomalies. */
export interface Candidate {
  scenario: Scenario;
  /** 0-based index into scenario.expect. */
  caseIndex: number;
}

export interface Witness {
  scenario: string;
  /** 1-based, as `eos-sim run --case` takes it. */
  case: number;
  label: string;
  seed: number;
  /** Kinds the run showed with the check off (none of which the control showed). */
  kinds: string[];
  /** Reproduces the run with the check off. */
  reproduce: string;
}

export interface Proof {
  check: ModelCheck;
  witness: Witness | null;
  /** Runs made to find the witness (controls included). */
  runs: number;
  /** Runs where the simulator broke with the check off (a switch that breaks the model proves nothing). */
  broken: { reproduce: string; message: string }[];
  /** Why no shipped scenario can show the check yet (sim/necessity/witnesses.ts), when that is known. */
  unproven?: string;
}

/** The clean cases of the scenarios, in order: where a check's absence must show. */
export function cleanCases(scenarios: readonly Scenario[]): Candidate[] {
  const out: Candidate[] = [];
  for (const scenario of scenarios) {
    scenario.expect.forEach((c, caseIndex) => {
      if (c.anomalies.length === 0) out.push({ scenario, caseIndex });
    });
  }
  return out;
}

export interface SeedVerdict {
  /** Kinds shown with the check off and not with it on (liveness-only findings included). */
  kinds: string[];
  runs: number;
  broken: { reproduce: string; message: string } | null;
}

/** One seed of one case: the check off, then (if anything showed) the control with it on. */
export function trySeed(check: ModelCheck, candidate: Candidate, seed: number): SeedVerdict {
  const { scenario, caseIndex } = candidate;
  const c = scenario.expect[caseIndex];
  const base = {
    scenario, source: scenario, case: caseIndex + 1, mode: c.mode, bugs: c.bugs, kafka: c.kafka,
    overrides: { producer: c.producer, consumer: c.consumer }, seed, swarm: false,
  };
  const reproduce = reproduceCommand(scenario, { caseIndex, seed, checksOff: [check] });
  const off = executeRun({ ...base, checksOff: [check], reproduce }).summary;
  if (off.verdict === 'budget-exceeded' || off.verdict === 'invariant-broken') {
    return { kinds: [], runs: 1, broken: { reproduce, message: `${off.verdict}: ${off.error ?? ''}` } };
  }
  const shown = Object.keys(off.kinds).filter((k) => !c.mayAlsoFind.includes(k));
  if (shown.length === 0) return { kinds: [], runs: 1, broken: null };
  const onReproduce = reproduceCommand(scenario, { caseIndex, seed });
  const on = executeRun({ ...base, reproduce: onReproduce }).summary;
  // A control that broke the simulator judged nothing: it cannot show that the switch made the difference.
  if (on.verdict === 'budget-exceeded' || on.verdict === 'invariant-broken') {
    return { kinds: [], runs: 2, broken: { reproduce: onReproduce, message: `control run ${on.verdict}: ${on.error ?? ''}` } };
  }
  return { kinds: shown.filter((k) => !(k in on.kinds)).sort(), runs: 2, broken: null };
}

/**
 * Searches the candidates in order, seeds 1..seeds each, for the first run that shows an anomaly with
 * the check off and not with it on.
 */
export function proveNecessity(check: ModelCheck, candidates: readonly Candidate[], seeds: number): Proof {
  let runs = 0;
  const broken: Proof['broken'] = [];
  for (const candidate of candidates) {
    for (let seed = 1; seed <= seeds; seed++) {
      const v = trySeed(check, candidate, seed);
      runs += v.runs;
      if (v.broken) broken.push(v.broken);
      if (v.kinds.length === 0) continue;
      const { scenario, caseIndex } = candidate;
      return {
        check, runs, broken,
        witness: {
          scenario: scenario.name, case: caseIndex + 1, label: caseLabel(scenario.expect[caseIndex]), seed, kinds: v.kinds,
          reproduce: reproduceCommand(scenario, { caseIndex, seed, checksOff: [check] }),
        },
      };
    }
  }
  return { check, witness: null, runs, broken };
}

/**
 * The recorded witness of a check (sim/necessity/witnesses.ts), run again: two runs instead of a search.
 * A witness that no longer shows its anomaly is reported as not proven, naming the run.
 */
export function proveByWitness(check: ModelCheck, entry: WitnessEntry, scenarios: ReadonlyMap<string, Scenario>): Proof {
  if ('unproven' in entry) return { check, witness: null, runs: 0, broken: [], unproven: entry.unproven };
  const scenario = scenarios.get(entry.scenario);
  if (!scenario) throw new Error(`sim/necessity/witnesses.ts: ${check}: no shipped scenario named ${entry.scenario}`);
  const caseIndex = entry.case - 1;
  if (!scenario.expect[caseIndex] || scenario.expect[caseIndex].anomalies.length > 0) {
    throw new Error(`sim/necessity/witnesses.ts: ${check}: ${entry.scenario} case ${entry.case} is not a clean expectation case`);
  }
  const v = trySeed(check, { scenario, caseIndex }, entry.seed);
  const reproduce = reproduceCommand(scenario, { caseIndex, seed: entry.seed, checksOff: [check] });
  if (v.kinds.length === 0) {
    return { check, witness: null, runs: v.runs, broken: v.broken ? [v.broken] : [], unproven: `its recorded witness shows nothing any more (${reproduce})` };
  }
  return {
    check, runs: v.runs, broken: [],
    witness: { scenario: scenario.name, case: entry.case, label: caseLabel(scenario.expect[caseIndex]), seed: entry.seed, kinds: v.kinds, reproduce },
  };
}
