import { isDeepStrictEqual } from 'node:util';
import { parseEDNString } from 'edn-data';
import { describe, expect, it } from 'vitest';
import { EDN_PARSE_OPTIONS, historyToEdnLines } from './edn.ts';
import { scanEdnLine } from './edn-scan.ts';
import { HistoryBuilder, mutatedLines } from './test-histories.ts';

const scan = (line: string) => {
  const bytes = Buffer.from(`garbage\n${line}\nmore`);
  return scanEdnLine(bytes, 8, 8 + Buffer.byteLength(line));
};

/** What edn-data makes of a line: the value, or the error it reports. */
const parsed = (line: string) => {
  try {
    return parseEDNString(line, EDN_PARSE_OPTIONS);
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
};

/** Lines in the shapes Jepsen's Kafka workload writes. */
const JEPSEN = [
  '{:index 0, :time 0, :type :invoke, :process 2, :f :assign, :value [1 2]}',
  '{:index 3, :time 3000, :type :ok, :process 0, :f :send, :value [[:send 1 [0 10]] [:send 2 [nil 11]]]}',
  '{:index 7, :time 7000, :type :fail, :process 1, :f :send, :value [[:send 2 20]], :error [:timeout]}',
  '{:index 10, :time 10000, :type :info, :process :nemesis, :f :kill, :value :all}',
  '{:index 11, :time 11000, :type :invoke, :process 0, :f :crash}',
  '#jepsen.history.Op{:index 14, :time 14000, :type :ok, :process 2, :f :poll, :value [[:poll {1 [[2 12] [3 10]], 2 [[0 20]]}]]}',
  '{:index 15, :time -5, :type :ok, :process 3, :f :txn, :value [[:send 3 [4 -7]] [:poll {}]], :ok? true, :debug {:x false, "k" "v"}}',
];

describe('scanEdnLine', () => {
  it("reads Jepsen's lines and every line eos-sim's export writes exactly as edn-data does", () => {
    const b = new HistoryBuilder({ isolation: 'read_committed', sinks: [{ name: 'ledger', topics: ['ledger-entries'] }] })
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 0], ['payments/1', 'p1-e0-s1', null])
      .send('producer-1', 'info', ['payments/0', 'p1-e0-s2'])
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']], 'payments/1': [] })
      .txn('processor-1', 'ok', [['ledger-entries/0', 'p1-e0-s0>ledger', 0]], ['processor', { 'payments/0': 1 }])
      .apply('consumer-1', 'ledger', 'p1-e0-s0')
      .fault('crash-broker 2 power-loss')
      .crash('producer-1');
    const h = b.log('payments/0', [[0, 'p1-e0-s0', { pid: 1, epoch: 0, seq: 0, txn: null }]], { hw: 1 })
      .offsets('processor', { 'payments/0': 1 }).sink('ledger', [['p1-e0-s0', 'p1-e0-s0', 1]]).build();
    const lines = [...JEPSEN, ...historyToEdnLines(h)];
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) {
      const m = scan(line);
      expect(m, line).toBeDefined();
      expect(m).toEqual(parsed(line));
    }
  });

  it('leaves every other form to edn-data', () => {
    const line = JEPSEN[1];
    const others = [
      line.replace('10]]', '10.5]]'), // a float
      line.replace(':time 3000', ':time 1234567890123456'), // 16 digits
      line.replace(':time 3000', ':time 03000'),
      line.replace(':time 3000', ':time +3000'),
      line.replace(':time 3000', ':time -0'),
      line.replace(':time 3000', ':time 3000N'),
      line.replace(':index 3', ':index 3 :index 4'), // a repeated key: edn-data keeps the last
      line.replace(':index 3', '"__proto__" 3'),
      line.replace('[0 10]', '(0 10)'), // a list
      line.replace(':process 0', ':process #{0}'),
      line.replace(':process 0', ':process "\\u0030"'), // an escape
      line.replace(':process 0', ':process "é"'), // non-ASCII
      line.replace(':process 0', ':process zero'), // a symbol
      line.replace(':process 0', ':process :0'),
      line.replace(':type :ok', ':type :ok"x"'), // an element not followed by a separator
      line.replace('[0 10]', '[0 10][1 11]'),
      `${line} {:index 4}`, // anything after the map
      `${line}}`,
      line.slice(0, -1), // cut short
      '#jepsen.history.Opx{:index 0}',
      '#_ {:index 0}',
      '[1 2]',
      '; a comment',
      '',
    ];
    for (const other of others) {
      expect(other).not.toBe(line);
      expect(scan(other), other).toBeUndefined();
    }
  });

  it('takes nothing edn-data reads otherwise, and agrees with it on what it takes (mutated lines)', () => {
    const chars = '{}[]()",:#0123456789-+nilfatrue \tab/\\e._?N';
    let taken = 0;
    let mutated = 0;
    for (const text of mutatedLines(JEPSEN, chars, 20_000)) {
      const m = scan(text);
      if (m === undefined) continue;
      taken++;
      if (!JEPSEN.some((line) => isDeepStrictEqual(m, parseEDNString(line, EDN_PARSE_OPTIONS)))) mutated++;
      if (!isDeepStrictEqual(m, parsed(text))) expect(m, text).toEqual(parsed(text));
    }
    // Many mutations keep a valid line (a digit for a digit, a space for a comma): the lane must take those,
    // and many of them read differently from the line they came from.
    expect(taken).toBeGreaterThan(2000);
    expect(mutated).toBeGreaterThan(1000);
  });
});
