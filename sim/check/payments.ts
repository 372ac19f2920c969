// Payments past Kafka's boundary (header field `payments`): every payment committed in Kafka is charged at
// the gateway exactly once, none that Kafka did not commit is charged, and the ledger database books each
// committed payment once, so its balance is the sum of the committed payments. A payment is a value of the
// payments topics; charges and bookings name it by that value. The gateway's and the ledger's final lines
// are their own accounts and decide; without them the ok charge and ledger operations stand in.
import { listed, makeAnomaly, opRef } from './anomaly.ts';
import type { Anomaly } from './anomaly.ts';
import { topicOf } from './history.ts';
import type { ChargeFacts, Key, Mop, PaymentsDescription } from './history.ts';
import type { HistoryIndex } from './index.ts';

interface Charge {
  chargeId: string;
  amountCents: number;
  /** Position of the ok completion that reported it; -1 when only the gateway's line knows of it. */
  pos: number;
}

interface ChargeAttempt {
  pos: number;
  facts: ChargeFacts;
}

interface Payments {
  desc: PaymentsDescription;
  /** paymentId → where Kafka committed it (first committed record). */
  committed: Map<string, { key: Key; offset: number }>;
  /** paymentIds that appear in the payments topics only in aborted transactions. */
  aborted: Set<string>;
  /** paymentId → its charges, by the gateway's account when there is one. */
  charges: Map<string, Charge[]>;
  /** paymentId → every charge operation line for it (invokes and completions), in history order. */
  attempts: Map<string, ChargeAttempt[]>;
  /** paymentId → positions of ledger operations that book it (invokes, whatever their outcome). */
  bookings: Map<string, number[]>;
  /** paymentId → amount, as any charge or booking states it. */
  amounts: Map<string, number>;
}

const push = <K, V>(m: Map<K, V[]>, k: K, v: V) => {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
};

const dollars = (cents: number) => `$${(cents / 100).toFixed(2)}`;

function collect(ix: HistoryIndex, desc: PaymentsDescription): Payments {
  const committed = new Map<string, { key: Key; offset: number }>();
  const seenAborted = new Set<string>();
  for (const [key, { log }] of ix.logs) {
    if (!desc.topics.includes(topicOf(key))) continue;
    for (let i = 0; i < log.length; i++) {
      const value = log.value(i);
      if (log.aborted(i)) seenAborted.add(value);
      else if (!committed.has(value)) committed.set(value, { key, offset: log.offset(i) });
    }
  }
  const aborted = new Set([...seenAborted].filter((v) => !committed.has(v)));
  const p: Payments = { desc, committed, aborted, charges: new Map(), attempts: new Map(), bookings: new Map(), amounts: new Map() };
  const opCharges = new Map<string, Charge[]>();
  ix.ops.forEach((head, pos) => {
    if (head.f !== 'charge' && head.f !== 'ledger') return;
    // The index keeps each line's head only: the micro-ops are read back, for these lines alone.
    const op = ix.opAt(pos);
    if (op.value === null) return;
    for (const m of op.value as Mop[]) {
      if (m[0] === 'charge' && m[1] === desc.gateway) {
        const [, , paymentId, facts] = m;
        if (!p.amounts.has(paymentId)) p.amounts.set(paymentId, facts.amountCents);
        push(p.attempts, paymentId, { pos, facts });
        if (op.type === 'ok' && facts.chargeId !== undefined && !opCharges.get(paymentId)?.some((c) => c.chargeId === facts.chargeId)) {
          push(opCharges, paymentId, { chargeId: facts.chargeId, amountCents: facts.amountCents, pos });
        }
      } else if (m[0] === 'book' && m[1] === desc.ledger) {
        if (!p.amounts.has(m[2])) p.amounts.set(m[2], m[3].amountCents);
        if (op.type === 'invoke') push(p.bookings, m[2], pos);
      }
    }
  });
  const gateway = ix.paymentFinals.find((f) => f.final === 'gateway' && f.name === desc.gateway);
  if (gateway?.final === 'gateway') {
    for (const [chargeId, paymentId, amountCents] of gateway.charges) {
      const pos = opCharges.get(paymentId)?.find((c) => c.chargeId === chargeId)?.pos ?? -1;
      push(p.charges, paymentId, { chargeId, amountCents, pos });
    }
  } else {
    for (const [paymentId, list] of opCharges) p.charges.set(paymentId, list);
  }
  return p;
}

export function findPaymentAnomalies(ix: HistoryIndex): Anomaly[] {
  const desc = ix.header.payments;
  if (desc === undefined) return [];
  const p = collect(ix, desc);
  return [...findDoubleCharges(ix, p), ...findMissingCharges(ix, p), ...findAbortedCharges(ix, p), ...findLedgerMismatches(ix, p)];
}

/** What became of each charge call for a payment, in order: "op 118: no answer (REQUEST_TIMED_OUT)". */
function attemptStory(ix: HistoryIndex, attempts: ChargeAttempt[]): string {
  const told: string[] = [];
  for (const a of attempts) {
    if (ix.ops.type(a.pos) !== 'invoke') continue;
    const done = ix.partner[a.pos];
    const end = done < 0 ? undefined : ix.opAt(done);
    const key = a.facts.key === null ? 'no idempotency key' : `key ${a.facts.key}`;
    const outcome = end === undefined ? 'never answered'
      : end.type === 'ok' ? `charged ${(end.value as Mop[]).map((m) => (m[0] === 'charge' ? m[3].chargeId : '')).join('')}`
      : `no answer (${end.error ?? end.type})`;
    told.push(`${opRef(ix, a.pos)} (${key}): ${outcome}`);
  }
  return told.join('; ');
}

function attemptPositions(ix: HistoryIndex, attempts: ChargeAttempt[]): number[] {
  return attempts.flatMap((a) => [a.pos, ix.partner[a.pos]]);
}

function findDoubleCharges(ix: HistoryIndex, p: Payments): Anomaly[] {
  const out: Anomaly[] = [];
  for (const [paymentId, charges] of p.charges) {
    if (charges.length < 2 || !p.committed.has(paymentId)) continue;
    const attempts = p.attempts.get(paymentId) ?? [];
    const total = charges.reduce((s, c) => s + c.amountCents, 0);
    const message = `${paymentId} was charged ${charges.length} times at ${p.desc.gateway} (${listed(charges.map((c) => c.chargeId))}, `
      + `${dollars(total)} instead of ${dollars(charges[0].amountCents)})${attempts.length > 0 ? `: ${attemptStory(ix, attempts)}` : ''}.`;
    out.push(makeAnomaly(ix, 'double-charge', message, {
      value: paymentId, values: charges.map((c) => c.chargeId), times: charges.length, sink: p.desc.gateway,
      positions: [...charges.map((c) => c.pos), ...attemptPositions(ix, attempts)],
    }));
  }
  return out;
}

function findMissingCharges(ix: HistoryIndex, p: Payments): Anomaly[] {
  const out: Anomaly[] = [];
  for (const [paymentId, { key, offset }] of p.committed) {
    if (p.charges.has(paymentId)) continue;
    const readers = Array.from(ix.readsOf.of(ix.valueId(paymentId)).subarray(0, 2), (r) => ix.reads.pos(r));
    const message = `${paymentId}, committed at ${key} offset ${offset}, was never charged at ${p.desc.gateway}`
      + `${readers.length > 0 ? ` (read by ${listed(readers.map((r) => opRef(ix, r)))})` : ''}.`;
    out.push(makeAnomaly(ix, 'missing-charge', message, {
      value: paymentId, key, offsets: [offset], sink: p.desc.gateway, positions: [...readers, ...attemptPositions(ix, p.attempts.get(paymentId) ?? [])],
    }));
  }
  return out;
}

/**
 * A charge for a payment Kafka never committed, or a charge made from a record of an aborted transaction
 * (a read_uncommitted consumer acting on data that was rolled back), even if the payment committed later.
 */
function findAbortedCharges(ix: HistoryIndex, p: Payments): Anomaly[] {
  const out: Anomaly[] = [];
  for (const [paymentId, charges] of p.charges) {
    if (p.committed.has(paymentId)) continue;
    const why = p.aborted.has(paymentId) ? 'was written only in aborted transactions' : 'is not in the payments topics';
    out.push(makeAnomaly(ix, 'aborted-charge', `${paymentId} was charged (${listed(charges.map((c) => c.chargeId))}) but ${why}.`, {
      value: paymentId, values: charges.map((c) => c.chargeId), sink: p.desc.gateway, positions: charges.map((c) => c.pos),
    }));
  }
  const reported = new Set<string>();
  for (const [paymentId, attempts] of p.attempts) {
    if (!p.committed.has(paymentId)) continue;
    for (const a of attempts) {
      if (ix.ops.type(a.pos) !== 'invoke') continue;
      const [key, offset] = a.facts.from;
      const view = ix.logs.get(key);
      const i = view === undefined ? -1 : view.indexAt(offset);
      if (i < 0 || !view!.log.aborted(i)) continue;
      const id = `${paymentId} ${key} ${offset}`;
      if (reported.has(id)) continue;
      reported.add(id);
      out.push(makeAnomaly(ix, 'aborted-charge',
        `${paymentId} was charged by ${opRef(ix, a.pos)} for the record at ${key} offset ${offset}, which belongs to an aborted transaction.`, {
          value: paymentId, key, offsets: [offset], sink: p.desc.gateway, positions: [a.pos, ix.partner[a.pos]],
        }));
    }
  }
  return out;
}

/** Each committed payment booked once and nothing else booked; then the balance is the sum of the committed payments. */
function findLedgerMismatches(ix: HistoryIndex, p: Payments): Anomaly[] {
  const line = ix.paymentFinals.find((f) => f.final === 'ledger' && f.name === p.desc.ledger);
  if (line?.final !== 'ledger') return [];
  const booked = new Map<string, number>();
  for (const [paymentId] of line.entries) booked.set(paymentId, (booked.get(paymentId) ?? 0) + 1);
  let expected = 0;
  for (const paymentId of p.committed.keys()) expected += p.amounts.get(paymentId) ?? 0;
  const balance = `the balance is ${dollars(line.balanceCents)}, the committed payments sum to ${dollars(expected)}`;
  const out: Anomaly[] = [];
  for (const paymentId of new Set([...p.committed.keys(), ...booked.keys()])) {
    const times = booked.get(paymentId) ?? 0;
    const want = p.committed.has(paymentId) ? 1 : 0;
    if (times === want) continue;
    const attempts = p.bookings.get(paymentId) ?? [];
    const told = attempts.map((q) => {
      const done = ix.partner[q] < 0 ? undefined : ix.ops.at(ix.partner[q]);
      return `${opRef(ix, q)}: ${done === undefined ? 'never answered' : done.type === 'ok' ? 'committed' : `${done.type} ${done.error ?? ''}`.trim()}`;
    });
    const what = want === 0 ? 'which Kafka never committed' : times === 0 ? 'which Kafka committed' : 'once committed';
    out.push(makeAnomaly(ix, 'ledger-mismatch', `${paymentId}, ${what}, is booked ${times} time(s) in ${p.desc.ledger}`
      + `${told.length > 0 ? ` (${told.join('; ')})` : ''}; ${balance}.`, {
      value: paymentId, times, sink: p.desc.ledger, positions: attempts.flatMap((q) => [q, ix.partner[q]]),
    }));
  }
  if (out.length === 0 && line.balanceCents !== expected) {
    out.push(makeAnomaly(ix, 'ledger-mismatch', `Every committed payment is booked once in ${p.desc.ledger}, but ${balance}.`, {
      sink: p.desc.ledger, positions: [],
    }));
  }
  return out;
}
