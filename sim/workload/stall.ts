// A GC- or VM-like stall of an application process (the pause-client fault): nothing the application
// would do happens before it ends; then it carries on as if no time had passed. Shared by every workload
// application, so a stall means the same thing for all of them.
import type { Simulation } from '../core/simulation.ts';

export class Stall {
  private untilUs = 0;

  constructor(private readonly sim: Simulation) {}

  pause(forMs: number): void {
    this.untilUs = Math.max(this.untilUs, this.sim.nowUs + forMs * 1000);
  }

  get active(): boolean {
    return this.sim.nowUs < this.untilUs;
  }

  /** Runs `fn` now, or once the stall is over, provided `alive()` still holds at that moment. */
  defer(alive: () => boolean, fn: () => void): void {
    if (!alive()) return;
    if (this.active) {
      this.sim.at(this.untilUs, () => this.defer(alive, fn));
      return;
    }
    fn();
  }
}
