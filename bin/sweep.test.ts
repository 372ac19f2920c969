// The sweep loop as a user meets it on the command line: sweep, failure files, replay, a killed and
// resumed sweep, shards joined by `report merge`, and bad input refused before anything runs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';

const BIN = fileURLToPath(new URL('./eos-sim.js', import.meta.url));
const ENV = { ...process.env, NO_COLOR: '1' };

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('node', [BIN, ...args], { encoding: 'utf8', env: ENV });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `eos-cli-${name}-`));

/** A results file's runs, in a canonical order, without what may differ between equal sweeps (nothing should). */
function results(dir: string): string[] {
  return readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const s = JSON.parse(l);
    return `${s.mode} ${String(s.seed).padStart(4)} ${s.verdict} ${s.traceHash} ${JSON.stringify(s.kinds)} ${s.failureFile}`;
  }).sort();
}

const SWEEP = ['sweep', 'lost-ack', '--seeds', '8', '--modes', 'at-least-once,exactly-once'];

describe('eos-sim sweep', () => {
  const full = tmp('full');
  let run: ReturnType<typeof cli>;
  beforeAll(() => {
    run = cli(...SWEEP, '--jobs', '2', '--out', full);
  }, 120_000);

  it('ends with the table, writes results.jsonl and a replay file per failure; at-least-once fails, exactly-once is clean', () => {
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/lost-ack\s+at-least-once\s+8\s+8\s+duplicate 8, duplicate-processing 8/);
    expect(run.stdout).toMatch(/lost-ack\s+exactly-once\s+8\s+0\s+-/);
    expect(run.stdout).toContain('↳ seed 1: npx eos-sim run lost-ack --mode at-least-once --seed 1');
    for (const line of run.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    // Not a terminal: plain progress lines on stderr.
    expect(run.stderr).toMatch(/sweep: 16\/16 runs · [\d.]+ runs\/s · ETA .* · 8 failing/);
    expect(results(full)).toHaveLength(16);
    expect(readdirSync(join(full, 'failures'))).toHaveLength(8);
  });

  it('replays a failure file to the same trace hash, and calls a different hash a determinism bug', () => {
    const file = join(full, 'failures', readdirSync(join(full, 'failures'))[0]);
    const same = cli('replay', file);
    expect(same.code).toBe(1);
    expect(same.stdout).toContain('FAIL  duplicate');
    expect(same.stderr).toContain(`same trace hash ${JSON.parse(readFileSync(file, 'utf8')).traceHash} as recorded`);
    const tampered = join(tmp('tampered'), 'x.json');
    writeFileSync(tampered, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), traceHash: 'ffffffffffffffff' }));
    const bug = cli('replay', tampered);
    expect(bug.code).toBe(1);
    expect(bug.stderr).toMatch(/DETERMINISM BUG: .* recorded trace hash ffffffffffffffff/);
  });

  it('shrinks a failure file to a smaller schedule that still fails with the same kind, and the result replays', () => {
    const file = join(full, 'failures', readdirSync(join(full, 'failures')).find((f) => f.includes('seed3'))!);
    const before = JSON.parse(readFileSync(file, 'utf8'));
    const out = join(tmp('shrunk'), 'min.json');
    const r = cli('shrink', file, '--max-runs', '40', '-o', out, '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.kind).toBe('duplicate');
    expect(res.after.faults).toBeLessThan(before.schedule.length);
    expect(res.after.payments).toBeLessThan(res.before.payments);
    const after = JSON.parse(readFileSync(out, 'utf8'));
    expect(after.schedule).toHaveLength(res.after.faults);
    expect(after.anomalies.duplicate).toBeGreaterThan(0);
    const replay = cli('replay', out);
    expect(replay.stderr).toContain(`same trace hash ${after.traceHash}`);
    expect(replay.stdout).toContain('FAIL  duplicate');
  });

  it('gives the same results with 1 worker', () => {
    const one = tmp('one');
    expect(cli(...SWEEP, '--jobs', '1', '--out', one).code).toBe(1);
    expect(results(one)).toEqual(results(full));
  });

  it('merges shards into the unsharded results', () => {
    const dirs = [1, 2].map((i) => {
      const dir = tmp(`shard${i}`);
      expect(cli(...SWEEP, '--shard', `${i}/2`, '--jobs', '1', '--out', dir).code).toBe(1);
      return dir;
    });
    const merged = tmp('merged');
    const m = cli('report', 'merge', ...dirs.map((d) => join(d, 'results.jsonl')), '--out', merged);
    expect(m.code).toBe(1);
    expect(results(merged)).toEqual(results(full));
    expect(readdirSync(join(merged, 'failures')).sort()).toEqual(readdirSync(join(full, 'failures')).sort());
    expect(m.stdout).toMatch(/lost-ack\s+at-least-once\s+8\s+8/);
  });

  it('keeps what a killed sweep finished, and --resume ends with the same results', async () => {
    const dir = tmp('killed');
    const child = spawn('node', [BIN, ...SWEEP, '--jobs', '1', '--out', dir], { env: ENV, stdio: 'ignore' });
    const file = join(dir, 'results.jsonl');
    const lines = () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);
    while (lines() < 3 && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const kept = lines();
    expect(kept).toBeGreaterThanOrEqual(3);
    expect(kept).toBeLessThan(16);
    const resumed = cli(...SWEEP, '--jobs', '1', '--out', dir, '--resume');
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toContain(`resumed ${kept} runs`);
    expect(results(dir)).toEqual(results(full));
  });
});

describe('eos-sim run --out', () => {
  it('writes a replay file for a failing run and leaves no stale file in its folder', () => {
    const dir = tmp('run');
    expect(cli('run', 'lost-ack', '--seed', '2', '--out', dir, '--trace').code).toBe(1);
    const [folder] = readdirSync(dir).filter((f) => f !== 'failures');
    expect(readdirSync(join(dir, folder)).sort()).toEqual(['history.jsonl', 'report.json', 'trace.txt']);
    expect(readdirSync(join(dir, 'failures'))).toEqual([`${folder}.json`]);
    expect(cli('run', 'lost-ack', '--seed', '2', '--out', dir).code).toBe(1);
    expect(readdirSync(join(dir, folder)).sort()).toEqual(['history.jsonl', 'report.json']);
    // Another case or other overrides: another folder.
    expect(cli('run', 'lost-ack', '--seed', '2', '--out', dir, '--set', 'producer.retries=1').code).toBe(1);
    expect(readdirSync(dir).filter((f) => f !== 'failures')).toHaveLength(2);
  });
});

describe('bad input is refused with exit 2 and one line, before anything runs', () => {
  const blocker = join(tmp('blocker'), 'a-file');
  writeFileSync(blocker, 'x');
  const bad: [string, string[], RegExp][] = [
    ['--out under a file', ['sweep', 'lost-ack', '--seeds', '2', '--out', join(blocker, 'sub')], /--out: cannot write to .*a-file\/sub \(ENOTDIR\)/],
    ['--out is a file', ['run', 'lost-ack', '--out', blocker], /--out: .*a-file is a file, not a folder/],
    ['--trace without --out', ['run', 'lost-ack', '--trace'], /--trace: .*give --out/],
    ['reversed seed range', ['sweep', 'lost-ack', '--seeds', '9..3'], /--seeds: "9\.\.3" is not allowed/],
    ['bad shard', ['sweep', 'lost-ack', '--shard', '3/2'], /--shard: "3\/2" is not allowed \(allowed: i\/n/],
    ['unknown mode', ['sweep', 'lost-ack', '--modes', 'at-least-once,sometimes'], /--modes: unknown value "sometimes"/],
    ['swarm without random faults', ['sweep', 'lost-ack', '--swarm'], /--swarm: lost-ack has no faults\.random/],
    ['not a replay file', ['replay', blocker], /a-file: not JSON/],
  ];
  for (const [what, args, message] of bad) {
    it(what, () => {
      const r = cli(...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    });
  }
});

describe('docs/scale-out.md', () => {
  const doc = readFileSync(fileURLToPath(new URL('../docs/scale-out.md', import.meta.url)), 'utf8');
  const yamlBlocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => YAML.parseAllDocuments(m[1]).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS();
  }));

  it('gives a GitHub Actions matrix of shards and a merge job, and a Kubernetes Indexed Job with a merge Job', () => {
    const [workflow] = yamlBlocks[0];
    expect(workflow.jobs.sweep.strategy.matrix.shard).toHaveLength(8);
    expect(workflow.jobs.merge.needs).toBe('sweep');
    const k8s = yamlBlocks[1];
    const sweep = k8s.find((d) => d.kind === 'Job' && d.spec.completionMode === 'Indexed');
    expect(sweep.spec.completions).toBe(8);
    expect(sweep.spec.template.spec.containers[0].args[0]).toContain('--shard "$((JOB_COMPLETION_INDEX + 1))/$SHARDS"');
    expect(k8s.find((d) => d.metadata.name === 'eos-sim-merge').spec.template.spec.containers[0].args[0]).toContain('eos-sim report merge');
  });

  it('uses only options the commands have', () => {
    const commands = [...doc.matchAll(/eos-sim (sweep|report merge)([^;\n]*(?:\\\n[^;\n]*)*)/g)];
    expect(commands.length).toBeGreaterThanOrEqual(4);
    const help = { sweep: cli('sweep', '--help').stdout, 'report merge': cli('report', 'merge', '--help').stdout };
    for (const [, command, rest] of commands) {
      for (const [flag] of rest.matchAll(/--[a-z-]+/g)) expect(help[command as keyof typeof help], `${command} ${flag}`).toContain(flag);
    }
  });
});
