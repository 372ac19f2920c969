import { describe, expect, it } from 'vitest';
import { Simulation } from '../core/simulation.ts';
import { Network, type Envelope, type NetNode } from '../net/network.ts';
import { RpcClient, type RpcError } from '../net/rpc.ts';
import { LedgerDatabase } from './ledger-database.ts';
import { PaymentGateway } from './payment-gateway.ts';
import type { ChargeRequest, ChargeResponse, DbStatement, LedgerReadResponse, LedgerTxnResponse } from './protocol.ts';

function setup(honoursIdempotencyKeys = true) {
  const sim = new Simulation({ seed: 5, keepTrace: false });
  const net = new Network(sim, { latencyUsMin: 100, latencyUsMean: 200 });
  const gateway = new PaymentGateway(sim, net, { latencyMsMin: 2, latencyMsMean: 4, honoursIdempotencyKeys });
  const db = new LedgerDatabase(sim, net, { latencyMsMin: 1, latencyMsMean: 2 });
  // The application's end: an RpcClient on a node that hands it the responses and resets.
  const caller = { rpc: new RpcClient(sim, net, 'app') };
  const app: NetNode = {
    id: 'app', incarnation: 0, isUp: () => true,
    deliver: (env: Envelope) => { if (env.kind === 'response') caller.rpc.onResponse(env); },
    peerDisconnected: (peer: string, connectionId: number) => caller.rpc.failAll(peer, connectionId),
  };
  for (const n of [gateway, db, app]) net.add(n);
  const answers: { error: RpcError | null; resp: unknown }[] = [];
  const charge = (idempotencyKey: string | null, timeoutMs = 50) => {
    const req: ChargeRequest = { paymentId: 'p1-e0-s0', amountCents: 5000, idempotencyKey };
    caller.rpc.request<ChargeRequest, ChargeResponse>('gateway', 'Charge', req, timeoutMs, (error, resp) => answers.push({ error, resp }));
  };
  const txn = (statements: DbStatement[]) =>
    caller.rpc.request<{ statements: DbStatement[] }, LedgerTxnResponse>('ledger-db', 'LedgerTxn', { statements }, 50, (error, resp) => answers.push({ error, resp }));
  const book = (row: string | null): DbStatement => ({ op: 'book', paymentId: 'p1-e0-s0', amountCents: 5000, row });
  return { sim, net, gateway, db, caller, answers, charge, txn, book };
}

describe('PaymentGateway', () => {
  it('charges once per idempotency key and answers a repeat with the original charge', () => {
    const t = setup();
    t.charge('k1');
    t.charge('k1');
    t.sim.run(1_000_000);
    expect(t.gateway.charges.map((c) => c.chargeId)).toEqual(['ch-1']);
    // Each answer takes its own latency, so the replayed one may come back first.
    expect(t.answers.map((a) => a.resp)).toEqual(expect.arrayContaining([{ chargeId: 'ch-1', replayed: false }, { chargeId: 'ch-1', replayed: true }]));
    expect(t.answers).toHaveLength(2);
  });

  it('charges again for a repeated key when it does not honour keys, and for a request without a key', () => {
    const t = setup(false);
    t.charge('k1');
    t.charge('k1');
    t.charge(null);
    t.sim.run(1_000_000);
    expect(t.gateway.charges.map((c) => c.chargeId)).toEqual(['ch-1', 'ch-2', 'ch-3']);
  });

  it('keeps a charge whose response was lost: the caller learns nothing, the customer is charged', () => {
    const t = setup();
    t.net.addRule({ action: 'drop', api: 'Charge', message: 'response', remaining: 1, delayUs: 0 });
    t.charge(null);
    t.sim.run(1_000_000);
    expect(t.gateway.charges).toHaveLength(1);
    expect(t.answers).toEqual([{ error: 'NETWORK_EXCEPTION', resp: null }]);
  });

  it('charges on arrival and answers nobody when it crashes before answering; charges survive the crash', () => {
    const t = setup();
    t.charge(null, 20);
    t.sim.at(1_000, () => t.gateway.crash()); // the request arrived (~0.2 ms); the answer takes >= 2 ms
    t.sim.at(30_000, () => t.gateway.restart());
    t.sim.run(1_000_000);
    expect(t.gateway.charges).toHaveLength(1);
    expect(t.answers[0].error).not.toBeNull();
  });
});

describe('LedgerDatabase', () => {
  it('commits a transaction whole and upserts by row key', () => {
    const t = setup();
    t.txn([t.book('p1-e0-s0'), { op: 'offsets', offsets: { 'payments/0': 1 } }]);
    t.txn([t.book('p1-e0-s0')]);
    t.sim.run(1_000_000);
    expect(t.db.entries).toEqual([['p1-e0-s0', 5000]]);
    expect(t.answers.map((a) => a.resp)).toEqual([{ committed: true, booked: 1 }, { committed: true, booked: 0 }]);
    let read: LedgerReadResponse | null = null;
    t.caller.rpc.request('ledger-db', 'LedgerRead', { keys: [], partitions: ['payments/0', 'payments/1'] }, 50, (_e, r) => { read = r as LedgerReadResponse; });
    t.sim.run(2_000_000);
    expect(read).toEqual({ present: [], offsets: { 'payments/0': 1 } });
  });

  it('rolls a transaction back whole when its mark is already present', () => {
    const t = setup();
    t.txn([{ op: 'mark', key: 'p1-e0-s0' }, t.book(null)]);
    t.txn([{ op: 'mark', key: 'p1-e0-s0' }, t.book(null)]);
    t.sim.run(1_000_000);
    expect(t.db.entries).toHaveLength(1);
    expect(t.answers.map((a) => a.resp)).toEqual([{ committed: true, booked: 1 }, { committed: false, booked: 0, reason: 'DUPLICATE_KEY' }]);
  });

  it('rolls a transaction back whole when its offsets do not move forward', () => {
    const t = setup();
    const offsets: DbStatement = { op: 'offsets', offsets: { 'payments/0': 4 } };
    t.txn([t.book(null), offsets]);
    t.sim.run(100_000);
    t.txn([t.book(null), offsets]);
    t.sim.run(1_000_000);
    expect(t.db.entries).toHaveLength(1);
    expect(t.answers[1].resp).toEqual({ committed: false, booked: 0, reason: 'STALE_OFFSETS' });
  });

  it('loses a transaction that had not committed when it crashed, and keeps what had', () => {
    const t = setup();
    t.txn([t.book(null)]);
    t.sim.run(100_000);
    expect(t.db.entries).toHaveLength(1);
    t.txn([t.book(null)]);
    t.sim.at(t.sim.nowUs + 500, () => t.db.crash()); // arrived, not yet committed (>= 1 ms)
    t.sim.at(t.sim.nowUs + 10_000, () => t.db.restart());
    t.sim.run(1_000_000);
    expect(t.db.entries).toHaveLength(1);
    expect(t.db.balanceCents()).toBe(5000);
  });
});
