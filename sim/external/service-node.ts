// A system outside Kafka on the simulated network: it answers requests after its own latency, crashes
// (its sockets close, requests it was working on are never answered) and restarts. What each service keeps
// across a crash is its own business: the gateway's charges and the database's committed transactions are
// durable, work in progress is not.
import type { Simulation } from '../core/simulation.ts';
import type { RandomStream } from '../core/random.ts';
import type { Envelope, NetNode, Network } from '../net/network.ts';
import { reply } from '../net/rpc.ts';
import type { ServiceLatency } from './config.ts';

export abstract class ServiceNode implements NetNode {
  incarnation = 0;
  private up = true;
  private readonly rng: RandomStream;

  constructor(
    protected readonly sim: Simulation,
    private readonly net: Network,
    readonly id: string,
    private readonly latency: ServiceLatency,
  ) {
    if (!(latency.latencyMsMin >= 0 && latency.latencyMsMean >= latency.latencyMsMin)) {
      throw new Error(`${id}: need 0 <= latencyMsMin <= latencyMsMean, got ${latency.latencyMsMin}, ${latency.latencyMsMean}`);
    }
    this.rng = sim.stream(`service:${id}`);
  }

  /** Handles one request; answer it with `afterLatency`. */
  protected abstract handle(request: Envelope): void;

  isUp(): boolean {
    return this.up;
  }

  deliver(env: Envelope): void {
    if (env.kind === 'request' && this.up) this.handle(env);
  }

  /** A service only answers; a reset connection costs it nothing. */
  peerDisconnected(): void {}

  /**
   * After the service's latency, runs `work` and sends back what it returns, unless the service crashed
   * meanwhile: then the work never happens and nobody is answered.
   */
  protected afterLatency<B>(request: Envelope, work: () => B): void {
    const inc = this.incarnation;
    const { latencyMsMin: min, latencyMsMean: mean } = this.latency;
    const delayUs = Math.round((min + this.rng.exponential(mean - min)) * 1000);
    this.sim.after(delayUs, () => {
      if (!this.up || inc !== this.incarnation) return;
      reply(this.net, request, work());
    });
  }

  crash(): void {
    if (!this.up) return;
    this.up = false;
    this.incarnation++;
    this.sim.log(`${this.id} crash`);
    this.net.nodeCrashed(this.id, true);
  }

  restart(): void {
    if (this.up) return;
    this.up = true;
    this.sim.log(`${this.id} restart`);
  }

  /** A stalled service: the network holds its traffic (run-scenario does that); it keeps no timers of its own. */
  pause(): void {}

  /** Network nodes a pause holds. */
  nodes(): string[] {
    return [this.id];
  }
}
