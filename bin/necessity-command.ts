// `eos-sim necessity`: switch each of the model's checks off in turn and show that some shipped scenario
// then finds an anomaly (sim/necessity). By default each check's recorded witness is run (two runs per
// check); --search looks for a witness in every shipped scenario's clean cases instead.
import { MODEL_CHECK_NAMES } from '../sim/kafka/checks.ts';
import { formatProofs } from '../sim/necessity/format.ts';
import { cleanCases, proveByWitness, proveNecessity, type Proof } from '../sim/necessity/necessity.ts';
import { WITNESSES } from '../sim/necessity/witnesses.ts';
import { listScenarios, loadScenario } from '../sim/scenario/load.ts';
import { colours, NECESSITY_SEARCH_SEEDS } from './cli-shared.ts';
import { oneOfFlag, parsePositive, UsageError } from './usage.ts';

export interface NecessityFlags {
  search?: boolean;
  seeds?: string;
  json?: boolean;
}

export function commandNecessity(names: string[], flags: NecessityFlags): number {
  const named = names.map((n) => oneOfFlag('necessity: check', n, MODEL_CHECK_NAMES));
  const seeds = flags.seeds === undefined ? NECESSITY_SEARCH_SEEDS : parsePositive('--seeds', flags.seeds, 100_000);
  if (flags.seeds !== undefined && !flags.search) throw new UsageError('--seeds: only with --search (the recorded witnesses name their seeds)');
  const checks = named.length > 0 ? named : MODEL_CHECK_NAMES;
  const scenarios = listScenarios().map((s) => loadScenario(s.file));
  const byName = new Map(scenarios.map((s) => [s.name, s]));
  const candidates = cleanCases(scenarios);
  const proofs: Proof[] = [];
  checks.forEach((check, i) => {
    if (flags.search) process.stderr.write(`eos-sim necessity: ${i + 1}/${checks.length} ${check}: searching ${candidates.length} clean cases × ${seeds} seeds…\n`);
    proofs.push(flags.search ? proveNecessity(check, candidates, seeds) : proveByWitness(check, WITNESSES[check], byName));
  });
  if (flags.json) process.stdout.write(JSON.stringify({ proofs, proven: proofs.every((p) => p.witness !== null) }) + '\n');
  else process.stdout.write(formatProofs(proofs, colours()) + '\n');
  return proofs.every((p) => p.witness !== null) ? 0 : 1;
}
