// Writes operations to the history (format v1, sim/check/history.ts) as the workload performs them. Each
// invoke gets an id; its completion reuses it. When a process crashes, its open operations are completed
// as info: nobody will ever learn their outcome from that process.
import type { Simulation } from '../core/simulation.ts';
import type { Op, OpF, OpType } from '../check/history.ts';

export class Recorder {
  readonly ops: Op[] = [];
  private nextId = 1;
  /** Open operation ids per process, in invoke order. */
  private readonly open = new Map<string, Map<number, OpF>>();
  /** When each open transaction's commit was requested (µs), by operation id: written on its completion. */
  private readonly commitAt = new Map<number, number>();

  constructor(private readonly sim: Simulation) {}

  private push(process: string, type: OpType, f: OpF, value: Op['value'], id: number, error?: string): void {
    const commit = type === 'invoke' || this.commitAt.size === 0 ? undefined : this.commitAt.get(id);
    if (commit !== undefined) this.commitAt.delete(id);
    // Every op gets every field, `commit` and `error` too (undefined when absent; JSON and the history
    // writer leave those out), in one order: one object shape for all ops, so the checker's loops over
    // them stay monomorphic instead of deoptimising on each new combination of optional fields.
    this.ops.push({ index: this.ops.length, id, time: this.sim.nowUs, process, type, f, value, commit, error });
  }

  invoke(process: string, f: OpF, value: Op['value']): number {
    const id = this.nextId++;
    this.push(process, 'invoke', f, value, id);
    let m = this.open.get(process);
    if (!m) {
      m = new Map();
      this.open.set(process, m);
    }
    m.set(id, f);
    return id;
  }

  complete(process: string, id: number, type: Exclude<OpType, 'invoke'>, value: Op['value'], error?: string): void {
    const m = this.open.get(process);
    const f = m?.get(id);
    if (f === undefined) return; // already closed by a crash
    m!.delete(id);
    this.push(process, type, f, value, id, error);
  }

  /** The application asks to commit transaction `id` now: its completion line carries this time as `commit`. */
  commitRequested(id: number): void {
    this.commitAt.set(id, this.sim.nowUs);
  }

  /** An operation that happened at once (a poll that returned buffered records, a sink write). */
  instant(process: string, f: OpF, invokeValue: Op['value'], okValue: Op['value']): void {
    // invoke() then complete() without the round trip through the open map: nothing can close it in between.
    const id = this.nextId++;
    this.push(process, 'invoke', f, invokeValue, id);
    this.push(process, 'ok', f, okValue, id);
  }

  /** The process crashed: its open operations end as info, then the crash itself is recorded. */
  crash(process: string): void {
    const m = this.open.get(process);
    if (m) {
      for (const [id, f] of [...m]) {
        m.delete(id);
        this.push(process, 'info', f, null, id, 'CRASHED');
      }
    }
    const id = this.nextId++;
    this.push(process, 'info', 'crash', null, id);
  }
}
