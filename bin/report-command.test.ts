// `eos-sim report` and `run --report` as a user meets them: formats, exit codes, output files, bad input.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('./eos-sim.js', import.meta.url));

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('node', [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

describe('eos-sim run --report', () => {
  it('writes the reports into the run\'s folder, and every report names version and scenario hash', () => {
    const out = tmp('eos-run-report-');
    const r = cli('run', 'lost-ack', '--seed', '1', '--out', out, '--report', 'junit', '--report', 'json');
    expect(r.code).toBe(1);
    // Beside the run's folder, the failing run's replay file under failures/.
    const run = readdirSync(out).find((d) => d !== 'failures')!;
    expect(readdirSync(join(out, 'failures'))).toHaveLength(1);
    expect(readdirSync(join(out, run)).sort()).toEqual(['history.jsonl', 'junit.xml', 'report.json', 'summary.json']);
    const report = JSON.parse(readFileSync(join(out, run, 'report.json'), 'utf8'));
    expect(report.eosSimVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(report.scenarioHash).toMatch(/^[0-9a-f]{16}$/);
    const summary = JSON.parse(readFileSync(join(out, run, 'summary.json'), 'utf8'));
    expect(summary.eosSimVersion).toBe(report.eosSimVersion);
    expect(summary.runs[0]).toMatchObject({ scenario: 'lost-ack', seed: 1, verdict: 'fail', scenarioHash: report.scenarioHash, kafka: report.kafka });
    expect(readFileSync(join(out, run, 'junit.xml'), 'utf8')).toContain('<failure');
  });

  it('rejects an unknown format with exit 2', () => {
    const r = cli('run', 'lost-ack', '--report', 'pdf');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--report.*pdf.*allowed: html, junit, json, text/);
  });
});

describe('eos-sim report', () => {
  it('reads an output folder of runs and prints text, JSON or JUnit; the exit code is the verdict', () => {
    const out = tmp('eos-report-');
    expect(cli('run', 'lost-ack', '--seed', '1', '--out', out).code).toBe(1);
    expect(cli('run', 'lost-ack', '--seed', '1', '--mode', 'idempotent', '--out', out).code).toBe(0);
    const text = cli('report', out);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/lost-ack\s+at-least-once\s+\S+\s+1\s+1\s+duplicate\(1\)/);
    expect(text.stdout).toMatch(/lost-ack\s+idempotent\s+\S+\s+1\s+0\s+-/);
    expect(text.stdout).toContain('npx eos-sim run lost-ack --mode at-least-once --seed 1');
    const json = JSON.parse(cli('report', out, '--format', 'json').stdout);
    expect(json.totals).toEqual({ runs: 2, failing: 1, broken: 0, pass: 1 });
    const idempotentOnly = readdirSync(out).find((d) => d.includes('-idempotent-'))!;
    expect(cli('report', join(out, idempotentOnly), '--format', 'junit').code).toBe(0);
  });

  it('reads a results file, skips an unfinished last line, and re-runs a failure for the HTML diagram', () => {
    const dir = tmp('eos-results-');
    const run = JSON.parse(cli('run', 'lost-ack', '--seed', '1', '--json').stdout);
    const line = {
      scenario: 'lost-ack', scenarioHash: run.scenarioHash, case: null, mode: 'at-least-once', bugs: [], kafka: run.kafka, seed: 1, swarm: null,
      verdict: 'fail', kinds: run.counts, traceHash: run.traceHash, events: run.events, virtualTimeUs: run.virtualTimeUs,
      reproduce: run.reproduce, failureFile: null,
    };
    writeFileSync(join(dir, 'results.jsonl'), `${JSON.stringify(line)}\n${JSON.stringify({ ...line, seed: 2, verdict: 'pass', kinds: {} })}\n{"scenario":"lost-a`);
    const html = join(dir, 'report.html');
    const r = cli('report', dir, '--format', 'html', '-o', html);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('re-running failure 1/1');
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<svg id="diagram-1" class="space-time"');
    // Same scenario, same seed: the re-run's trace hash is the recorded one, so there is no warning.
    expect(page).not.toContain('differs from the recorded');
    expect(page).toContain('2 runs');
  });

  const bad: [string, (dir: string) => string[], RegExp][] = [
    ['a missing path', () => ['report', '/nonexistent/results.jsonl'], /no such file or folder/],
    ['an empty folder', (dir) => ['report', dir], /holds no results\.jsonl/],
    ['a line that is not JSON', (dir) => { writeFileSync(join(dir, 'r.jsonl'), 'nope\n'); return ['report', join(dir, 'r.jsonl')]; }, /r\.jsonl: line 1 is not JSON/],
    ['an unknown verdict', (dir) => {
      writeFileSync(join(dir, 'r.jsonl'), JSON.stringify({ scenario: 'x', scenarioHash: 'h', mode: 'm', seed: 1, verdict: 'meh', kinds: {}, traceHash: 'h', reproduce: 'r' }) + '\n');
      return ['report', join(dir, 'r.jsonl')];
    }, /r\.jsonl: line 1 is not a run summary/],
    ['an unknown format', (dir) => ['report', dir, '--format', 'pdf'], /argument 'pdf' is invalid.*html, junit, json, text/],
    ['-o into a missing folder', (dir) => ['report', dir, '-o', join(dir, 'nope', 'r.html')], /-o .*nope\/r\.html: folder .* does not exist/],
  ];
  for (const [what, args, message] of bad) {
    it(`rejects ${what} with exit 2 and a clear message`, () => {
      const dir = tmp('eos-report-bad-');
      const r = cli(...args(dir));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(join(dir, 'nope'))).toBe(false);
    });
  }
});
