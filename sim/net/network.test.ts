import { describe, expect, it } from 'vitest';
import { Simulation } from '../core/simulation.ts';
import type { ApiName } from '../faults/schedule.ts';
import { Network, type Envelope, type MessageKind, type NetNode } from './network.ts';

/** A node that records what reaches it. */
class FakeNode implements NetNode {
  incarnation = 0;
  up = true;
  readonly received: Envelope[] = [];
  readonly disconnects: { peer: string; connectionId: number; atUs: number }[] = [];

  constructor(readonly id: string, private readonly sim: Simulation) {}

  isUp(): boolean {
    return this.up;
  }

  deliver(envelope: Envelope): void {
    this.received.push(envelope);
  }

  peerDisconnected(peer: string, connectionId: number): void {
    this.disconnects.push({ peer, connectionId, atUs: this.sim.nowUs });
  }

  ids(kind?: MessageKind): number[] {
    return this.received.filter((e) => kind === undefined || e.kind === kind).map((e) => e.correlationId);
  }
}

/** A wide latency spread (200 us min, exponential tail with mean 2 ms) so that unordered delivery would show. */
function setup(ids: string[], seed = 1): { sim: Simulation; net: Network; nodes: Record<string, FakeNode> } {
  const sim = new Simulation({ seed, keepTrace: true });
  const net = new Network(sim, { latencyUsMin: 200, latencyUsMean: 2200 });
  const nodes: Record<string, FakeNode> = {};
  for (const id of ids) {
    nodes[id] = new FakeNode(id, sim);
    net.add(nodes[id]);
  }
  return { sim, net, nodes };
}

function sendAt(sim: Simulation, atUs: number, net: Network, from: string, to: string, kind: MessageKind, api: ApiName, id: number): void {
  sim.at(atUs, () => net.send(from, to, kind, api, id, { n: id }));
}

describe('Network: construction', () => {
  it('rejects bad latency settings and duplicate nodes', () => {
    const sim = new Simulation({ seed: 1, keepTrace: false });
    expect(() => new Network(sim, { latencyUsMin: 500, latencyUsMean: 100 })).toThrow(/latencyUsMin/);
    expect(() => new Network(sim, { latencyUsMin: -1, latencyUsMean: 100 })).toThrow(/latencyUsMin/);
    const { net, nodes } = setup(['a']);
    expect(() => net.add(nodes.a)).toThrow(/duplicate node a/);
    expect(() => net.send('a', 'zz', 'request', 'Produce', 1, {})).toThrow(/unknown node/);
  });

  it('a message takes at least the minimum latency and carries its fields', () => {
    const { sim, net, nodes } = setup(['c', 's']);
    let sentAt = -1;
    sim.at(1000, () => {
      sentAt = sim.nowUs;
      net.send('c', 's', 'request', 'Fetch', 9, { hello: 1 });
    });
    let arrivedAt = -1;
    nodes.s.deliver = (e) => {
      arrivedAt = sim.nowUs;
      nodes.s.received.push(e);
    };
    sim.run(1e9);
    expect(arrivedAt - sentAt).toBeGreaterThanOrEqual(200);
    const [e] = nodes.s.received;
    expect(e).toMatchObject({ from: 'c', to: 's', kind: 'request', api: 'Fetch', correlationId: 9, body: { hello: 1 }, afterClose: false });
    expect(net.messagesSent).toBe(1);
    expect(net.messagesLost).toBe(0);
  });
});

describe('Network: FIFO per connection direction', () => {
  it('requests on one connection arrive in send order, and so do responses', () => {
    const { sim, net, nodes } = setup(['c', 's']);
    for (let i = 1; i <= 300; i++) {
      // Several messages per instant and a few microseconds apart: latencies vary by milliseconds.
      sendAt(sim, Math.floor(i / 3) * 5, net, 'c', 's', 'request', 'Produce', i);
      sendAt(sim, Math.floor(i / 3) * 5, net, 's', 'c', 'response', 'Produce', 1000 + i);
    }
    sim.run(1e9);
    expect(nodes.s.ids('request')).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(nodes.c.ids('response')).toEqual(Array.from({ length: 300 }, (_, i) => 1001 + i));
  });

  it('(control) without a shared connection the same latencies do reorder messages', () => {
    const ids = ['s', ...Array.from({ length: 300 }, (_, i) => `c${i + 1}`)];
    const { sim, net, nodes } = setup(ids);
    for (let i = 1; i <= 300; i++) sendAt(sim, Math.floor(i / 3) * 5, net, `c${i}`, 's', 'request', 'Produce', i);
    sim.run(1e9);
    const got = nodes.s.ids('request');
    expect(got).toHaveLength(300);
    expect(got).not.toEqual([...got].sort((a, b) => a - b));
  });

  it('the two directions of a connection are independent: requests do not wait behind responses', () => {
    const { sim, net, nodes } = setup(['c', 's']);
    // A slow response does not hold back a later request in the other direction.
    net.addRule({ action: 'delay', api: 'Produce', message: 'response', remaining: 1, delayUs: 50_000 });
    sendAt(sim, 0, net, 's', 'c', 'response', 'Produce', 1);
    sendAt(sim, 10, net, 'c', 's', 'request', 'Produce', 2);
    let requestAt = -1;
    nodes.s.deliver = (e) => {
      requestAt = sim.nowUs;
      nodes.s.received.push(e);
    };
    sim.run(1e9);
    expect(nodes.s.ids()).toEqual([2]);
    expect(requestAt).toBeLessThan(50_000);
    expect(nodes.c.ids()).toEqual([1]);
  });
});

describe('Network: drop rules', () => {
  it('a dropped request is lost, resets the connection (losing what was in flight) and tells the client', () => {
    const { sim, net, nodes } = setup(['c', 's', 'other']);
    net.addRule({ action: 'drop', api: 'Produce', message: 'request', remaining: 1, delayUs: 0 });
    // 1 and 2 are in flight on the connection when 3 (the first Produce) is dropped.
    sendAt(sim, 0, net, 'c', 's', 'request', 'Fetch', 1);
    sendAt(sim, 1, net, 'c', 's', 'request', 'Fetch', 2);
    sendAt(sim, 2, net, 'c', 's', 'request', 'Produce', 3);
    // A response in flight on the same connection dies too.
    sendAt(sim, 1, net, 's', 'c', 'response', 'Fetch', 90);
    // After the drop: a new connection; the rule is used up, so a second Produce gets through.
    sendAt(sim, 3, net, 'c', 's', 'request', 'Fetch', 4);
    sendAt(sim, 3, net, 'c', 's', 'request', 'Produce', 5);
    // Another connection is untouched.
    sendAt(sim, 0, net, 'other', 's', 'request', 'Fetch', 7);
    sim.run(1e9);
    expect(nodes.s.ids().filter((id) => id !== 7)).toEqual([4, 5]);
    expect(nodes.s.ids()).toContain(7);
    expect(nodes.c.ids()).toEqual([]);
    expect(net.messagesLost).toBe(4); // 3 dropped, then 1, 2 and 90 on the dead connection
    // Only the client side is told, once, one latency later; the server and bystanders hear nothing.
    expect(nodes.c.disconnects.map((d) => d.peer)).toEqual(['s']);
    expect(nodes.c.disconnects[0].atUs).toBeGreaterThanOrEqual(2 + 200);
    expect(nodes.s.disconnects).toEqual([]);
    expect(nodes.other.disconnects).toEqual([]);
    expect(sim.trace.records!.some((r) => r.includes('lose c>s Produce request #3 dropped'))).toBe(true);
  });

  it('a dropped response (lost ack) tells the client, whose connection it was', () => {
    const { sim, net, nodes } = setup(['c', 's']);
    net.addRule({ action: 'drop', api: 'Produce', message: 'response', nodes: ['s'], remaining: 2, delayUs: 0 });
    sendAt(sim, 0, net, 's', 'c', 'response', 'Fetch', 2); // not matched (another API), but its connection dies
    sendAt(sim, 0, net, 'c', 's', 'request', 'Fetch', 5); // the request direction of that connection dies too
    sendAt(sim, 1, net, 's', 'c', 'response', 'Produce', 1);
    sendAt(sim, 5000, net, 's', 'c', 'response', 'Produce', 3); // second drop
    sendAt(sim, 10_000, net, 's', 'c', 'response', 'Produce', 4); // rule used up
    sim.run(1e9);
    expect(nodes.c.ids()).toEqual([4]);
    expect(nodes.s.ids()).toEqual([]);
    expect(nodes.c.disconnects.map((d) => d.peer)).toEqual(['s', 's']);
    expect(nodes.s.disconnects).toEqual([]);
  });

  it('a reset names the connection that died: send returns it, the client is told it, and later sends use a new one', () => {
    const { sim, net, nodes } = setup(['c', 's']);
    net.addRule({ action: 'drop', api: 'Produce', message: 'response', remaining: 1, delayUs: 0 });
    const sentOn: number[] = [];
    sim.at(0, () => sentOn.push(net.send('c', 's', 'request', 'Produce', 1, {})));
    sim.at(10, () => net.send('s', 'c', 'response', 'Produce', 9, {})); // dropped: the connection c>s dies
    sim.at(11, () => sentOn.push(net.send('c', 's', 'request', 'Produce', 2, {})));
    sim.run(1e9);
    expect(sentOn[0]).toBeGreaterThan(0);
    expect(sentOn[1]).toBeGreaterThan(sentOn[0]);
    expect(nodes.c.disconnects.map((d) => [d.peer, d.connectionId])).toEqual([['s', sentOn[0]]]);
    expect(nodes.s.ids()).toEqual([2]); // 1 was on the dead connection
    // A crashed process takes all its connections down: -1 names them all.
    sim.at(sim.nowUs, () => net.nodeCrashed('s', true));
    sim.run(1e10);
    expect(nodes.c.disconnects.map((d) => [d.peer, d.connectionId])).toEqual([['s', sentOn[0]], ['s', -1]]);
  });

  it('a rule matches only its API, message kind and node', () => {
    const { sim, net, nodes } = setup(['c', 's', 't']);
    net.addRule({ action: 'drop', api: 'Produce', message: 'request', nodes: ['t'], remaining: 1, delayUs: 0 });
    sendAt(sim, 0, net, 'c', 's', 'request', 'Produce', 1); // other node
    sendAt(sim, 0, net, 'c', 't', 'request', 'Fetch', 2); // other API
    sendAt(sim, 0, net, 't', 'c', 'response', 'Produce', 3); // other kind
    sendAt(sim, 100_000, net, 'c', 't', 'request', 'Produce', 4); // matches
    sim.run(1e9);
    expect(nodes.s.ids()).toEqual([1]);
    expect(nodes.t.ids()).toEqual([2]);
    expect(nodes.c.ids()).toEqual([3]);
    expect(net.messagesLost).toBe(1);
  });

  it('rejects a rule with a count below 1', () => {
    const { net } = setup(['c']);
    expect(() => net.addRule({ action: 'drop', api: 'Produce', message: 'request', remaining: 0, delayUs: 0 })).toThrow(/count/);
  });
});

describe('Network: delay rules', () => {
  it('a delayed message never lets a later one on its connection overtake it: they wait behind it (TCP is FIFO)', () => {
    const { sim, net, nodes } = setup(['c', 's']);
    net.addRule({ action: 'delay', api: 'Produce', message: 'request', remaining: 1, delayUs: 100_000 });
    sendAt(sim, 0, net, 'c', 's', 'request', 'Produce', 1);
    sendAt(sim, 10, net, 'c', 's', 'request', 'Produce', 2);
    sendAt(sim, 20, net, 'c', 's', 'request', 'Produce', 3);
    const at: Record<number, number> = {};
    nodes.s.deliver = (e) => {
      at[e.correlationId] = sim.nowUs;
      nodes.s.received.push(e);
    };
    sim.run(1e9);
    expect(nodes.s.ids()).toEqual([1, 2, 3]);
    expect(at[1]).toBe(100_000);
    expect(at[2]).toBeGreaterThanOrEqual(100_000);
    expect(at[3]).toBeGreaterThanOrEqual(at[2]);
  });

  it('a request still in flight when its client closed the connection is served; the retry on a new connection overtakes it; the answer is lost', () => {
    const { sim, net, nodes } = setup(['c', 's']);
    net.addRule({ action: 'delay', api: 'Produce', message: 'request', remaining: 1, delayUs: 100_000 });
    sendAt(sim, 0, net, 'c', 's', 'request', 'Produce', 1); // delayed
    sim.at(50_000, () => net.disconnect('c', 's')); // the client's request timeout
    sendAt(sim, 50_001, net, 'c', 's', 'request', 'Produce', 2); // the retry, on a new connection
    nodes.s.deliver = (e) => {
      nodes.s.received.push(e);
      net.send('s', 'c', 'response', e.api, e.correlationId, null, e.connectionId);
    };
    sim.run(1e9);
    expect(nodes.s.ids()).toEqual([2, 1]);
    expect(nodes.s.received.map((e) => e.afterClose)).toEqual([false, true]);
    expect(net.requestsServedAfterClose).toBe(1);
    // The response to the late request goes to a closed socket.
    expect(nodes.c.ids()).toEqual([2]);
  });

  it('a connection reset by a loss takes what is in flight on it; a closed one does not', () => {
    const { sim, net, nodes } = setup(['c', 's']);
    net.addRule({ action: 'drop', api: 'Fetch', message: 'request', remaining: 1, delayUs: 0 });
    sendAt(sim, 0, net, 'c', 's', 'request', 'Produce', 1); // in flight when the connection resets
    sendAt(sim, 1, net, 'c', 's', 'request', 'Fetch', 2); // dropped: resets the connection
    sendAt(sim, 5000, net, 'c', 's', 'request', 'Produce', 3); // new connection
    sim.run(1e9);
    expect(nodes.s.ids()).toEqual([3]);
  });

  it('a delayed message to a node that restarted meanwhile is lost', () => {
    const { sim, net, nodes } = setup(['c', 's']);
    net.addRule({ action: 'delay', api: 'Produce', message: 'request', remaining: 1, delayUs: 100_000 });
    sendAt(sim, 0, net, 'c', 's', 'request', 'Produce', 1);
    sim.at(50_000, () => nodes.s.incarnation++);
    sim.run(1e9);
    expect(nodes.s.ids()).toEqual([]);
    expect(net.messagesLost).toBe(1);
  });
});

describe('Network: partitions', () => {
  const ids = ['a', 'b', 'c', 'd'];
  const pairs = ids.flatMap((x) => ids.filter((y) => y !== x).map((y) => `${x}>${y}`));
  const cutPairs = (net: Network) => pairs.filter((p) => {
    const [x, y] = p.split('>');
    return net.isCut(x, y);
  });

  /** Sends one message over every directed link and returns the links it crossed. */
  function delivered(sim: Simulation, net: Network, nodes: Record<string, FakeNode>): string[] {
    for (const n of Object.values(nodes)) n.received.length = 0;
    let id = 1;
    for (const p of pairs) {
      const [x, y] = p.split('>');
      net.send(x, y, 'request', 'Metadata', id++, null);
    }
    sim.run(sim.nowUs + 1e9);
    return Object.values(nodes).flatMap((n) => n.received.map((e) => `${e.from}>${e.to}`)).sort();
  }

  it('isolate cuts every link to and from one node, both ways, and nothing else', () => {
    const { sim, net, nodes } = setup(ids);
    net.isolate('b');
    expect(cutPairs(net).sort()).toEqual(['a>b', 'b>a', 'b>c', 'b>d', 'c>b', 'd>b']);
    expect(delivered(sim, net, nodes)).toEqual(['a>c', 'a>d', 'c>a', 'c>d', 'd>a', 'd>c']);
    // A partition holds messages silently: nobody is told.
    for (const n of Object.values(nodes)) expect(n.disconnects).toEqual([]);
    net.heal();
    expect(cutPairs(net)).toEqual([]);
    // What the cut held arrives after the heal, with the new round of messages.
    const cut = ['a>b', 'b>a', 'b>c', 'b>d', 'c>b', 'd>b'];
    expect(delivered(sim, net, nodes)).toEqual([...pairs, ...cut].sort());
  });

  it('split cuts exactly the links between groups; nodes in no group keep their links', () => {
    const { sim, net, nodes } = setup(ids);
    net.split([['a', 'b'], ['c']]);
    expect(cutPairs(net).sort()).toEqual(['a>c', 'b>c', 'c>a', 'c>b']);
    expect(delivered(sim, net, nodes)).toEqual(pairs.filter((p) => !['a>c', 'b>c', 'c>a', 'c>b'].includes(p)).sort());
    net.healPartitions();
    expect(delivered(sim, net, nodes)).toEqual([...pairs, 'a>c', 'b>c', 'c>a', 'c>b'].sort());
  });

  it('one-way cuts one direction only', () => {
    const { sim, net, nodes } = setup(ids);
    net.cutLink('a', 'b');
    expect(cutPairs(net)).toEqual(['a>b']);
    expect(delivered(sim, net, nodes)).toEqual(pairs.filter((p) => p !== 'a>b').sort());
    expect(() => net.cutLink('a', 'a')).toThrow(/itself/);
  });

  it('a message in flight when the link is cut waits for the heal, in order with later ones, and then arrives (TCP retransmits)', () => {
    const { sim, net, nodes } = setup(['c', 's']);
    sendAt(sim, 0, net, 'c', 's', 'request', 'Produce', 1);
    sim.at(1, () => net.cutLink('c', 's'));
    sendAt(sim, 10, net, 'c', 's', 'request', 'Produce', 2);
    sim.run(500_000);
    expect(nodes.s.ids()).toEqual([]);
    sim.at(500_000, () => net.healPartitions());
    sim.run(1e9);
    expect(nodes.s.ids()).toEqual([1, 2]);
    expect(net.messagesLost).toBe(0);
  });

  it('a request held by a cut past its client\'s close is still served after the heal, its answer lost', () => {
    const { sim, net, nodes } = setup(['c', 's']);
    net.cutLink('c', 's');
    sendAt(sim, 0, net, 'c', 's', 'request', 'EndTxn', 1);
    sim.at(100_000, () => net.disconnect('c', 's'));
    sim.at(200_000, () => net.healPartitions());
    nodes.s.deliver = (e) => {
      nodes.s.received.push(e);
      net.send('s', 'c', 'response', e.api, e.correlationId, null, e.connectionId);
    };
    sim.run(1e9);
    expect(nodes.s.received.map((e) => [e.correlationId, e.afterClose])).toEqual([[1, true]]);
    expect(nodes.c.ids()).toEqual([]);
  });

  it('heal removes pending message rules; healPartitions keeps them', () => {
    const { sim, net, nodes } = setup(['c', 's']);
    net.addRule({ action: 'drop', api: 'Produce', message: 'request', remaining: 5, delayUs: 0 });
    net.cutLink('c', 's');
    net.healPartitions();
    sendAt(sim, 0, net, 'c', 's', 'request', 'Produce', 1);
    sim.run(1e9);
    expect(nodes.s.ids()).toEqual([]);
    net.heal();
    sendAt(sim, sim.nowUs + 1, net, 'c', 's', 'request', 'Produce', 2);
    sim.run(1e10);
    expect(nodes.s.ids()).toEqual([2]);
  });
});

describe('Network: crashes and incarnations', () => {
  it('a node that crashed and came back does not receive messages addressed to its earlier incarnation', () => {
    const { sim, net, nodes } = setup(['c', 's']);
    sendAt(sim, 0, net, 'c', 's', 'request', 'Produce', 1);
    sim.at(1, () => nodes.s.incarnation++); // crash + instant restart: still up, new incarnation
    sendAt(sim, 2, net, 'c', 's', 'request', 'Produce', 2); // addressed to the new incarnation
    sim.run(1e9);
    expect(nodes.s.ids()).toEqual([2]);
  });

  it('a message from an earlier incarnation of the sender is lost', () => {
    const { sim, net, nodes } = setup(['c', 's']);
    sendAt(sim, 0, net, 's', 'c', 'response', 'Produce', 1);
    sim.at(1, () => nodes.s.incarnation++);
    sendAt(sim, 2, net, 's', 'c', 'response', 'Produce', 2);
    sim.run(1e9);
    expect(nodes.c.ids()).toEqual([2]);
  });

  it('a down node sends nothing and receives nothing', () => {
    const { sim, net, nodes } = setup(['c', 's']);
    nodes.c.up = false;
    sendAt(sim, 0, net, 'c', 's', 'request', 'Produce', 1);
    sendAt(sim, 0, net, 's', 'c', 'response', 'Produce', 2);
    sim.run(1e9);
    expect(nodes.s.ids()).toEqual([]);
    expect(nodes.c.ids()).toEqual([]);
    expect(net.messagesSent).toBe(1); // only s's message left; it was lost at c
    expect(net.messagesLost).toBe(1);
  });

  it('a process crash resets its peers (the live ones); a power loss tells nobody', () => {
    const { sim, net, nodes } = setup(['a', 'b', 'c']);
    nodes.c.up = false;
    sim.at(0, () => net.nodeCrashed('a', true));
    sim.run(1e9);
    expect(nodes.b.disconnects.map((d) => d.peer)).toEqual(['a']);
    expect(nodes.b.disconnects[0].atUs).toBeGreaterThanOrEqual(200);
    expect(nodes.c.disconnects).toEqual([]);
    expect(nodes.a.disconnects).toEqual([]);
    sim.at(sim.nowUs, () => net.nodeCrashed('b', false));
    sim.run(1e10);
    expect(nodes.a.disconnects).toEqual([]);
    expect(nodes.b.disconnects).toHaveLength(1);
  });
});

describe('Network: process stalls (hold)', () => {
  it('messages sent to or from a stalled node during the stall arrive after it ends', () => {
    const { sim, net, nodes } = setup(['c', 's', 'x']);
    const at: Record<number, number> = {};
    for (const n of [nodes.s, nodes.c]) {
      n.deliver = (e) => {
        at[e.correlationId] = sim.nowUs;
        n.received.push(e);
      };
    }
    sim.at(0, () => net.hold('s', 50_000));
    sendAt(sim, 10, net, 'c', 's', 'request', 'Produce', 1); // to the stalled node
    sendAt(sim, 20, net, 's', 'c', 'response', 'Produce', 2); // from it
    sendAt(sim, 30, net, 'x', 'c', 'request', 'Produce', 3); // unrelated: not held
    sendAt(sim, 60_000, net, 'c', 's', 'request', 'Produce', 4); // after the stall: normal
    sim.run(1e9);
    expect(at[1]).toBeGreaterThanOrEqual(50_000 + 200);
    expect(at[2]).toBeGreaterThanOrEqual(50_000 + 200);
    expect(at[3]).toBeLessThan(50_000);
    expect(at[4]).toBeGreaterThanOrEqual(60_200);
    // A later hold never shortens an earlier one.
    sim.at(sim.nowUs, () => {
      net.hold('s', sim.nowUs + 80_000);
      net.hold('s', sim.nowUs + 10_000);
    });
    const start = sim.nowUs;
    sendAt(sim, start + 1, net, 'c', 's', 'request', 'Produce', 5);
    sim.run(1e10);
    expect(at[5]).toBeGreaterThanOrEqual(start + 80_000);
  });
});

describe('Network: process stalls keep each connection direction FIFO', () => {
  /** Sends 1..20 a few microseconds apart from `from` to `to` while `s` is stalled (until 100 ms); returns arrival times by id. */
  function sendDuringStall(from: string, to: string, kind: MessageKind) {
    const { sim, net, nodes } = setup(['c', 's']);
    const at = new Map<number, number>();
    nodes[to].deliver = (e) => {
      at.set(e.correlationId, sim.nowUs);
      nodes[to].received.push(e);
    };
    sim.at(0, () => net.hold('s', 100_000));
    for (let i = 1; i <= 20; i++) sendAt(sim, 10 + i, net, from, to, kind, 'Produce', i);
    sim.run(1e9);
    return { ids: nodes[to].ids(kind), at };
  }

  it('requests to a stalled node arrive in send order when it wakes up', () => {
    const { ids, at } = sendDuringStall('c', 's', 'request');
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(Math.min(...at.values())).toBeGreaterThanOrEqual(100_000 + 200);
  });

  it('responses from a stalled node, and its own requests, leave in the order it wrote them', () => {
    expect(sendDuringStall('s', 'c', 'response').ids).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(sendDuringStall('s', 'c', 'request').ids).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('a message already on its way when the receiver stalls waits for the stall to end, ahead of later ones', () => {
    const { sim, net, nodes } = setup(['c', 's']);
    const at = new Map<number, number>();
    nodes.s.deliver = (e) => {
      at.set(e.correlationId, sim.nowUs);
      nodes.s.received.push(e);
    };
    sendAt(sim, 0, net, 'c', 's', 'request', 'Produce', 1); // at least 200 us on the wire
    sim.at(1, () => net.hold('s', 100_000));
    sendAt(sim, 50, net, 'c', 's', 'request', 'Produce', 2);
    sim.run(1e9);
    expect(at.get(1)).toBeGreaterThanOrEqual(100_000);
    expect(nodes.s.ids()).toEqual([1, 2]);
    // One sent during the stall goes on the wire when it ends.
    expect(at.get(2)).toBeGreaterThanOrEqual(100_000 + 200);
  });
});

describe('Network: determinism', () => {
  it('the same seed gives the same deliveries and trace; another seed other latencies', () => {
    const run = (seed: number) => {
      const { sim, net, nodes } = setup(['a', 'b', 'c'], seed);
      for (let i = 0; i < 100; i++) sendAt(sim, i * 3, net, ['a', 'b'][i % 2], 'c', 'request', 'Produce', i);
      const times: number[] = [];
      nodes.c.deliver = () => times.push(sim.nowUs);
      sim.run(1e9);
      return { hash: sim.trace.hash(), times };
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5).times).not.toEqual(run(6).times);
  });
});

describe('Network: trace', () => {
  /** A request and its response over two connections, one message held by a cut; returns the trace. */
  function traced(keepTrace: boolean): { hash: string; records: string[] | null; count: number } {
    const sim = new Simulation({ seed: 3, keepTrace });
    const net = new Network(sim, { latencyUsMin: 200, latencyUsMean: 2200 });
    for (const id of ['c', 's', 't']) net.add(new FakeNode(id, sim));
    sim.at(0, () => net.send('c', 's', 'request', 'Produce', 1, null));
    sim.at(10, () => net.send('s', 'c', 'response', 'Produce', 1, null));
    sim.at(20, () => net.cutLink('c', 't'));
    sim.at(30, () => net.send('c', 't', 'request', 'Fetch', 2, null));
    sim.run(1e9);
    return { hash: sim.trace.hash(), records: sim.trace.records, count: sim.trace.recordCount };
  }

  it('writes one record per delivery and hold; the hash does not depend on keeping them', () => {
    const kept = traced(true);
    const notKept = traced(false);
    expect(kept.records!.map((r) => r.replace(/^\d+ /, '')).sort()).toEqual([
      'deliver c>s Produce request #1',
      'deliver s>c Produce response #1',
      'hold c>t (cut)',
    ]);
    expect(kept.records!.every((r) => /^\d+ (deliver|hold) /.test(r))).toBe(true);
    expect(notKept.records).toBeNull();
    expect(notKept.count).toBe(kept.count);
    expect(notKept.hash).toBe(kept.hash);
  });
});

describe('Network: node ids named before they are added', () => {
  it('a cut or a stall may name a node that joins later, and holds once it does', () => {
    const { sim, net, nodes } = setup(['a']);
    expect(net.isCut('a', 'late')).toBe(false);
    net.cutLink('a', 'late');
    expect(net.isCut('a', 'late')).toBe(true);
    expect(net.node('late')).toBeUndefined();
    expect(() => net.send('a', 'late', 'request', 'Produce', 1, null)).toThrow(/unknown node/);
    expect(net.nodeIds()).toEqual(['a']);
    const late = new FakeNode('late', sim);
    net.add(late);
    expect(net.nodeIds()).toEqual(['a', 'late']);
    net.send('a', 'late', 'request', 'Produce', 2, null);
    net.send('late', 'a', 'request', 'Produce', 3, null);
    sim.run(1e9);
    expect(late.ids()).toEqual([]);
    expect(nodes.a.ids()).toEqual([3]);
    net.healPartitions();
    expect(net.isCut('a', 'late')).toBe(false);
    net.send('a', 'late', 'request', 'Produce', 4, null);
    sim.run(1e9);
    expect(late.ids()).toEqual([2, 4]);
  });
});
