// Same scenario + seed + options = the same trace hash and the same history, in this process and in a
// separate one. A hash that differs across processes would mean something outside the seed leaked in.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { historyToJsonl } from '../sim/check/parse.ts';
import { runScenario } from '../sim/run/run-scenario.ts';
import { loadScenario, resolveScenarioPath } from '../sim/scenario/load.ts';

const BIN = fileURLToPath(new URL('../bin/eos-sim.js', import.meta.url));

function cliHash(args: string[]): string {
  let out: string;
  try {
    out = execFileSync('node', [BIN, ...args, '--json'], { encoding: 'utf8' });
  } catch (e) {
    // Exit code 1 (a violation) still prints the report.
    out = (e as { stdout: string }).stdout;
  }
  return JSON.parse(out).traceHash;
}

describe('determinism', () => {
  const scenario = loadScenario(resolveScenarioPath('lost-ack'));

  it('repeats a run exactly in one process', () => {
    const a = runScenario(scenario, { mode: 'at-least-once', seed: 7, bugs: [], keepTrace: true });
    const b = runScenario(scenario, { mode: 'at-least-once', seed: 7, bugs: [], keepTrace: true });
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.trace).toEqual(b.trace);
    expect(historyToJsonl(a.history)).toBe(historyToJsonl(b.history));
  });

  it('gives another seed another run', () => {
    const a = runScenario(scenario, { mode: 'at-least-once', seed: 1, bugs: [] });
    const b = runScenario(scenario, { mode: 'at-least-once', seed: 2, bugs: [] });
    expect(a.traceHash).not.toBe(b.traceHash);
  });

  it('gives the same trace hash in two separate processes and in this one', () => {
    const args = ['run', 'lost-ack', '--seed', '3', '--mode', 'at-least-once'];
    const first = cliHash(args);
    const second = cliHash(args);
    const here = runScenario(scenario, { mode: 'at-least-once', seed: 3, bugs: [] }).traceHash;
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    expect(second).toBe(first);
    expect(here).toBe(first);
  });
});
