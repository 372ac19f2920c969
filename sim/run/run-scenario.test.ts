// A run is data: its outcome says whether the simulator held up, apart from what the checker finds.
import { describe, expect, it } from 'vitest';
import { loadScenario, resolveScenarioPath } from '../scenario/load.ts';
import { BUGS, MODES } from '../scenario/types.ts';
import { runScenario } from './run-scenario.ts';

describe('runScenario outcome', () => {
  it('finishes random-faults in idempotent mode at seed 8 (a partition without a leader once grew the metadata waiters without bound)', () => {
    const run = runScenario(loadScenario(resolveScenarioPath('random-faults')), { mode: 'idempotent', seed: 8, bugs: [] });
    expect(run.outcome).toEqual({ kind: 'completed' });
    expect(run.quiesced).toBe(true);
    expect(run.events).toBeLessThan(100_000);
  });

  it('with broker fencing switched off, a follower whose log diverged inside an epoch marks the partition failed, as Kafka\'s fetcher does, instead of breaking the model', () => {
    // broker-bounce seed 1: a broker that restarted unfenced keeps leading; a follower is later sent a
    // batch that starts below its log end (Kafka: UnexpectedAppendOffsetException, markPartitionFailed).
    const run = runScenario(loadScenario(resolveScenarioPath('broker-bounce')), { mode: 'exactly-once', seed: 1, bugs: [], checksOff: ['broker-fencing'] });
    expect(run.outcome).toEqual({ kind: 'completed' });
    expect(run.coverage['Follower marked a partition failed (unexpected append offset)']).toBeGreaterThan(0);
  });

  // Every bug in every mode, where processors crash and restart (client-bounce) and one is replaced by a new
  // instance (zombie-processor): none may break the model, and a bug that switches off a transactional
  // protection changes nothing in a mode without transactions (random-txn-id once broke the model there).
  const WITHOUT_TRANSACTIONS = new Set(['at-most-once', 'at-least-once', 'idempotent']);
  const TRANSACTIONAL_BUGS = new Set(['random-txn-id', 'offsets-outside-txn']);
  const cases = ['client-bounce', 'zombie-processor'].flatMap((name) => BUGS.flatMap((bug) => MODES.map((mode) => [name, bug, mode] as const)));
  const withoutBugs = new Map<string, string>();
  it.each(cases)('runs %s with --bug %s in %s to the end', (name, bug, mode) => {
    const scenario = loadScenario(resolveScenarioPath(name));
    const run = runScenario(scenario, { mode, seed: 1, bugs: [bug] });
    expect(run.outcome).toEqual({ kind: 'completed' });
    if (WITHOUT_TRANSACTIONS.has(mode) && TRANSACTIONAL_BUGS.has(bug)) {
      const key = `${name} ${mode}`;
      if (!withoutBugs.has(key)) withoutBugs.set(key, runScenario(scenario, { mode, seed: 1, bugs: [] }).traceHash);
      expect(run.traceHash).toBe(withoutBugs.get(key));
    }
  });

  it('stops a run at its event budget and says so, with no final lines to judge', () => {
    const run = runScenario(loadScenario(resolveScenarioPath('lost-ack')), {
      mode: 'at-least-once', seed: 1, bugs: [], budget: { maxEvents: 500, maxQueuedEvents: 1_000_000 },
    });
    expect(run.outcome).toMatchObject({ kind: 'budget-exceeded', what: 'events', limit: 500 });
    expect(run.events).toBe(500);
    expect(run.history.finals).toEqual([]);
  });

  it('names the modelled Kafka release, from the options, else the scenario, else the newest', () => {
    const s = loadScenario(resolveScenarioPath('lost-ack'));
    expect(runScenario(s, { mode: 'idempotent', seed: 1, bugs: [] }).release).toBe('4.2');
    const old = runScenario(s, { mode: 'idempotent', seed: 1, bugs: [], kafka: '2.8.1' });
    expect(old.release).toBe('2.8');
    expect(old.config.release.line.name).toBe('2.5-3.4');
    expect(old.history.header.kafka).toBe('2.8');
    expect(runScenario({ ...s, kafka: '3.6' }, { mode: 'idempotent', seed: 1, bugs: [] }).release).toBe('3.6');
    expect(() => runScenario(s, { mode: 'idempotent', seed: 1, bugs: [], kafka: '1.0' })).toThrow(/unknown Kafka release "1.0".*2.5-3.4, 3.5, 3.6/);
  });
});
