// Pinned trace hashes: a handful of (scenario, mode, bugs, seed) runs whose hashes are kept in
// test/pinned-hashes.json, recomputed here and in a separate process. The hash covers every trace record
// of a run, so any change to what the model does, or to the order it does it in, changes it. That is how
// an accidental change of behaviour (an optimisation that reorders events, a stream drawn in a new place,
// a Map iterated in an order that is not the simulation's) gets caught even when every scenario's verdict
// stays the same. A change of the model that is meant changes the hashes too: then re-pin deliberately
// with `npm run pin-hashes` and say in the commit why the runs changed. Never re-pin to make this pass
// without knowing why the hashes moved.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { label, readPinned, recompute, type PinnedRun } from './pinned-hashes.ts';

const SCRIPT = fileURLToPath(new URL('./pinned-hashes.ts', import.meta.url));
const HOW = 'If the model changed on purpose, re-pin with `npm run pin-hashes` and say why in the commit; ' +
  'otherwise something changed what runs do, or made them depend on more than their seed.';

function changes(pinned: PinnedRun[], now: PinnedRun[]): string[] {
  return now.flatMap((r, i) => (r.traceHash === pinned[i].traceHash ? [] : [`${label(r)}: ${r.traceHash}, pinned ${pinned[i].traceHash}`]));
}

describe('pinned trace hashes', () => {
  const pinned = readPinned();

  it('pins a handful of runs across modes, bug modes and random faults', () => {
    expect(pinned.length).toBeGreaterThanOrEqual(5);
    expect(new Set(pinned.map((r) => r.mode)).size).toBeGreaterThanOrEqual(3);
    for (const r of pinned) expect(r.traceHash).toMatch(/^[0-9a-f]{16}$/);
  });

  it('recomputes every pinned hash in this process', () => {
    expect(changes(pinned, recompute(pinned)), HOW).toEqual([]);
  });

  it('recomputes every pinned hash in a separate process', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', SCRIPT], { encoding: 'utf8' });
    expect(changes(pinned, JSON.parse(out) as PinnedRun[]), HOW).toEqual([]);
  });
});
