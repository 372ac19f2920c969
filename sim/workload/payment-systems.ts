// Wires the systems past Kafka's boundary for a run whose scenario has a `sink` section: the payment
// gateway and the ledger database as nodes on the run's network, and one PaymentSink per consumer
// application. Also writes what the history needs of them: the header's payments description and the
// final gateway and ledger lines.
import type { FinalGateway, FinalLedger, PaymentsDescription } from '../check/history.ts';
import type { Simulation } from '../core/simulation.ts';
import {
  DEFAULT_GATEWAY, DEFAULT_LEDGER_DB, DEFAULT_SINK, type GatewayConfig, type LedgerDbConfig, type SinkConfig, type SinkPattern,
} from '../external/config.ts';
import { LedgerDatabase } from '../external/ledger-database.ts';
import { PaymentGateway } from '../external/payment-gateway.ts';
import type { Network } from '../net/network.ts';
import { PaymentSink } from './payment-sink.ts';
import type { Recorder } from './recorder.ts';

export interface PaymentSystemsOptions {
  gateway?: Partial<GatewayConfig>;
  ledgerDb?: Partial<LedgerDbConfig>;
  sink: Partial<SinkConfig>;
  /** The pattern when the sink section names none: the mode's (idempotency-key where it promises an idempotent sink). */
  modePattern: SinkPattern;
  /** Topic whose committed records are the payments. */
  paymentsTopic: string;
}

export class PaymentSystems {
  readonly gateway: PaymentGateway;
  readonly ledgerDb: LedgerDatabase;
  readonly sink: SinkConfig;

  constructor(private readonly sim: Simulation, private readonly net: Network, private readonly recorder: Recorder,
    private readonly options: PaymentSystemsOptions) {
    this.gateway = new PaymentGateway(sim, net, { ...DEFAULT_GATEWAY, ...options.gateway });
    this.ledgerDb = new LedgerDatabase(sim, net, { ...DEFAULT_LEDGER_DB, ...options.ledgerDb });
    net.add(this.gateway);
    net.add(this.ledgerDb);
    this.sink = { ...DEFAULT_SINK, pattern: options.modePattern, ...options.sink };
  }

  /** The services as fault targets (crash-client, pause-client and friends name them by node id). */
  services(): (PaymentGateway | LedgerDatabase)[] {
    return [this.gateway, this.ledgerDb];
  }

  /** The sink of one consumer application (its own network node, `<process>-sink`). */
  sinkFor(process: string): PaymentSink {
    const sink = new PaymentSink(this.sim, this.recorder, process, this.sink, { gateway: this.gateway.id, ledgerDb: this.ledgerDb.id }, this.net);
    this.net.add(sink);
    return sink;
  }

  description(): PaymentsDescription {
    return { topics: [this.options.paymentsTopic], gateway: this.gateway.id, ledger: this.ledgerDb.id };
  }

  finals(): [FinalGateway, FinalLedger] {
    return [
      { final: 'gateway', name: this.gateway.id, charges: this.gateway.charges.map((c) => [c.chargeId, c.paymentId, c.amountCents, c.idempotencyKey]) },
      { final: 'ledger', name: this.ledgerDb.id, entries: this.ledgerDb.entries.map(([p, a]) => [p, a]), balanceCents: this.ledgerDb.balanceCents() },
    ];
  }
}
