// The metadata a client caches (Kafka's Metadata / MetadataCache on the client side): who leads each
// partition, refreshed from any live broker after an error that says the view is stale. Shared by the
// producer and the consumer.
import type { Simulation } from '../core/simulation.ts';
import type { RandomStream } from '../core/random.ts';
import type { RpcClient } from '../net/rpc.ts';
import { brokerNodeId } from './broker.ts';
import { registrationIn, type MetadataImage, type MetadataResponse } from './protocol.ts';

export class ClientMetadata {
  image: MetadataImage | null = null;
  private refreshing = false;
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly sim: Simulation,
    private readonly rpc: RpcClient,
    private readonly rng: RandomStream,
    private readonly brokerIds: number[],
    private readonly requestTimeoutMs: number,
    private readonly retryBackoffMs: number,
    private readonly alive: () => boolean,
  ) {}

  /** Node id of the partition's leader, or null when unknown or offline. */
  leaderFor(key: string): string | null {
    const p = registrationIn(this.image, key);
    return p !== undefined && p.leader >= 0 ? brokerNodeId(p.leader) : null;
  }

  /** The partition's leader epoch in this view, or -1 when unknown. */
  leaderEpochFor(key: string): number {
    return registrationIn(this.image, key)?.leaderEpoch ?? -1;
  }

  /**
   * Asks a broker for fresh metadata; `then` runs once a newer image (or any answer) arrived. A waiter
   * already registered is not added again: callers pass one stable function per wish.
   */
  refresh(then?: () => void): void {
    if (then && !this.waiters.includes(then)) this.waiters.push(then);
    if (this.refreshing) return;
    this.refreshing = true;
    // Any broker will do; prefer ones the last image called live, as Kafka's leastLoadedNode would.
    const live = this.image && this.image.liveBrokers.length > 0 ? this.image.liveBrokers : this.brokerIds;
    const target = brokerNodeId(this.rng.pick(live));
    this.rpc.request<object, MetadataResponse>(target, 'Metadata', {}, this.requestTimeoutMs, (err, resp) => {
      if (!this.alive()) return;
      if (err || !resp || resp.image.version === 0) {
        this.sim.afterMs(this.retryBackoffMs, () => {
          this.refreshing = false;
          if (this.alive()) this.refresh();
        });
        return;
      }
      this.refreshing = false;
      if (!this.image || resp.image.version > this.image.version) this.image = resp.image;
      const waiters = this.waiters.splice(0);
      for (const w of waiters) w();
    });
  }

  reset(): void {
    this.image = null;
    this.refreshing = false;
    this.waiters.length = 0;
  }
}
