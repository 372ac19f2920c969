import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['sim/**/*.test.ts', 'bin/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
    // The CLI tests run the command as installed (bin/eos-sim.js → dist/): build it first, never test a stale one.
    globalSetup: ['scripts/build.mjs'],
  },
});
