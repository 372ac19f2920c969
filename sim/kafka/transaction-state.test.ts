import { describe, expect, it } from 'vitest';
import { checkTransition, IllegalTransitionError, TRANSACTION_STATES, VALID_PREVIOUS_STATES, type TransactionState } from './transaction-state.ts';

// Kafka's TransactionState, written out independently of the model's table (issue 3, item 1).
const KAFKA: Record<TransactionState, TransactionState[]> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteAbort', 'CompleteCommit'],
  PrepareEpochFence: ['Ongoing'],
};

describe('TransactionState table', () => {
  it("equals Kafka's valid previous states, state by state", () => {
    for (const s of TRANSACTION_STATES) expect([...VALID_PREVIOUS_STATES[s]].sort()).toEqual([...KAFKA[s]].sort());
    expect(Object.keys(VALID_PREVIOUS_STATES).sort()).toEqual(Object.keys(KAFKA).sort());
  });

  it('accepts every allowed transition and rejects every other, naming both states', () => {
    for (const to of TRANSACTION_STATES) {
      for (const from of TRANSACTION_STATES) {
        if (KAFKA[to].includes(from)) expect(() => checkTransition('t', from, to)).not.toThrow();
        else expect(() => checkTransition('t', from, to)).toThrow(new RegExp(`${from} -> ${to}`));
      }
    }
    expect(() => checkTransition('t', 'Empty', 'PrepareCommit')).toThrow(IllegalTransitionError);
  });
});
