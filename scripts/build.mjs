#!/usr/bin/env node
// The build: bundles each entry point below, with the simulator and its dependencies, into ES modules
// under dist/ (an entry's lazily imported parts in shared chunks beside it), so the installed `eos-sim`
// command starts without a TypeScript loader (tsx took ~0.5 s of every start). `npm ci` runs it (the
// `prepare` script), and so do `npm pack` and vitest's global set-up, so neither a fresh clone nor the
// tests can meet a stale or missing dist/. dist/ is not committed.
//
// Every entry point is listed in ENTRY_POINTS and nowhere else: a new one (a worker thread's file, say)
// is one line here, and it lands at dist/<name>.js beside the others. Inside a bundle, import.meta.url is
// the bundle's own URL, so code that finds a file at run time finds it from there: a sibling entry as
// `new URL('./<name>.js', import.meta.url)`, package files through the package root (sim/scenario/load.ts).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { URL, fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = join(ROOT, 'dist');

/** Output name (dist/<name>.js) → source file, relative to the package root. */
export const ENTRY_POINTS = {
  'cli': 'bin/cli.ts',
  'sweep-worker': 'sim/sweep/worker.ts',
};

/**
 * esbuild options shared with the bench's own bundle (bin/bench.js). keepNames stays off: it wraps every
 * named function and class in a `__name(...)` call, which cost 12-15% of a run. The source maps let
 * `node --enable-source-maps` and --cpu-prof point at the .ts sources.
 */
export const BUNDLE_OPTIONS = {
  bundle: true, platform: 'node', format: 'esm', target: 'node20', keepNames: false, sourcemap: true, logLevel: 'warning',
  // Bundled CommonJS dependencies (commander, seedrandom) require() Node's built-ins: give the ES module a require.
  banner: { js: "import { createRequire as __eosCreateRequire } from 'node:module'; const require = __eosCreateRequire(import.meta.url);" },
};

export async function buildDist() {
  rmSync(DIST, { recursive: true, force: true });
  await build({
    ...BUNDLE_OPTIONS,
    entryPoints: Object.entries(ENTRY_POINTS).map(([out, src]) => ({ out, in: join(ROOT, src) })),
    outdir: DIST,
    outExtension: { '.js': '.js' },
    // What the entry points import lazily (bin/cli.ts loads each command's implementation with import())
    // goes into chunks of its own, shared by the entries: `eos-sim --help` then reads a small file instead
    // of the whole simulator with its libraries. The chunks sit beside the entries in dist/, so that a
    // file found from import.meta.url (the sweep's worker, the package root) is found from a chunk too.
    splitting: true,
    chunkNames: 'chunk-[hash]',
  });
}

/** vitest's global set-up (vitest.config.ts): the CLI tests spawn bin/eos-sim.js, which runs dist/. */
export const setup = buildDist;

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildDist();
