// A failure's space-time diagram as data: one lane per node (controller, brokers, clients), messages as
// arrows between lanes, lost messages marked, faults as bands, and the witness's operations highlighted.
// It is read from a kept trace (the `deliver`, `lose` and `delay` records the network writes, see
// docs/architecture.md) and the run's fault schedule, over a window of virtual time around the witness.
// html.ts draws it; this module decides what is in it.
import type { Op } from '../check/history.ts';
import { describeFault, healAllAtMs } from '../faults/nemesis.ts';
import type { FaultEvent, FaultSchedule } from '../faults/schedule.ts';

export type LaneKind = 'controller' | 'broker' | 'client';

export interface Lane {
  id: string;
  kind: LaneKind;
  /** Roles seen in the trace, e.g. `txn coordinator __transaction_state/0`. */
  roles: string[];
}

export interface Message {
  from: string;
  to: string;
  api: string;
  kind: 'request' | 'response';
  correlationId: number;
  /** When it left (estimated, see SpaceTime.sendTimeNote) and when it arrived or was lost. */
  sentUs: number;
  atUs: number;
  /** Why it was lost ('dropped'); null when it was delivered. */
  lost: string | null;
  /** Held back by a delay fault. */
  delayed: boolean;
}

export interface FaultBand {
  fromUs: number;
  toUs: number;
  /** The lanes it strikes; empty when it strikes the network as a whole (a split, a drop rule, a heal). */
  lanes: string[];
  label: string;
}

export interface Highlight {
  lane: string;
  atUs: number;
  /** The history line, e.g. `#345 ok apply ["apply","ledger","p2-e0-s37"]`. */
  label: string;
  /** Which anomaly (index into the failure's anomaly list) it witnesses. */
  anomaly: number;
}

export interface SpaceTime {
  fromUs: number;
  toUs: number;
  lanes: Lane[];
  messages: Message[];
  faults: FaultBand[];
  highlights: Highlight[];
  /** Messages of the witness's time span after `toUs`, left out to keep the diagram readable. */
  omitted: number;
  /** The network's mean one-way latency, the time unit the diagram's axis is spaced by. */
  latencyUsMean: number;
  sendTimeNote: string;
}

export interface SpaceTimeOptions {
  /** The network's mean one-way latency: the trace records arrivals, so a send is drawn this long before. */
  latencyUsMean: number;
  maxMessages?: number;
  /** Virtual time shown either side of the witness. */
  marginUs?: number;
}

const DEFAULT_MAX_MESSAGES = 400;
const DEFAULT_MARGIN_US = 5_000;
/** A witness without operations (liveness) is shown from the first fault on, this long. */
const NO_WITNESS_SPAN_US = 50_000;

const MESSAGE = /^(\d+) (deliver|lose|delay) (\S+)>(\S+) (\S+) (request|response) #(\d+)(?: (.*))?$/;
const COORDINATOR_LOAD = /^\d+ (broker-\d+) (txn|group)-coordinator load (\S+)/;

/**
 * Anomalies' witness operations: one list per anomaly, in its order. The window opens a margin before the
 * first anomaly's first operation and closes a margin after its last, or earlier once `maxMessages`
 * messages are in: the start of a story (the lost ack, the crash) is where it is decided.
 */
export function spaceTime(trace: readonly string[], schedule: FaultSchedule, witnesses: readonly (readonly Op[])[], options: SpaceTimeOptions): SpaceTime {
  const margin = options.marginUs ?? DEFAULT_MARGIN_US;
  const max = options.maxMessages ?? DEFAULT_MAX_MESSAGES;
  const [fromUs, witnessEndUs] = window(schedule, witnesses[0] ?? [], margin);
  const roles = new Map<string, string[]>();
  const delayedAt = new Map<string, number>();
  const requestDelivered = new Map<string, number>();
  const messages: Message[] = [];
  let toUs = witnessEndUs;
  let omitted = 0;
  for (const record of trace) {
    const coordinator = COORDINATOR_LOAD.exec(record);
    if (coordinator) {
      const [, broker, what, key] = coordinator;
      const list = roles.get(broker) ?? [];
      const role = `${what} coordinator ${key}`;
      if (!list.includes(role)) list.push(role);
      roles.set(broker, list);
      continue;
    }
    const m = MESSAGE.exec(record);
    if (!m) continue;
    const [, time, what, from, to, api, kind, id, rest] = m;
    const atUs = Number(time);
    const name = `${from}>${to} ${api} ${kind} #${id}`;
    if (what === 'delay') {
      delayedAt.set(name, atUs);
      continue;
    }
    if (what === 'deliver' && kind === 'request') requestDelivered.set(`${from}>${to} ${api} #${id}`, atUs);
    if (atUs < fromUs || atUs > witnessEndUs) continue;
    if (atUs > toUs || messages.length === max) {
      // Trace records come in time order: the window closes at the last message that fits.
      if (messages.length === max && toUs === witnessEndUs) toUs = messages[max - 1].atUs;
      omitted++;
      continue;
    }
    const delayedSince = delayedAt.get(name);
    let sentUs = delayedSince ?? Math.max(0, atUs - options.latencyUsMean);
    if (kind === 'response' && delayedSince === undefined) {
      // A response left after its request arrived.
      const request = requestDelivered.get(`${to}>${from} ${api} #${id}`);
      if (request !== undefined) sentUs = Math.max(sentUs, Math.min(request, atUs));
    }
    if (what === 'lose') sentUs = atUs;
    messages.push({
      from, to, api, kind: kind as Message['kind'], correlationId: Number(id), sentUs, atUs,
      lost: what === 'lose' ? (rest ?? 'lost') : null, delayed: delayedSince !== undefined,
    });
  }

  const highlights: Highlight[] = [];
  witnesses.forEach((ops, anomaly) => {
    for (const op of ops) {
      if (op.time < fromUs || op.time > toUs) continue;
      highlights.push({ lane: op.process, atUs: op.time, label: opLabel(op), anomaly });
    }
  });
  const faults = faultBands(schedule).filter((f) => f.toUs >= fromUs && f.fromUs <= toUs);

  const ids = new Set<string>();
  for (const msg of messages) ids.add(msg.from).add(msg.to);
  for (const h of highlights) ids.add(h.lane);
  for (const f of faults) for (const l of f.lanes) ids.add(l);
  const lanes = [...ids].sort(compareLanes).map((id) => ({ id, kind: laneKind(id), roles: roles.get(id) ?? [] }));
  return {
    fromUs, toUs, lanes, messages, faults, highlights, omitted, latencyUsMean: options.latencyUsMean,
    sendTimeNote: `the trace records when a message arrived or was lost; a delivered message is drawn as sent one mean latency (${options.latencyUsMean} µs) earlier, a response no earlier than its request arrived, a delayed one when the delay struck, a lost one where it was lost`,
  };
}

/** The witness's operations with a margin; without any, a stretch from the first fault. */
function window(schedule: FaultSchedule, ops: readonly Op[], marginUs: number): [number, number] {
  if (ops.length > 0) {
    const times = ops.map((o) => o.time);
    return [Math.max(0, Math.min(...times) - marginUs), Math.max(...times) + marginUs];
  }
  const start = schedule.length > 0 ? Math.min(...schedule.map((e) => e.atMs * 1000)) : 0;
  return [Math.max(0, start - marginUs), start + NO_WITNESS_SPAN_US];
}

function opLabel(op: Op): string {
  return `#${op.index} ${op.type} ${op.f} ${JSON.stringify(op.value)}${op.error ? ` error=${op.error}` : ''}`;
}

/** What a fault event strikes and for how long, from the schedule (a partition lasts until healed). */
export function faultBands(schedule: FaultSchedule): FaultBand[] {
  const healAll = healAllAtMs(schedule) * 1000;
  const heals = schedule.filter((e) => e.fault === 'heal').map((e) => e.atMs * 1000);
  const healedAfter = (us: number) => Math.min(healAll, ...heals.filter((h) => h > us));
  return schedule.map((e) => {
    const fromUs = e.atMs * 1000;
    const label = `${(e.atMs / 1000).toFixed(3)} s ${describeFault(e)}`;
    return { fromUs, toUs: fromUs + durationUs(e, healedAfter), lanes: lanesOf(e), label };
  });
}

function durationUs(e: FaultEvent, healedAfter: (us: number) => number): number {
  const at = e.atMs * 1000;
  switch (e.fault) {
    case 'crash-broker':
    case 'crash-client':
    case 'failpoint':
      return e.restartAfterMs === undefined ? healedAfter(at) - at : e.restartAfterMs * 1000;
    case 'pause-client':
      return e.forMs * 1000;
    case 'delay':
      return e.delayMs * 1000;
    case 'isolate':
    case 'split':
    case 'one-way':
      return healedAfter(at) - at;
    default:
      return 0;
  }
}

function lanesOf(e: FaultEvent): string[] {
  switch (e.fault) {
    case 'crash-broker':
      return typeof e.broker === 'number' ? [`broker-${e.broker}`] : [];
    case 'restart-broker':
      return [`broker-${e.broker}`];
    case 'isolate':
      return [e.node];
    case 'one-way':
      return [e.from, e.to];
    case 'crash-client':
    case 'restart-client':
    case 'pause-client':
    case 'replace-client':
      return [e.client];
    case 'drop':
    case 'delay':
      return e.node === undefined ? [] : [e.node];
    default:
      return [];
  }
}

function laneKind(id: string): LaneKind {
  if (id === 'controller') return 'controller';
  return /^broker-\d+$/.test(id) ? 'broker' : 'client';
}

/** Controller, brokers by number, then clients by name with numbers compared as numbers. */
function compareLanes(a: string, b: string): number {
  const rank = (id: string) => ['controller', 'broker', 'client'].indexOf(laneKind(id));
  return rank(a) - rank(b) || a.localeCompare(b, 'en', { numeric: true }) || (a < b ? -1 : a > b ? 1 : 0);
}
