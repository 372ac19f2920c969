// The transaction coordinator's state machine, as Kafka's TransactionState: each state lists the states
// it may be entered from. Every transition the coordinator makes is checked against this table, and an
// illegal one throws naming both states, so a model bug cannot silently pass as a Kafka behaviour.

export const TRANSACTION_STATES = [
  'Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence',
] as const;
export type TransactionState = (typeof TRANSACTION_STATES)[number];

/** TransactionState.validPreviousStates in Kafka (coordinator/transaction/TransactionState.scala / .java). */
export const VALID_PREVIOUS_STATES: Record<TransactionState, readonly TransactionState[]> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteAbort', 'CompleteCommit'],
  PrepareEpochFence: ['Ongoing'],
};

export class IllegalTransitionError extends Error {}

export function checkTransition(transactionalId: string, from: TransactionState, to: TransactionState): void {
  if (!VALID_PREVIOUS_STATES[to].includes(from)) {
    throw new IllegalTransitionError(`transaction ${transactionalId}: illegal transition ${from} -> ${to} (${to} may follow only ${VALID_PREVIOUS_STATES[to].join(', ')})`);
  }
}
