import { describe, expect, it } from 'vitest';
import { Trace } from './trace.ts';

function hashOf(records: string[], keep = false): string {
  const t = new Trace(keep);
  for (const r of records) t.record(r);
  return t.hash();
}

describe('Trace', () => {
  it('same records give the same hash, whether or not records are kept', () => {
    const rs = ['0 deliver producer-1>broker-1 Produce request #1', '500 broker-1 payments/0 append 0..3'];
    expect(hashOf(rs)).toBe(hashOf([...rs]));
    expect(hashOf(rs, true)).toBe(hashOf(rs, false));
    expect(hashOf(rs)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('any change to a record, their order or their number changes the hash', () => {
    const base = hashOf(['a', 'b', 'c']);
    expect(hashOf(['a', 'b', 'd'])).not.toBe(base);
    expect(hashOf(['b', 'a', 'c'])).not.toBe(base);
    expect(hashOf(['a', 'b'])).not.toBe(base);
    expect(hashOf(['a', 'b', 'c', ''])).not.toBe(base);
    expect(hashOf([])).not.toBe(hashOf(['']));
  });

  it('record boundaries matter', () => {
    expect(hashOf(['ab', 'c'])).not.toBe(hashOf(['a', 'bc']));
    expect(hashOf(['abc'])).not.toBe(hashOf(['ab', 'c']));
    // A record that contains the separator byte is still not the same as two records.
    expect(hashOf(['a\nb'])).not.toBe(hashOf(['a', 'b']));
  });

  it('keeps records only when asked, and counts them either way', () => {
    const kept = new Trace(true);
    const notKept = new Trace(false);
    for (const r of ['x', 'y']) {
      kept.record(r);
      notKept.record(r);
    }
    expect(kept.records).toEqual(['x', 'y']);
    expect(notKept.records).toBeNull();
    expect(kept.recordCount).toBe(2);
    expect(notKept.recordCount).toBe(2);
  });

  it('hashes of many distinct single records do not collide', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20000; i++) seen.add(hashOf([`${i} deliver broker-${i % 3}`]));
    expect(seen.size).toBe(20000);
  });
});
