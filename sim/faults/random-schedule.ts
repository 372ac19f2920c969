// Random fault schedules: drawn once, before the run, from the `faults` stream, into an explicit
// FaultSchedule value. The run then executes that value like a scripted one, so a random failure can be
// printed, replayed and shrunk like any other.
import type { RandomStream } from '../core/random.ts';
import { FAILPOINTS, type ApiName, type FaultEvent, type FaultKind, type FaultSchedule, type RandomFaults } from './schedule.ts';

export interface ClusterShape {
  brokerIds: number[];
  clients: string[];
  /** Data partition keys, for "leader:<key>" targets. */
  keys: string[];
}

const MESSAGE_APIS: ApiName[] = ['Produce', 'Fetch', 'OffsetCommit'];

function round(ms: number): number {
  return Math.round(ms);
}

function drawEvent(kind: FaultKind, atMs: number, rng: RandomStream, shape: ClusterShape): FaultEvent[] {
  const broker = () => rng.pick(shape.brokerIds);
  const node = () => `broker-${broker()}`;
  const shortMs = () => round(200 + rng.float() * 1800);
  switch (kind) {
    case 'crash-broker':
      return [{
        atMs, fault: 'crash-broker', broker: rng.chance(0.5) ? `leader:${rng.pick(shape.keys)}` : broker(),
        crash: rng.chance(0.3) ? 'power-loss' : 'process', restartAfterMs: shortMs(),
      }];
    case 'restart-broker':
      return [{ atMs, fault: 'restart-broker', broker: broker() }];
    case 'drop':
      return [{ atMs, fault: 'drop', api: rng.pick(MESSAGE_APIS), message: rng.chance(0.5) ? 'request' : 'response', count: rng.between(1, 3) }];
    case 'delay':
      return [{ atMs, fault: 'delay', api: rng.pick(MESSAGE_APIS), message: 'request', count: 1, delayMs: shortMs() }];
    case 'isolate':
      return [{ atMs, fault: 'isolate', node: node() }, { atMs: atMs + shortMs(), fault: 'heal' }];
    case 'split': {
      const ids = [...shape.brokerIds];
      const cut = rng.between(1, ids.length - 1);
      return [{ atMs, fault: 'split', groups: [ids.slice(0, cut).map((i) => `broker-${i}`), ids.slice(cut).map((i) => `broker-${i}`)] },
        { atMs: atMs + shortMs(), fault: 'heal' }];
    }
    case 'one-way': {
      const from = broker();
      const others = shape.brokerIds.filter((b) => b !== from);
      if (others.length === 0) return [];
      return [{ atMs, fault: 'one-way', from: `broker-${from}`, to: `broker-${rng.pick(others)}` }, { atMs: atMs + shortMs(), fault: 'heal' }];
    }
    case 'heal':
      return [{ atMs, fault: 'heal' }];
    case 'crash-client':
      if (shape.clients.length === 0) return [];
      return [{ atMs, fault: 'crash-client', client: rng.pick(shape.clients), restartAfterMs: shortMs() }];
    case 'restart-client':
      if (shape.clients.length === 0) return [];
      return [{ atMs, fault: 'restart-client', client: rng.pick(shape.clients) }];
    case 'stall-broker':
      return [{ atMs, fault: 'stall-broker', broker: broker(), forMs: shortMs() }];
    case 'pause-client':
      if (shape.clients.length === 0) return [];
      return [{ atMs, fault: 'pause-client', client: rng.pick(shape.clients), forMs: shortMs() }];
    case 'replace-client':
      // A replacement is a deliberate story step, not noise: random schedules leave it out.
      return [];
    case 'failpoint':
      return [{ atMs, fault: 'failpoint', point: rng.pick(FAILPOINTS), crash: rng.chance(0.3) ? 'power-loss' : 'process', restartAfterMs: shortMs() }];
  }
}

export function randomSchedule(spec: RandomFaults, rng: RandomStream, shape: ClusterShape): FaultSchedule {
  const out: FaultSchedule = [];
  let t = spec.fromMs;
  for (;;) {
    t += rng.exponential(spec.meanIntervalMs);
    if (t >= spec.untilMs) break;
    out.push(...drawEvent(rng.pick(spec.kinds), round(t), rng, shape));
  }
  return out;
}

/** Scripted and drawn events in time order (stable: equal times keep their order). */
export function mergeSchedules(a: FaultSchedule, b: FaultSchedule): FaultSchedule {
  return [...a, ...b].map((e, i) => ({ e, i })).sort((x, y) => x.e.atMs - y.e.atMs || x.i - y.i).map((x) => x.e);
}

/** A swarm draw: the fault kinds switched on for one seed, and the mean time between two faults. */
export interface SwarmChoice {
  kinds: FaultKind[];
  meanIntervalMs: number;
}

/** Each kind is on with this chance; a draw with none on keeps one. */
const SWARM_KIND_CHANCE = 0.5;
/** The rate is scaled by 2^u with u uniform in [-1, 2): from twice to a quarter as many faults. */
const SWARM_RATE_EXPONENTS = [-1, 2];

/**
 * Swarm testing (Groce et al., ISSTA 2012; FoundationDB's BUGGIFY): instead of every kind at one rate on
 * every seed, each seed switches a random subset of the scenario's kinds on at its own rate. A bug that
 * one kind provokes and another masks (a crash that heals the cut a delayed message needed) shows up in
 * the seeds where only the first is on. `rng` should be the run's 'swarm' stream, so the draw shifts no
 * other stream and the schedule is still drawn from 'faults'.
 */
export function drawSwarm(spec: RandomFaults, rng: RandomStream): SwarmChoice {
  const kinds = spec.kinds.filter(() => rng.chance(SWARM_KIND_CHANCE));
  if (kinds.length === 0) kinds.push(rng.pick(spec.kinds));
  const [lo, hi] = SWARM_RATE_EXPONENTS;
  const meanIntervalMs = Math.max(1, Math.round(spec.meanIntervalMs * 2 ** (lo + rng.float() * (hi - lo))));
  return { kinds, meanIntervalMs };
}
