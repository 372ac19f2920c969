import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'reports/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // sim.logt`...` writes a trace record from a tagged template (sim/core/simulation.ts).
      '@typescript-eslint/no-unused-expressions': ['error', { allowTaggedTemplates: true }],
      // The simulation must be a pure function of (scenario, options, seed): no ambient time or randomness.
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'Use a named seeded stream (sim/core/random.ts).' },
        { object: 'Date', property: 'now', message: 'Use virtual time (sim.nowUs).' },
        { object: 'performance', property: 'now', message: 'Use virtual time (sim.nowUs).' }],
    },
  },
  {
    files: ['bench/**', 'bin/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
