import { describe, expect, it } from 'vitest';
import { Simulation } from '../core/simulation.ts';
import { Stall } from './stall.ts';

describe('Stall', () => {
  it('runs at once when not stalled, and at the end of the stall otherwise, if still alive then', () => {
    const sim = new Simulation({ seed: 1, keepTrace: false });
    const stall = new Stall(sim);
    const ran: [string, number][] = [];
    let crashed = false;
    sim.at(0, () => stall.defer(() => true, () => ran.push(['now', sim.nowUs])));
    sim.at(10, () => stall.pause(5)); // 5 ms: until 5010 µs
    sim.at(20, () => stall.defer(() => true, () => ran.push(['after', sim.nowUs])));
    sim.at(30, () => stall.pause(2)); // a shorter pause does not shorten the stall
    sim.at(40, () => stall.defer(() => !crashed, () => ran.push(['crashed meanwhile', sim.nowUs])));
    sim.at(5000, () => { crashed = true; });
    sim.run(1e9);
    expect(ran).toEqual([['now', 0], ['after', 5010]]);
    expect(stall.active).toBe(false);
  });
});
