// Input the CLI used to accept though it was wrong: each is now bad usage (exit 2) with one clear line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('./eos-sim.js', import.meta.url));

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('node', [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('input rules', () => {
  const noCases = join(mkdtempSync(join(tmpdir(), 'eos-rules-')), 'no-cases.yaml');
  writeFileSync(noCases, 'name: no-cases\ndescription: A story with nothing to expect.\n');
  const cases: [string, string[], RegExp][] = [
    ['--set with no value', ['run', 'lost-ack', '--set', 'producer.acks='], /--set: producer\.acks: has no value after "=" \(allowed: e\.g\. producer\.acks=<value>\)/],
    ['--set of a transactional producer in at-least-once', ['run', 'lost-ack', '--mode', 'at-least-once', '--set', 'producer.transactional=true'], /--mode at-least-once switches idempotence off.*Cannot set a transactional\.id without also enabling idempotence/],
    ['a repeated --seed', ['run', 'lost-ack', '--seed', '1', '--seed', '2'], /--seed: given 2 times \(1, 2\); a run has one seed/],
    ['a suite with no cases', ['suite', noCases], /nothing to check: no-cases declares no expectation cases/],
  ];
  for (const [what, args, message] of cases) {
    it(`rejects ${what} with exit 2`, () => {
      const r = cli(...args);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
    });
  }
});
