import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check } from './checker.ts';
import { historyToJsonl, parseHistory } from './parse.ts';
import { checkHistoryFile, forEachLine, readHistoryFile, readLineAt } from './read.ts';
import { HistoryBuilder } from './test-histories.ts';
import type { History } from './history.ts';

const dir = mkdtempSync(join(tmpdir(), 'eos-read-'));
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

/** Anomalies of many kinds, lines of every f, a transaction logged partly on its completion only. */
function busy(): History {
  const b = new HistoryBuilder({ isolation: 'read_committed', sinks: [{ name: 'ledger', topics: ['payments'] }] })
    .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 0])
    .send('producer-1', 'ok', ['payments/0', 'p1-e0-s1', 1])
    .txn('producer-2', 'fail', [['payments/1', 'p2-e0-s0', 0]])
    .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0'], [3, 'p1-e0-s0']], 'payments/1': [[0, 'p2-e0-s0']] })
    .apply('consumer-1', 'ledger', 'p1-e0-s0')
    .apply('consumer-1', 'ledger', 'p1-e0-s0')
    .commit('consumer-1', 'ledger-sink', { 'payments/0': 2 })
    .subscribe('consumer-1', ['payments'])
    .crash('producer-1');
  const t = b.invoke('processor-1', 'txn', [['send', 'ledger/0', 'p1-e0-s0>ledger']]);
  b.invoke('processor-1', 'apply', [['apply', 'ledger', 'p9']]); // never completes
  // A later operation's write, then a send only the transaction's completion lists: the index puts it back
  // among its transaction's writes, in first-line order.
  b.send('producer-3', 'ok', ['payments/2', 'p3-e0-s0', 0]);
  b.complete(t, 'ok', [['send', 'ledger/0', [0, 'p1-e0-s0>ledger']], ['send', 'ledger/0', [1, 'p1-e0-s1>ledger']]]).commitRequestedAt(5);
  return b.log('payments/0', [[0, 'p1-e0-s0'], [3, 'p1-e0-s0']], { hw: 5 }).offsets('ledger-sink', { 'payments/0': 2 }).build();
}

describe('checkHistoryFile (streamed, one pass)', () => {
  it('gives the same result as checking the parsed history in memory', () => {
    for (const h of [busy(), new HistoryBuilder().send('p', 'ok', ['x/0', 'a', 0]).build()]) {
      const file = write('h.jsonl', historyToJsonl(h));
      const streamed = checkHistoryFile(file);
      expect(streamed.result).toEqual(check(parseHistory(historyToJsonl(h), file)));
      expect(streamed.result).toEqual(check(h));
      expect(streamed.ops).toBe(h.ops.length);
    }
    expect(check(busy()).verdict).toBe('fail');
  });

  it('names the file and line of an invalid line', () => {
    const file = write('bad.jsonl', '{"history":"eos-sim","version":1}\n\n{"index":0}\n');
    expect(() => checkHistoryFile(file)).toThrow(`${file}:3: type: expected one of`);
  });
});

describe('forEachLine', () => {
  it('splits lines across chunk boundaries, multi-byte characters included, and numbers blank lines too', () => {
    const lines = ['ä'.repeat(7), '', 'x€y', 'z'.repeat(20), 'last without newline'];
    const file = write('lines.txt', lines.join('\n'));
    for (const chunk of [1, 2, 3, 5, 64]) {
      const seen: [string, number][] = [];
      forEachLine(file, (text, n, byteOffset) => {
        seen.push([text, n]);
        // The offset finds the line again: how witnesses show streamed lines.
        expect(readLineAt(file, byteOffset)).toBe(text);
      }, chunk);
      expect(seen).toEqual(lines.map((l, i) => [l, i + 1]));
    }
  });

  it('reads a .edn file as a Jepsen history', () => {
    const file = write('h.edn', '{:type :invoke, :f :send, :process 0, :value [[:send 1 2]]}\n');
    expect(readHistoryFile(file).ops).toHaveLength(1);
  });
});
