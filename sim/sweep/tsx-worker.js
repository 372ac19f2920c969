// The worker's entry when eos-sim runs from its TypeScript sources (the dev CLI through tsx, vitest): a
// worker thread does not inherit the main thread's loader, and Node 20 applies `--import tsx` in a
// worker's execArgv only after the entry module is resolved, so the entry must be JavaScript that
// registers tsx and then loads worker.ts.
import { register } from 'tsx/esm/api';

register();
const { runTask } = await import('./worker.ts');
export default runTask;
