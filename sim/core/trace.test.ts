import { describe, expect, it } from 'vitest';
import { RecordKind, Trace, traceToken } from './trace.ts';

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

  it('a record given as fields hashes the same whether or not its text is kept, and keeps that text', () => {
    const write = (t: Trace) => {
      t.int(1500);
      t.int(traceToken('broker-1'));
      t.text('append');
      t.end(t.records === null ? null : '1500 broker-1 append');
    };
    const kept = new Trace(true);
    const notKept = new Trace(false);
    write(kept);
    write(notKept);
    expect(kept.hash()).toBe(notKept.hash());
    expect(kept.records).toEqual(['1500 broker-1 append']);
    expect(notKept.recordCount).toBe(1);
    expect(() => kept.end(null)).toThrow(/no text/);
  });

  it('integer fields: every value, field boundary and record boundary counts', () => {
    const hashInts = (records: number[][]): string => {
      const t = new Trace(false);
      for (const r of records) {
        for (const x of r) t.int(x);
        t.end(null);
      }
      return t.hash();
    };
    const seen = new Set<string>();
    for (let i = 0; i < 20000; i++) seen.add(hashInts([[i, i % 7]]));
    expect(seen.size).toBe(20000);
    expect(hashInts([[1, 2]])).not.toBe(hashInts([[2, 1]]));
    expect(hashInts([[1, 2]])).not.toBe(hashInts([[1], [2]]));
    expect(hashInts([[1]])).not.toBe(hashInts([[1, 0]]));
    // High bits and values past 32 bits matter too (a time past 35 virtual minutes, a fraction).
    expect(hashInts([[0x40000000]])).not.toBe(hashInts([[0]]));
    expect(hashInts([[2 ** 32 + 5]])).not.toBe(hashInts([[5]]));
    expect(hashInts([[2 ** 40]])).not.toBe(hashInts([[2 ** 40 + 1]]));
    expect(hashInts([[1.5]])).not.toBe(hashInts([[1]]));
  });

  it('a text field and an integer field do not fold alike', () => {
    const a = new Trace(false);
    a.text('5');
    a.end(null);
    const b = new Trace(false);
    b.int(5);
    b.end(null);
    const c = new Trace(false);
    c.int('5'.charCodeAt(0));
    c.end(null);
    expect(new Set([a.hash(), b.hash(), c.hash()]).size).toBe(3);
  });

  it('intern gives a name\'s traceToken, whatever was interned before, and name() gives the name back', () => {
    const t = new Trace(false);
    const u = new Trace(false);
    u.intern('Produce');
    expect(t.intern('broker-1')).toBe(traceToken('broker-1'));
    expect(u.intern('broker-1')).toBe(t.intern('broker-1'));
    expect(t.name(t.intern('broker-1'))).toBe('broker-1');
    expect(() => t.name(traceToken('never-interned'))).toThrow(/not an interned name/);
  });

  it('intern refuses a name whose token another name already has', () => {
    // Two names FNV-1a folds alike (found by search): records about them would hash the same.
    expect(traceToken('node-522789')).toBe(traceToken('node-739192'));
    const t = new Trace(false);
    t.intern('node-522789');
    expect(() => t.intern('node-739192')).toThrow(/same token/);
  });

  it('a record kind has 0 to 6 fields', () => {
    const render = () => '';
    expect(new RecordKind('x', 6, render).token).toBe(traceToken('x'));
    expect(() => new RecordKind('x', 7, render)).toThrow(/0 to 6/);
    expect(() => new RecordKind('x', -1, render)).toThrow(/0 to 6/);
  });

  it('traceToken is a stable 32-bit integer per string', () => {
    expect(traceToken('broker-1')).toBe(traceToken('broker-1'));
    expect(traceToken('broker-1')).not.toBe(traceToken('broker-2'));
    expect(traceToken('Produce') | 0).toBe(traceToken('Produce'));
  });
  it('a text given as template parts hashes as the text the template builds', () => {
    const cases: [string[], (string | number)[]][] = [
      [['broker-', ' append ', '..', ' pid=', ''], [1, 0, 12345, -1]],
      [['', ''], [0]],
      [['x', 'y'], [-0]],
      [['n=', ''], [Number.MAX_SAFE_INTEGER]],
      [['', ' ', ' ', ''], [2147483647, 2147483648, -2147483648]],
      [['n=', ''], [-987654321]],
      [['f=', ' big=', ' nan=', ''], [1.5, 2 ** 60, Number.NaN]],
      [['just text'], []],
      [['', ' and ', ''], ['names', 'more names']],
    ];
    for (const [strings, values] of cases) {
      const built = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
      const parts = new Trace(false);
      parts.textParts(strings, values);
      parts.end(null);
      const whole = new Trace(false);
      whole.text(built);
      whole.end(null);
      expect(parts.hash(), built).toBe(whole.hash());
    }
    // And it is still a function of the text: different digits, different hash.
    const a = new Trace(false);
    a.textParts(['n=', ''], [12]);
    const b = new Trace(false);
    b.textParts(['n=', ''], [21]);
    expect(a.hash()).not.toBe(b.hash());
  });
});
