import { describe, expect, it } from 'vitest';
import { Simulation } from './simulation.ts';
import { RecordKind } from './trace.ts';

function sim(seed = 1, keepTrace = false): Simulation {
  return new Simulation({ seed, keepTrace });
}

describe('Simulation', () => {
  it('runs actions at their virtual times, in (time, scheduling) order', () => {
    const s = sim();
    const seen: string[] = [];
    s.after(300, () => seen.push(`c@${s.nowUs}`));
    s.after(100, () => {
      seen.push(`a@${s.nowUs}`);
      s.after(0, () => seen.push(`b@${s.nowUs}`));
    });
    s.afterMs(1, () => seen.push(`d@${s.nowUs}`));
    s.at(100, () => seen.push(`a2@${s.nowUs}`));
    s.run(1_000_000);
    expect(seen).toEqual(['a@100', 'a2@100', 'b@100', 'c@300', 'd@1000']);
    expect(s.events).toBe(5);
  });

  it('runs typed events at their virtual times, interleaved with closures, and checks their times as after/at do', () => {
    const s = sim();
    const seen: string[] = [];
    const deliver = s.register((node, message) => {
      seen.push(`deliver ${node}:${message}@${s.nowUs}`);
      if (message === 1) s.afterEvent(0, deliver, node, 2);
    });
    s.afterEvent(100, deliver, 3, 1);
    s.after(100, () => seen.push(`closure@${s.nowUs}`));
    s.atEvent(50, deliver, 4, 9);
    expect(() => s.afterEvent(-1, deliver, 0, 0)).toThrow(/negative or NaN/);
    s.after(60, () => expect(() => s.atEvent(10, deliver, 0, 0)).toThrow(/in the past/));
    s.run(1_000);
    expect(seen).toEqual(['deliver 4:9@50', 'deliver 3:1@100', 'closure@100', 'deliver 3:2@100']);
    expect(s.events).toBe(5);
  });

  it('rounds fractional delays up', () => {
    const s = sim();
    let at = -1;
    s.after(0.2, () => (at = s.nowUs));
    s.run(10);
    expect(at).toBe(1);
  });

  it('after rejects negative and NaN delays; at rejects the past', () => {
    const s = sim();
    expect(() => s.after(-1, () => {})).toThrow(/negative or NaN/);
    expect(() => s.after(Number.NaN, () => {})).toThrow(/negative or NaN/);
    expect(() => s.afterMs(-0.5, () => {})).toThrow(/negative or NaN/);
    s.after(10, () => expect(() => s.at(5, () => {})).toThrow(/in the past/));
    s.run(100);
    expect(s.events).toBe(1);
  });

  it('stops at the time limit, leaving later events queued, and can resume', () => {
    const s = sim();
    const seen: number[] = [];
    for (const t of [10, 20, 30, 40]) s.at(t, () => seen.push(t));
    s.run(25);
    expect(seen).toEqual([10, 20]);
    expect(s.nowUs).toBe(25);
    expect(s.events).toBe(2);
    expect(s.queue.size).toBe(2);
    s.run(30);
    expect(seen).toEqual([10, 20, 30]);
    expect(s.events).toBe(3);
  });

  it('an event exactly at the limit runs', () => {
    const s = sim();
    let ran = false;
    s.at(25, () => (ran = true));
    s.run(25);
    expect(ran).toBe(true);
  });

  it('stop() ends the run after the current event', () => {
    const s = sim();
    const seen: number[] = [];
    s.at(1, () => seen.push(1));
    s.at(2, () => {
      seen.push(2);
      s.stop();
    });
    s.at(2, () => seen.push(3));
    s.run(100);
    expect(seen).toEqual([1, 2]);
    expect(s.events).toBe(2);
    expect(s.nowUs).toBe(2);
  });

  it('counts every executed event, including self-rescheduling ones', () => {
    const s = sim();
    let ticks = 0;
    const tick = () => {
      ticks++;
      if (ticks < 1000) s.after(7, tick);
    };
    s.after(0, tick);
    s.run(1e12);
    expect(ticks).toBe(1000);
    expect(s.events).toBe(1000);
    expect(s.nowUs).toBe(999 * 7);
  });

  it('log stamps records with virtual time and feeds the hash', () => {
    const a = sim(1, true);
    a.after(5, () => a.log('x'));
    a.run(10);
    expect(a.trace.records).toEqual(['5 x']);
    const b = sim(1, true);
    b.after(6, () => b.log('x'));
    b.run(10);
    expect(b.trace.hash()).not.toBe(a.trace.hash());
  });

  it('log gives the same hash whether or not records are kept', () => {
    const hashOf = (keep: boolean): string => {
      const s = sim(1, keep);
      s.after(5, () => s.log('x'));
      s.after(2 ** 33, () => s.log('late'));
      s.run(1e12);
      return s.trace.hash();
    };
    expect(hashOf(true)).toBe(hashOf(false));
  });

  it('the same seeded program gives the same trace hash; another seed a different one', () => {
    const program = (seed: number): string => {
      const s = sim(seed);
      const rng = s.stream('work');
      const step = (n: number) => {
        s.log(`step ${n} ${rng.int(1000)}`);
        if (n < 200) s.after(rng.int(50), () => step(n + 1));
      };
      s.after(0, () => step(0));
      s.run(1e12);
      return s.trace.hash();
    };
    expect(program(3)).toBe(program(3));
    expect(program(3)).not.toBe(program(4));
  });

  it('an armed failpoint strikes once, at the first time the model reaches it, and is traced', () => {
    const s = sim(1, true);
    const hits: string[] = [];
    s.failpoint('after-append', 'broker-1'); // not armed yet: nothing happens
    s.armFailpoint('after-append', (node) => hits.push(`${node}@${s.nowUs}`));
    s.at(10, () => s.failpoint('before-append', 'broker-1'));
    s.at(20, () => s.failpoint('after-append', 'broker-2'));
    s.at(30, () => s.failpoint('after-append', 'broker-3'));
    s.run(100);
    expect(hits).toEqual(['broker-2@20']);
    expect(s.trace.records).toEqual(['20 failpoint after-append at broker-2']);
  });

  it('logf writes a hot record: the same hash whether or not its text is kept; every declared field counts', () => {
    const APPEND = new RecordKind('append', 3, (t, node, first, last) => `${t.name(node)} append ${first}..${last}`);
    const write = (keep: boolean, first: number, last: number) => {
      const s = sim(1, keep);
      s.after(1500, () => s.logf(APPEND, s.trace.intern('broker-1'), first, last));
      s.run(1e9);
      return s.trace;
    };
    const kept = write(true, 0, 3);
    const notKept = write(false, 0, 3);
    expect(kept.records).toEqual(['1500 broker-1 append 0..3']);
    expect(notKept.recordCount).toBe(1);
    expect(notKept.hash()).toBe(kept.hash());
    expect(write(false, 0, 4).hash()).not.toBe(kept.hash());
    expect(write(false, 1, 3).hash()).not.toBe(kept.hash());
    // Not the same record as a text record that reads alike.
    const text = sim(1, false);
    text.after(1500, () => text.log('broker-1 append 0..3'));
    text.run(1e9);
    expect(text.trace.hash()).not.toBe(kept.hash());
  });
  it('logt writes the record log would, with the same hash, whether or not records are kept', () => {
    const write = (s: Simulation, tagged: boolean) => {
      s.after(1500, () => {
        const id = 'broker-1';
        const offset = 42;
        if (tagged) s.logt`${id} payments/0 append ${offset}..${offset + 2} pid=${-1}`;
        else s.log(`${id} payments/0 append ${offset}..${offset + 2} pid=${-1}`);
      });
      s.run(10_000);
    };
    const [logKept, logtKept, logtNotKept] = [sim(1, true), sim(1, true), sim(1, false)];
    write(logKept, false);
    write(logtKept, true);
    write(logtNotKept, true);
    expect(logtKept.trace.records).toEqual(['1500 broker-1 payments/0 append 42..44 pid=-1']);
    expect(logtKept.trace.records).toEqual(logKept.trace.records);
    expect(logtKept.trace.hash()).toBe(logKept.trace.hash());
    expect(logtNotKept.trace.hash()).toBe(logKept.trace.hash());
    expect(logtNotKept.trace.records).toBeNull();
  });
});
