#!/usr/bin/env node
// `npm run bench`: the simulator benchmark (bench/bench.ts). tsx compiles the TypeScript sources on load.
import { register } from 'tsx/esm/api';

register();
await import('../bench/bench.ts');
