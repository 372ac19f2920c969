import { describe, expect, it } from 'vitest';
import { coordinatorPartitionFor, javaStringHashCode, murmur2, partitionForKey } from './partitioner.ts';

describe('partitioner', () => {
  it('matches Kafka murmur2 on the vectors of Kafka UtilsTest.testMurmur2', () => {
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ];
    for (const [s, want] of cases) expect(murmur2(new TextEncoder().encode(s))).toBe(want);
  });

  it('places a key by murmur2 of its UTF-8 bytes, whatever keys came before (ASCII, long, non-ASCII)', () => {
    const keys = ['payment-1', 'x'.repeat(200), 'zahlung-ü-€', 'p', 'payment-1'];
    for (const key of keys) {
      expect(partitionForKey(key, 7)).toBe((murmur2(new TextEncoder().encode(key)) & 0x7fffffff) % 7);
    }
  });

  it('matches Java String.hashCode', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('payments-processor')).toBe(javaStringHashCode('payments-processor'));
    expect(coordinatorPartitionFor('hello', 50)).toBe(99162322 % 50);
  });
});
