#!/usr/bin/env node
// `npm run bench`: the simulator benchmark (bench/bench.ts), run from an esbuild bundle of the bench and the
// simulator built with the same options as the eos-sim command's (scripts/build.mjs), so that what is timed
// is the code users run. The bundle is written under node_modules/.cache, not dist/ (the bench is not
// shipped), and inside the package so that the simulator finds the package's scenarios from it.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS, ROOT } from '../scripts/build.mjs';

const dir = join(ROOT, 'node_modules', '.cache', 'eos-sim-bench', String(process.pid));
mkdirSync(dir, { recursive: true });
try {
  const outfile = join(dir, 'bench.js');
  await build({ ...BUNDLE_OPTIONS, entryPoints: [join(ROOT, 'bench/bench.ts')], outfile });
  await import(pathToFileURL(outfile).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
