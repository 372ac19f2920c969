// The simulated network. Kafka talks over TCP, so messages travel on connections: one per (client side,
// server side) pair, shared by requests and their responses, FIFO in each direction. A message lost on a
// connection breaks it (TCP cannot skip a segment): everything still in flight on it is lost too, and the
// next message opens a new connection. Faults: partitions (explicit directed link cuts), and message
// rules that drop or delay the next N messages of an API. A delayed message lingers past the others — the
// shape behind Kafka's late-produce bugs — so it is exempt from the FIFO order and the connection reset.
import type { Simulation } from '../core/simulation.ts';
import type { RandomStream } from '../core/random.ts';
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
  /** Set on a message held back by a delay rule: it survives a reset of its connection. */
  lingering: boolean;
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
  /** Matches when either end is this node; any node when absent. */
  node?: string;
  remaining: number;
  delayUs: number;
}

interface Connection {
  id: number;
  /** Arrival time of the last message in each direction, to keep each direction FIFO. */
  lastRequestArrivalUs: number;
  lastResponseArrivalUs: number;
}

export class Network {
  private readonly nodes = new Map<string, NetNode>();
  private readonly connections = new Map<string, Connection>();
  private readonly cut = new Set<string>();
  private rules: MessageRule[] = [];
  /** Nodes whose traffic waits (a stalled process reads and writes nothing): node -> until (µs). */
  private readonly held = new Map<string, number>();
  private readonly rng: RandomStream;
  private nextConnectionId = 1;
  messagesSent = 0;
  messagesLost = 0;

  constructor(private readonly sim: Simulation, private readonly config: NetworkConfig) {
    if (!(config.latencyUsMin >= 0 && config.latencyUsMean >= config.latencyUsMin)) {
      throw new Error(`network: need 0 <= latencyUsMin <= latencyUsMean, got ${config.latencyUsMin}, ${config.latencyUsMean}`);
    }
    this.rng = sim.stream('network');
  }

  add(node: NetNode): void {
    if (this.nodes.has(node.id)) throw new Error(`network: duplicate node ${node.id}`);
    this.nodes.set(node.id, node);
  }

  node(id: string): NetNode | undefined {
    return this.nodes.get(id);
  }

  nodeIds(): string[] {
    return [...this.nodes.keys()];
  }

  private connection(key: string): Connection {
    let c = this.connections.get(key);
    if (!c) {
      c = { id: this.nextConnectionId++, lastRequestArrivalUs: 0, lastResponseArrivalUs: 0 };
      this.connections.set(key, c);
    }
    return c;
  }

  private latencyUs(): number {
    const { latencyUsMin, latencyUsMean } = this.config;
    return Math.round(latencyUsMin + this.rng.exponential(latencyUsMean - latencyUsMin));
  }

  /**
   * Sends a message and returns the id of the connection it went on. The sender learns of a loss only
   * by a reset (drop rule) or by its own timeout.
   */
  send<B>(from: string, to: string, kind: MessageKind, api: ApiName, correlationId: number, body: B): number {
    const src = this.nodes.get(from);
    const dst = this.nodes.get(to);
    if (!src || !dst) throw new Error(`network: unknown node in ${from} -> ${to}`);
    if (!src.isUp()) return -1;
    this.messagesSent++;
    const key = kind === 'request' ? `${from}>${to}` : `${to}>${from}`;
    const conn = this.connection(key);
    const env: Envelope<B> = {
      from, to, kind, api, correlationId, body, connectionId: conn.id,
      fromIncarnation: src.incarnation, toIncarnation: dst.incarnation, lingering: false,
    };
    // Size checks first: on the hot path there is usually no cut and no stall, and no key to build.
    if (this.cut.size > 0 && this.cut.has(`${from}>${to}`)) {
      // A partition loses the message silently; the connection is dead but nobody is told.
      this.lose(env, key, 'partition', false);
      return env.connectionId;
    }
    const rule = this.matchRule(env);
    if (rule?.action === 'drop') {
      this.lose(env, key, 'dropped', true);
      return env.connectionId;
    }
    let arrival: number;
    const heldUntil = this.held.size === 0 ? 0 : Math.max(this.held.get(from) ?? 0, this.held.get(to) ?? 0);
    if (rule?.action === 'delay') {
      env.lingering = true;
      arrival = this.sim.nowUs + rule.delayUs;
      this.sim.log(`delay ${from}>${to} ${api} ${kind} #${correlationId} by ${rule.delayUs}us`);
    } else {
      // A stalled process's bytes sit in socket buffers and move, in order, when it wakes up; they are
      // past the point where its own timeouts could take them back.
      if (heldUntil > this.sim.nowUs) env.lingering = true;
      arrival = Math.max(this.sim.nowUs, heldUntil) + this.latencyUs();
      if (kind === 'request') {
        arrival = Math.max(arrival, conn.lastRequestArrivalUs);
        conn.lastRequestArrivalUs = arrival;
      } else {
        arrival = Math.max(arrival, conn.lastResponseArrivalUs);
        conn.lastResponseArrivalUs = arrival;
      }
    }
    this.sim.at(arrival, () => this.arrive(env, key));
    return env.connectionId;
  }

  private arrive(env: Envelope, key: string): void {
    // A message already on its way when the receiver stalled waits for it to wake up.
    const heldUntil = this.held.size === 0 ? 0 : this.held.get(env.to) ?? 0;
    if (heldUntil > this.sim.nowUs) {
      this.sim.at(heldUntil, () => this.arrive(env, key));
      return;
    }
    const dst = this.nodes.get(env.to)!;
    const src = this.nodes.get(env.from)!;
    const conn = this.connections.get(key)!;
    if (!dst.isUp() || dst.incarnation !== env.toIncarnation) {
      this.messagesLost++;
      return;
    }
    if (!env.lingering && (conn.id !== env.connectionId || src.incarnation !== env.fromIncarnation)) {
      this.messagesLost++;
      return;
    }
    if (this.cut.size > 0 && this.cut.has(`${env.from}>${env.to}`)) {
      this.lose(env, key, 'partition', false);
      return;
    }
    this.sim.log(`deliver ${env.from}>${env.to} ${env.api} ${env.kind} #${env.correlationId}`);
    dst.deliver(env);
  }

  private lose(env: Envelope, key: string, why: string, notify: boolean): void {
    this.messagesLost++;
    this.sim.log(`lose ${env.from}>${env.to} ${env.api} ${env.kind} #${env.correlationId} ${why}`);
    this.resetConnection(key, notify);
  }

  private resetConnection(key: string, notify: boolean): void {
    const conn = this.connection(key);
    const dead = conn.id;
    conn.id = this.nextConnectionId++;
    if (!notify) return;
    const [client, server] = key.split('>');
    // The reset reaches the client side one latency later, as an RST would.
    this.sim.after(this.latencyUs(), () => {
      const node = this.nodes.get(client)!;
      if (node.isUp()) node.peerDisconnected(server, dead);
    });
  }

  /**
   * A client closes its connection (Kafka's NetworkClient does so when a request times out). Only the
   * named connection (default: the current one): if it was already replaced, the newer one is left alone.
   */
  disconnect(client: string, server: string, connectionId?: number): void {
    const key = `${client}>${server}`;
    if (connectionId === undefined || this.connections.get(key)?.id === connectionId) this.resetConnection(key, false);
  }

  /** A process crash closes its sockets: its peers get a reset. A power loss tells nobody. */
  nodeCrashed(id: string, notifyPeers: boolean): void {
    if (!notifyPeers) return;
    for (const peer of this.nodes.values()) {
      if (peer.id === id) continue;
      this.sim.after(this.latencyUs(), () => {
        if (peer.isUp()) peer.peerDisconnected(id, -1);
      });
    }
  }

  private matchRule(env: Envelope): MessageRule | undefined {
    if (this.rules.length === 0) return undefined;
    for (const rule of this.rules) {
      if (rule.remaining > 0 && rule.api === env.api && rule.message === env.kind &&
          (rule.node === undefined || rule.node === env.from || rule.node === env.to)) {
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
    this.held.set(node, Math.max(this.held.get(node) ?? 0, untilUs));
  }

  /** Cuts the directed link from -> to. */
  cutLink(from: string, to: string): void {
    if (from === to) throw new Error(`network: cannot cut ${from} from itself`);
    this.cut.add(`${from}>${to}`);
  }

  isolate(node: string): void {
    for (const other of this.nodes.keys()) {
      if (other === node) continue;
      this.cutLink(node, other);
      this.cutLink(other, node);
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
    this.cut.clear();
  }

  isCut(from: string, to: string): boolean {
    return this.cut.has(`${from}>${to}`);
  }
}
