import { describe, expect, it } from 'vitest';
import { checkGroupTransition, GROUP_STATES, IllegalGroupTransitionError, VALID_PREVIOUS_GROUP_STATES, type GroupState } from './group-coordinator.ts';
import { assignPartitions, type Subscription } from './group-protocol.ts';

// Kafka's GroupMetadata.scala states, written out independently of the model's table.
const KAFKA: Record<GroupState, GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

describe('group state table', () => {
  it("equals Kafka's valid previous states and names both states of an illegal transition", () => {
    for (const s of GROUP_STATES) expect([...VALID_PREVIOUS_GROUP_STATES[s]].sort()).toEqual([...KAFKA[s]].sort());
    for (const to of GROUP_STATES) {
      for (const from of GROUP_STATES) {
        if (KAFKA[to].includes(from)) expect(() => checkGroupTransition('g', from, to)).not.toThrow();
        else expect(() => checkGroupTransition('g', from, to)).toThrow(new RegExp(`${from} -> ${to}`));
      }
    }
    expect(() => checkGroupTransition('g', 'Empty', 'Stable')).toThrow(IllegalGroupTransitionError);
  });
});

const members = (ids: string[], topics = ['payments']): Subscription[] => ids.map((memberId) => ({ memberId, topics }));

function flat(a: Record<string, string[]>): string[] {
  return Object.values(a).flat();
}

describe('assignors', () => {
  it('range: contiguous ranges per topic over members sorted by id, the first ones getting the extra partitions', () => {
    const a = assignPartitions('range', members(['c-2', 'c-1', 'c-3']), new Map([['payments', 7]]));
    expect(a).toEqual({
      'c-1': ['payments/0', 'payments/1', 'payments/2'],
      'c-2': ['payments/3', 'payments/4'],
      'c-3': ['payments/5', 'payments/6'],
    });
  });

  it('roundrobin: partitions dealt in turn, skipping members not subscribed to the topic', () => {
    const subs: Subscription[] = [
      { memberId: 'a', topics: ['t1', 't2'] },
      { memberId: 'b', topics: ['t1'] },
      { memberId: 'c', topics: ['t1', 't2'] },
    ];
    const a = assignPartitions('roundrobin', subs, new Map([['t1', 3], ['t2', 3]]));
    expect(a).toEqual({ a: ['t1/0', 't2/0', 't2/2'], b: ['t1/1'], c: ['t1/2', 't2/1'] });
  });

  it('both are disjoint, cover every partition, and do not depend on the order members are listed in', () => {
    for (const strategy of ['range', 'roundrobin'] as const) {
      for (let n = 1; n <= 4; n++) {
        for (let parts = 1; parts <= 7; parts++) {
          const ids = Array.from({ length: n }, (_, i) => `consumer-${i + 1}-0.${i + 1}`);
          const a = assignPartitions(strategy, members(ids), new Map([['payments', parts]]));
          const b = assignPartitions(strategy, members([...ids].reverse()), new Map([['payments', parts]]));
          expect(b).toEqual(a);
          const all = flat(a);
          expect(new Set(all).size).toBe(all.length);
          expect([...all].sort()).toEqual(Array.from({ length: parts }, (_, p) => `payments/${p}`).sort());
          // Balanced: sizes differ by at most one.
          const sizes = Object.values(a).map((x) => x.length);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it('ignores topics the metadata does not know', () => {
    expect(assignPartitions('range', members(['a'], ['nope']), new Map())).toEqual({ a: [] });
  });
});
