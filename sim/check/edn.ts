// Jepsen's history shape (EDN) in and out, so either tool can judge the other's runs
// (docs/history-format.md, "EDN"). Jepsen writes history.edn one operation map per line:
//   {:index 0, :time 12000, :type :invoke, :process 0, :f :send, :value [[:send 11 641]]}
// (newer versions tag each as #jepsen.history.Op{...}). Reading maps every line onto history format v1 and
// hands it to the same parser and validation as a JSON Lines file; writing is the reverse. The EDN itself
// is read and written by the edn-data package, except the plain lines the fast lane reads (edn-scan.ts).
// A file is streamed line by line, twice: eos-sim's own export writes its header after the operations,
// and the first pass finds it (the parser and the index need the header before the first operation).
import { basename } from 'node:path';
import { parseEDNString, toEDNString } from 'edn-data';
import type { EDNVal } from 'edn-data';
import { scanEdnLine } from './edn-scan.ts';
import { topicOf } from './history.ts';
import type { FinalLine, History, HistoryHeader, Mop, Op } from './history.ts';
import { HistoryError, HistoryParser, parseOpLine } from './parse.ts';
import { lowerBound } from './tables.ts';

/** The process eos-sim's own lines (its header and final lines) are written under in an EDN export. */
export const EDN_META_PROCESS = 'eos-sim';
const HEADER_F = 'eos-sim/header';
const FINAL_F = 'eos-sim/final';
/** Bytes every header line holds; the first pass parses only the lines that hold them. */
const HEADER_MARK = Buffer.from(HEADER_F);

/** How the EDN is read: maps as objects, keywords as their names; the fast lane returns the same values. */
export const EDN_PARSE_OPTIONS = {
  mapAs: 'object', keywordAs: 'string', listAs: 'array', setAs: 'array', symbolAs: 'string', charAs: 'string',
  tagHandlers: { 'jepsen.history.Op': (v: unknown) => v },
} as const;

const CLIENT_FS = new Set(['send', 'poll', 'txn', 'commit', 'apply', 'assign', 'subscribe', 'crash', 'fault', 'charge', 'ledger']);
const KEY_PATTERN = /^[^/]+\/(0|[1-9][0-9]*)$/;

/** Jepsen's values are usually integers; v1's are strings. */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(text).join(' ');
  return JSON.stringify(v);
}

/** Jepsen keys are abstract (usually integers); a key that is not already "topic/partition" becomes partition 0 of a topic of its name. */
function key(k: unknown): string {
  const s = text(k);
  return KEY_PATTERN.test(s) ? s : `${s}/0`;
}

function mop(m: unknown): unknown {
  if (!Array.isArray(m) || m.length === 0) return m;
  const [name, ...args] = m as unknown[];
  switch (name) {
    case 'send': {
      const r = args[1];
      return ['send', key(args[0]), Array.isArray(r) ? [r[0] ?? null, text(r[1])] : text(r)];
    }
    case 'poll': {
      if (args.length === 0 || args[0] === null) return ['poll'];
      const byKey: Record<string, [unknown, string][]> = {};
      for (const [k, pairs] of Object.entries(args[0] as Record<string, unknown>)) {
        byKey[key(k)] = (Array.isArray(pairs) ? pairs : []).map((p) => [(p as unknown[])[0], text((p as unknown[])[1])]);
      }
      return ['poll', byKey];
    }
    case 'commit': {
      const offsets: Record<string, unknown> = {};
      for (const [k, o] of Object.entries((args[1] ?? {}) as Record<string, unknown>)) offsets[key(k)] = o;
      return ['commit', text(args[0]), offsets];
    }
    case 'apply':
      return ['apply', text(args[0]), text(args[1])];
    default:
      return m;
  }
}

function opValue(f: string, value: unknown): unknown {
  if (value === null || value === undefined) return f === 'crash' ? null : value ?? null;
  if (!Array.isArray(value)) return value;
  switch (f) {
    case 'assign':
      return value.map(key);
    case 'subscribe':
      // Jepsen subscribes to the topics of the keys it names; v1 names the topics.
      return [...new Set(value.map((k) => topicOf(key(k))))];
    case 'fault':
      return value.map(text);
    default:
      return value.map(mop);
  }
}

type Line = Record<string, unknown>;

/**
 * Turns Jepsen operations into v1 lines, in file order. Jepsen pairs an invoke with the next completion
 * of its process (a process runs one operation at a time); an eos-sim export carries `:id`, which is used
 * when present. A nemesis operation becomes a `fault` line; a `crash` is v1's one-line info; client
 * operations of other fs (Jepsen's debugging ops) are dropped.
 */
class JepsenOps {
  private readonly open = new Map<string, number[]>();
  private nextId = 0;
  private position = 0;
  /**
   * The byte offsets of the lines whose index or id was derived, with what was derived, so that a line
   * read again for a witness (reread) gets the same; eos-sim's export carries both, and keeps these empty.
   */
  private readonly derivedAt: number[] = [];
  private readonly derivedIndex: number[] = [];
  private readonly derivedId: number[] = [];

  /** The v1 line of the operation `m` read at `byteOffset`, or undefined when it is dropped. */
  next(m: Line, byteOffset: number): Line | undefined {
    const process = text(m.process);
    const type = text(m.type);
    const f = jepsenF(m, process);
    if (!CLIENT_FS.has(f) || (f === 'crash' && type === 'invoke')) return undefined;
    let id: number;
    if (typeof m.id === 'number') {
      id = m.id;
    } else if (type === 'invoke') {
      id = this.nextId++;
      const list = this.open.get(process);
      if (list === undefined) this.open.set(process, [id]);
      else list.push(id);
    } else {
      id = this.open.get(process)?.shift() ?? this.nextId++;
    }
    const index = typeof m.index === 'number' ? m.index : this.position;
    this.position++;
    if (index !== m.index || id !== m.id) {
      this.derivedAt.push(byteOffset);
      this.derivedIndex.push(index);
      this.derivedId.push(id);
    }
    return opLine(m, index, id);
  }

  /** The operation of the line at `byteOffset`, parsed as it was when first read (`m` is its map). */
  reread(m: Line, byteOffset: number): Op {
    const lo = lowerBound(this.derivedAt, byteOffset);
    const found = this.derivedAt[lo] === byteOffset;
    return parseOpLine(JSON.stringify(opLine(m, found ? this.derivedIndex[lo] : m.index as number, found ? this.derivedId[lo] : m.id as number)));
  }
}

/** The f of a Jepsen operation as v1 names it: a nemesis operation is a fault. */
function jepsenF(m: Line, process: string): string {
  const f = text(m.f);
  return process === 'nemesis' ? 'fault' : f;
}

/** One Jepsen operation (one that JepsenOps keeps) as a v1 line with this index and id. */
function opLine(m: Line, index: number, id: number): Line {
  const process = text(m.process);
  const f = jepsenF(m, process);
  let type = text(m.type);
  let value = m.value;
  if (process === 'nemesis' && text(m.f) !== 'fault') value = [value === null || value === undefined ? text(m.f) : `${text(m.f)} ${text(value)}`];
  if (f === 'crash') {
    type = 'info';
    value = null;
  }
  const line: Line = {
    index,
    id,
    // Jepsen's times are nanoseconds, v1's microseconds.
    time: typeof m.time === 'number' ? Math.floor(m.time / 1000) : 0,
    process, type, f, value: opValue(f, value),
  };
  if (typeof m.commit === 'number') line.commit = Math.floor(m.commit / 1000);
  if (m.error !== undefined && m.error !== null) line.error = text(m.error);
  return line;
}

/** The header a history without one gets: the minimal header, named after the file. */
function defaultHeader(file: string): Line {
  return { history: 'eos-sim', version: 1, scenario: basename(file) };
}

/** Calls back with each line of a history as bytes[start, end), its number from 1 and its byte offset. */
export type EdnLineSource = (onLine: (bytes: Buffer, start: number, end: number, lineNo: number, byteOffset: number) => void) => void;

/** The map on one line: read by the fast lane, else by edn-data; undefined for a blank or comment line. */
function lineMap(bytes: Buffer, start: number, end: number, lineNo: number, file: string): Line | undefined {
  const quick = scanEdnLine(bytes, start, end);
  if (quick !== undefined) return quick;
  const source = bytes.toString('utf8', start, end).trim();
  if (source === '' || source.startsWith(';')) return undefined;
  let m: unknown;
  try {
    m = parseEDNString(source, EDN_PARSE_OPTIONS);
  } catch (e) {
    throw new HistoryError(file, lineNo, '', `not valid EDN (${(e as Error).message})`);
  }
  if (m === undefined || m === null) throw new HistoryError(file, lineNo, '', 'not valid EDN (the line ends inside a value, or holds nil)');
  if (typeof m !== 'object' || Array.isArray(m)) {
    throw new HistoryError(file, lineNo, '', 'expected one operation map per line, e.g. {:type :invoke, :f :send, :process 0, :value [[:send 1 2]]}');
  }
  return m as Line;
}

/** eos-sim's header or final line (an :info operation of process "eos-sim"), or undefined for an operation. */
function metaF(m: Line): string | undefined {
  return text(m.process) === EDN_META_PROCESS && (m.f === HEADER_F || m.f === FINAL_F) ? m.f : undefined;
}

/** The first pass: the last header line of the file, if it has one (Jepsen's own histories have none). */
function findHeader(each: EdnLineSource, file: string): Line | undefined {
  let header: Line | undefined;
  // One search per stretch of a chunk, not per line: the header is one line in a million.
  let searched: Buffer | undefined;
  let hit = -1;
  each((bytes, start, end, lineNo) => {
    if (bytes !== searched || (hit >= 0 && hit < start)) {
      searched = bytes;
      hit = bytes.indexOf(HEADER_MARK, start);
    }
    if (hit < 0 || hit >= end) return;
    const m = lineMap(bytes, start, end, lineNo, file);
    if (m !== undefined && metaF(m) === HEADER_F) header = m.value as Line;
  });
  return header;
}

/**
 * Reads a Jepsen history (one EDN map per line) as history format v1, in two passes over `each`. With
 * `onOp`, each operation goes there with its line's byte offset instead of into the returned History,
 * and `reread` then turns a line read again by its offset back into the same operation (for witnesses).
 */
export function readEdnHistory(each: EdnLineSource, file: string, onOp?: (op: Op, byteOffset: number, header: HistoryHeader) => void): {
  history: History; reread: (lineText: string, byteOffset: number) => Op;
} {
  const header = findHeader(each, file) ?? defaultHeader(file);
  let offset = 0;
  const parser = new HistoryParser(file, onOp === undefined ? undefined : (op) => onOp(op, offset, parser.header!));
  parser.value(header, { file, line: 0, path: 'header' });
  const ops = new JepsenOps();
  // Final lines come after the operations in v1; an export writes them last too.
  const finals: { line: Line; lineNo: number }[] = [];
  each((bytes, start, end, lineNo, byteOffset) => {
    const m = lineMap(bytes, start, end, lineNo, file);
    if (m === undefined) return;
    const meta = metaF(m);
    if (meta === FINAL_F) finals.push({ line: m.value as Line, lineNo });
    if (meta !== undefined) return;
    const op = ops.next(m, byteOffset);
    if (op === undefined) return;
    offset = byteOffset;
    parser.value(op, { file, line: lineNo, path: '' });
  });
  for (const { line, lineNo } of finals) parser.value(line, { file, line: lineNo, path: '' });
  const reread = (lineText: string, byteOffset: number) => {
    const bytes = Buffer.from(lineText);
    return ops.reread(lineMap(bytes, 0, bytes.length, 0, file)!, byteOffset);
  };
  return { history: parser.finish(), reread };
}

/** Parses a Jepsen history held as lines (one EDN map per line) into history format v1. */
export function parseEdnHistory(lines: string[], file: string): History {
  const bytes = lines.map((l) => Buffer.from(l));
  const each: EdnLineSource = (onLine) => {
    let offset = 0;
    for (let i = 0; i < bytes.length; i++) {
      onLine(bytes[i], 0, bytes[i].length, i + 1, offset);
      offset += bytes[i].length + 1;
    }
  };
  return readEdnHistory(each, file).history;
}

// Writing: EDN values are built as edn-data's data (keywords as {key}, maps as {map: [[k, v], …]}).

const kw = (name: string): EDNVal => ({ key: name });

function ednMap(entries: [string, EDNVal | undefined][]): EDNVal {
  return { map: entries.filter(([, v]) => v !== undefined).map(([k, v]) => [kw(k), v as EDNVal]) };
}

function stringMap(o: Record<string, EDNVal>): EDNVal {
  return { map: Object.entries(o).map(([k, v]) => [k, v]) };
}

function mopToEdn(m: Mop): EDNVal {
  switch (m[0]) {
    case 'send':
      return [kw('send'), m[1], typeof m[2] === 'string' ? m[2] : [m[2][0], m[2][1]]];
    case 'poll': {
      if (m.length === 1) return [kw('poll')];
      const byKey: Record<string, EDNVal> = {};
      for (const [k, pairs] of Object.entries(m[1])) byKey[k] = pairs.map(([o, v]) => [o, v]);
      return [kw('poll'), stringMap(byKey)];
    }
    case 'commit':
      return [kw('commit'), m[1], stringMap(m[2])];
    case 'apply':
      return [kw('apply'), m[1], m[2]];
    // Payments past Kafka (read back as they are: their maps' keyword keys become strings).
    case 'charge': {
      const { amountCents, key, from, chargeId } = m[3];
      return [kw('charge'), m[1], m[2], ednMap([['amountCents', amountCents], ['key', key], ['from', [from[0], from[1]]], ['chargeId', chargeId]])];
    }
    case 'book':
      return [kw('book'), m[1], m[2], ednMap([['amountCents', m[3].amountCents], ['row', m[3].row]])];
    case 'mark':
      return [kw('mark'), m[1], m[2]];
    case 'offsets':
      return [kw('offsets'), m[1], stringMap(m[2])];
  }
}

function opValueToEdn(op: Op): EDNVal {
  if (op.value === null) return null;
  if (op.f === 'assign' || op.f === 'subscribe' || op.f === 'fault') return op.value as string[];
  return (op.value as Mop[]).map(mopToEdn);
}

function opToEdn(op: Op): EDNVal {
  return ednMap([
    ['index', op.index], ['time', op.time * 1000], ['type', kw(op.type)], ['process', op.process], ['f', kw(op.f)],
    ['value', opValueToEdn(op)], ['id', op.id], ['commit', op.commit === undefined ? undefined : op.commit * 1000], ['error', op.error],
  ]);
}

function headerToEdn(h: HistoryHeader): EDNVal {
  const p = h.producer;
  return ednMap([
    ['history', h.history], ['version', h.version], ['scenario', h.scenario], ['mode', h.mode], ['seed', h.seed],
    ['bugs', h.bugs], ['isolation', h.isolation], ['kafka', h.kafka],
    ['producer', p === undefined ? undefined : ednMap([
      ['acks', p.acks], ['idempotence', p.idempotence], ['maxInFlight', p.maxInFlight], ['retries', p.retries],
      ['transactional', p.transactional],
    ])],
    ['sinks', h.sinks?.map((s) => ednMap([['name', s.name], ['topics', s.topics]]))],
    ['payments', h.payments === undefined ? undefined : ednMap([
      ['topics', h.payments.topics], ['gateway', h.payments.gateway], ['ledger', h.payments.ledger],
    ])],
    ['quiesced', h.quiesced],
  ]);
}

function finalToEdn(f: FinalLine): EDNVal {
  switch (f.final) {
    case 'log':
      return ednMap([['final', 'log'], ['key', f.key], ['hw', f.hw], ['lso', f.lso], ['records', f.records.map(([o, v, m]) => [o, v, ednMap([
        ['pid', m.pid], ['epoch', m.epoch], ['seq', m.seq], ['txn', m.txn],
      ])])]]);
    case 'offsets':
      return ednMap([['final', 'offsets'], ['group', f.group], ['offsets', stringMap(f.offsets)]]);
    case 'sink':
      return ednMap([['final', 'sink'], ['name', f.name], ['applied', f.applied.map(([k, v, n]) => [k, v, n])]]);
    case 'gateway':
      return ednMap([['final', 'gateway'], ['name', f.name], ['charges', f.charges.map(([c, p, a, k]) => [c, p, a, k])]]);
    case 'ledger':
      return ednMap([['final', 'ledger'], ['name', f.name], ['entries', f.entries.map(([p, a]) => [p, a])], ['balanceCents', f.balanceCents]]);
  }
}

/** One operation as a line of Jepsen's shape: times in nanoseconds, `:id` kept for pairing. */
export function opToEdnLine(op: Op): string {
  return toEDNString(opToEdn(op));
}

/**
 * The lines that follow the operations of an export: the header and final lines as `:info` operations of
 * process "eos-sim" (fs :eos-sim/header and :eos-sim/final), which Jepsen's Kafka checker ignores and
 * readEdnHistory reads back; numbered and timed after `last`, the last operation.
 */
export function* ednMetaLines(header: HistoryHeader, finals: FinalLine[], last: Op | undefined): Generator<string> {
  let index = last === undefined ? 0 : last.index + 1;
  const time = last === undefined ? 0 : last.time * 1000;
  const meta = (f: string, value: EDNVal) => toEDNString(ednMap([
    ['index', index++], ['time', time], ['type', kw('info')], ['process', EDN_META_PROCESS], ['f', kw(f)], ['value', value],
  ]));
  yield meta(HEADER_F, headerToEdn(header));
  for (const f of finals) yield meta(FINAL_F, finalToEdn(f));
}

/** A v1 history in Jepsen's shape, one operation map per line, then its header and final lines (ednMetaLines). */
export function* historyToEdnLines(h: History): Generator<string> {
  for (const op of h.ops) yield opToEdnLine(op);
  yield* ednMetaLines(h.header, h.finals, h.ops[h.ops.length - 1]);
}
