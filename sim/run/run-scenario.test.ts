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

  it('takes --bug random-txn-id in a mode without transactions as changing nothing (a restarted processor once broke the model)', () => {
    // client-bounce restarts processor-1; in idempotent mode its producer has no transactional.id.
    const scenario = loadScenario(resolveScenarioPath('client-bounce'));
    const run = runScenario(scenario, { mode: 'idempotent', seed: 1, bugs: ['random-txn-id'] });
    expect(run.outcome).toEqual({ kind: 'completed' });
    expect(run.traceHash).toBe(runScenario(scenario, { mode: 'idempotent', seed: 1, bugs: [] }).traceHash);
  });

  // Every bug in every mode, where processors crash, restart and are replaced: a bug that does not apply to
  // a mode changes nothing, and none may break the model.
  it.each(BUGS.flatMap((bug) => MODES.map((mode) => [bug, mode] as const)))('runs client-bounce with --bug %s in %s to the end', (bug, mode) => {
    const run = runScenario(loadScenario(resolveScenarioPath('client-bounce')), { mode, seed: 1, bugs: [bug] });
    expect(run.outcome).toEqual({ kind: 'completed' });
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
