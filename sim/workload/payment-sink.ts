// The consumer application's side of the payment: for each payment it reads from Kafka it charges the
// customer at the payment gateway and books the payment in the ledger database, both over the simulated
// network. Kafka's exactly-once ends where this starts, so what happens to a payment delivered twice (a
// redelivery after a crash, a duplicate in the log) or a call whose answer never came (a timeout; the
// application tries again) depends on the pattern alone:
//   naive            charge without a key, append a ledger entry: a retried or redelivered payment is
//                    charged and booked again.
//   dedup-table      read the processed-table first and skip what is there; charge without a key; mark and
//                    book in one database transaction. A crash or timeout between the charge and the mark
//                    still charges twice; the ledger stays right.
//   idempotency-key  the payment id is the gateway's idempotency key and the ledger row's key (an upsert):
//                    charging or booking twice is harmless.
//   db-offsets       the next offset goes into the database transaction with the booking (offsets only
//                    move forward, so a retried transaction rolls back); after an assignment the
//                    application resumes from the database's offsets, not from Kafka's. The consumer model
//                    has no seek(), so it skips what lies below the database's offsets: Kafka's committed
//                    offsets, written after the database's, are never ahead of them, so this is the
//                    position a seek would give. The charge carries the payment id as key.
//   txn-coordinates  each record's coordinates (partition, offset) key the charge and a table of applied
//                    coordinates, so a replayed record is discarded (Kafka Connect's approach). A payment
//                    written twice to the log has two coordinates: upstream exactly-once must prevent that.
// Every call is retried until it succeeds; the history records each charge and each database transaction.
import type { Simulation } from '../core/simulation.ts';
import { traceToken } from '../core/trace.ts';
import type { Mop } from '../check/history.ts';
import type { SinkConfig } from '../external/config.ts';
import type {
  ChargeRequest, ChargeResponse, DbStatement, LedgerReadRequest, LedgerReadResponse, LedgerTxnRequest, LedgerTxnResponse,
} from '../external/protocol.ts';
import type { ConsumedRecord } from '../kafka/consumer.ts';
import type { ApiName } from '../faults/schedule.ts';
import type { Envelope, NetNode, Network } from '../net/network.ts';
import { RpcClient } from '../net/rpc.ts';
import type { Recorder } from './recorder.ts';

/** Where the consumer application hands each record it processes. */
export interface RecordSink {
  /** Applies one record; calls `done` once it is applied, or known to have been applied before. */
  apply(record: ConsumedRecord, done: () => void): void;
  /** The consumer was assigned `keys` anew: positions kept for earlier assignments are stale. */
  assigned(keys: string[]): void;
  crash(): void;
  restart(): void;
  /** Network nodes the application uses for the sink. */
  nodes(): string[];
}

/** The payment a record stands for: a pipeline's output names its input first ("p1-e0-s17>ledger"). */
export function paymentIdOf(value: string): string {
  const cut = value.indexOf('>');
  return cut < 0 ? value : value.slice(0, cut);
}

/** A payment's amount: a function of its id, $1.00 to $999.99, so every copy of a payment asks for the same. */
export function amountCentsOf(paymentId: string): number {
  return 100 + ((traceToken(paymentId) >>> 0) % 99_900);
}

export interface PaymentSinkTargets {
  gateway: string;
  ledgerDb: string;
}

export class PaymentSink implements RecordSink, NetNode {
  readonly id: string;
  incarnation = 0;
  private up = true;
  private readonly rpc: RpcClient;
  /** db-offsets: the next offset the database holds per partition of the current assignment. */
  private dbOffsets = new Map<string, number>();

  constructor(
    private readonly sim: Simulation,
    private readonly recorder: Recorder,
    private readonly process: string,
    private readonly config: SinkConfig,
    private readonly targets: PaymentSinkTargets,
    net: Network,
  ) {
    this.id = `${process}-sink`;
    this.rpc = new RpcClient(sim, net, this.id);
  }

  isUp(): boolean {
    return this.up;
  }

  deliver(env: Envelope): void {
    if (env.kind === 'response') this.rpc.onResponse(env);
  }

  peerDisconnected(peer: string, connectionId: number): void {
    this.rpc.failAll(peer, connectionId);
  }

  crash(): void {
    this.up = false;
    this.incarnation++;
    this.rpc.clear();
    this.dbOffsets = new Map();
  }

  restart(): void {
    this.up = true;
  }

  nodes(): string[] {
    return [this.id];
  }

  assigned(): void {
    this.dbOffsets = new Map();
  }

  apply(record: ConsumedRecord, done: () => void): void {
    const paymentId = paymentIdOf(record.value);
    const payment = { record, paymentId, amountCents: amountCentsOf(paymentId) };
    const book = (row: string | null): DbStatement => ({ op: 'book', paymentId, amountCents: payment.amountCents, row });
    switch (this.config.pattern) {
      case 'naive':
        return this.charge(payment, null, () => this.transact([book(null)], done));
      case 'dedup-table':
        return this.unlessPresent(paymentId, done, () => this.charge(payment, null, () => this.transact([{ op: 'mark', key: paymentId }, book(null)], done)));
      case 'idempotency-key':
        return this.charge(payment, paymentId, () => this.transact([book(paymentId)], done));
      case 'db-offsets':
        return this.resumeFromDb(record.key, (next) => {
          if (record.offset < next) return done();
          this.charge(payment, paymentId, () => {
            const offsets = { [record.key]: record.offset + 1 };
            this.transact([book(null), { op: 'offsets', offsets }], () => {
              this.dbOffsets.set(record.key, record.offset + 1);
              done();
            });
          });
        });
      case 'txn-coordinates': {
        const coordinates = `${record.key}@${record.offset}`;
        return this.unlessPresent(coordinates, done, () => this.charge(payment, coordinates, () => this.transact([{ op: 'mark', key: coordinates }, book(null)], done)));
      }
    }
  }

  /** Sends a request until it is answered, as an application with a retry loop does; each attempt is a new call. */
  private call<Req, Resp>(to: string, api: ApiName, body: Req, onAttempt: () => number | null, onAnswer: (resp: Resp, id: number | null) => void,
    onError: (id: number | null, error: string) => void): void {
    const inc = this.incarnation;
    const attempt = () => {
      const id = onAttempt();
      this.rpc.request<Req, Resp>(to, api, body, this.config.requestTimeoutMs, (error, resp) => {
        if (inc !== this.incarnation) return;
        if (error === null) return onAnswer(resp!, id);
        onError(id, error);
        this.sim.afterMs(this.config.retryBackoffMs, () => {
          if (inc === this.incarnation) attempt();
        });
      });
    };
    attempt();
  }

  private charge(p: { record: ConsumedRecord; paymentId: string; amountCents: number }, idempotencyKey: string | null, then: () => void): void {
    const req: ChargeRequest = { paymentId: p.paymentId, amountCents: p.amountCents, idempotencyKey };
    const facts = { amountCents: p.amountCents, key: idempotencyKey, from: [p.record.key, p.record.offset] as [string, number] };
    const mop = (chargeId?: string): Mop => ['charge', this.targets.gateway, p.paymentId, chargeId === undefined ? facts : { ...facts, chargeId }];
    this.call<ChargeRequest, ChargeResponse>(this.targets.gateway, 'Charge', req,
      () => this.recorder.invoke(this.process, 'charge', [mop()]),
      (resp, id) => {
        this.recorder.complete(this.process, id!, 'ok', [mop(resp.chargeId)]);
        then();
      },
      // No answer: the charge may or may not have been made.
      (id, error) => this.recorder.complete(this.process, id!, 'info', null, error));
  }

  /** Runs one database transaction until it is answered; a rollback (a present mark, stale offsets) means already applied. */
  private transact(statements: DbStatement[], done: () => void): void {
    const db = this.targets.ledgerDb;
    const mops: Mop[] = statements.map((s): Mop => s.op === 'book' ? ['book', db, s.paymentId, { amountCents: s.amountCents, row: s.row }]
      : s.op === 'mark' ? ['mark', db, s.key] : ['offsets', db, s.offsets]);
    this.call<LedgerTxnRequest, LedgerTxnResponse>(db, 'LedgerTxn', { statements },
      () => this.recorder.invoke(this.process, 'ledger', mops),
      (resp, id) => {
        if (resp.committed) this.recorder.complete(this.process, id!, 'ok', mops);
        else this.recorder.complete(this.process, id!, 'fail', null, resp.reason);
        done();
      },
      (id, error) => this.recorder.complete(this.process, id!, 'info', null, error));
  }

  /** Reads the processed-table: `skip` when `key` is there, else `go`. Reads change nothing and are not recorded. */
  private unlessPresent(key: string, skip: () => void, go: () => void): void {
    const req: LedgerReadRequest = { keys: [key], partitions: [] };
    this.call<LedgerReadRequest, LedgerReadResponse>(this.targets.ledgerDb, 'LedgerRead', req, () => null,
      (resp) => (resp.present.length > 0 ? skip() : go()), () => {});
  }

  /** db-offsets: where the database says this partition resumes (0 when it holds nothing), read once per assignment. */
  private resumeFromDb(key: string, then: (next: number) => void): void {
    const known = this.dbOffsets.get(key);
    if (known !== undefined) return then(known);
    const req: LedgerReadRequest = { keys: [], partitions: [key] };
    this.call<LedgerReadRequest, LedgerReadResponse>(this.targets.ledgerDb, 'LedgerRead', req, () => null, (resp) => {
      const next = resp.offsets[key] ?? 0;
      this.dbOffsets.set(key, next);
      then(next);
    }, () => {});
  }
}
