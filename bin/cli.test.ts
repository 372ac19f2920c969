// The CLI as a user meets it: exit codes (0 pass, 1 violation, 2 bad usage or input), the JSON contract,
// clear messages for bad input, and nothing written when the input is bad.
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

describe('when the simulator itself breaks', () => {
  const CLI_SOURCE = fileURLToPath(new URL('./cli.ts', import.meta.url));
  const BREAK = fileURLToPath(new URL('../test/break-invariant.ts', import.meta.url));

  it('reports a broken model invariant with exit code 3, the message, the time, the last trace records and the reproduce command', () => {
    const r = spawnSync('node', ['--import', 'tsx', '--import', BREAK, CLI_SOURCE, 'run', 'lost-ack', '--seed', '2'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/MODEL INVARIANT BROKEN {2}at \d+\.\d+ ms: test: leader append at offset \d+ of payments\/0/);
    expect(r.stdout).not.toContain('FAIL');
    expect(r.stdout).toMatch(/Last trace records:\n( {4}\d+ .*\n){10,}/);
    expect(r.stdout).toContain('reproduce: npx eos-sim run lost-ack --mode at-least-once --seed 2');
    const json = spawnSync('node', ['--import', 'tsx', '--import', BREAK, CLI_SOURCE, 'run', 'lost-ack', '--seed', '2', '--json'], { encoding: 'utf8' });
    expect(json.status).toBe(3);
    const report = JSON.parse(json.stdout);
    expect(report.verdict).toBe('invariant-broken');
    expect(report.anomalies).toEqual([]);
    expect(report.outcome.lastTrace.length).toBe(30);
  });

  it('reports a run over its event budget with exit code 3', () => {
    const r = cli('run', 'lost-ack', '--seed', '1', '--max-events', '1000');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('BUDGET EXCEEDED');
    expect(r.stdout).toContain('more than 1,000 events executed');
  });
});

describe('eos-sim run', () => {
  it('exits 1 with a duplicate witness for lost-ack in at-least-once, and 0 in idempotent', () => {
    const alo = cli('run', 'lost-ack', '--seed', '1', '--mode', 'at-least-once', '--json');
    expect(alo.code).toBe(1);
    const report = JSON.parse(alo.stdout);
    for (const field of ['scenario', 'mode', 'seed', 'verdict', 'anomalies', 'traceHash', 'events', 'virtualTimeUs']) expect(report).toHaveProperty(field);
    expect(report.verdict).toBe('fail');
    const dup = report.anomalies.find((a: { kind: string }) => a.kind === 'duplicate');
    expect(dup.witness.value).toMatch(/^p\d+-e\d+-s\d+$/);
    expect(dup.witness.offsets.length).toBeGreaterThanOrEqual(2);
    expect(dup.witness.seed).toBe(1);

    const idem = cli('run', 'lost-ack', '--seed', '1', '--mode', 'idempotent');
    expect(idem.code).toBe(0);
    expect(idem.stdout).toContain('PASS');
    expect(idem.stdout).toContain('reproduce: npx eos-sim run lost-ack --mode idempotent --seed 1');
  });

  it('shows a lost write for acks=1 in leader-crash', () => {
    const r = cli('run', 'leader-crash', '--mode', 'at-least-once', '--set', 'producer.acks=1', '--seed', '1', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).anomalies.map((a: { kind: string }) => a.kind)).toContain('lost-write');
  });

  it('writes the history and report with --out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eos-out-'));
    const r = cli('run', 'lost-ack', '--mode', 'idempotent', '--out', dir, '--trace');
    expect(r.code).toBe(0);
    const [run] = readdirSync(dir);
    expect(readdirSync(join(dir, run)).sort()).toEqual(['history.jsonl', 'report.json', 'trace.txt']);
    const check = cli('check', join(dir, run, 'history.jsonl'));
    expect(check.code).toBe(0);
  });

  const bad: [string, string[], RegExp][] = [
    ['unknown mode', ['run', 'lost-ack', '--mode', 'sometimes'], /--mode.*sometimes.*at-most-once/],
    ['bad seed', ['run', 'lost-ack', '--seed', '-4'], /--seed.*not a seed/],
    ['unknown bug', ['run', 'lost-ack', '--bug', 'no-brakes'], /--bug.*no-brakes.*allowed: no-seq-dedup/],
    ['unknown scenario', ['run', 'no-such-story'], /no-such-story/],
    ['bad --set field', ['run', 'lost-ack', '--set', 'producer.ackz=1'], /producer\.ackz.*unknown field/],
    ['bad --set value', ['run', 'lost-ack', '--set', 'producer.acks=2'], /producer\.acks/],
    ['bad --case', ['run', 'lost-ack', '--case', '9'], /--case.*1\.\.5/],
    ['unknown command', ['fly'], /unknown command/],
    ['bad suite --seeds', ['suite', 'lost-ack', '--seeds', '0'], /--seeds.*allowed: an integer 1\.\.100000/],
    ['a missing history file', ['check', '/nonexistent/h.jsonl'], /\/nonexistent\/h\.jsonl: cannot read the file/],
    ['idempotence with acks=1', ['run', 'lost-ack', '--mode', 'idempotent', '--set', 'producer.acks=1'], /enable\.idempotence requires acks=all/],
  ];
  for (const [what, args, message] of bad) {
    it(`rejects ${what} with exit 2 and a clear message`, () => {
      const r = cli(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    });
  }

  it('rejects a bad scenario file naming the file and field, and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eos-bad-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: bad\ndescription: x\nfaults:\n  schedule:\n    - { atMs: -5, fault: heal }\n');
    const out = join(dir, 'out');
    const r = cli('run', file, '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: faults.schedule[0].atMs`);
    expect(existsSync(out)).toBe(false);
  });

  it('rejects a broken history file for check with exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eos-hist-'));
    const file = join(dir, 'h.jsonl');
    writeFileSync(file, '{"history":"eos-sim","version":2}\n');
    const r = cli('check', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
  });
});

describe('eos-sim check and export', () => {
  it('judges a Jepsen history.edn, and an EDN export of a shipped run gives the same verdict and counts as the run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eos-edn-'));
    const jepsen = join(dir, 'history.edn');
    writeFileSync(jepsen, [
      '{:index 0, :time 0, :type :invoke, :process 0, :f :send, :value [[:send 1 10] [:send 1 11]]}',
      '{:index 1, :time 1000, :type :ok, :process 0, :f :send, :value [[:send 1 [0 10]] [:send 1 [1 11]]]}',
      '{:index 2, :time 2000, :type :invoke, :process 1, :f :send, :value [[:send 2 20]]}',
      '{:index 3, :time 3000, :type :fail, :process 1, :f :send, :value [[:send 2 20]]}',
      '{:index 4, :time 4000, :type :invoke, :process 2, :f :poll, :value [[:poll]]}',
      '{:index 5, :time 5000, :type :ok, :process 2, :f :poll, :value [[:poll {1 [[3 10]], 2 [[0 20]]}]]}',
    ].join('\n') + '\n');
    const judged = cli('check', jepsen, '--json');
    expect(judged.code).toBe(1);
    const counts = JSON.parse(judged.stdout).counts;
    expect(Object.keys(counts).filter((k) => counts[k] > 0)).toEqual(['lost-write', 'duplicate', 'aborted-read', 'broken-atomicity']);

    expect(cli('run', 'lost-ack', '--mode', 'at-least-once', '--seed', '1', '--out', dir).code).toBe(1);
    const run = join(dir, 'lost-ack-at-least-once-seed1-kafka4.2');
    const report = JSON.parse(readFileSync(join(run, 'report.json'), 'utf8'));
    const edn = join(dir, 'run.edn');
    const exported = cli('export', '--format', 'edn', join(run, 'history.jsonl'), '--out', edn);
    expect(exported.code).toBe(0);
    expect(readFileSync(edn, 'utf8')).toMatch(/^\{:index 0 :time \d+ :type :invoke :process "/);
    for (const file of [join(run, 'history.jsonl'), edn]) {
      const r = cli('check', file, '--json');
      expect(r.code).toBe(1);
      const result = JSON.parse(r.stdout);
      expect(result.verdict).toBe(report.verdict);
      // check --json and report.json count in one shape: every kind, zeros included.
      expect(result.counts).toEqual(report.counts);
    }
  });

  it('says nothing was checked for a header-only history (exit 2), rather than PASS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eos-empty-'));
    const file = join(dir, 'h.jsonl');
    writeFileSync(file, '{"history":"eos-sim","version":1}\n');
    const r = cli('check', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: nothing checked`);
    expect(r.stdout).not.toContain('PASS');
  });

  it('says nothing was checked for a suite with no cases (exit 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eos-nocase-'));
    const file = join(dir, 'empty.yaml');
    writeFileSync(file, 'name: empty\ndescription: no expectations\n');
    const r = cli('suite', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nothing to check');
  });

  it('refuses a history too large for the memory it may use with exit 2 and a clear message, not a crash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eos-big-'));
    const file = join(dir, 'big.jsonl');
    const lines = ['{"history":"eos-sim","version":1}'];
    for (let i = 0; i < 100_000; i++) {
      lines.push(`{"index":${i},"id":${i},"time":${i},"process":"producer-1","type":"info","f":"send","value":[["send","payments/0","p1-e0-s${i}-with-some-padding-to-make-the-line-longer"]]}`);
    }
    writeFileSync(file, lines.join('\n') + '\n');
    const r = spawnSync('node', [BIN, 'check', file], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=40' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/big\.jsonl: the file is \d+ MB; checking it needs about \d+ MB of memory, more than this process has free/);
  });

  it('rejects an unknown export format with exit 2', () => {
    const r = cli('export', '--format', 'xml', '/nonexistent/h.jsonl');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--format.*xml/);
  });
});

describe('eos-sim list and help', () => {
  it('lists scenarios, modes, bug modes, fault kinds and anomaly kinds', () => {
    const r = cli('list', '--json');
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout);
    expect(data.scenarios.map((s: { name: string }) => s.name)).toContain('lost-ack');
    expect(data.modes.map((m: { name: string }) => m.name)).toEqual(['at-most-once', 'at-least-once', 'idempotent', 'exactly-once']);
    expect(data.bugs.length).toBeGreaterThan(0);
    expect(data.faults.map((f: { name: string }) => f.name)).toContain('crash-broker');
    expect(data.anomalies.map((a: { name: string }) => a.name)).toEqual(expect.arrayContaining(['lost-write', 'hanging-transaction', 'liveness']));
  });

  it('explains itself with --help and exits 0', () => {
    const r = cli('run', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--seed');
    expect(r.stdout).toContain('--mode');
  });

  it('starts from the commands\' definitions alone: what dist/cli.js imports statically holds none of the simulator', () => {
    // --help, --version and bad usage load only what the entry imports statically (the implementations come
    // through import(), split into chunks by scripts/build.mjs); the files it reaches must stay small.
    const dist = fileURLToPath(new URL('../dist/', import.meta.url));
    const reached = new Set<string>();
    const visit = (file: string) => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const m of readFileSync(join(dist, file), 'utf8').matchAll(/^(?:import|export)\b[^;]*?["']\.\/([^"']+)["'];/gms)) visit(m[1]);
    };
    visit('cli.js');
    const read = (files: Iterable<string>) => [...files].map((f) => readFileSync(join(dist, f), 'utf8')).join('\n');
    const entry = read(reached);
    const all = read(readdirSync(dist).filter((f) => f.endsWith('.js')));
    // The Kafka model and the checker, as esbuild writes them: in the build, not in what --help loads.
    for (const marker of ['Partition = class', 'function checkHistoryFile(']) {
      expect(all).toContain(marker);
      expect(entry).not.toContain(marker);
    }
    expect(entry).toContain('CommanderError'); // the definitions are there
    expect(entry.length).toBeLessThan(400_000); // the whole build is ~2.6 MB
  });

  it('prints the version of package.json with --version', () => {
    const r = cli('--version');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  });
});

describe('costs', () => {
  it('prints the cost table as JSON, a row per mode and transaction size, ratios to at-least-once', () => {
    const r = cli('costs', '--payments', '60', '--sizes', '1,10', '--json');
    expect(r.code).toBe(0);
    const table = JSON.parse(r.stdout);
    expect(table.rows.map((row: { mode: string; transactionSize: number | null }) => [row.mode, row.transactionSize]))
      .toEqual([['at-least-once', null], ['idempotent', null], ['exactly-once', 1], ['exactly-once', 10]]);
    expect(table.rows[0].relative.throughput).toBe(1);
    expect(r.stderr).toContain('run 4/4: exactly-once, 10 per transaction');
  });

  it('refuses a bad flag with exit code 2 and names it', () => {
    const r = cli('costs', '--sizes', '1,0');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--sizes: "0" is not allowed (allowed: an integer 1..1000)');
    expect(r.stdout).toBe('');
  });
});

describe('eos-sim necessity and --disable-check', () => {
  it('a check switched off lets its anomaly through, and the reproduce command says so', () => {
    const on = cli('run', 'aborted-reads', '--case', '1', '--seed', '1');
    expect(on.code).toBe(0);
    const off = cli('run', 'aborted-reads', '--case', '1', '--seed', '1', '--disable-check', 'aborted-transaction-filter');
    expect(off.code).toBe(1);
    expect(off.stdout).toContain('aborted-read');
    expect(off.stdout).toContain('--disable-check aborted-transaction-filter');
  });

  it('a run with a check off writes a replay file that names the switch and replays to the same trace hash', () => {
    const out = mkdtempSync(join(tmpdir(), 'eos-sim-off-'));
    const r = cli('run', 'aborted-reads', '--case', '1', '--seed', '1', '--disable-check', 'aborted-transaction-filter', '--out', out);
    expect(r.code).toBe(1);
    const files = readdirSync(join(out, 'failures'));
    expect(files).toEqual(['aborted-reads-exactly-once-seed1-case1-kafka4.2-off-aborted-transaction-filter.json']);
    const replay = cli('replay', join(out, 'failures', files[0]));
    expect(replay.stderr).toContain('same trace hash');
    expect(replay.code).toBe(1);
  });

  it('proves a check by its recorded witness, and refuses unknown ones with exit 2', () => {
    const r = cli('necessity', 'aborted-transaction-filter');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1/1 checks proven necessary');
    const bad = cli('necessity', 'no-such-check');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('allowed: duplicate-batch');
    expect(cli('run', 'lost-ack', '--disable-check', 'nope').code).toBe(2);
  });
});
