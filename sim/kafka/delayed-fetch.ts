// A fetch the leader parks until data arrives or its wait runs out (Kafka's DelayedFetch): a consumer's or
// a follower's long poll. One object per parked fetch, woken by its partition (Partition.wakeFetches) and
// expired by a typed event of its broker, rather than a closure for each of those.
import type { Envelope } from '../net/network.ts';
import type { Broker } from './broker.ts';
import type { Partition } from './partition.ts';
import type { FetchRequest } from './protocol.ts';

export class DelayedFetch {
  /**
   * The request; null once it is done with (answered, or moot). The expiry event keeps this object until
   * the fetch's wait is over, and most fetches are answered long before: letting go of the request then
   * keeps it from outliving its answer in the heap.
   */
  private env: Envelope<FetchRequest> | null;
  /** The leader epoch it was parked in: a fetch outlives no leadership. */
  private readonly epoch: number;

  constructor(
    private readonly broker: Broker,
    env: Envelope<FetchRequest>,
    private readonly partition: Partition,
    /** The broker incarnation it was parked in: a fetch outlives no crash. */
    private readonly incarnation: number,
  ) {
    this.env = env;
    this.epoch = partition.leaderEpoch;
  }

  /** Answers now if there is data, or whatever there is when `force`; returns whether the fetch is done with. */
  tryComplete(force: boolean): boolean {
    if (this.env === null) return true;
    const done = this.broker.answerFetch(this.env, this.partition, this.epoch, this.incarnation, force);
    if (done) this.env = null;
    return done;
  }

  /** New data or a new high watermark on its partition; returns whether it is done with (and can be dropped). */
  wake(): boolean {
    return this.tryComplete(false);
  }

  /** Its wait is over: answers with what there is. */
  expire(): void {
    this.tryComplete(true);
  }
}
