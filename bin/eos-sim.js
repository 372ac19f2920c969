#!/usr/bin/env node
// The eos-sim command. The sources are TypeScript; tsx compiles them on load, so there is no build step
// to forget and the command always runs the code in the tree.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
