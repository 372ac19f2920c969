// Request/response over the network with correlation ids and timeouts, as Kafka's NetworkClient does:
// a request that times out fails with REQUEST_TIMED_OUT and closes the connection, which fails every
// other request in flight on it with NETWORK_EXCEPTION; a reset from the peer does the same.
import type { Simulation } from '../core/simulation.ts';
import type { ApiName } from '../faults/schedule.ts';
import type { Envelope, Network } from './network.ts';

export type RpcError = 'REQUEST_TIMED_OUT' | 'NETWORK_EXCEPTION';
export type RpcCallback<R> = (error: RpcError | null, response: R | null) => void;

interface Pending {
  to: string;
  /** The connection the request went on: only its reset fails the request. */
  connectionId: number;
  deadlineUs: number;
  callback: RpcCallback<unknown>;
}

const NO_CALLBACK: RpcCallback<unknown> = () => {};

export class RpcClient {
  private nextCorrelationId = 1;
  private pending = new Map<number, Pending>();
  /**
   * Records of finished requests, for request() to fill again instead of allocating one per request.
   * A record is handed back (release()) before its callback runs, so every use of it reads its fields first.
   */
  private readonly spare: Pending[] = [];
  /**
   * One timer per client, armed for the earliest deadline, instead of one per request: most requests
   * are answered long before they time out, and a timer per request made a third of all events no-ops.
   */
  private timerAtUs = Infinity;
  /** The timer's typed event (its payload: the deadline it was armed for), not a closure per arming. */
  private readonly expireKind: number;

  constructor(
    private readonly sim: Simulation,
    private readonly net: Network,
    private readonly self: string,
  ) {
    this.expireKind = sim.register((armedAtUs) => this.expire(armedAtUs));
  }

  request<Req, Resp>(to: string, api: ApiName, body: Req, timeoutMs: number, callback: RpcCallback<Resp>): void {
    const correlationId = this.nextCorrelationId++;
    const deadlineUs = this.sim.nowUs + Math.ceil(timeoutMs * 1000);
    let pending = this.spare.pop();
    if (pending === undefined) {
      pending = { to, connectionId: -1, deadlineUs, callback: callback as RpcCallback<unknown> };
    } else {
      pending.to = to;
      pending.connectionId = -1;
      pending.deadlineUs = deadlineUs;
      pending.callback = callback as RpcCallback<unknown>;
    }
    this.pending.set(correlationId, pending);
    pending.connectionId = this.net.send(this.self, to, 'request', api, correlationId, body);
    this.arm(pending.deadlineUs);
  }

  private arm(deadlineUs: number): void {
    if (deadlineUs >= this.timerAtUs) return;
    this.timerAtUs = deadlineUs;
    this.sim.atEvent(deadlineUs, this.expireKind, deadlineUs, 0);
  }

  /** Times out every request past its deadline, as NetworkClient does, then re-arms for the next one. */
  private expire(armedAtUs: number): void {
    if (armedAtUs !== this.timerAtUs) return; // superseded by an earlier deadline, or cleared by a crash
    this.timerAtUs = Infinity;
    const now = this.sim.nowUs;
    for (const [id, p] of [...this.pending]) {
      if (p.deadlineUs > now || !this.pending.has(id)) continue;
      this.pending.delete(id);
      const { to, connectionId, callback } = p;
      this.release(p);
      this.net.disconnect(this.self, to, connectionId);
      callback('REQUEST_TIMED_OUT', null);
      // Closing the connection fails everything else in flight on it.
      this.failAll(to, connectionId);
    }
    let next = Infinity;
    for (const p of this.pending.values()) if (p.deadlineUs < next) next = p.deadlineUs;
    if (next < Infinity) this.arm(next);
  }

  /** Sends a request that expects no response (a produce with acks=0). */
  sendOneWay<Req>(to: string, api: ApiName, body: Req): void {
    this.net.send(this.self, to, 'request', api, this.nextCorrelationId++, body);
  }

  /** Number of requests awaiting a response from `to`. */
  inFlightTo(to: string): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.to === to) n++;
    return n;
  }

  /** A response arrived. Its envelope goes back to the network for reuse: only its body lives on. */
  onResponse(env: Envelope): void {
    const p = this.pending.get(env.correlationId);
    const body = env.body;
    const late = !p || p.to !== env.from; // a late response to a request we gave up on
    this.net.recycle(env);
    if (late) return;
    this.pending.delete(env.correlationId);
    const callback = p.callback;
    this.release(p);
    callback(null, body);
  }

  /** A finished request's record goes back for reuse; its callback is let go (it may hold a whole exchange). */
  private release(p: Pending): void {
    p.callback = NO_CALLBACK;
    this.spare.push(p);
  }

  /** A connection to `peer` is gone (-1: all of them): every request in flight on it fails. */
  failAll(peer: string, connectionId = -1): void {
    const failed: RpcCallback<unknown>[] = [];
    for (const [id, p] of this.pending) {
      if (p.to === peer && (connectionId < 0 || p.connectionId === connectionId)) {
        failed.push(p.callback);
        this.pending.delete(id);
        this.release(p);
      }
    }
    for (const callback of failed) callback('NETWORK_EXCEPTION', null);
  }

  /** The owner crashed: its in-memory requests vanish without callbacks. */
  clear(): void {
    this.pending.clear();
    this.timerAtUs = Infinity;
  }
}

/** Server side: answer a request on the connection it came in on. */
export function reply<B>(net: Network, request: Envelope, body: B): void {
  net.send(request.to, request.from, 'response', request.api, request.correlationId, body, request.connectionId);
}
