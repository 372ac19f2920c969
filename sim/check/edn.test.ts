import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from './checker.ts';
import { historyToEdnLines, parseEdnHistory, readEdnHistory } from './edn.ts';
import type { History } from './history.ts';
import { checkHistoryFile, forEachLineBytes } from './read.ts';
import { HistoryBuilder, foundKinds } from './test-histories.ts';

/** A history in the shape Jepsen's Kafka workload writes, integer keys, values and processes included. */
const JEPSEN = [
  '{:index 0, :time 0, :type :invoke, :process 2, :f :assign, :value [1 2]}',
  '{:index 1, :time 1000, :type :ok, :process 2, :f :assign, :value [1 2]}',
  '{:index 2, :time 2000, :type :invoke, :process 0, :f :send, :value [[:send 1 10]]}',
  '{:index 3, :time 3000, :type :ok, :process 0, :f :send, :value [[:send 1 [0 10]]]}',
  '{:index 4, :time 4000, :type :invoke, :process 0, :f :send, :value [[:send 1 11]]}',
  '{:index 5, :time 5000, :type :ok, :process 0, :f :send, :value [[:send 1 [1 11]]]}',
  '{:index 6, :time 6000, :type :invoke, :process 1, :f :send, :value [[:send 2 20]]}',
  '{:index 7, :time 7000, :type :fail, :process 1, :f :send, :value [[:send 2 20]], :error [:timeout]}',
  '{:index 8, :time 8000, :type :invoke, :process 3, :f :send, :value [[:send 1 12]]}',
  '{:index 9, :time 9000, :type :info, :process 3, :f :send, :value [[:send 1 12]]}',
  '{:index 10, :time 10000, :type :info, :process :nemesis, :f :kill, :value :all}',
  '{:index 11, :time 11000, :type :invoke, :process 0, :f :crash}',
  '{:index 12, :time 12000, :type :info, :process 0, :f :crash}',
  '#jepsen.history.Op{:index 13, :time 13000, :type :invoke, :process 2, :f :poll, :value [[:poll]]}',
  '#jepsen.history.Op{:index 14, :time 14000, :type :ok, :process 2, :f :poll, :value [[:poll {1 [[2 12] [3 10]], 2 [[0 20]]}]]}',
];

describe('reading a Jepsen history (EDN)', () => {
  it('maps operations onto history v1: keys, values and processes as strings, times in µs, a fault and a crash', () => {
    const h = parseEdnHistory(JEPSEN, 'history.edn');
    expect(h.header).toMatchObject({ history: 'eos-sim', version: 1, scenario: 'history.edn', isolation: 'read_committed' });
    expect(h.ops[3]).toEqual({ index: 3, id: 1, time: 3, process: '0', type: 'ok', f: 'send', value: [['send', '1/0', [0, '10']]] });
    expect(h.ops[7].error).toBe('timeout');
    expect(h.ops.find((o) => o.process === 'nemesis')).toMatchObject({ f: 'fault', value: ['kill all'] });
    expect(h.ops.filter((o) => o.f === 'crash')).toEqual([{ index: 12, id: 6, time: 12, process: '0', type: 'info', f: 'crash', value: null }]);
  });

  it('judges a duplicate, a G1a read and a lost write with those three kinds', () => {
    const r = check(parseEdnHistory(JEPSEN, 'history.edn'));
    expect(foundKinds(r)).toEqual(['lost-write', 'duplicate', 'aborted-read']);
    const by = (kind: string) => r.anomalies.find((a) => a.kind === kind)!.witness;
    expect(by('duplicate')).toMatchObject({ value: '10', key: '1/0', offsets: [0, 3] });
    expect(by('lost-write')).toMatchObject({ value: '11', key: '1/0', offsets: [1] });
    expect(by('aborted-read')).toMatchObject({ value: '20', key: '2/0', offsets: [0] });
  });

  it('names the file and line of a line that is not EDN', () => {
    expect(() => parseEdnHistory(['{:index 0, :type :invoke', ''], 'h.edn')).toThrow(/h\.edn:1: not valid EDN/);
    expect(() => parseEdnHistory(['[1 2]'], 'h.edn')).toThrow(/h\.edn:1: expected one operation map per line/);
  });
});

describe('writing history v1 as EDN', () => {
  const roundTrip = (h: History) => parseEdnHistory([...historyToEdnLines(h)], 'x.edn');

  it('gives back the same history, header and final lines included, so the verdict is the same', () => {
    const b = new HistoryBuilder({ isolation: 'read_committed', kafka: '3.5', sinks: [{ name: 'ledger', topics: ['ledger-entries'] }] })
      .txn('producer-1', 'ok', [['payments/0', 'p1-e0-s0', 0]], ['processor', { 'payments/0': 1 }])
      .txn('producer-1', 'fail', [['payments/0', 'p1-e0-s1', 2]], undefined, 'PRODUCER_FENCED')
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [2, 'p1-e0-s1']] })
      .apply('consumer-1', 'ledger', 'p1-e0-s0')
      .commit('consumer-1', 'ledger-sink', { 'payments/0': 1 })
      .subscribe('consumer-1', ['payments'])
      .fault('crash-broker 2 power-loss')
      .crash('producer-1');
    const t = b.invoke('producer-2', 'txn', [['send', 'payments/1', 'p2-e0-s0']]);
    b.complete(t, 'info', null, 'CRASHED').commitRequestedAt(12);
    const h = b
      .log('payments/0', [[0, 'p1-e0-s0', { pid: 1, epoch: 0, seq: 0, txn: 'committed' }], [2, 'p1-e0-s1', { pid: 1, epoch: 0, seq: 1, txn: 'aborted' }]], { hw: 4 })
      .offsets('ledger-sink', { 'payments/0': 1 })
      .sink('ledger', [['p1-e0-s0', 'p1-e0-s0', 1]])
      .build();
    const back = roundTrip(h);
    expect(back).toEqual(h);
    expect(check(back)).toEqual(check(h));
    expect(check(h).verdict).toBe('fail');
  });

  it('writes the shape Jepsen reads: keyword type and f, micro-ops as vectors, times in nanoseconds', () => {
    const h = new HistoryBuilder().send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 5]).build();
    const [invoke, ok] = historyToEdnLines(h);
    expect(invoke).toBe('{:index 0 :time 0 :type :invoke :process "producer-1" :f :send :value [[:send "payments/0" "p1-e0-s0"]] :id 0}');
    expect(ok).toBe('{:index 1 :time 10000 :type :ok :process "producer-1" :f :send :value [[:send "payments/0" [5 "p1-e0-s0"]]] :id 0}');
  });
});

describe('streaming an EDN file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eos-edn-'));
  const write = (name: string, lines: string[]) => {
    const file = join(dir, name);
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  };
  /** The lines of the writing tests' history with a header and final lines after the operations, as an export puts them. */
  const exported = () => [...historyToEdnLines(new HistoryBuilder({ isolation: 'read_committed' })
    .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 0])
    .send('producer-1', 'info', ['payments/0', 'p1-e0-s1'])
    .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [1, 'p1-e0-s0']] })
    .log('payments/0', [[0, 'p1-e0-s0'], [1, 'p1-e0-s0']], { hw: 2 })
    .build())];
  /** Jepsen's lines without :index: both index and id are then derived from the lines before. */
  const noIndex = JEPSEN.map((l) => l.replace(/:index \d+, /, ''));

  it('checks a file as the parsed history is checked, witnesses (lines read again by their offsets) included', () => {
    for (const [name, lines] of [['jepsen.edn', JEPSEN], ['no-index.edn', noIndex], ['export.edn', exported()]] as const) {
      const file = write(name, lines);
      const inMemory = check(parseEdnHistory(lines, file));
      expect(inMemory.verdict, name).toBe('fail');
      const streamed = checkHistoryFile(file);
      expect(streamed.result, name).toEqual(inMemory);
      expect(streamed.header.scenario, name).toBe(name === 'export.edn' ? 'test' : name);
    }
  });

  it('finds the header after the operations however the file is cut into chunks', () => {
    const lines = exported();
    const file = write('chunks.edn', lines);
    const whole = parseEdnHistory(lines, file);
    expect(whole.finals).toHaveLength(1);
    for (const chunk of [1, 7, 64, 1 << 16]) {
      const { history } = readEdnHistory((onLine) => forEachLineBytes(file, onLine, chunk), file);
      expect(history, `chunk ${chunk}`).toEqual(whole);
    }
  });
});
