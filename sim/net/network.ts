// The simulated network. Kafka talks over TCP, so messages travel on connections: one per (client side,
// server side) pair, shared by requests and their responses, FIFO in each direction. A message lost on a
// connection breaks it (TCP cannot skip a segment): everything still in flight on it is lost too (the
// peer gets a reset), and the next message opens a new connection.
//
// Late requests happen as they do in Kafka, never by letting a message overtake a later one on its own
// connection:
// - A client that closes a connection (NetworkClient does so when a request times out) has already
//   handed its requests to the kernel: they still reach the broker, which serves them (Kafka's Selector
//   keeps a closing channel's received requests), while the responses find the connection gone. The
//   client's retry goes on a new connection and can overtake them.
// - A `delay` rule holds one message inside its connection's FIFO: everything behind it on that
//   connection waits too.
// - A cut link holds what is sent over it (TCP retransmits) until the cut heals; a stalled process holds
//   its traffic until it wakes. Either can deliver requests long after their client gave up on them.
// Faults: partitions (explicit directed link cuts), and message rules that drop or delay the next N
// messages of an API.
import type { Simulation } from '../core/simulation.ts';
import type { RandomStream } from '../core/random.ts';
import { Slots } from '../core/slots.ts';
import { RecordKind } from '../core/trace.ts';
import type { ApiName } from '../faults/schedule.ts';
import type { NetworkConfig } from '../kafka/config.ts';

export type MessageKind = 'request' | 'response';

export interface Envelope<B = unknown> {
  from: string;
  to: string;
  kind: MessageKind;
  api: ApiName;
  correlationId: number;
  body: B;
  /** Connection generation the message was sent on. */
  connectionId: number;
  fromIncarnation: number;
  toIncarnation: number;
  /**
   * A request whose client had already closed its connection when it arrived: the broker serves it, but
   * nobody hears the answer (set by the network on delivery).
   */
  afterClose: boolean;
  /** The network's count of messages sent when this one was: its place in sending order. */
  sentSeq: number;
}

export interface NetNode {
  readonly id: string;
  /** Bumped on every crash: messages addressed to an earlier incarnation are lost. */
  incarnation: number;
  isUp(): boolean;
  deliver(envelope: Envelope): void;
  /**
   * The connection to `peer` was reset (the OS told us). `connectionId` names the connection that died
   * (-1: every connection to the peer, e.g. the peer process crashed).
   */
  peerDisconnected(peer: string, connectionId: number): void;
}

export interface MessageRule {
  action: 'drop' | 'delay';
  api: ApiName;
  message: MessageKind;
  /** Matches when either end is one of these nodes (a client application may own several); any node when absent. */
  nodes?: readonly string[];
  remaining: number;
  delayUs: number;
}

/**
 * A node id interned to a small integer at its first mention (add(), or a fault naming it), so that the
 * per-message work indexes arrays instead of building and hashing "from>to" strings.
 */
interface Endpoint {
  readonly id: string;
  readonly index: number;
  /** The id as a trace field: trace.intern(id) (see sim/core/trace.ts). */
  readonly token: number;
  /** Absent for an id that a fault names but that was never added. */
  node: NetNode | undefined;
  /** A stalled process's traffic waits until this time (µs); 0 when it never stalled. */
  heldUntilUs: number;
}

/**
 * An ordered pair (client, server): the connection the client opened to the server, and whether the
 * directed link client -> server is cut. Messages from a to b use link [a][b] for the cut and the
 * connection of the side that opened it: [a][b] for a request, [b][a] for a response.
 */
interface Link {
  /** Its place in Network.linkList: the typed delivery event names the link by it. */
  readonly index: number;
  readonly client: Endpoint;
  readonly server: Endpoint;
  /** The connection's current generation; 0 until the first message opens it. */
  connectionId: number;
  /** Arrival time of the last message in each direction on the current connection, to keep it FIFO. */
  lastRequestArrivalUs: number;
  lastResponseArrivalUs: number;
  cut: boolean;
  /** Messages sent over the cut link, in order, waiting for it to heal (TCP retransmits them). */
  held: Envelope[];
}

/** The hottest record of a run, one per message delivered: from, to, API (interned), 1 request or 2 response, correlation id. */
const DELIVER = new RecordKind('deliver', 5, (t, from, to, api, kind, correlationId) =>
  `deliver ${t.name(from)}>${t.name(to)} ${t.name(api)} ${kind === 1 ? 'request' : 'response'} #${correlationId}`);

export class Network {
  /** Every id seen, in order of first mention. */
  private readonly endpoints = new Map<string, Endpoint>();
  /** The added nodes, in order of add(). */
  private readonly added: Endpoint[] = [];
  /** links[a][b] for endpoint indexes a and b. */
  private readonly links: Link[][] = [];
  /** Every link, by its index. */
  private readonly linkList: Link[] = [];
  /**
   * Messages on their way, by slot: a delivery is a typed event (slot, link index), not a closure per
   * message (sim/core/event-queue.ts). A message is parked when it is scheduled and taken when it arrives.
   */
  private readonly inFlight = new Slots<Envelope>();
  private readonly arriveKind: number;
  /** The cut links, to heal them without scanning every pair. */
  private cutLinks: Link[] = [];
  private rules: MessageRule[] = [];
  private readonly rng: RandomStream;
  private nextConnectionId = 1;
  /**
   * Envelopes whose receiver is done with them (recycle()), for send() to fill again instead of allocating
   * one per message. Only responses come back: a request is the server's to keep (a parked fetch) and to
   * answer on.
   */
  private readonly spare: Envelope[] = [];
  /** Connections their client closed: requests still in flight on them are served on arrival. */
  private readonly closedByClient = new Set<number>();
  messagesSent = 0;
  messagesLost = 0;
  /** Requests served after their client had closed the connection: the late requests of a run. */
  requestsServedAfterClose = 0;

  constructor(private readonly sim: Simulation, private readonly config: NetworkConfig) {
    if (!(config.latencyUsMin >= 0 && config.latencyUsMean >= config.latencyUsMin)) {
      throw new Error(`network: need 0 <= latencyUsMin <= latencyUsMean, got ${config.latencyUsMin}, ${config.latencyUsMean}`);
    }
    this.rng = sim.stream('network');
    this.arriveKind = sim.register((slot, linkIndex) => this.arriveSlot(slot, linkIndex));
  }

  private endpoint(id: string): Endpoint {
    let e = this.endpoints.get(id);
    if (e) return e;
    const index = this.endpoints.size;
    e = { id, index, token: this.sim.trace.intern(id), node: undefined, heldUntilUs: 0 };
    this.endpoints.set(id, e);
    const row: Link[] = [];
    this.links.push(row);
    for (const other of this.endpoints.values()) {
      row[other.index] = this.newLink(e, other);
      if (other !== e) this.links[other.index][index] = this.newLink(other, e);
    }
    return e;
  }

  private newLink(client: Endpoint, server: Endpoint): Link {
    const link: Link = {
      index: this.linkList.length, client, server,
      connectionId: 0, lastRequestArrivalUs: 0, lastResponseArrivalUs: 0, cut: false, held: [],
    };
    this.linkList.push(link);
    return link;
  }

  private link(from: string, to: string): Link {
    const a = this.endpoint(from);
    const b = this.endpoint(to);
    return this.links[a.index][b.index];
  }

  add(node: NetNode): void {
    const e = this.endpoint(node.id);
    if (e.node) throw new Error(`network: duplicate node ${node.id}`);
    e.node = node;
    this.added.push(e);
  }

  node(id: string): NetNode | undefined {
    return this.endpoints.get(id)?.node;
  }

  nodeIds(): string[] {
    return this.added.map((e) => e.id);
  }

  /** Opens the link's connection on its first use. */
  private connection(link: Link): Link {
    if (link.connectionId === 0) link.connectionId = this.nextConnectionId++;
    return link;
  }

  private latencyUs(): number {
    const { latencyUsMin, latencyUsMean } = this.config;
    return Math.round(latencyUsMin + this.rng.exponential(latencyUsMean - latencyUsMin));
  }

  /**
   * Sends a message and returns the id of the connection it went on. The sender learns of a loss only
   * by a reset (drop rule) or by its own timeout.
   */
  send<B>(from: string, to: string, kind: MessageKind, api: ApiName, correlationId: number, body: B, replyOn?: number): number {
    const srcEnd = this.endpoints.get(from);
    const dstEnd = this.endpoints.get(to);
    const src = srcEnd?.node;
    const dst = dstEnd?.node;
    if (!src || !dst) throw new Error(`network: unknown node in ${from} -> ${to}`);
    if (!src.isUp()) return -1;
    this.messagesSent++;
    const path = this.links[srcEnd!.index][dstEnd!.index];
    const conn = this.connection(kind === 'request' ? path : this.links[dstEnd!.index][srcEnd!.index]);
    // A response goes back on the connection its request came in on, which may be closed by now.
    const connectionId = replyOn ?? conn.connectionId;
    const env = this.envelope(from, to, kind, api, correlationId, body, connectionId, src.incarnation, dst.incarnation);
    if (path.cut) {
      this.holdOnCut(env, path);
      return env.connectionId;
    }
    // A response to a connection its client already closed goes nowhere: no rule spends its count on it.
    if (env.connectionId !== conn.connectionId) {
      this.messagesLost++;
      return env.connectionId;
    }
    const rule = this.matchRule(env);
    if (rule?.action === 'drop') {
      this.lose(env, conn, 'dropped', true);
      return env.connectionId;
    }
    // A stalled process's bytes sit in socket buffers and move, in order, when it wakes up.
    const heldUntil = Math.max(srcEnd!.heldUntilUs, dstEnd!.heldUntilUs);
    let arrival = Math.max(this.sim.nowUs, heldUntil) + this.latencyUs();
    if (rule?.action === 'delay') {
      arrival = this.sim.nowUs + rule.delayUs;
      this.sim.log(`delay ${from}>${to} ${api} ${kind} #${correlationId} by ${rule.delayUs}us`);
    }
    this.schedule(env, path, conn, arrival);
    return env.connectionId;
  }

  /** A spare envelope filled in, or a new one: every field set in the same order either way (one shape). */
  private envelope<B>(
    from: string, to: string, kind: MessageKind, api: ApiName, correlationId: number, body: B, connectionId: number,
    fromIncarnation: number, toIncarnation: number,
  ): Envelope<B> {
    const env = this.spare.pop() as Envelope<B> | undefined;
    if (env === undefined) {
      return {
        from, to, kind, api, correlationId, body, connectionId, fromIncarnation, toIncarnation, afterClose: false, sentSeq: this.messagesSent,
      };
    }
    env.from = from;
    env.to = to;
    env.kind = kind;
    env.api = api;
    env.correlationId = correlationId;
    env.body = body;
    env.connectionId = connectionId;
    env.fromIncarnation = fromIncarnation;
    env.toIncarnation = toIncarnation;
    env.afterClose = false;
    env.sentSeq = this.messagesSent;
    return env;
  }

  /**
   * The receiver of a delivered response is done with it (RpcClient.onResponse read its body): send()
   * may fill it again. Nothing may keep a recycled envelope.
   */
  recycle(env: Envelope): void {
    env.body = null;
    this.spare.push(env);
  }

  /** FIFO within the connection: nothing arrives before what was sent ahead of it on it, delayed or not. */
  private schedule(env: Envelope, path: Link, conn: Link, earliestUs: number): void {
    let arrival = earliestUs;
    if (env.connectionId === conn.connectionId) {
      if (env.kind === 'request') {
        arrival = Math.max(arrival, conn.lastRequestArrivalUs);
        conn.lastRequestArrivalUs = arrival;
      } else {
        arrival = Math.max(arrival, conn.lastResponseArrivalUs);
        conn.lastResponseArrivalUs = arrival;
      }
    }
    this.sim.atEvent(arrival, this.arriveKind, this.inFlight.park(env), path.index);
  }

  /** The typed delivery event: the message in `slot` reaches the far end of link `linkIndex`. */
  private arriveSlot(slot: number, linkIndex: number): void {
    this.arrive(this.inFlight.take(slot), this.linkList[linkIndex]);
  }

  /** The link is cut: the message waits, in order, for the cut to heal. Nobody is told. */
  private holdOnCut(env: Envelope, path: Link): void {
    if (path.held.length === 0) this.sim.log(`hold ${env.from}>${env.to} (cut)`);
    path.held.push(env);
  }

  /** A healed link delivers what it held, in the order it was sent, one latency or more from now. */
  private releaseHeld(path: Link): void {
    // Held on sending or on arrival: the order of holding is not the order of sending.
    const held = path.held.sort((a, b) => a.sentSeq - b.sentSeq);
    path.held = [];
    let last = 0;
    for (const env of held) {
      const conn = env.kind === 'request' ? path : this.links[path.server.index][path.client.index];
      const arrival = Math.max(last, this.sim.nowUs + this.latencyUs());
      last = arrival;
      this.schedule(env, path, conn, arrival);
    }
  }

  /** `path` is the link from the sender to the receiver. */
  private arrive(env: Envelope, path: Link): void {
    const dstEnd = path.server;
    const srcEnd = path.client;
    // A message already on its way when the receiver stalled waits for it to wake up.
    if (dstEnd.heldUntilUs > this.sim.nowUs) {
      this.sim.atEvent(dstEnd.heldUntilUs, this.arriveKind, this.inFlight.park(env), path.index);
      return;
    }
    const dst = dstEnd.node!;
    const src = srcEnd.node!;
    if (path.cut) {
      // Cut while in flight: TCP keeps retransmitting it until the link heals.
      this.holdOnCut(env, path);
      return;
    }
    const conn = env.kind === 'request' ? path : this.links[dstEnd.index][srcEnd.index];
    // A crashed receiver or sender (simplification: a crashed client's unsent bytes die with it).
    if (!dst.isUp() || dst.incarnation !== env.toIncarnation || src.incarnation !== env.fromIncarnation) {
      this.messagesLost++;
      return;
    }
    if (conn.connectionId !== env.connectionId) {
      // The connection is gone. A request its client closed is still read and served; anything else on
      // it (a reset connection's bytes, a response to a closed socket) is lost.
      if (env.kind !== 'request' || !this.closedByClient.has(env.connectionId)) {
        this.messagesLost++;
        return;
      }
      env.afterClose = true;
      this.requestsServedAfterClose++;
      this.sim.log(`late ${env.from}>${env.to} ${env.api} request #${env.correlationId} served after its client closed the connection`);
    }
    this.sim.logf(DELIVER, srcEnd.token, dstEnd.token, this.sim.trace.intern(env.api), env.kind === 'request' ? 1 : 2, env.correlationId);
    dst.deliver(env);
  }

  /** `conn` is the link whose connection the message went on. */
  private lose(env: Envelope, conn: Link, why: string, notify: boolean): void {
    this.messagesLost++;
    this.sim.log(`lose ${env.from}>${env.to} ${env.api} ${env.kind} #${env.correlationId} ${why}`);
    this.resetConnection(conn, notify);
  }

  private resetConnection(link: Link, notify: boolean): number {
    const dead = this.connection(link).connectionId;
    link.connectionId = this.nextConnectionId++;
    // The new connection has its own FIFO: it owes nothing to what is still in flight on the old one.
    link.lastRequestArrivalUs = 0;
    link.lastResponseArrivalUs = 0;
    if (!notify) return dead;
    const client = link.client;
    const server = link.server.id;
    // The reset reaches the client side one latency later, as an RST would.
    this.sim.after(this.latencyUs(), () => {
      const node = client.node!;
      if (node.isUp()) node.peerDisconnected(server, dead);
    });
    return dead;
  }

  /**
   * A client closes its connection (Kafka's NetworkClient does so when a request times out). Only the
   * named connection (default: the current one): if it was already replaced, the newer one is left alone.
   */
  disconnect(client: string, server: string, connectionId?: number): void {
    const link = this.link(client, server);
    if (connectionId === undefined || (link.connectionId !== 0 && link.connectionId === connectionId)) {
      this.closedByClient.add(this.resetConnection(link, false));
    }
  }

  /** A process crash closes its sockets: its peers get a reset. A power loss tells nobody. */
  nodeCrashed(id: string, notifyPeers: boolean): void {
    if (!notifyPeers) return;
    for (const e of this.added) {
      if (e.id === id) continue;
      const peer = e.node!;
      this.sim.after(this.latencyUs(), () => {
        if (peer.isUp()) peer.peerDisconnected(id, -1);
      });
    }
  }

  private matchRule(env: Envelope): MessageRule | undefined {
    if (this.rules.length === 0) return undefined;
    for (const rule of this.rules) {
      if (rule.remaining > 0 && rule.api === env.api && rule.message === env.kind &&
          (rule.nodes === undefined || rule.nodes.includes(env.from) || rule.nodes.includes(env.to))) {
        rule.remaining--;
        if (rule.remaining === 0) this.rules = this.rules.filter((r) => r.remaining > 0);
        return rule;
      }
    }
    return undefined;
  }

  addRule(rule: MessageRule): void {
    if (!(rule.remaining >= 1)) throw new Error(`network: rule count must be >= 1, got ${rule.remaining}`);
    this.rules.push(rule);
  }

  /** Holds every message to or from `node` until `untilUs` (a process stall). */
  hold(node: string, untilUs: number): void {
    const e = this.endpoint(node);
    e.heldUntilUs = Math.max(e.heldUntilUs, untilUs);
  }

  /** Cuts the directed link from -> to. */
  cutLink(from: string, to: string): void {
    if (from === to) throw new Error(`network: cannot cut ${from} from itself`);
    const link = this.link(from, to);
    if (link.cut) return;
    link.cut = true;
    this.cutLinks.push(link);
  }

  isolate(node: string): void {
    for (const e of this.added) {
      if (e.id === node) continue;
      this.cutLink(node, e.id);
      this.cutLink(e.id, node);
    }
  }

  /** Nodes in different groups cannot reach each other; nodes in no group keep all their links. */
  split(groups: string[][]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i]) for (const b of groups[j]) this.cutLink(a, b);
      }
    }
  }

  heal(): void {
    this.healPartitions();
    this.rules = [];
  }

  healPartitions(): void {
    const healed = this.cutLinks;
    this.cutLinks = [];
    for (const link of healed) {
      link.cut = false;
      this.releaseHeld(link);
    }
  }

  isCut(from: string, to: string): boolean {
    const a = this.endpoints.get(from);
    const b = this.endpoints.get(to);
    return a !== undefined && b !== undefined && this.links[a.index][b.index].cut;
  }
}
