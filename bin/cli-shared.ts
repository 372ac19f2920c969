// What the command line's definition (cli.ts, loaded on every start) and its implementations (commands.ts
// and the other command files, loaded only when a command runs) share: the defaults that --help shows, and
// colours. Kept to constants and chalk so that `eos-sim --help` loads none of the simulator.
import { Chalk, type ChalkInstance } from 'chalk';

/** Where `--report` writes when no --out is given. */
export const DEFAULT_OUT = 'reports';

/** `eos-sim shrink`'s budgets: runs (deterministic) and wall seconds (a safety net). */
export const SHRINK_MAX_RUNS = 400;
export const SHRINK_MAX_SECONDS = 300;

/** `eos-sim export --format`. */
export const EXPORT_FORMATS = ['edn'] as const;

/** Seeds per clean case that `eos-sim necessity --search` tries. */
export const NECESSITY_SEARCH_SEEDS = 30;

export function colours(): ChalkInstance {
  const on = process.stdout.isTTY && !process.env.NO_COLOR;
  return new Chalk({ level: on ? 1 : 0 });
}
