// When the simulator itself breaks. A model assertion that fails, or a run that outgrows its budget, is
// not a finding about Kafka: it is reported apart from the checker's anomalies (exit code 3), so a crash
// of the tool can never read as a violation found.

/**
 * A model invariant failed: the simulation reached a state its own rules forbid. Any other exception
 * thrown inside a run is reported the same way (run-scenario.ts, brokenOutcome).
 */
export class InvariantError extends Error {}

/**
 * Deterministic limits of one run. Counting events and queued events (not bytes of heap) keeps the
 * verdict a function of the inputs: the same run exceeds the same budget on every machine.
 */
export interface RunBudget {
  /** Most events one run may execute. */
  maxEvents: number;
  /** Most events waiting in the queue at once: a stand-in for memory, since every pending event holds some. */
  maxQueuedEvents: number;
}

export const DEFAULT_BUDGET: RunBudget = {
  maxEvents: 20_000_000,
  maxQueuedEvents: 1_000_000,
};

/** The run stopped because it outgrew its budget. */
export class BudgetExceededError extends Error {
  constructor(readonly what: 'events' | 'queued-events', readonly limit: number, readonly atUs: number) {
    super(`run budget exceeded: more than ${limit.toLocaleString('en-US')} ${what === 'events' ? 'events executed' : 'events queued at once'} (virtual time ${atUs / 1000} ms)`);
  }
}
