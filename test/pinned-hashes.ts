// The runs whose trace hashes are pinned in test/pinned-hashes.json, and the one way to re-pin them.
//   npm run pin-hashes            recompute every pinned run and rewrite the file (a deliberate change)
//   tsx test/pinned-hashes.ts     print the recomputed runs as JSON, rewrite nothing (the test's second process)
// To pin another run, add an entry (scenario, mode, seed, bugs) to the file and run `npm run pin-hashes`.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../sim/run/run-scenario.ts';
import { loadScenario, resolveScenarioPath } from '../sim/scenario/load.ts';
import { BUGS, MODES, type Bug, type Mode } from '../sim/scenario/types.ts';

export const PINNED_FILE = fileURLToPath(new URL('./pinned-hashes.json', import.meta.url));

export interface PinnedRun {
  scenario: string;
  mode: Mode;
  seed: number;
  bugs: Bug[];
  /** The Kafka release (default: the scenario's, else the newest). */
  kafka?: string;
  traceHash: string;
}

export function readPinned(): PinnedRun[] {
  const runs = JSON.parse(readFileSync(PINNED_FILE, 'utf8')) as PinnedRun[];
  runs.forEach((r, i) => {
    const where = `${PINNED_FILE}: [${i}]`;
    if (!MODES.includes(r.mode)) throw new Error(`${where}.mode: ${JSON.stringify(r.mode)} (allowed: ${MODES.join(', ')})`);
    for (const b of r.bugs) if (!BUGS.includes(b)) throw new Error(`${where}.bugs: ${JSON.stringify(b)} (allowed: ${BUGS.join(', ')})`);
    if (!Number.isSafeInteger(r.seed) || r.seed < 0) throw new Error(`${where}.seed: ${JSON.stringify(r.seed)} (allowed: an integer >= 0)`);
  });
  return runs;
}

/** The same runs with their trace hashes recomputed by this process. */
export function recompute(runs: PinnedRun[]): PinnedRun[] {
  return runs.map((r) => {
    const scenario = loadScenario(resolveScenarioPath(r.scenario));
    const { traceHash } = runScenario(scenario, { mode: r.mode, seed: r.seed, bugs: r.bugs, kafka: r.kafka });
    return { ...r, traceHash };
  });
}

export function label(r: PinnedRun): string {
  return `${r.scenario} --mode ${r.mode}${r.bugs.map((b) => ` --bug ${b}`).join('')}${r.kafka ? ` --kafka ${r.kafka}` : ''} --seed ${r.seed}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const pinned = readPinned();
  const now = recompute(pinned);
  if (process.argv.includes('--write')) {
    // One run per line: a re-pin's diff shows which runs changed.
    writeFileSync(PINNED_FILE, `[\n${now.map((r) => `  ${JSON.stringify(r)}`).join(',\n')}\n]\n`);
    now.forEach((r, i) => {
      const was = pinned[i].traceHash;
      console.log(`${r.traceHash === was ? 'same   ' : 'changed'} ${r.traceHash}  ${label(r)}${r.traceHash === was ? '' : ` (was ${was})`}`);
    });
  } else {
    process.stdout.write(JSON.stringify(now) + '\n');
  }
}
