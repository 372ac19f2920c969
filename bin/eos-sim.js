#!/usr/bin/env node
// The eos-sim command: runs the CLI (bin/cli.ts) from its compiled bundle, dist/cli.js, so that start-up
// pays for no TypeScript loader. The bundle is built by scripts/build.mjs, which `npm ci` (the `prepare`
// script) and `npm pack` run; `npm run build` rebuilds it after a change to the sources.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const bundle = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write('eos-sim: dist/cli.js is missing; run `npm run build` (npm ci runs it) in the eos-sim folder\n');
  process.exit(3);
}
try {
  await import(bundle.href);
} catch (e) {
  // The CLI handles every error of usage or input itself (exit 2). Anything that reaches here is the
  // simulator breaking, and must not read as a finding (exit 1, Node's default for an uncaught error).
  // Source maps stay off by default: loading dist/cli.js.map would slow every start.
  const where = process.execArgv.includes('--enable-source-maps') || process.env.NODE_OPTIONS?.includes('--enable-source-maps')
    ? '' : '\n(NODE_OPTIONS=--enable-source-maps maps this trace to the TypeScript sources)';
  process.stderr.write(`eos-sim: internal error: ${e?.stack ?? e}${where}\n`);
  process.exit(3);
}
