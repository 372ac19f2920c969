// Reading and writing history format v1 (docs/history-format.md). The parser is the gate every harness's
// output passes through, so it checks each line completely and names the file, line, field path and the
// allowed values: a harness author should be able to fix their writer from the message alone. Fields the
// format does not define are ignored (and not written back), so a harness may carry extra data.
import {
  ACKS, HEADER_DEFAULTS, HISTORY_VERSION, ISOLATIONS, OP_FS, OP_TYPES, TXN_OUTCOMES,
} from './history.ts';
import type {
  FinalLine, FinalLog, History, HistoryHeader, Key, Mop, Op, OpF, OpType, ProducerDescription, RecordMeta,
  SinkDescription, ChargeFacts,
} from './history.ts';
import { Interner } from './interner.ts';
import type { FinalLogColumns } from './final-logs.ts';
import type { OpRow } from './op-row.ts';
import { OpenInvokes } from './open-invokes.ts';
import { RowScanner, scanFinalLogLine } from './scan.ts';
import type { Names } from './tables.ts';

export class HistoryError extends Error {
  constructor(readonly file: string, readonly line: number, readonly path: string, detail: string) {
    super(`${file}${line > 0 ? `:${line}` : ''}: ${path === '' ? '' : `${path}: `}${detail}`);
    this.name = 'HistoryError';
  }
}

/**
 * Where a value sits, for error messages: the line and the field path within it. The path is a chain of
 * fields, turned into text only when a message needs it: parsing a million lines builds no path strings.
 */
export interface At { file: string; line: number; path: string; parent?: At; field?: string | number }

const at = (a: At, field: string | number): At => ({ file: a.file, line: a.line, path: '', parent: a, field });

function pathOf(a: At): string {
  if (a.parent === undefined) return a.path;
  const up = pathOf(a.parent);
  return typeof a.field === 'number' ? `${up}[${a.field}]` : up === '' ? String(a.field) : `${up}.${a.field}`;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function fail(a: At, expected: string, got: unknown): never {
  throw new HistoryError(a.file, a.line, pathOf(a), `expected ${expected}, got ${show(got)}`);
}

// Kafka topic names cannot contain "/", so the partition is whatever follows the only slash.
const KEY_PATTERN = /^[^/]+\/(0|[1-9][0-9]*)$/;
const KEY_EXPECTED = 'a key "topic/partition" such as "payments/0"';

function object(v: unknown, a: At): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(a, 'an object', v);
  return v as Record<string, unknown>;
}
function array(v: unknown, a: At, minLength = 0): unknown[] {
  if (!Array.isArray(v) || v.length < minLength) {
    fail(a, minLength > 0 ? `a list of at least ${minLength} element(s)` : 'a list', v);
  }
  return v;
}
function string(v: unknown, a: At): string {
  if (typeof v !== 'string' || v === '') fail(a, 'a non-empty string', v);
  return v;
}
function integer(v: unknown, a: At, min = Number.MIN_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    fail(a, min === 0 ? 'an integer >= 0' : min === 1 ? 'an integer >= 1' : 'an integer', v);
  }
  return v;
}
function boolean(v: unknown, a: At): boolean {
  if (typeof v !== 'boolean') fail(a, 'true or false', v);
  return v;
}
function oneOf<T>(v: unknown, a: At, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) fail(a, `one of ${allowed.map((x) => JSON.stringify(x)).join(', ')}`, v);
  return v as T;
}
function nullable<T>(v: unknown, a: At, read: (v: unknown, a: At) => T): T | null {
  return v === null ? null : read(v, a);
}
function key(v: unknown, a: At): Key {
  if (typeof v !== 'string' || !KEY_PATTERN.test(v)) fail(a, KEY_EXPECTED, v);
  return v;
}
function strings(v: unknown, a: At, item: (v: unknown, a: At) => string = string): string[] {
  return array(v, a).map((x, i) => item(x, at(a, i)));
}
/** An object whose keys are partition keys, e.g. committed offsets; insertion order is kept. */
function keyed<T>(v: unknown, a: At, item: (v: unknown, a: At) => T): Record<Key, T> {
  const o = object(v, a);
  const out: Record<Key, T> = {};
  for (const k of Object.keys(o)) {
    const ka = at(a, k);
    if (!KEY_PATTERN.test(k)) throw new HistoryError(a.file, a.line, pathOf(ka), `expected ${KEY_EXPECTED} as the field name`);
    out[k] = item(o[k], ka);
  }
  return out;
}
const nonNegative = (v: unknown, a: At): number => integer(v, a, 0);

function parseHeader(v: unknown, a: At): HistoryHeader {
  const o = object(v, a);
  if (o.history !== 'eos-sim') fail(at(a, 'history'), '"eos-sim" (line 1 must be the header)', o.history);
  if (o.version !== HISTORY_VERSION) {
    fail(at(a, 'version'), `${HISTORY_VERSION} (this checker reads history format v${HISTORY_VERSION})`, o.version);
  }
  // Only `history` and `version` are required; the rest default (HEADER_DEFAULTS, docs/history-format.md).
  const d = HEADER_DEFAULTS;
  const header: HistoryHeader = {
    history: 'eos-sim',
    version: HISTORY_VERSION,
    scenario: o.scenario === undefined ? d.scenario : string(o.scenario, at(a, 'scenario')),
    mode: o.mode === undefined ? d.mode : string(o.mode, at(a, 'mode')),
    seed: o.seed === undefined ? d.seed : integer(o.seed, at(a, 'seed')),
    bugs: o.bugs === undefined ? [] : strings(o.bugs, at(a, 'bugs')),
    isolation: o.isolation === undefined ? d.isolation : oneOf(o.isolation, at(a, 'isolation'), ISOLATIONS),
  };
  if (o.kafka !== undefined) header.kafka = string(o.kafka, at(a, 'kafka'));
  if (o.producer !== undefined) header.producer = parseProducer(o.producer, at(a, 'producer'));
  if (o.sinks !== undefined) {
    header.sinks = array(o.sinks, at(a, 'sinks')).map((s, i) => parseSinkDescription(s, at(at(a, 'sinks'), i)));
  }
  if (o.payments !== undefined) {
    const pa = at(a, 'payments');
    const p = object(o.payments, pa);
    header.payments = { topics: strings(p.topics, at(pa, 'topics')), gateway: string(p.gateway, at(pa, 'gateway')), ledger: string(p.ledger, at(pa, 'ledger')) };
  }
  if (o.quiesced !== undefined) header.quiesced = boolean(o.quiesced, at(a, 'quiesced'));
  return header;
}

function parseProducer(v: unknown, a: At): ProducerDescription {
  const o = object(v, a);
  return {
    acks: oneOf(o.acks, at(a, 'acks'), ACKS),
    idempotence: boolean(o.idempotence, at(a, 'idempotence')),
    maxInFlight: integer(o.maxInFlight, at(a, 'maxInFlight'), 1),
    retries: integer(o.retries, at(a, 'retries'), 0),
    transactional: boolean(o.transactional, at(a, 'transactional')),
  };
}

function parseSinkDescription(v: unknown, a: At): SinkDescription {
  const o = object(v, a);
  return { name: string(o.name, at(a, 'name')), topics: strings(o.topics, at(a, 'topics')) };
}

type MopName = Mop[0];
/** The micro-ops each f may carry, and how many at least. */
const MOPS_OF: Partial<Record<OpF, { allowed: readonly MopName[]; min: number }>> = {
  send: { allowed: ['send'], min: 1 },
  poll: { allowed: ['poll'], min: 1 },
  commit: { allowed: ['commit'], min: 1 },
  apply: { allowed: ['apply'], min: 1 },
  charge: { allowed: ['charge'], min: 1 },
  ledger: { allowed: ['book', 'mark', 'offsets'], min: 1 },
  // A transaction may be logged with its sends on the invoke, the completion or both; polls inside a
  // transaction are the "reads" of DESIGN.md's read-write transactions.
  txn: { allowed: ['send', 'commit', 'poll'], min: 0 },
};

/** `completion`: results (offsets, polled records) may only appear on ok/fail/info lines. */
function parseMop(v: unknown, a: At, allowed: readonly MopName[], completion: boolean): Mop {
  const m = array(v, a, 1);
  const name = oneOf(m[0], at(a, 0), allowed);
  const arity = (n: number[]) => {
    if (!n.includes(m.length)) fail(a, `a ${name} micro-op with ${n.join(' or ')} elements`, v);
  };
  switch (name) {
    case 'send': {
      arity([3]);
      const k = key(m[1], at(a, 1));
      if (typeof m[2] === 'string' && m[2] !== '') return ['send', k, m[2]];
      if (!completion) fail(at(a, 2), 'the value sent (a non-empty string)', m[2]);
      const r = array(m[2], at(a, 2));
      if (r.length !== 2) fail(at(a, 2), 'a value string or [offset|null, value]', m[2]);
      return ['send', k, [nullable(r[0], at(at(a, 2), 0), nonNegative), string(r[1], at(at(a, 2), 1))]];
    }
    case 'poll': {
      if (m.length === 1) return ['poll'];
      if (!completion) fail(a, '["poll"] on an invoke', v);
      arity([1, 2]);
      return ['poll', keyed(m[1], at(a, 1), (rs, ra) => array(rs, ra).map((r, i) => {
        const ri = at(ra, i);
        const pair = array(r, ri);
        if (pair.length !== 2) fail(ri, '[offset, value]', r);
        return [nonNegative(pair[0], at(ri, 0)), string(pair[1], at(ri, 1))] as [number, string];
      }))];
    }
    case 'commit':
      arity([3]);
      return ['commit', string(m[1], at(a, 1)), keyed(m[2], at(a, 2), nonNegative)];
    case 'apply':
      arity([3]);
      return ['apply', string(m[1], at(a, 1)), string(m[2], at(a, 2))];
    case 'charge': {
      arity([4]);
      const fa = at(a, 3);
      const o = object(m[3], fa);
      const from = array(o.from, at(fa, 'from'));
      if (from.length !== 2) fail(at(fa, 'from'), '[key, offset]', o.from);
      const facts: ChargeFacts = {
        amountCents: nonNegative(o.amountCents, at(fa, 'amountCents')), key: nullable(o.key, at(fa, 'key'), string),
        from: [key(from[0], at(at(fa, 'from'), 0)), nonNegative(from[1], at(at(fa, 'from'), 1))],
      };
      if (o.chargeId !== undefined) facts.chargeId = string(o.chargeId, at(fa, 'chargeId'));
      return ['charge', string(m[1], at(a, 1)), string(m[2], at(a, 2)), facts];
    }
    case 'book': {
      arity([4]);
      const o = object(m[3], at(a, 3));
      return ['book', string(m[1], at(a, 1)), string(m[2], at(a, 2)), {
        amountCents: nonNegative(o.amountCents, at(at(a, 3), 'amountCents')), row: nullable(o.row, at(at(a, 3), 'row'), string),
      }];
    }
    case 'mark':
      arity([3]);
      return ['mark', string(m[1], at(a, 1)), string(m[2], at(a, 2))];
    case 'offsets':
      arity([3]);
      return ['offsets', string(m[1], at(a, 1)), keyed(m[2], at(a, 2), nonNegative)];
  }
}

function parseOpValue(o: Record<string, unknown>, f: OpF, type: Op['type'], a: At): Op['value'] {
  const va = at(a, 'value');
  if (f === 'crash') {
    if (type !== 'info') fail(at(a, 'type'), '"info" for a crash', type);
    if (o.value !== null) fail(va, 'null for a crash', o.value);
    return null;
  }
  if (f === 'assign') return strings(o.value, va, key);
  if (f === 'subscribe' || f === 'fault') return strings(o.value, va);
  // An operation cut short (e.g. by its process crashing) may end with nothing to add to its invoke.
  if (o.value === null && (type === 'fail' || type === 'info')) return null;
  const { allowed, min } = MOPS_OF[f]!;
  return array(o.value, va, min).map((m, i) => parseMop(m, at(va, i), allowed, type !== 'invoke'));
}

// The fast path. A million-line history spends most of its parsing time building the error paths of
// fields that are fine, so the common line shapes (send, poll and txn lines of send and poll micro-ops,
// and final-log records) are checked first without them. Anything these checks do not accept, including
// every invalid line, goes to the full parser, which accepts or rejects it with its precise message: the
// fast path decides nothing the full parser would decide otherwise.

const isOffset = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';
const QUICK_TYPES: ReadonlySet<unknown> = new Set(OP_TYPES);
const QUICK_FS: ReadonlySet<unknown> = new Set(['send', 'poll', 'txn']);

function quickMop(v: unknown, f: OpF, completion: boolean): boolean {
  if (!Array.isArray(v)) return false;
  if (v[0] === 'send') {
    if (f === 'poll' || v.length !== 3 || typeof v[1] !== 'string' || !KEY_PATTERN.test(v[1])) return false;
    const r = v[2];
    if (isText(r)) return true;
    return completion && Array.isArray(r) && r.length === 2 && (r[0] === null || isOffset(r[0])) && isText(r[1]);
  }
  if (v[0] !== 'poll' || f === 'send') return false;
  if (v.length === 1) return true;
  if (v.length !== 2 || !completion) return false;
  const byKey = v[1];
  if (typeof byKey !== 'object' || byKey === null || Array.isArray(byKey)) return false;
  for (const k in byKey) {
    const records = (byKey as Record<string, unknown>)[k];
    if (!KEY_PATTERN.test(k) || !Array.isArray(records)) return false;
    for (const r of records) if (!Array.isArray(r) || r.length !== 2 || !isOffset(r[0]) || !isText(r[1])) return false;
  }
  return true;
}

/** A send, poll or txn line of the usual shape, as parseOp would return it; undefined for anything else. */
function quickOp(o: Record<string, unknown>): Op | undefined {
  const { type, f, index, id, time, process, value, commit, error } = o;
  if (!QUICK_TYPES.has(type) || !QUICK_FS.has(f) || !isOffset(index) || typeof id !== 'number' || !Number.isSafeInteger(id)
    || !isOffset(time) || !isText(process) || (commit !== undefined && (f !== 'txn' || !isOffset(commit)))
    || (error !== undefined && !isText(error))) return undefined;
  if (value === null) {
    if (type !== 'fail' && type !== 'info') return undefined;
  } else {
    if (!Array.isArray(value) || value.length < MOPS_OF[f as OpF]!.min) return undefined;
    for (const m of value) if (!quickMop(m, f as OpF, type !== 'invoke')) return undefined;
  }
  const op: Op = { index, id, time, process, type: type as Op['type'], f: f as OpF, value: value as Op['value'] };
  if (commit !== undefined) op.commit = commit as number;
  if (error !== undefined) op.error = error;
  return op;
}

/**
 * A final-log record of the usual shape, as parseFinalLog would keep it; undefined for anything else. The
 * parsed JSON is kept as it is when it has exactly that shape (a final log can hold a record per
 * operation: copying each would double what a large history keeps).
 */
function quickRecord(r: unknown, previous: number, hw: number): [number, string, RecordMeta] | undefined {
  if (!Array.isArray(r) || r.length !== 3 || !isOffset(r[0]) || r[0] <= previous || r[0] >= hw || !isText(r[1])) return undefined;
  const m = r[2];
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return undefined;
  const { pid, epoch, seq, txn } = m as Record<string, unknown>;
  if ((pid !== null && !isOffset(pid)) || (epoch !== null && !isOffset(epoch)) || (seq !== null && !isOffset(seq))
    || (txn !== null && txn !== 'committed' && txn !== 'aborted')) return undefined;
  // Only the four fields (in any order), so that nothing the format does not define is kept.
  let fields = 0;
  for (const _ in m) fields++;
  return fields === 4 ? (r as [number, string, RecordMeta]) : [r[0], r[1], { pid, epoch, seq, txn } as RecordMeta];
}

function parseOp(o: Record<string, unknown>, a: At): Op {
  const quick = quickOp(o);
  if (quick !== undefined) return quick;
  const type = oneOf(o.type, at(a, 'type'), OP_TYPES);
  const f = oneOf(o.f, at(a, 'f'), OP_FS);
  const op: Op = {
    index: integer(o.index, at(a, 'index'), 0),
    id: integer(o.id, at(a, 'id')),
    time: integer(o.time, at(a, 'time'), 0),
    process: string(o.process, at(a, 'process')),
    type,
    f,
    value: parseOpValue(o, f, type, a),
  };
  if (o.commit !== undefined) {
    if (f !== 'txn') fail(at(a, 'commit'), 'no commit time on a line whose f is not "txn"', o.commit);
    op.commit = integer(o.commit, at(a, 'commit'), 0);
  }
  if (o.error !== undefined) op.error = string(o.error, at(a, 'error'));
  return op;
}

function parseRecordMeta(v: unknown, a: At): RecordMeta {
  const o = object(v, a);
  return {
    pid: nullable(o.pid, at(a, 'pid'), nonNegative),
    epoch: nullable(o.epoch, at(a, 'epoch'), nonNegative),
    seq: nullable(o.seq, at(a, 'seq'), nonNegative),
    txn: nullable(o.txn, at(a, 'txn'), (t, ta) => oneOf(t, ta, TXN_OUTCOMES)),
  };
}

function parseFinalLog(o: Record<string, unknown>, a: At): FinalLog {
  const hw = nonNegative(o.hw, at(a, 'hw'));
  const lso = nonNegative(o.lso, at(a, 'lso'));
  if (lso > hw) fail(at(a, 'lso'), `an offset <= hw (${hw})`, lso);
  const ra = at(a, 'records');
  let previous = -1;
  const records = array(o.records, ra).map((r, i): [number, string, RecordMeta] => {
    const quick = quickRecord(r, previous, hw);
    if (quick !== undefined) {
      previous = quick[0];
      return quick;
    }
    const ri = at(ra, i);
    const rec = array(r, ri);
    if (rec.length !== 3) fail(ri, '[offset, value, {pid, epoch, seq, txn}]', r);
    const off = nonNegative(rec[0], at(ri, 0));
    if (off <= previous || off >= hw) fail(at(ri, 0), `an offset > ${previous} and < hw (${hw}), in increasing order`, off);
    previous = off;
    return [off, string(rec[1], at(ri, 1)), parseRecordMeta(rec[2], at(ri, 2))];
  });
  return { final: 'log', key: key(o.key, at(a, 'key')), hw, lso, records };
}

function parseFinal(o: Record<string, unknown>, a: At): FinalLine {
  const kind = oneOf(o.final, at(a, 'final'), ['log', 'offsets', 'sink', 'gateway', 'ledger'] as const);
  switch (kind) {
    case 'log':
      return parseFinalLog(o, a);
    case 'offsets':
      return { final: 'offsets', group: string(o.group, at(a, 'group')), offsets: keyed(o.offsets, at(a, 'offsets'), nonNegative) };
    case 'sink': {
      const pa = at(a, 'applied');
      const applied = array(o.applied, pa).map((e, i): [string, string, number] => {
        const ea = at(pa, i);
        const entry = array(e, ea);
        if (entry.length !== 3) fail(ea, '[sinkKey, value, times]', e);
        return [string(entry[0], at(ea, 0)), string(entry[1], at(ea, 1)), integer(entry[2], at(ea, 2), 1)];
      });
      return { final: 'sink', name: string(o.name, at(a, 'name')), applied };
    }
    case 'gateway': {
      const charges = rows(o.charges, at(a, 'charges'), '[chargeId, paymentId, amountCents, key|null]', (r, ra) => [
        string(r[0], at(ra, 0)), string(r[1], at(ra, 1)), nonNegative(r[2], at(ra, 2)), nullable(r[3], at(ra, 3), string),
      ] as [string, string, number, string | null], 4);
      return { final: 'gateway', name: string(o.name, at(a, 'name')), charges };
    }
    case 'ledger': {
      const entries = rows(o.entries, at(a, 'entries'), '[paymentId, amountCents]', (r, ra) => [
        string(r[0], at(ra, 0)), nonNegative(r[1], at(ra, 1)),
      ] as [string, number], 2);
      return { final: 'ledger', name: string(o.name, at(a, 'name')), entries, balanceCents: integer(o.balanceCents, at(a, 'balanceCents')) };
    }
  }
}

/** A list of fixed-length rows, each read by `read`. */
function rows<T>(v: unknown, a: At, shape: string, read: (r: unknown[], ra: At) => T, length: number): T[] {
  return array(v, a).map((r, i) => {
    const ra = at(a, i);
    const row = array(r, ra);
    if (row.length !== length) fail(ra, shape, r);
    return read(row, ra);
  });
}

const logIdentity = (key: Key): string => `log ${JSON.stringify(key)}`;

/** The name a final line is unique by: one log per key, one offsets line per group, one line per sink. */
function finalIdentity(f: FinalLine): string {
  switch (f.final) {
    case 'log': return logIdentity(f.key);
    case 'offsets': return `offsets of group ${JSON.stringify(f.group)}`;
    case 'sink': return `sink ${JSON.stringify(f.name)}`;
    case 'gateway': return `gateway ${JSON.stringify(f.name)}`;
    case 'ledger': return `ledger ${JSON.stringify(f.name)}`;
  }
}

/**
 * Reads a history line by line (feed each line with `line`, then call `finish`), so a file need not be
 * one string in memory: read.ts streams files through it. Line numbers are 1-based and count every line
 * of the file, blank ones included, so messages point at the right line.
 */
export class HistoryParser {
  header: HistoryHeader | undefined;
  private readonly ops: Op[] = [];
  private readonly finals: FinalLine[] = [];
  /** The line of every final line so far, by its identity (finalIdentity). */
  private readonly finalLines = new Map<string, number>();
  /** Processes by id: the fast lane's rows name them so, and open invokes are kept by them. */
  private readonly processes: Interner;
  // Open invokes by process id, then id: a completion must have the f of the invoke it completes. The
  // invoke's line and f as one number: a million lines would otherwise build a million objects.
  private readonly open = new OpenInvokes<number>();
  private lastIndex = -1;
  private readonly scanner: RowScanner | undefined;
  /**
   * A final log was parsed in full: its values are interned only when the index is finished, so later
   * final logs must not be interned before it by the fast lane (ids are given in first-seen order).
   */
  private finalLogParsed = false;

  /**
   * `onOp`, when given, receives each operation line instead of the parser collecting them: a checker
   * streaming a file keeps only what it needs of each line. With `lane` too, the lines the fast lane
   * takes (scan.ts, through lineBytes) go to `lane.onRow` instead, their names interned in `lane.names`;
   * a final log it takes goes to `lane.onFinalLog` as columns (its values interned), not into the History.
   */
  constructor(
    private readonly fileName: string, private readonly onOp?: (op: Op) => void,
    private readonly lane?: { names: Names; onRow: (row: OpRow) => void; onFinalLog: (log: FinalLogColumns) => void },
  ) {
    this.processes = lane?.names.processes ?? new Interner();
    this.scanner = lane === undefined ? undefined : new RowScanner(lane.names);
  }

  line(text: string, lineNo: number): void {
    const line = text.trim();
    if (line === '') return;
    const fileName = this.fileName;
    const a: At = { file: fileName, line: lineNo, path: '' };
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      throw new HistoryError(fileName, lineNo, '', `not valid JSON (${(e as Error).message})`);
    }
    this.value(json, a);
  }

  /**
   * A line as bytes, `bytes[start, end)` without its newline: with a `lane`, an operation line in
   * historyToJsonl's form is read straight from them into a row (scan.ts); any other line is decoded and
   * parsed as `line` does.
   */
  lineBytes(bytes: Buffer, start: number, end: number, lineNo: number): void {
    const { scanner, lane } = this;
    if (scanner !== undefined && lane !== undefined && this.header !== undefined) {
      if (this.finalLines.size === 0 && scanner.scan(bytes, start, end)) {
        const { row } = scanner;
        this.admit(row.index, row.proc, row.id, row.type, row.f, lineNo);
        lane.onRow(row);
        return;
      }
      const scanned = this.finalLogParsed ? undefined : scanFinalLogLine(bytes, start, end, lane.names);
      if (scanned !== undefined) {
        this.noteFinal(logIdentity(scanned.key), lineNo);
        lane.onFinalLog(scanned);
        return;
      }
    }
    this.line(bytes.toString('utf8', start, end), lineNo);
  }

  /** One line's parsed JSON (or a value another reader, e.g. the EDN one, turned into the same shape). */
  value(json: unknown, a: At): void {
    const o = object(json, a);
    const { file: fileName, line: lineNo } = a;
    if (this.header === undefined) {
      this.header = parseHeader(o, a);
    } else if (o.final !== undefined) {
      const f = parseFinal(o, a);
      if (f.final === 'log') this.finalLogParsed = true;
      this.final(f, lineNo);
    } else {
      if (o.history !== undefined) throw new HistoryError(fileName, lineNo, 'history', 'a second header line');
      if (this.finalLines.size > 0) throw new HistoryError(fileName, lineNo, '', 'an operation line after the final lines (final lines come last)');
      this.operation(parseOp(o, a), a);
    }
  }

  /** A final line, kept unless it repeats an earlier one's identity. */
  private final(f: FinalLine, lineNo: number): void {
    this.noteFinal(finalIdentity(f), lineNo);
    this.finals.push(f);
  }

  /** The final line with identity `id` (finalIdentity) is on line `lineNo`: an error when an earlier one had it. */
  private noteFinal(id: string, lineNo: number): void {
    const earlier = this.finalLines.get(id);
    if (earlier !== undefined) throw new HistoryError(this.fileName, lineNo, 'final', `a second final line for ${id} (first on line ${earlier})`);
    this.finalLines.set(id, lineNo);
  }

  /** An operation line's checks against the lines before it; then it is kept or handed on. */
  private operation(op: Op, a: At): void {
    this.admit(op.index, this.processes.id(op.process), op.id, op.type, op.f, a.line);
    if (this.onOp === undefined) this.ops.push(op);
    else this.onOp(op);
  }

  /** A field of a line, for a message: made only when one is needed (a million lines pass admit). */
  private where(lineNo: number, field: string): At {
    return at({ file: this.fileName, line: lineNo, path: '' }, field);
  }

  /** The checks of an operation line against the lines before it: its index, and its id among its process's open invokes. */
  private admit(index: number, proc: number, id: number, type: OpType, f: OpF, lineNo: number): void {
    if (index <= this.lastIndex) {
      fail(this.where(lineNo, 'index'), `an index > ${this.lastIndex} (indexes increase line by line)`, index);
    }
    this.lastIndex = index;
    const { open } = this;
    const invoke = open.get(proc, id);
    if (type === 'invoke') {
      if (invoke !== undefined) {
        fail(this.where(lineNo, 'id'), `an id that ${this.processes.name(proc)} has no open operation with (line ${Math.floor(invoke / OP_FS.length)} is open)`, id);
      }
      open.open(proc, id, lineNo * OP_FS.length + OP_FS.indexOf(f));
    } else if (invoke !== undefined) {
      const invoked = OP_FS[invoke % OP_FS.length];
      if (invoked !== f) fail(this.where(lineNo, 'f'), `${JSON.stringify(invoked)} like the invoke on line ${Math.floor(invoke / OP_FS.length)}`, f);
      open.close(proc, id);
    }
  }

  finish(): History {
    if (this.header === undefined) throw new HistoryError(this.fileName, 1, '', 'expected the header line, got an empty file');
    return { header: this.header, ops: this.ops, finals: this.finals };
  }
}

/** An operation line's text that was validated when it was first read, parsed again. */
export function parseOpLine(text: string): Op {
  return parseOp(JSON.parse(text) as Record<string, unknown>, { file: '', line: 0, path: '' });
}

export function parseHistory(text: string, fileName: string): History {
  const parser = new HistoryParser(fileName);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) parser.line(lines[i], i + 1);
  return parser.finish();
}

// Serialising writes every object with its fields in the order the types declare them, so the same
// History always gives the same bytes, however it was built.

function canonicalHeader(h: HistoryHeader): HistoryHeader {
  const out: HistoryHeader = {
    history: h.history, version: h.version, scenario: h.scenario, mode: h.mode, seed: h.seed, bugs: h.bugs,
    isolation: h.isolation,
  };
  if (h.kafka !== undefined) out.kafka = h.kafka;
  if (h.producer !== undefined) {
    const p = h.producer;
    out.producer = { acks: p.acks, idempotence: p.idempotence, maxInFlight: p.maxInFlight, retries: p.retries, transactional: p.transactional };
  }
  if (h.sinks !== undefined) out.sinks = h.sinks.map((s) => ({ name: s.name, topics: s.topics }));
  if (h.payments !== undefined) out.payments = { topics: h.payments.topics, gateway: h.payments.gateway, ledger: h.payments.ledger };
  if (h.quiesced !== undefined) out.quiesced = h.quiesced;
  return out;
}

export function canonicalOp(op: Op): Op {
  const out: Op = { index: op.index, id: op.id, time: op.time, process: op.process, type: op.type, f: op.f, value: op.value };
  if (op.commit !== undefined) out.commit = op.commit;
  if (op.error !== undefined) out.error = op.error;
  return out;
}

function canonicalFinal(f: FinalLine): FinalLine {
  switch (f.final) {
    case 'log':
      return {
        final: 'log', key: f.key, hw: f.hw, lso: f.lso,
        records: f.records.map(([o, v, m]) => [o, v, { pid: m.pid, epoch: m.epoch, seq: m.seq, txn: m.txn }]),
      };
    case 'offsets':
      return { final: 'offsets', group: f.group, offsets: f.offsets };
    case 'sink':
      return { final: 'sink', name: f.name, applied: f.applied };
    case 'gateway':
      return { final: 'gateway', name: f.name, charges: f.charges };
    case 'ledger':
      return { final: 'ledger', name: f.name, entries: f.entries, balanceCents: f.balanceCents };
  }
}

export function historyToJsonl(h: History): string {
  const lines = [
    JSON.stringify(canonicalHeader(h.header)),
    ...h.ops.map((op) => JSON.stringify(canonicalOp(op))),
    ...h.finals.map((f) => JSON.stringify(canonicalFinal(f))),
  ];
  return `${lines.join('\n')}\n`;
}
