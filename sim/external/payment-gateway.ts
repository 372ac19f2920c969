// The payment gateway: charges a card per Charge request. The charge is made when the request arrives
// (the card network has authorised it); the answer takes the gateway's latency, so a crash, a stall or a
// lost response in between leaves the caller not knowing whether the customer was charged. That is the
// payment story of the seeds: the caller times out, retries, and the customer pays twice, unless the
// gateway honours idempotency keys and the caller sends one.
import type { Simulation } from '../core/simulation.ts';
import type { Envelope, Network } from '../net/network.ts';
import { GATEWAY_NODE, type GatewayConfig } from './config.ts';
import type { ChargeRequest, ChargeResponse } from './protocol.ts';
import { ServiceNode } from './service-node.ts';

export interface Charge {
  chargeId: string;
  paymentId: string;
  amountCents: number;
  idempotencyKey: string | null;
}

export class PaymentGateway extends ServiceNode {
  /** Every charge made, in order: durable, a crash forgets none. */
  readonly charges: Charge[] = [];
  private readonly byKey = new Map<string, Charge>();

  constructor(sim: Simulation, net: Network, private readonly config: GatewayConfig) {
    super(sim, net, GATEWAY_NODE, config);
  }

  protected handle(request: Envelope): void {
    if (request.api !== 'Charge') return;
    const req = request.body as ChargeRequest;
    const key = this.config.honoursIdempotencyKeys ? req.idempotencyKey : null;
    let charge = key === null ? undefined : this.byKey.get(key);
    const replayed = charge !== undefined;
    if (charge === undefined) {
      charge = { chargeId: `ch-${this.charges.length + 1}`, paymentId: req.paymentId, amountCents: req.amountCents, idempotencyKey: req.idempotencyKey };
      this.charges.push(charge);
      if (key !== null) this.byKey.set(key, charge);
      this.sim.log(`${this.id} charge ${charge.chargeId} ${req.paymentId}`);
    }
    const chargeId = charge.chargeId;
    this.afterLatency<ChargeResponse>(request, () => ({ chargeId, replayed }));
  }
}
