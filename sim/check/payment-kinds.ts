// The anomaly kinds of payments past Kafka's boundary (payments.ts finds them; docs/anomalies.md explains them).

export const PAYMENT_ANOMALY_KINDS = ['double-charge', 'missing-charge', 'aborted-charge', 'ledger-mismatch'] as const;

export const PAYMENT_ANOMALY_DESCRIPTIONS: Record<(typeof PAYMENT_ANOMALY_KINDS)[number], string> = {
  'double-charge': 'a payment committed in Kafka was charged more than once at the payment gateway',
  'missing-charge': 'a payment committed in Kafka was never charged at the payment gateway',
  'aborted-charge': 'a payment Kafka did not commit was charged, or a charge was made from a record of an aborted transaction',
  'ledger-mismatch': 'the ledger database does not book each committed payment exactly once, so its balance is not the sum of the committed payments',
};
