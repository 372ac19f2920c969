import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { OpRow, rowOfOp } from './op-row.ts';
import { historyToJsonl, parseHistory, parseOpLine } from './parse.ts';
import { RowScanner, scanFinalLogLine } from './scan.ts';
import { newNames } from './tables.ts';
import type { Names } from './tables.ts';
import { HistoryBuilder, mutatedLines } from './test-histories.ts';

const MUTATION_CHARS = '{}[]",:0123456789-nul ab/\\e.';

/**
 * A row as plain data: its fields, and its sends and reads both as ids (given out by fresh interners, in
 * the order the line's names were interned) and as the names they stand for.
 */
function rowData(row: OpRow, names: Names) {
  const { index, id, time, type, f, commit, error } = row;
  const sends = Array.from({ length: row.sends }, (_, i) => [row.sendKids[i], row.sendVids[i], row.sendOffsets[i]]);
  const reads = Array.from({ length: row.reads }, (_, i) => [row.readKids[i], row.readOffsets[i], row.readVids[i]]);
  return {
    index, id, time, process: names.processes.name(row.proc), type, f, commit, error, sends, reads,
    sent: sends.map(([k, v, o]) => [names.keys.name(k), names.values.name(v), o]),
    read: reads.map(([k, o, v]) => [names.keys.name(k), o, names.values.name(v)]),
  };
}

const scan = (line: string) => {
  const bytes = Buffer.from(`garbage\n${line}\nmore`);
  const names = newNames();
  const scanner = new RowScanner(names);
  return scanner.scan(bytes, 8, 8 + Buffer.byteLength(line)) ? rowData(scanner.row, names) : undefined;
};

/** What the full parser makes of a line, as a row: or the error it reports. */
const parsed = (line: string) => {
  try {
    const names = newNames();
    return rowData(rowOfOp(parseOpLine(line), names, new OpRow()), names);
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
};

const SEND_INVOKE = '{"index":0,"id":0,"time":0,"process":"producer-1","type":"invoke","f":"send","value":[["send","payments/0","p1-e0-s0"]]}';
const SEND_OK = '{"index":1,"id":0,"time":10,"process":"producer-1","type":"ok","f":"send","value":[["send","payments/0",[0,"p1-e0-s0"]],["send","payments/12",[null,"p1-e0-s1"]]]}';
const POLL_OK = '{"index":3,"id":-4,"time":30,"process":"consumer-1","type":"ok","f":"poll","value":[["poll",{"payments/0":[[0,"a"],[1,"b"]],"payments/1":[]}]]}';
const TXN_OK = '{"index":5,"id":2,"time":50,"process":"p","type":"ok","f":"txn","value":[["send","out/0",[4,"x>y"]],["poll",{}]],"commit":45,"error":"E"}';
const TXN_EMPTY = '{"index":6,"id":3,"time":60,"process":"p","type":"invoke","f":"txn","value":[]}';
const TXN_POLL_FIRST = '{"index":8,"id":4,"time":80,"process":"p","type":"ok","f":"txn","value":[["poll",{"in/0":[[3,"a"],[4,"b"]]}],["send","out/0",[7,"x"]]]}';
const POLL_INFO = '{"index":9,"id":5,"time":90,"process":"c","type":"info","f":"poll","value":[["poll",{"in/0":[[3,"a"]]}]]}';
const SEND_INFO = '{"index":7,"id":1,"time":70,"process":"producer-1","type":"info","f":"send","value":null,"error":"REQUEST_TIMED_OUT"}';

describe('RowScanner', () => {
  it('reads the send, poll and txn lines historyToJsonl writes exactly as the full parser does', () => {
    for (const line of [SEND_INVOKE, SEND_OK, POLL_OK, TXN_OK, TXN_EMPTY, SEND_INFO, TXN_POLL_FIRST, POLL_INFO]) {
      const row = scan(line);
      expect(row, line).toBeDefined();
      expect(row).toEqual(parsed(line));
    }
    // Reads only from ok completions; sends interned before polled records, whatever the micro-op order.
    expect(scan(POLL_INFO)!.reads).toEqual([]);
    expect(scan(TXN_POLL_FIRST)!.read).toEqual([['in/0', 3, 'a'], ['in/0', 4, 'b']]);
    expect(scan(TXN_POLL_FIRST)!.sends).toEqual([[0, 0, 7]]);
  });

  it('takes every send, poll and txn line of a written history', () => {
    const text = historyToJsonl(new HistoryBuilder({ isolation: 'read_committed' })
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 0], ['payments/1', 'p1-e0-s1', 0])
      .send('producer-1', 'info', ['payments/0', 'p1-e0-s2'])
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']], 'payments/1': [] })
      .txn('processor-1', 'ok', [['ledger-entries/0', 'p1-e0-s0>ledger', 0]])
      .build());
    const lines = text.split('\n').filter((l) => l.startsWith('{"index"'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(scan(line), line).toEqual(parsed(line));
  });

  it('leaves every other form to the full parser', () => {
    const others = [
      SEND_INVOKE.replace('"id":0,', '"id": 0,'), // whitespace
      SEND_INVOKE.replace('p1-e0-s0', 'p1-\\u0065'), // an escape
      SEND_INVOKE.replace('p1-e0-s0', 'p1-é'), // non-ASCII
      SEND_INVOKE.replace('{"index":0,', '{"index":0,"extra":1,'), // a field the lane does not know
      SEND_INVOKE.replace('"index":0,"id":0', '"id":0,"index":0'), // another field order
      SEND_OK.replace('"time":10', '"time":10.0'),
      SEND_OK.replace('"time":10', '"time":1e1'),
      SEND_OK.replace('"time":10', '"time":010'),
      SEND_OK.replace('"id":0', '"id":-0'),
      SEND_OK.replace('"time":10', '"time":1234567890123456'), // 16 digits
      POLL_OK.replace('"payments/1":[]', '"payments/0":[]'), // a repeated key: JSON.parse keeps the last
      SEND_INVOKE.replace('"value"', '"commit":5,"value"'),
      `${SEND_INVOKE} `,
      SEND_INVOKE.replace('"f":"send"', '"f":"apply"'),
      '{"index":8,"id":5,"time":80,"process":"c","type":"ok","f":"commit","value":[["commit","g",{"payments/0":3}]]}',
    ];
    for (const line of others) expect(scan(line), line).toBeUndefined();
  });

  it('takes nothing the full parser rejects, and agrees with it on what it takes (mutated lines)', () => {
    const lines = [SEND_INVOKE, SEND_OK, POLL_OK, TXN_OK, TXN_EMPTY, SEND_INFO];
    let taken = 0;
    for (const mutated of mutatedLines(lines, MUTATION_CHARS, 20_000)) {
      const row = scan(mutated);
      if (row === undefined) continue;
      taken++;
      if (!isDeepStrictEqual(row, parsed(mutated))) expect(row, mutated).toEqual(parsed(mutated));
    }
    // Many mutations keep a valid line (a digit for a digit, a letter in a value): the lane must take those.
    expect(taken).toBeGreaterThan(1000);
  });
});

describe('scanFinalLogLine', () => {
  const HEADER = '{"history":"eos-sim","version":1}';
  const LOG = '{"final":"log","key":"payments/0","hw":9,"lso":7,"records":[[0,"a",{"pid":1,"epoch":0,"seq":0,"txn":null}],'
    + '[3,"b",{"pid":null,"epoch":null,"seq":null,"txn":"aborted"}],[5,"a",{"pid":2,"epoch":1,"seq":4,"txn":"committed"}]]}';
  const EMPTY = '{"final":"log","key":"out/12","hw":0,"lso":0,"records":[]}';

  const scanFinal = (line: string) => {
    const names = newNames();
    const bytes = Buffer.from(`x\n${line}\ny`);
    const scanned = scanFinalLogLine(bytes, 2, 2 + Buffer.byteLength(line), names);
    if (scanned === undefined) return undefined;
    // The columns as the FinalLog the full parser returns, record by record.
    const records = Array.from({ length: scanned.length }, (_, i) => scanned.record(i));
    return { log: { final: 'log', key: scanned.key, hw: scanned.hw, lso: scanned.lso, records }, values: records.map((r) => r[1]) };
  };
  /** The final log as the full parser reads it, or the error it reports. */
  const parsedFinal = (line: string) => {
    try {
      const log = parseHistory(`${HEADER}\n${line}\n`, 'h.jsonl').finals[0];
      return { log, values: log.final === 'log' ? log.records.map((r) => r[1]) : [] };
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  };

  it('reads the final logs historyToJsonl writes exactly as the full parser does, with their values\' ids', () => {
    for (const line of [LOG, EMPTY]) {
      expect(scanFinal(line), line).toBeDefined();
      expect(scanFinal(line)).toEqual(parsedFinal(line));
    }
    const names = newNames();
    const scanned = scanFinalLogLine(Buffer.from(LOG), 0, LOG.length, names)!;
    // Values are interned in record order (after the key); the records hold their ids.
    expect(Array.from(scanned.valueIds())).toEqual([0, 1, 0]);
    expect(names.keys.all()).toEqual(['payments/0']);
    expect(names.values.all()).toEqual(['a', 'b']);
  });

  it('leaves every other final line, and every one the full parser rejects, to the full parser', () => {
    const others = [
      LOG.replace('"hw":9', '"hw": 9'),
      LOG.replace('"lso":7', '"lso":10'), // lso above hw
      LOG.replace('[3,"b"', '[0,"b"'), // offsets out of order
      LOG.replace('[5,"a"', '[9,"a"'), // an offset not below hw
      LOG.replace('"seq":4,', '"seq":-4,'),
      LOG.replace('"txn":"aborted"', '"txn":"open"'),
      LOG.replace('"payments/0"', '"payments/00"'),
      LOG.replace('{"pid":1,"epoch":0,"seq":0,"txn":null}', '{"epoch":0,"pid":1,"seq":0,"txn":null}'),
      '{"final":"offsets","group":"g","offsets":{"payments/0":3}}',
    ];
    for (const line of others) expect(scanFinal(line), line).toBeUndefined();
    // The full parser rejects some of them: the lane must not have taken those.
    expect(parsedFinal(others[1])).toMatch(/^error: .*lso/);
    expect(parsedFinal(others[2])).toMatch(/^error: .*increasing order/);
  });

  it('takes nothing the full parser rejects, and agrees with it on what it takes (mutated lines)', () => {
    let taken = 0;
    for (const mutated of mutatedLines([LOG], MUTATION_CHARS, 5_000, 20261202)) {
      const scanned = scanFinal(mutated);
      if (scanned === undefined) continue;
      taken++;
      if (!isDeepStrictEqual(scanned, parsedFinal(mutated))) expect(scanned, mutated).toEqual(parsedFinal(mutated));
    }
    expect(taken).toBeGreaterThan(200);
  });
});
