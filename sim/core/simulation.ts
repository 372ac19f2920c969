// The run loop and the virtual clock. Time is an integer number of microseconds; nothing inside the
// simulation reads the wall clock or an unseeded random source, so a run is a pure function of its
// inputs and seed.
import { EventQueue, type Action, type Handler } from './event-queue.ts';
import { BudgetExceededError, DEFAULT_BUDGET, type RunBudget } from './invariant.ts';
import { RandomStreams, type RandomStream } from './random.ts';
import { Trace, type RecordKind } from './trace.ts';

export const US_PER_MS = 1000;

export interface SimulationOptions {
  seed: number;
  /** Keep the trace records in memory (for --trace); the hash is computed either way. */
  keepTrace: boolean;
  /** Limits of the run (default DEFAULT_BUDGET); exceeding one throws BudgetExceededError. */
  budget?: RunBudget;
}

export class Simulation {
  nowUs = 0;
  /** Events executed so far. */
  events = 0;
  readonly queue = new EventQueue();
  readonly random: RandomStreams;
  readonly trace: Trace;
  private stopped = false;
  /** Armed failpoints: name -> handler, called once when the model reaches that step. */
  private readonly failpoints = new Map<string, (node: string) => void>();

  constructor(readonly options: SimulationOptions) {
    this.random = new RandomStreams(options.seed);
    this.trace = new Trace(options.keepTrace);
  }

  stream(name: string): RandomStream {
    return this.random.stream(name);
  }

  /** Schedules an action delayUs from now (delayUs >= 0; fractional delays are rounded up). */
  after(delayUs: number, action: Action): void {
    if (!(delayUs >= 0)) throw new Error(`Simulation.after: negative or NaN delay ${delayUs}`);
    this.queue.push(this.nowUs + Math.ceil(delayUs), action);
  }

  afterMs(delayMs: number, action: Action): void {
    this.after(delayMs * US_PER_MS, action);
  }

  at(timeUs: number, action: Action): void {
    if (timeUs < this.nowUs) throw new Error(`Simulation.at: ${timeUs} is in the past (now ${this.nowUs})`);
    this.queue.push(timeUs, action);
  }

  /**
   * Registers the handler of a kind of typed event and returns the kind. Register once, when the model is
   * built (e.g. `this.arriveKind = sim.register((msg, path) => this.arrive(msg, path))`), then schedule with
   * afterEvent/atEvent: a typed event allocates nothing, where a closure per event does (event-queue.ts).
   */
  register(handler: Handler): number {
    return this.queue.register(handler);
  }

  /** Schedules a typed event delayUs from now (as after()): its kind's handler runs with (a, b), integers. */
  afterEvent(delayUs: number, kind: number, a: number, b: number): void {
    if (!(delayUs >= 0)) throw new Error(`Simulation.afterEvent: negative or NaN delay ${delayUs}`);
    this.queue.pushEvent(this.nowUs + Math.ceil(delayUs), kind, a, b);
  }

  /** Schedules a typed event at timeUs (as at()). */
  atEvent(timeUs: number, kind: number, a: number, b: number): void {
    if (timeUs < this.nowUs) throw new Error(`Simulation.atEvent: ${timeUs} is in the past (now ${this.nowUs})`);
    this.queue.pushEvent(timeUs, kind, a, b);
  }

  /** Writes a canonical trace record stamped with the current virtual time. */
  log(text: string): void {
    // The time goes in as a number: no "<time> <text>" string is built unless records are kept.
    const trace = this.trace;
    trace.int(this.nowUs);
    trace.text(text);
    trace.end(trace.records === null ? null : `${this.nowUs} ${text}`);
  }

  /**
   * Writes a record as log() does, from a tagged template: sim.logt`${id} ${key} append ${offset}` hashes
   * the same as sim.log(`${id} ${key} append ${offset}`), but builds the text only when records are kept
   * (Trace.textParts). For records written often whose text must hash as it always did.
   */
  logt(strings: TemplateStringsArray, ...values: (string | number)[]): void {
    const trace = this.trace;
    trace.int(this.nowUs);
    trace.textParts(strings, values);
    if (trace.records === null) {
      trace.end(null);
      return;
    }
    let text = strings[0];
    for (let i = 0; i < values.length; i++) text += String(values[i]) + strings[i + 1];
    trace.end(`${this.nowUs} ${text}`);
  }

  /**
   * Writes a hot record (trace.ts): its kind and up to six integer fields, names among them as
   * trace.intern(name). Nothing is built unless records are kept, where log() builds its text on every call.
   */
  logf(kind: RecordKind, a = 0, b = 0, c = 0, d = 0, e = 0, f = 0): void {
    const trace = this.trace;
    const n = kind.fields;
    trace.int(this.nowUs);
    trace.int(kind.token);
    if (n > 0) trace.int(a);
    if (n > 1) trace.int(b);
    if (n > 2) trace.int(c);
    if (n > 3) trace.int(d);
    if (n > 4) trace.int(e);
    if (n > 5) trace.int(f);
    trace.end(trace.records === null ? null : `${this.nowUs} ${kind.render(trace, a, b, c, d, e, f)}`);
  }

  /** Arms a failpoint: the next time the model reaches `name`, `handler` runs (once) with the node there. */
  armFailpoint(name: string, handler: (node: string) => void): void {
    this.failpoints.set(name, handler);
  }

  /** The model reached a named protocol step on `node`; an armed failpoint strikes here. */
  failpoint(name: string, node: string): void {
    const handler = this.failpoints.get(name);
    if (!handler) return;
    this.failpoints.delete(name);
    this.log(`failpoint ${name} at ${node}`);
    handler(node);
  }

  /**
   * Protocol coverage: how often the model reached each named protection or decision point (an error a
   * broker answers, a state transition, a duplicate hit by its place in the window, a truncation, …).
   * Counted, never hashed: coverage describes a run, it does not change it.
   */
  readonly coverage = new Map<string, number>();

  cover(point: string): void {
    this.coverage.set(point, (this.coverage.get(point) ?? 0) + 1);
  }

  stop(): void {
    this.stopped = true;
  }

  /**
   * Runs events in (time, seq) order until the queue empties, stop() is called or time passes limitUs.
   * Throws BudgetExceededError when the run outgrows its budget.
   */
  run(limitUs: number): void {
    const queue = this.queue;
    const { maxEvents, maxQueuedEvents } = this.options.budget ?? DEFAULT_BUDGET;
    while (!this.stopped && queue.size > 0) {
      if (this.events >= maxEvents) throw new BudgetExceededError('events', maxEvents, this.nowUs);
      if (queue.size > maxQueuedEvents) throw new BudgetExceededError('queued-events', maxQueuedEvents, this.nowUs);
      const t = queue.peekTime();
      if (t > limitUs) {
        this.nowUs = limitUs;
        return;
      }
      this.nowUs = t;
      this.events++;
      queue.runNext();
    }
  }
}
