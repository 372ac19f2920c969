// The consumer client (Kafka's KafkaConsumer + Fetcher + ConsumerCoordinator's offset calls). It owns a
// position per assigned partition, keeps one fetch in flight per partition whose buffer is empty, and
// hands buffered records to the application on poll. Committed offsets live in the cluster (the group
// coordinator); after a crash the consumer starts again from them.
import type { Simulation } from '../core/simulation.ts';
import type { Envelope, NetNode, Network } from '../net/network.ts';
import { RpcClient } from '../net/rpc.ts';
import { ClientMetadata } from './client-metadata.ts';
import type { ConsumerConfig } from './config.ts';
import { brokerNodeId } from './broker.ts';
import {
  STALE_METADATA,
  type ErrorCode, type FetchRequest, type FetchResponse, type FindCoordinatorRequest, type FindCoordinatorResponse,
  type OffsetCommitRequest, type OffsetCommitResponse, type OffsetFetchRequest, type OffsetFetchResponse,
} from './protocol.ts';

export interface ConsumedRecord {
  key: string;
  offset: number;
  value: string;
}

interface PartitionFetchState {
  key: string;
  /** Next offset to hand to the application. */
  position: number;
  buffer: ConsumedRecord[];
  fetching: boolean;
  /** Bumped on seek, so a fetch answered after a seek is discarded. */
  epoch: number;
}

export class KafkaConsumer implements NetNode {
  incarnation = 0;
  private up = true;
  private readonly rpc: RpcClient;
  private readonly metadata: ClientMetadata;
  private states = new Map<string, PartitionFetchState>();
  private coordinator: string | null = null;
  private dataWaiter: (() => void) | null = null;

  constructor(
    private readonly sim: Simulation,
    net: Network,
    readonly id: string,
    readonly group: string,
    private readonly config: ConsumerConfig,
    private readonly brokerIds: number[],
  ) {
    this.rpc = new RpcClient(sim, net, id);
    this.metadata = new ClientMetadata(sim, this.rpc, sim.stream(`client:${id}`), brokerIds, config.requestTimeoutMs, config.retryBackoffMs, () => this.up);
  }

  isUp(): boolean {
    return this.up;
  }

  crash(): void {
    if (!this.up) return;
    this.up = false;
    this.incarnation++;
    this.rpc.clear();
    this.metadata.reset();
    this.states = new Map();
    this.coordinator = null;
    this.dataWaiter = null;
    this.sim.log(`${this.id} crash`);
  }

  restart(): void {
    if (this.up) return;
    this.up = true;
    this.sim.log(`${this.id} restart`);
  }

  peerDisconnected(peer: string): void {
    this.rpc.failAll(peer);
  }

  deliver(env: Envelope): void {
    if (env.kind === 'response') this.rpc.onResponse(env);
  }

  assignment(): string[] {
    return [...this.states.keys()];
  }

  positions(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.states.values()) out[s.key] = s.position;
    return out;
  }

  /** Runs `fn` after a backoff if this incarnation still lives. */
  private later(fn: () => void, delayMs = this.config.retryBackoffMs): void {
    const inc = this.incarnation;
    this.sim.afterMs(delayMs, () => {
      if (this.up && inc === this.incarnation) fn();
    });
  }

  /** Takes `keys` and positions them at the committed offsets (earliest when none), then calls `ready`. */
  assign(keys: string[], ready: () => void): void {
    this.states = new Map();
    this.fetchCommitted(keys, (offsets) => {
      for (const key of keys) this.states.set(key, { key, position: Math.max(0, offsets[key] ?? 0), buffer: [], fetching: false, epoch: 0 });
      this.metadata.refresh(() => {
        for (const s of this.states.values()) this.fetch(s);
        ready();
      });
    });
  }

  // ---- coordinator calls -----------------------------------------------------------------------------

  private withCoordinator(then: (node: string) => void): void {
    if (this.coordinator) return then(this.coordinator);
    const target = brokerNodeId(this.brokerIds[this.sim.stream(`client:${this.id}`).int(this.brokerIds.length)]);
    const inc = this.incarnation;
    this.rpc.request<FindCoordinatorRequest, FindCoordinatorResponse>(target, 'FindCoordinator', { keyType: 'group', key: this.group }, this.config.requestTimeoutMs, (err, resp) => {
      if (inc !== this.incarnation) return;
      if (err || !resp || resp.error !== 'NONE') return this.later(() => this.withCoordinator(then));
      this.coordinator = brokerNodeId(resp.nodeId);
      then(this.coordinator);
    });
  }

  /** Coordinator errors that mean "look it up again and retry". */
  private coordinatorMoved(error: ErrorCode | string): boolean {
    return error === 'NOT_COORDINATOR' || error === 'COORDINATOR_NOT_AVAILABLE' || error === 'COORDINATOR_LOAD_IN_PROGRESS' ||
      error === 'REQUEST_TIMED_OUT' || error === 'NETWORK_EXCEPTION';
  }

  private fetchCommitted(keys: string[], then: (offsets: Record<string, number>) => void): void {
    this.withCoordinator((node) => {
      const inc = this.incarnation;
      this.rpc.request<OffsetFetchRequest, OffsetFetchResponse>(node, 'OffsetFetch', { group: this.group, keys }, this.config.requestTimeoutMs, (err, resp) => {
        if (inc !== this.incarnation) return;
        const error = err ?? resp!.error;
        if (error !== 'NONE') {
          if (this.coordinatorMoved(error)) this.coordinator = null;
          return this.later(() => this.fetchCommitted(keys, then));
        }
        then(resp!.offsets);
      });
    });
  }

  /**
   * Commits offsets (commitSync): retries retriable errors until `deadlineMs` passes, then reports the
   * last error. A commit that timed out may still have taken effect.
   */
  commit(offsets: Record<string, number>, done: (error: string | null) => void, deadlineMs = 5000): void {
    const deadlineUs = this.sim.nowUs + deadlineMs * 1000;
    const attempt = () => this.withCoordinator((node) => {
      const inc = this.incarnation;
      this.rpc.request<OffsetCommitRequest, OffsetCommitResponse>(node, 'OffsetCommit', { group: this.group, offsets }, this.config.requestTimeoutMs, (err, resp) => {
        if (inc !== this.incarnation) return;
        const error = err ?? resp!.error;
        if (error === 'NONE') return done(null);
        if (this.coordinatorMoved(error)) this.coordinator = null;
        if (this.sim.nowUs >= deadlineUs) return done(error);
        this.later(attempt);
      });
    });
    attempt();
  }

  // ---- fetching --------------------------------------------------------------------------------------

  private fetch(s: PartitionFetchState): void {
    if (!this.up || s.fetching || s.buffer.length > 0 || this.states.get(s.key) !== s) return;
    const leader = this.metadata.leaderFor(s.key);
    if (!leader) {
      this.metadata.refresh(() => this.fetch(s));
      return;
    }
    s.fetching = true;
    const epoch = s.epoch;
    const inc = this.incarnation;
    const req: FetchRequest = {
      key: s.key, fetchOffset: s.position, replicaId: -1, currentLeaderEpoch: -1, lastFetchedEpoch: -1,
      isolationLevel: this.config.isolationLevel, maxWaitMs: this.config.fetchMaxWaitMs, maxRecords: this.config.maxPollRecords,
    };
    this.rpc.request<FetchRequest, FetchResponse>(leader, 'Fetch', req, this.config.requestTimeoutMs + this.config.fetchMaxWaitMs, (err, resp) => {
      if (inc !== this.incarnation) return;
      s.fetching = false;
      if (s.epoch !== epoch || this.states.get(s.key) !== s) return this.fetch(s);
      const error = err ?? resp!.error;
      if (error === 'OFFSET_OUT_OF_RANGE') {
        // auto.offset.reset=earliest
        this.sim.log(`${this.id} ${s.key} offset ${s.position} out of range: reset to 0`);
        s.position = 0;
        s.epoch++;
        return this.fetch(s);
      }
      if (error !== 'NONE') {
        if (STALE_METADATA.has(error)) this.metadata.refresh();
        return this.later(() => this.fetch(s));
      }
      for (const b of resp!.batches) {
        if (b.control) continue;
        b.records.forEach((r, i) => {
          const offset = b.baseOffset + i;
          if (offset >= s.position && typeof r === 'string') s.buffer.push({ key: s.key, offset, value: r });
        });
      }
      if (s.buffer.length > 0) this.notifyData();
      else this.fetch(s);
    });
  }

  private notifyData(): void {
    const w = this.dataWaiter;
    this.dataWaiter = null;
    if (w) w();
  }

  /** Calls `then` once some record is buffered, or after `timeoutMs` (then with nothing to return). */
  waitForData(timeoutMs: number, then: () => void): void {
    if (this.hasData()) return then();
    let fired = false;
    const once = () => {
      if (fired) return;
      fired = true;
      this.dataWaiter = null;
      then();
    };
    this.dataWaiter = once;
    this.later(once, timeoutMs);
  }

  private hasData(): boolean {
    for (const s of this.states.values()) if (s.buffer.length > 0) return true;
    return false;
  }

  /** Returns up to max.poll.records buffered records and advances positions past them. */
  poll(): ConsumedRecord[] {
    const out: ConsumedRecord[] = [];
    for (const s of this.states.values()) {
      while (s.buffer.length > 0 && out.length < this.config.maxPollRecords) {
        const r = s.buffer.shift()!;
        out.push(r);
        s.position = r.offset + 1;
      }
      this.fetch(s);
    }
    return out;
  }

  /** High watermark as last seen is not tracked; the run asks the cluster whether the consumer caught up. */
  position(key: string): number | null {
    return this.states.get(key)?.position ?? null;
  }
}
