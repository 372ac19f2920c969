// Test-only: a builder that writes history lines one call each, so hand-written histories in the tests
// read like the JSONL they stand for. Each one-line helper writes an invoke and its completion back to
// back; `invoke`/`complete` write them apart, for operations that overlap.
import type { AnomalyKind, CheckResult } from './anomaly.ts';
import type {
  CommitMop, FinalLine, History, HistoryHeader, Key, Mop, Op, OpF, OpType, Outcome, RecordMeta, SendMop,
} from './history.ts';

/** A send as tests write it: [key, value, offset] (offset null or left out: none claimed). */
export type SendSpec = [Key, string, (number | null)?];
/** A final-log record as tests write it: [offset, value, meta fields that are not null]. */
export type RecordSpec = [number, string, Partial<RecordMeta>?];

export interface Pending { process: string; id: number; f: OpF }

const sendInvoke = ([key, value]: SendSpec): SendMop => ['send', key, value];
const sendDone = ([key, value, offset]: SendSpec): SendMop => ['send', key, [offset ?? null, value]];

export class HistoryBuilder {
  private readonly ops: Op[] = [];
  private readonly finals: FinalLine[] = [];
  private nextId = 0;
  private readonly header: HistoryHeader;

  constructor(header: Partial<HistoryHeader> = {}) {
    this.header = {
      history: 'eos-sim', version: 1, scenario: 'test', mode: 'at-least-once', seed: 7, bugs: [],
      isolation: 'read_uncommitted', ...header,
    };
  }

  /** Appends one operation line; time advances 10 µs a line. */
  line(process: string, type: OpType, f: OpF, value: Op['value'], id: number, error?: string): this {
    const index = this.ops.length;
    const op: Op = { index, id, time: index * 10, process, type, f, value };
    if (error !== undefined) op.error = error;
    this.ops.push(op);
    return this;
  }

  invoke(process: string, f: OpF, value: Op['value']): Pending {
    const id = this.nextId++;
    this.line(process, 'invoke', f, value, id);
    return { process, id, f };
  }

  complete(p: Pending, type: Outcome, value: Op['value'], error?: string): this {
    return this.line(p.process, type, p.f, value, p.id, error);
  }

  /** Sets the `commit` time (µs) of the last line written: a transaction's commit request. */
  commitRequestedAt(us: number): this {
    this.ops[this.ops.length - 1].commit = us;
    return this;
  }

  /** The `time` of the next line: lines are 10 µs apart. */
  get nextTimeUs(): number {
    return this.ops.length * 10;
  }

  private op(process: string, f: OpF, invoke: Op['value'], type: Outcome, done: Op['value'], error?: string): this {
    return this.complete(this.invoke(process, f, invoke), type, done, error);
  }

  /** One send operation carrying one or more sends (a batch). */
  send(process: string, type: Outcome, ...sends: SendSpec[]): this {
    return this.op(process, 'send', sends.map(sendInvoke), type, sends.map(sendDone));
  }

  txn(process: string, type: Outcome, sends: SendSpec[], commit?: [string, Record<Key, number>], error?: string): this {
    const commits: CommitMop[] = commit === undefined ? [] : [['commit', commit[0], commit[1]]];
    const invoke: Mop[] = [...sends.map(sendInvoke), ...commits];
    const done: Mop[] = [...sends.map(sendDone), ...commits];
    return this.op(process, 'txn', invoke, type, done, error);
  }

  poll(process: string, records: Record<Key, [number, string][]>): this {
    return this.op(process, 'poll', [['poll']], 'ok', [['poll', records]]);
  }

  commit(process: string, group: string, offsets: Record<Key, number>, type: Outcome = 'ok'): this {
    const mop: CommitMop = ['commit', group, offsets];
    return this.op(process, 'commit', [mop], type, [mop]);
  }

  apply(process: string, sink: string, value: string, type: Outcome = 'ok'): this {
    return this.op(process, 'apply', [['apply', sink, value]], type, [['apply', sink, value]]);
  }

  assign(process: string, keys: Key[]): this {
    return this.op(process, 'assign', keys, 'ok', keys);
  }

  subscribe(process: string, topics: string[]): this {
    return this.op(process, 'subscribe', topics, 'ok', topics);
  }

  /** A fault the nemesis injected, as eos-sim records it. */
  fault(description: string): this {
    return this.op('nemesis', 'fault', [description], 'ok', [description]);
  }

  crash(process: string): this {
    return this.line(process, 'info', 'crash', null, this.nextId++);
  }

  /** A final log; hw defaults to one past the last offset and lso to hw. */
  log(key: Key, records: RecordSpec[], bounds: { hw?: number; lso?: number } = {}): this {
    const hw = bounds.hw ?? (records.length === 0 ? 0 : records[records.length - 1][0] + 1);
    this.finals.push({
      final: 'log', key, hw, lso: bounds.lso ?? hw,
      records: records.map(([offset, value, meta]) => [offset, value, { pid: null, epoch: null, seq: null, txn: null, ...meta }]),
    });
    return this;
  }

  offsets(group: string, offsets: Record<Key, number>): this {
    this.finals.push({ final: 'offsets', group, offsets });
    return this;
  }

  sink(name: string, applied: [string, string, number][]): this {
    this.finals.push({ final: 'sink', name, applied });
    return this;
  }

  build(): History {
    return { header: this.header, ops: [...this.ops], finals: [...this.finals] };
  }
}

/** The kinds a result found, in report order. */
export function foundKinds(result: CheckResult): AnomalyKind[] {
  return (Object.keys(result.counts) as AnomalyKind[]).filter((k) => result.counts[k] > 0);
}

/**
 * `count` lines made from `lines` by one random edit each (a character of `chars` replacing, inserted
 * before or deleted at a random place), for testing a fast lane against its full parser. Deterministic:
 * the same seed gives the same lines on every run.
 */
export function* mutatedLines(lines: readonly string[], chars: string, count: number, seed = 20261201): Generator<string> {
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  for (let i = 0; i < count; i++) {
    const line = lines[next(lines.length)];
    const at = next(line.length);
    const c = chars[next(chars.length)];
    const how = next(3);
    yield how === 0 ? line.slice(0, at) + c + line.slice(at + 1)
      : how === 1 ? line.slice(0, at) + line.slice(at + 1) : line.slice(0, at) + c + line.slice(at);
  }
}
