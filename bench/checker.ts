// The checker benchmark (issue 11's target: 1,000,000 operations judged in <= 3 s with <= 1 GB RSS). It writes
// a valid history of the requested size to a temporary file, line by line, then times what `eos-sim check`
// does with it: stream the file, parse, index and judge. The history is a busy idempotent run without
// faults: 8 producers sending single payments to 8 partitions, 4 consumers polling them back, final logs,
// so every record is written, acknowledged, read and checked against its log. The RSS figure is the
// process's peak (getrusage maxrss): it includes whatever ran before in the same process, so it can only
// overstate the checker's. On a shared machine both times move with the load, so the bench also times a
// yardstick on the same file right after: reading it and JSON.parse of every line, nothing else. The
// check's CPU time as a multiple of the yardstick's says what the checker costs whatever the machine.
// The same history is then exported to Jepsen's EDN shape and checked again (the EDN row): its CPU time
// beside the JSON Lines check's, the target being within ~2x. Its RSS is the process's peak so far,
// which includes the JSON Lines check's.
// Wall time is read with performance.now(): allowed in bench/ (see eslint.config.js).
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ednMetaLines, opToEdnLine } from '../sim/check/edn.ts';
import type { Op } from '../sim/check/history.ts';
import { HistoryParser } from '../sim/check/parse.ts';
import { checkHistoryFile, forEachLine } from '../sim/check/read.ts';

/** Seconds per 1,000,000 operations (scaled for --quick's smaller history). */
export const TARGET_CHECK_SECONDS = 3;
export const TARGET_CHECK_RSS_MB = 1024;

export interface CheckerBenchResult {
  operations: number;
  /** Size of the generated history file. */
  megabytes: number;
  /** Wall time of read + parse + check. */
  seconds: number;
  /** CPU time of the process over the same work (user + system, GC threads included): less sensitive to a busy machine. */
  cpuSeconds: number;
  opsPerSecond: number;
  /** Peak resident set size of the process, in MiB. */
  rssMb: number;
  /** CPU time of the yardstick: reading the same file and JSON.parse of every line, nothing else. */
  jsonParseCpuSeconds: number;
  verdict: 'pass' | 'fail';
  /** The same history as Jepsen's EDN (eos-sim export), checked the same way. */
  edn: { megabytes: number; seconds: number; cpuSeconds: number; rssMb: number; verdict: 'pass' | 'fail' };
  targets: { seconds: { target: number; met: boolean }; rssMb: { target: number; met: boolean } };
}

const PRODUCERS = 8;
const CONSUMERS = 4;
const KEYS = 8;
const RECORDS_PER_POLL = 4;

/** Buffers lines and writes them in large chunks, so generating 200 MB does not hold it in memory. */
class LineWriter {
  private buffer: string[] = [];
  private size = 0;
  bytes = 0;
  constructor(private readonly fd: number) {}
  line(text: string): void {
    this.buffer.push(text);
    this.size += text.length + 1;
    if (this.size > 1 << 22) this.flush();
  }
  flush(): void {
    if (this.buffer.length === 0) return;
    const chunk = `${this.buffer.join('\n')}\n`;
    this.bytes += Buffer.byteLength(chunk);
    writeSync(this.fd, chunk);
    this.buffer = [];
    this.size = 0;
  }
}

/**
 * Writes a valid history of at least `operations` operation lines: sends (invoke + ok with the offset)
 * round-robin over producers and keys, and after every few sends a consumer poll (invoke + ok) of the
 * records it has not read yet. Returns the number of operation lines written and the file's size.
 */
export function writeBenchHistory(file: string, operations: number): { operations: number; bytes: number } {
  const fd = openSync(file, 'w');
  const out = new LineWriter(fd);
  try {
    out.line(JSON.stringify({
      history: 'eos-sim', version: 1, scenario: 'bench-checker', mode: 'idempotent', seed: 1, bugs: [], isolation: 'read_uncommitted',
      producer: { acks: 'all', idempotence: true, maxInFlight: 5, retries: 2147483647, transactional: false },
    }));
    const logs: [number, string, number, number][][] = Array.from({ length: KEYS }, () => []);
    const readUpTo = new Array<number>(KEYS).fill(0);
    const seqs = new Array<number>(PRODUCERS).fill(0);
    let index = 0;
    let id = 0;
    const op = (process: string, type: string, f: string, value: unknown, opId: number) => {
      out.line(`{"index":${index},"id":${opId},"time":${index * 10},"process":"${process}","type":"${type}","f":"${f}","value":${JSON.stringify(value)}}`);
      index++;
    };
    for (let c = 0; c < CONSUMERS; c++) {
      const keys = Array.from({ length: KEYS / CONSUMERS }, (_, i) => `payments/${c + i * CONSUMERS}`);
      op(`consumer-${c + 1}`, 'invoke', 'assign', keys, id);
      op(`consumer-${c + 1}`, 'ok', 'assign', keys, id++);
    }
    for (let n = 0; index < operations; n++) {
      const p = n % PRODUCERS;
      const k = n % KEYS;
      const value = `p${p + 1}-e0-s${seqs[p]}`;
      const key = `payments/${k}`;
      const offset = logs[k].length;
      logs[k].push([offset, value, p + 1, seqs[p]++]);
      op(`producer-${p + 1}`, 'invoke', 'send', [['send', key, value]], id);
      op(`producer-${p + 1}`, 'ok', 'send', [['send', key, [offset, value]]], id++);
      if (n % 4 !== 3) continue;
      const c = (n >> 2) % CONSUMERS;
      const read: Record<string, [number, string][]> = {};
      for (let i = 0; i < KEYS / CONSUMERS; i++) {
        const ck = c + i * CONSUMERS;
        const from = readUpTo[ck];
        const to = Math.min(logs[ck].length, from + RECORDS_PER_POLL);
        if (to > from) read[`payments/${ck}`] = logs[ck].slice(from, to).map(([o, v]) => [o, v]);
        readUpTo[ck] = to;
      }
      op(`consumer-${c + 1}`, 'invoke', 'poll', [['poll']], id);
      op(`consumer-${c + 1}`, 'ok', 'poll', [['poll', read]], id++);
    }
    for (let k = 0; k < KEYS; k++) {
      const records = logs[k].map(([o, v, pid, seq]) => [o, v, { pid, epoch: 0, seq, txn: null }]);
      out.line(JSON.stringify({ final: 'log', key: `payments/${k}`, hw: records.length, lso: records.length, records }));
    }
    out.flush();
    return { operations: index, bytes: out.bytes };
  } finally {
    closeSync(fd);
  }
}

/** Writes the history in `jsonl` to `edn` as `eos-sim export --format edn` does, streamed; returns the bytes written. */
function writeEdnCopy(jsonl: string, edn: string): number {
  const fd = openSync(edn, 'w');
  const out = new LineWriter(fd);
  try {
    let last: Op | undefined;
    const parser = new HistoryParser(jsonl, (op) => {
      out.line(opToEdnLine(op));
      last = op;
    });
    forEachLine(jsonl, (text, lineNo) => parser.line(text, lineNo));
    const h = parser.finish();
    for (const line of ednMetaLines(h.header, h.finals, last)) out.line(line);
    out.flush();
    return out.bytes;
  } finally {
    closeSync(fd);
  }
}

/** Times checkHistoryFile on one file: wall and process CPU seconds, and the process's peak RSS so far. */
function timeCheck(file: string): { seconds: number; cpuSeconds: number; rssMb: number; verdict: 'pass' | 'fail' } {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const { result } = checkHistoryFile(file);
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, rssMb: process.resourceUsage().maxRSS / 1024, verdict: result.verdict };
}

export function benchChecker(operations = 1_000_000): CheckerBenchResult {
  const dir = mkdtempSync(join(tmpdir(), 'eos-check-bench-'));
  try {
    const file = join(dir, 'history.jsonl');
    const written = writeBenchHistory(file, operations);
    const { seconds, cpuSeconds, rssMb, verdict } = timeCheck(file);
    const yardstick = process.cpuUsage();
    forEachLine(file, (text) => JSON.parse(text));
    const parsed = process.cpuUsage(yardstick);
    const jsonParseCpuSeconds = (parsed.user + parsed.system) / 1e6;
    const ednFile = join(dir, 'history.edn');
    const ednBytes = writeEdnCopy(file, ednFile);
    const edn = { megabytes: ednBytes / (1 << 20), ...timeCheck(ednFile) };
    return {
      operations: written.operations, megabytes: written.bytes / (1 << 20), seconds, cpuSeconds, opsPerSecond: written.operations / seconds, rssMb,
      jsonParseCpuSeconds,
      verdict, edn,
      targets: {
        seconds: { target: (TARGET_CHECK_SECONDS * written.operations) / 1e6, met: seconds <= (TARGET_CHECK_SECONDS * written.operations) / 1e6 },
        rssMb: { target: TARGET_CHECK_RSS_MB, met: rssMb <= TARGET_CHECK_RSS_MB },
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatCheckerBench(r: CheckerBenchResult): string {
  const mark = (met: boolean) => (met ? 'met' : 'NOT met');
  const int = (n: number) => Math.round(n).toLocaleString('en-US');
  return [
    `checker: ${int(r.operations)} operations (${r.megabytes.toFixed(0)} MB) read, parsed and checked in ${r.seconds.toFixed(2)} s `
      + `= ${int(r.opsPerSecond)} ops/s (process CPU time ${r.cpuSeconds.toFixed(2)} s), peak RSS ${int(r.rssMb)} MB, verdict ${r.verdict}`,
    `yardstick: reading the same file and JSON.parse of every line alone took ${r.jsonParseCpuSeconds.toFixed(2)} s of CPU time; `
      + `the check took ${(r.cpuSeconds / r.jsonParseCpuSeconds).toFixed(1)}x that`,
    `checker, the same history as Jepsen EDN (${r.edn.megabytes.toFixed(0)} MB): ${r.edn.seconds.toFixed(2)} s, process CPU time `
      + `${r.edn.cpuSeconds.toFixed(2)} s = ${(r.edn.cpuSeconds / r.cpuSeconds).toFixed(1)}x the JSON Lines check's (target ~2x), `
      + `peak RSS so far ${int(r.edn.rssMb)} MB, verdict ${r.edn.verdict}`,
    `target <= ${r.targets.seconds.target.toFixed(2)} s for ${int(r.operations)} operations (3 s per million): ${mark(r.targets.seconds.met)}; `
      + `target <= ${int(r.targets.rssMb.target)} MB RSS: ${mark(r.targets.rssMb.met)}`,
  ].join('\n');
}
