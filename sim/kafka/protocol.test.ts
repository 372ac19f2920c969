import { describe, expect, it } from 'vitest';
import { partitionKey } from './protocol.ts';

describe('partitionKey', () => {
  it('names a partition topic/partition, the same key however often it is asked for', () => {
    expect(partitionKey('payments', 0)).toBe('payments/0');
    expect(partitionKey('payments', 12)).toBe('payments/12');
    expect(partitionKey('ledger-entries', 12)).toBe('ledger-entries/12');
    expect(partitionKey('payments', 0)).toBe('payments/0');
    // Numbers that are no partition index still give their text (and are not cached).
    expect(partitionKey('payments', -1)).toBe('payments/-1');
    expect(partitionKey('payments', 1.5)).toBe('payments/1.5');
  });
});
