#!/usr/bin/env node
// `npm run bench`: the simulator benchmark (bench/bench.ts). It runs from an esbuild bundle of the bench and
// the simulator (esbuild ships with tsx), without keepNames, so that what is timed is the simulator and not
// tsx's loader: tsx wraps every named function and class in a `__name(...)` call, which cost 12-15% of a
// run. `--tsx` runs the sources through tsx instead, as the CLI and the tests do; so does a failed bundle.
// The mode that ran is printed with the results.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';

const entry = fileURLToPath(new URL('../bench/bench.ts', import.meta.url));

async function bundle() {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'eos-bench-'));
  const outfile = join(dir, 'bench.mjs');
  try {
    await build({
      entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20',
      keepNames: false, sourcemap: true, logLevel: 'silent',
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { dir, outfile };
}

let bundled = null;
if (!process.argv.includes('--tsx')) {
  try {
    bundled = await bundle();
  } catch (e) {
    console.error(`bench: could not bundle with esbuild (${String(e?.message ?? e).split('\n')[0]}); running through tsx`);
  }
}
if (bundled) {
  process.env.EOS_BENCH_LOADER = 'esbuild bundle';
  try {
    await import(pathToFileURL(bundled.outfile).href);
  } finally {
    rmSync(bundled.dir, { recursive: true, force: true });
  }
} else {
  process.env.EOS_BENCH_LOADER = 'tsx';
  const { register } = await import('tsx/esm/api');
  register();
  await import('../bench/bench.ts');
}
