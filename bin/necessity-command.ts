// `eos-sim necessity`: switch each of the model's checks off in turn and show that some shipped scenario
// then finds an anomaly (sim/necessity). By default each check's recorded witness is run (two runs per
// check); --search looks for a witness in every shipped scenario's clean cases instead.
import type { ChalkInstance } from 'chalk';
import type { Command } from 'commander';
import { MODEL_CHECK_NAMES } from '../sim/kafka/checks.ts';
import { formatProofs } from '../sim/necessity/format.ts';
import { cleanCases, proveByWitness, proveNecessity, type Proof } from '../sim/necessity/necessity.ts';
import { WITNESSES } from '../sim/necessity/witnesses.ts';
import { listScenarios, loadScenario } from '../sim/scenario/load.ts';
import { oneOfFlag, parsePositive, UsageError } from './usage.ts';

export const NECESSITY_SEARCH_SEEDS = 30;

interface NecessityFlags {
  search?: boolean;
  seeds?: string;
  json?: boolean;
}

function commandNecessity(names: string[], flags: NecessityFlags, colours: () => ChalkInstance): number {
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

export function registerNecessityCommand(program: Command, colours: () => ChalkInstance, setExit: (code: number) => void): void {
  program.command('necessity')
    .description('prove each model check necessary: switch it off and show a shipped scenario\'s clean case then finds an anomaly (exit 1 if some check is not proven)')
    .argument('[checks...]', `checks to prove (default: all; see \`eos-sim list\`): ${MODEL_CHECK_NAMES.join(', ')}`)
    .option('--search', 'search every shipped scenario\'s clean cases for a witness instead of running the recorded one')
    .option('--seeds <n>', `seeds per clean case with --search (default ${NECESSITY_SEARCH_SEEDS})`)
    .option('--json', 'print the proofs as JSON')
    .action((names: string[], flags: NecessityFlags) => { setExit(commandNecessity(names, flags, colours)); });
}
