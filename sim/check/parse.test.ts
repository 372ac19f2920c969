import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check } from './checker.ts';
import { HEADER_DEFAULTS } from './history.ts';
import { HistoryError, historyToJsonl, parseHistory } from './parse.ts';
import { HistoryBuilder } from './test-histories.ts';

/** The complete example of docs/history-format.md, so the contract's example stays valid. */
function docsExample(): string {
  const doc = readFileSync(new URL('../../docs/history-format.md', import.meta.url), 'utf8');
  const match = /```jsonl\n([\s\S]*?)```/.exec(doc);
  if (match === null) throw new Error('docs/history-format.md has no ```jsonl example');
  return match[1];
}

const HEADER = '{"history":"eos-sim","version":1,"scenario":"s","mode":"at-least-once","seed":1,"bugs":[],"isolation":"read_uncommitted"}';
const SEND_INVOKE = '{"index":0,"id":0,"time":0,"process":"producer-1","type":"invoke","f":"send","value":[["send","payments/0","p1-e0-s0"]]}';
const SEND_OK = '{"index":1,"id":0,"time":10,"process":"producer-1","type":"ok","f":"send","value":[["send","payments/0",[0,"p1-e0-s0"]]]}';
const LOG = '{"final":"log","key":"payments/0","hw":1,"lso":1,"records":[[0,"p1-e0-s0",{"pid":null,"epoch":null,"seq":null,"txn":null}]]}';

const parseLines = (...lines: string[]) => parseHistory(lines.join('\n'), 'run.jsonl');

describe('parseHistory and historyToJsonl', () => {
  it('accepts a minimal header and fills in the documented defaults', () => {
    const h = parseLines('{"history":"eos-sim","version":1}', SEND_INVOKE, SEND_OK);
    expect(h.header).toEqual({ history: 'eos-sim', version: 1, ...HEADER_DEFAULTS, bugs: [] });
    expect(h.header.isolation).toBe('read_committed');
    expect(h.ops).toHaveLength(2);
  });

  it('names the nested field of an error in its path', () => {
    expect(() => parseLines(HEADER, SEND_INVOKE, SEND_OK.replace('[0,"p1-e0-s0"]', '[-1,"p1-e0-s0"]')))
      .toThrow('run.jsonl:3: value[0][2][0]: expected an integer >= 0, got -1');
  });

  it('round-trips the documented example byte for byte, and the example passes the checker', () => {
    const text = docsExample();
    const h = parseHistory(text, 'history-format.md');
    expect(h.ops).toHaveLength(19);
    expect(h.finals).toHaveLength(5);
    expect(historyToJsonl(h)).toBe(text);
    expect(check(h).verdict).toBe('pass');
  });

  it('round-trips every operation and final shape the builder writes', () => {
    const b = new HistoryBuilder({ isolation: 'read_committed', sinks: [{ name: 'ledger', topics: ['payments'] }] })
      .send('producer-1', 'ok', ['payments/0', 'p1-e0-s0', 0], ['payments/1', 'p1-e0-s1', 0])
      .send('producer-1', 'info', ['payments/0', 'p1-e0-s2'])
      .txn('processor-1', 'fail', [['ledger-entries/0', 'p1-e0-s0>ledger']], ['processor', { 'payments/0': 1 }], 'PRODUCER_FENCED')
      .poll('consumer-1', { 'payments/0': [[0, 'p1-e0-s0']], 'payments/1': [] })
      .commit('consumer-1', 'ledger-sink', { 'payments/0': 1 })
      .apply('consumer-1', 'ledger', 'p1-e0-s0')
      .assign('consumer-1', ['payments/0', 'payments/1'])
      .fault('crash-client consumer-1')
      .crash('consumer-1')
      .log('payments/0', [[0, 'p1-e0-s0', { pid: 1, epoch: 0, seq: 0, txn: 'committed' }]], { hw: 2, lso: 2 })
      .offsets('ledger-sink', { 'payments/0': 1 })
      .sink('ledger', [['k0', 'p1-e0-s0', 1]]);
    b.invoke('producer-2', 'send', [['send', 'payments/0', 'p2-e0-s0']]); // never completes
    const h = b.build();
    const text = historyToJsonl(h);
    expect(parseHistory(text, 'x.jsonl')).toEqual(h);
    expect(historyToJsonl(parseHistory(text, 'x.jsonl'))).toBe(text);
  });

  it('accepts a fail or info completion with nothing to add (null), but not an ok one', () => {
    const cut = SEND_OK.replace('"type":"ok"', '"type":"info"').replace(/"value":.*}$/, '"value":null,"error":"CRASHED"}');
    expect(parseLines(HEADER, SEND_INVOKE, cut).ops[1]).toMatchObject({ type: 'info', value: null, error: 'CRASHED' });
    expect(() => parseLines(HEADER, SEND_INVOKE, SEND_OK.replace(/"value":.*}$/, '"value":null}')))
      .toThrow('run.jsonl:3: value: expected a list of at least 1 element(s), got null');
  });

  it('writes fields in the declared order whatever order the objects were built in', () => {
    const h = parseLines(HEADER, SEND_INVOKE, SEND_OK);
    const scrambled = { ...h, ops: h.ops.map((op) => ({ value: op.value, f: op.f, type: op.type, process: op.process, time: op.time, id: op.id, index: op.index })) };
    expect(historyToJsonl(scrambled)).toBe(`${HEADER}\n${SEND_INVOKE}\n${SEND_OK}\n`);
  });

  it('ignores fields the format does not define, blank lines and CRLF line ends', () => {
    const extra = SEND_INVOKE.replace('"index":0', '"index":0,"node":"broker-1"');
    const h = parseHistory(`${HEADER}\r\n\r\n${extra}\r\n${SEND_OK}\r\n`, 'run.jsonl');
    expect(historyToJsonl(h)).toBe(`${HEADER}\n${SEND_INVOKE}\n${SEND_OK}\n`);
  });

  it('throws a HistoryError that carries the file, line and field path', () => {
    let error: unknown;
    try {
      parseLines(HEADER, SEND_INVOKE.replace('"type":"invoke"', '"type":"done"'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HistoryError);
    expect(error).toMatchObject({ file: 'run.jsonl', line: 2, path: 'type' });
    expect((error as Error).message).toBe('run.jsonl:2: type: expected one of "invoke", "ok", "fail", "info", got "done"');
  });

  const rejects: [string, string[], string][] = [
    ['an empty file', [''], 'run.jsonl:1: expected the header line, got an empty file'],
    ['a line that is not JSON', [HEADER, '{"index":0,'], 'run.jsonl:2: not valid JSON'],
    ['a first line that is not the header', [SEND_INVOKE], 'run.jsonl:1: history: expected "eos-sim" (line 1 must be the header), got nothing'],
    ['another version', [HEADER.replace('"version":1', '"version":2')], 'run.jsonl:1: version: expected 1 (this checker reads history format v1), got 2'],
    ['an unknown isolation', [HEADER.replace('read_uncommitted', 'serializable')], 'isolation: expected one of "read_committed", "read_uncommitted", got "serializable"'],
    ['a seed that is not an integer', [HEADER.replace('"seed":1,', '"seed":"1",')], 'run.jsonl:1: seed: expected an integer, got "1"'],
    ['acks as a number', [HEADER.replace('}', ',"producer":{"acks":1,"idempotence":true,"maxInFlight":5,"retries":3,"transactional":false}}')],
      'run.jsonl:1: producer.acks: expected one of "0", "1", "all", got 1'],
    ['a sink without topics', [HEADER.replace('}', ',"sinks":[{"name":"ledger"}]}')], 'run.jsonl:1: sinks[0].topics: expected a list, got nothing'],
    ['an unknown f', [HEADER, SEND_INVOKE.replace('"f":"send"', '"f":"produce"')], 'run.jsonl:2: f: expected one of "send", "poll", "txn", "commit", "assign", "subscribe", "crash", "apply", "fault", "charge", "ledger", got "produce"'],
    ['a key without a partition', [HEADER, SEND_INVOKE.replace('"payments/0"', '"payments"')], 'run.jsonl:2: value[0][1]: expected a key "topic/partition" such as "payments/0", got "payments"'],
    ['a negative offset', [HEADER, SEND_INVOKE, SEND_OK.replace('[0,"p1-e0-s0"]', '[-1,"p1-e0-s0"]')], 'run.jsonl:3: value[0][2][0]: expected an integer >= 0, got -1'],
    ['a result on an invoke', [HEADER, SEND_INVOKE.replace('"p1-e0-s0"', '[0,"p1-e0-s0"]')], 'run.jsonl:2: value[0][2]: expected the value sent (a non-empty string), got [0,"p1-e0-s0"]'],
    ['a send with no micro-ops', [HEADER, SEND_INVOKE.replace(/"value":.*}$/, '"value":[]}')], 'run.jsonl:2: value: expected a list of at least 1 element(s), got []'],
    ['a commit in a send', [HEADER, SEND_INVOKE.replace('["send","payments/0","p1-e0-s0"]', '["commit","g",{}]')], 'run.jsonl:2: value[0][0]: expected one of "send", got "commit"'],
    ['a poll keyed by a topic', [HEADER, '{"index":0,"id":0,"time":0,"process":"c","type":"ok","f":"poll","value":[["poll",{"payments":[]}]]}'],
      'run.jsonl:2: value[0][1].payments: expected a key "topic/partition" such as "payments/0" as the field name'],
    ['a crash that is not info', [HEADER, '{"index":0,"id":0,"time":0,"process":"c","type":"ok","f":"crash","value":null}'], 'run.jsonl:2: type: expected "info" for a crash, got "ok"'],
    ['indexes that do not increase', [HEADER, SEND_INVOKE, SEND_OK.replace('"index":1', '"index":0')], 'run.jsonl:3: index: expected an index > 0 (indexes increase line by line), got 0'],
    ['a completion with another f than its invoke', [HEADER, SEND_INVOKE, SEND_OK.replace('"f":"send"', '"f":"apply"').replace(/"value":.*}$/, '"value":[["apply","ledger","v"]]}')],
      'run.jsonl:3: f: expected "send" like the invoke on line 2, got "apply"'],
    ['a second invoke of an open id', [HEADER, SEND_INVOKE, SEND_INVOKE.replace('"index":0', '"index":1')], 'run.jsonl:3: id: expected an id that producer-1 has no open operation with (line 2 is open), got 0'],
    ['an operation after the final lines', [HEADER, LOG, SEND_INVOKE], 'run.jsonl:3: an operation line after the final lines (final lines come last)'],
    ['two final logs of one key', [HEADER, LOG, LOG], 'run.jsonl:3: final: a second final line for log "payments/0" (first on line 2)'],
    ['a record at or past the high watermark', [HEADER, LOG.replace('"hw":1,"lso":1', '"hw":0,"lso":0')], 'run.jsonl:2: records[0][0]: expected an offset > -1 and < hw (0), in increasing order, got 0'],
    ['an LSO above the high watermark', [HEADER, LOG.replace('"lso":1', '"lso":2')], 'run.jsonl:2: lso: expected an offset <= hw (1), got 2'],
    ['an unknown record outcome', [HEADER, LOG.replace('"txn":null', '"txn":"open"')], 'run.jsonl:2: records[0][2].txn: expected one of "committed", "aborted", got "open"'],
    ['an unknown final line', [HEADER, '{"final":"state"}'], 'run.jsonl:2: final: expected one of "log", "offsets", "sink", "gateway", "ledger", got "state"'],
  ];
  it.each(rejects)('rejects %s', (_name, lines, message) => {
    expect(() => parseLines(...lines)).toThrow(message);
  });
});
