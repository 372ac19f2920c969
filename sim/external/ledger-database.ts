// The ledger database: a transactional store outside Kafka holding ledger entries, a processed-table
// (dedup keys with a primary key) and, for consumers that keep them there, consumed offsets. A transaction
// commits when its commit record is synced, one latency after it arrives; a crash before that loses it
// whole, a crash after keeps it whole. Reads see committed data only.
import type { Simulation } from '../core/simulation.ts';
import type { Envelope, Network } from '../net/network.ts';
import { LEDGER_DB_NODE, type LedgerDbConfig } from './config.ts';
import type { LedgerReadRequest, LedgerReadResponse, LedgerTxnRequest, LedgerTxnResponse } from './protocol.ts';
import { ServiceNode } from './service-node.ts';

export class LedgerDatabase extends ServiceNode {
  /** Committed entries [paymentId, amountCents], in commit order. */
  readonly entries: [string, number][] = [];
  private readonly rows = new Set<string>();
  private readonly processed = new Set<string>();
  private readonly offsets = new Map<string, number>();
  /** Transactions committed and rolled back, for tests and the cost model. */
  commits = 0;
  rollbacks = 0;

  constructor(sim: Simulation, net: Network, config: LedgerDbConfig) {
    super(sim, net, LEDGER_DB_NODE, config);
  }

  protected handle(request: Envelope): void {
    if (request.api === 'LedgerTxn') {
      const req = request.body as LedgerTxnRequest;
      this.afterLatency<LedgerTxnResponse>(request, () => this.execute(req));
    } else if (request.api === 'LedgerRead') {
      const req = request.body as LedgerReadRequest;
      this.afterLatency<LedgerReadResponse>(request, () => this.read(req));
    }
  }

  /** All or nothing: a `mark` of a key already present, or offsets that do not move forward, roll it all back. */
  private execute(req: LedgerTxnRequest): LedgerTxnResponse {
    for (const s of req.statements) {
      const reason = s.op === 'mark' && this.processed.has(s.key) ? 'DUPLICATE_KEY'
        : s.op === 'offsets' && Object.entries(s.offsets).some(([key, next]) => (this.offsets.get(key) ?? 0) >= next) ? 'STALE_OFFSETS'
        : undefined;
      if (reason !== undefined) {
        this.rollbacks++;
        return { committed: false, booked: 0, reason };
      }
    }
    let booked = 0;
    for (const s of req.statements) {
      if (s.op === 'mark') this.processed.add(s.key);
      else if (s.op === 'offsets') for (const [key, next] of Object.entries(s.offsets)) this.offsets.set(key, next);
      else if (s.row === null || !this.rows.has(s.row)) {
        if (s.row !== null) this.rows.add(s.row);
        this.entries.push([s.paymentId, s.amountCents]);
        booked++;
      }
    }
    this.commits++;
    return { committed: true, booked };
  }

  private read(req: LedgerReadRequest): LedgerReadResponse {
    const offsets: Record<string, number> = {};
    for (const key of req.partitions) {
      const next = this.offsets.get(key);
      if (next !== undefined) offsets[key] = next;
    }
    return { present: req.keys.filter((k) => this.processed.has(k)), offsets };
  }

  /** The sum of every committed entry (cents). */
  balanceCents(): number {
    return this.entries.reduce((sum, [, amount]) => sum + amount, 0);
  }
}
