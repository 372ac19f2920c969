// Effects outside Kafka: an external sink (the ledger) must apply every committed record of its topics
// exactly once. Kafka's transactions end at the broker, so this is where an at-least-once consumer or a
// sink without idempotency keys shows its duplicates, and an at-most-once consumer its losses.
import { makeAnomaly } from './anomaly.ts';
import type { Anomaly } from './anomaly.ts';
import { topicOf } from './history.ts';
import type { Key } from './history.ts';
import { sendPositions } from './index.ts';
import type { HistoryIndex } from './index.ts';

interface SinkApplies {
  /** value → positions of apply micro-ops that completed ok. */
  ok: Map<string, number[]>;
  /** Values with an apply whose outcome is unknown. */
  unknown: Set<string>;
  /** value → times, from the final sink line; undefined when the history has none for this sink. */
  final: Map<string, number> | undefined;
}

/** Every sink the history names: the header's, then those of apply ops, then those of final lines. */
function sinkApplies(ix: HistoryIndex): Map<string, SinkApplies> {
  const sinks = new Map<string, SinkApplies>();
  const sink = (name: string) => {
    let s = sinks.get(name);
    if (s === undefined) sinks.set(name, (s = { ok: new Map(), unknown: new Set(), final: undefined }));
    return s;
  };
  for (const d of ix.header.sinks ?? []) sink(d.name);
  for (const a of ix.applies) {
    const s = sink(a.sink);
    if (a.type === 'ok') {
      const list = s.ok.get(a.value);
      if (list === undefined) s.ok.set(a.value, [a.pos]);
      else list.push(a.pos);
    } else if (a.type === 'info') {
      s.unknown.add(a.value);
    }
  }
  for (const [name, line] of ix.finalSinks) {
    const final = new Map<string, number>();
    for (const [, value, times] of line.applied) final.set(value, (final.get(value) ?? 0) + times);
    sink(name).final = final;
  }
  return sinks;
}

export function findSinkAnomalies(ix: HistoryIndex): Anomaly[] {
  const sinks = sinkApplies(ix);
  return [...findDuplicateProcessing(ix, sinks), ...findLostProcessing(ix, sinks)];
}

/** Applied more than once by either account: the apply ops the application saw succeed, or the sink's own. */
function findDuplicateProcessing(ix: HistoryIndex, sinks: Map<string, SinkApplies>): Anomaly[] {
  const out: Anomaly[] = [];
  for (const [name, s] of sinks) {
    const values = new Set([...s.ok.keys(), ...(s.final?.keys() ?? [])]);
    for (const value of values) {
      const positions = s.ok.get(value) ?? [];
      const finalTimes = s.final?.get(value);
      const times = Math.max(positions.length, finalTimes ?? 0);
      if (times < 2) continue;
      const accounts = [`${positions.length} apply op(s) succeeded`];
      if (finalTimes !== undefined) accounts.push(`the final sink line says ${finalTimes}`);
      out.push(makeAnomaly(ix, 'duplicate-processing', `${value} was applied to sink ${name} ${times} times (${accounts.join('; ')}).`, {
        value, sink: name, times, positions,
      }));
    }
  }
  return out;
}

/**
 * A committed record of a sink's topics in the final log that the sink never applied. The final sink
 * line, when present, is the sink's own account and decides; without it an ok apply proves the record
 * applied and an unknown (info) apply leaves it undecided.
 */
function findLostProcessing(ix: HistoryIndex, sinks: Map<string, SinkApplies>): Anomaly[] {
  const out: Anomaly[] = [];
  const cutOff = ix.header.quiesced === false;
  for (const d of ix.header.sinks ?? []) {
    const s = sinks.get(d.name)!;
    const checked = new Set<string>();
    const consumed = cutOff ? consumedUpTo(ix, d.name) : undefined;
    for (const [key, { log }] of ix.logs) {
      if (!d.topics.includes(topicOf(key))) continue;
      for (let i = 0; i < log.length; i++) {
        if (log.aborted(i)) continue;
        const offset = log.offset(i);
        const value = log.value(i);
        if (checked.has(value)) continue;
        // A run cut off at its time limit (a liveness failure) had records still on their way to the sink:
        // only those its consumers had committed as consumed must have been applied.
        if (consumed !== undefined && offset >= (consumed.get(key) ?? 0)) continue;
        checked.add(value);
        const applied = s.final !== undefined ? s.final.has(value) : s.ok.has(value) || s.unknown.has(value);
        if (applied) continue;
        const readers = Array.from(ix.readsOf.of(ix.valueId(value)).subarray(0, 2), (r) => ix.reads.pos(r));
        const message = `${value}, committed at ${key} offset ${offset}, was never applied to sink ${d.name}`
          + `${s.final !== undefined && s.ok.has(value) ? ' (an apply op succeeded, but the final sink line lacks it)' : ''}.`;
        out.push(makeAnomaly(ix, 'lost-processing', message, {
          value, key, offsets: [offset], sink: d.name, positions: [...readers, ...sendPositions(ix, key, value, 1)],
        }));
      }
    }
  }
  return out;
}

/**
 * Per key, the highest final committed offset of the consumer groups whose processes apply to the sink
 * (a process that commits a group's offsets and applies to the sink consumes for it).
 */
function consumedUpTo(ix: HistoryIndex, sink: string): Map<Key, number> {
  const appliers = new Set(ix.applies.filter((a) => a.sink === sink).map((a) => a.process));
  const groups = new Set<string>();
  for (const process of appliers) for (const g of ix.groupsOf.get(process) ?? []) groups.add(g);
  const upTo = new Map<Key, number>();
  for (const g of groups) {
    for (const [key, next] of Object.entries(ix.finalOffsets.get(g)?.offsets ?? {})) upTo.set(key, Math.max(upTo.get(key) ?? 0, next));
  }
  return upTo;
}
