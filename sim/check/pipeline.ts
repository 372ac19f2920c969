// Consume-transform-produce: a processor polls input X, sends the output "X>stage" and commits its input
// offsets (inside the same transaction under exactly-once, KIP-98/KIP-447). Each consumed and committed
// input must have exactly one committed output. Outputs name their inputs, so no model is needed to pair
// them; which consumer group belongs to which stage is read off the history: a process that both commits
// a group's offsets and sends a stage's outputs runs that stage.
import { listed, makeAnomaly } from './anomaly.ts';
import type { Anomaly } from './anomaly.ts';
import type { Key } from './history.ts';
import { sendPositions } from './index.ts';
import type { HistoryIndex } from './index.ts';

/** "p1-e0-s17>ledger" → the input "p1-e0-s17" and the stage "ledger"; undefined for a value that is no output. */
export function splitOutput(value: string): { input: string; stage: string } | undefined {
  const cut = value.lastIndexOf('>');
  return cut <= 0 || cut === value.length - 1 ? undefined : { input: value.slice(0, cut), stage: value.slice(cut + 1) };
}

interface Stage {
  group: string;
  stage: string;
  processes: Set<string>;
  /** Keys the stage's outputs were sent to: without their final logs its outputs cannot be counted. */
  outputKeys: Set<Key>;
}

function findStages(ix: HistoryIndex): Stage[] {
  // A stage needs a process that commits a group's offsets: without one, no write need be looked at.
  if (ix.groupsOf.size === 0) return [];
  const outputKeysOf = new Map<string, Map<string, Set<Key>>>();
  const { writes } = ix;
  for (let i = 0; i < writes.length; i++) {
    // Only a value with a ">" can be an output: the others' strings need not be made.
    if (!ix.valueIncludes(writes.vid(i), '>')) continue;
    const out = splitOutput(ix.value(writes.vid(i)));
    if (out === undefined) continue;
    const process = ix.processes[writes.proc(i)];
    let byStage = outputKeysOf.get(process);
    if (byStage === undefined) outputKeysOf.set(process, (byStage = new Map()));
    let keys = byStage.get(out.stage);
    if (keys === undefined) byStage.set(out.stage, (keys = new Set()));
    keys.add(ix.keys[writes.kid(i)]);
  }
  const stages = new Map<string, Stage>();
  for (const [process, groups] of ix.groupsOf) {
    for (const group of groups) {
      for (const [stage, keys] of outputKeysOf.get(process) ?? []) {
        const id = `${group}\u0000${stage}`;
        let s = stages.get(id);
        if (s === undefined) stages.set(id, (s = { group, stage, processes: new Set(), outputKeys: new Set() }));
        s.processes.add(process);
        for (const k of keys) s.outputKeys.add(k);
      }
    }
  }
  return [...stages.values()];
}

export function findPipelineViolations(ix: HistoryIndex): Anomaly[] {
  const out: Anomaly[] = [];
  // Committed outputs: final-log records that name an input and are not aborted.
  const outputs = new Map<string, { key: Key; offset: number }[]>();
  for (const [key, { log }] of ix.logs) {
    for (let i = 0; i < log.length; i++) {
      // Only a value with a ">" can be an output: the others' strings need not be made.
      if (log.aborted(i) || !ix.valueIncludes(log.vid(i), '>')) continue;
      const value = log.value(i);
      const offset = log.offset(i);
      if (splitOutput(value) === undefined) continue;
      const list = outputs.get(value);
      if (list === undefined) outputs.set(value, [{ key, offset }]);
      else list.push({ key, offset });
    }
  }
  for (const [value, places] of outputs) {
    if (places.length < 2) continue;
    const { input, stage } = splitOutput(value)!;
    const message = `Input ${input} has ${places.length} committed ${stage} outputs: ${value} at ${listed(places.map((p) => `${p.key} offset ${p.offset}`))}.`;
    out.push(makeAnomaly(ix, 'pipeline-violation', message, {
      value, values: [input], key: places[0].key, offsets: places.filter((p) => p.key === places[0].key).map((p) => p.offset),
      positions: sendPositions(ix, places[0].key, value, 4),
    }));
  }
  for (const s of findStages(ix)) {
    const committedOffsets = ix.finalOffsets.get(s.group);
    if (committedOffsets === undefined || [...s.outputKeys].some((k) => !ix.logs.has(k))) continue;
    for (const [key, next] of Object.entries(committedOffsets.offsets)) {
      const view = ix.logs.get(key);
      if (view === undefined) continue;
      const { log } = view;
      for (let i = 0; i < log.length; i++) {
        const offset = log.offset(i);
        if (offset >= next) break;
        if (log.aborted(i)) continue;
        const input = log.value(i);
        if (outputs.has(`${input}>${s.stage}`)) continue;
        const readers = Array.from(ix.readsOf.of(ix.valueId(input)), (r) => ix.reads.at(r)).filter((r) => s.processes.has(r.process));
        const message = `Input ${input} at ${key} offset ${offset} has no committed ${s.stage} output, `
          + `though group ${s.group} committed offset ${next} past it.`;
        out.push(makeAnomaly(ix, 'pipeline-violation', message, {
          value: input, key, offsets: [offset], group: s.group,
          positions: [...readers.slice(0, 2).map((r) => r.pos), ...sendPositions(ix, key, input, 1)],
        }));
      }
    }
  }
  return out;
}
