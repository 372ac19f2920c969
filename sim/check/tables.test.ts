import { describe, expect, it } from 'vitest';
import { Column, Groups, lowerBound, newNames as names, OpHeads, Reads, Writes } from './tables.ts';

describe('Column', () => {
  it('keeps every value through growth, and rearranges rows', () => {
    const c = new Column();
    for (let i = 0; i < 5000; i++) c.push(i * 3 + 2 ** 40);
    expect(c.length).toBe(5000);
    expect(c.get(4999)).toBe(4999 * 3 + 2 ** 40);
    c.set(0, -1);
    expect(c.rows()).toBeInstanceOf(Float64Array);
    c.permute(Int32Array.from([4999, 0, 1]));
    expect([c.get(0), c.get(1), c.get(2)]).toEqual([4999 * 3 + 2 ** 40, -1, 3 + 2 ** 40]);
  });

  it('keeps 32-bit integers as such from any starting room, and hands its rows out as one array', () => {
    for (const capacity of [0, 3, 5000]) {
      const c = new Column(capacity);
      for (let i = 0; i < 5000; i++) c.push(i - 7);
      expect(c.rows()).toBeInstanceOf(Int32Array);
      expect(c.rows().length).toBe(5000);
      expect([c.get(0), c.get(4999)]).toEqual([-7, 4992]);
      c.permute(Int32Array.from([4999, 0]));
      expect(Array.from(c.rows().subarray(0, 2))).toEqual([4992, -7]);
      c.set(1, 0.5);
      c.push(2 ** 31);
      expect(c.rows()).toBeInstanceOf(Float64Array);
      expect([c.get(0), c.get(1), c.get(5000)]).toEqual([4992, 0.5, 2 ** 31]);
    }
  });

  it('keeps small values in bytes, widening at the first that does not fit, by push or by set', () => {
    const c = new Column(4, true);
    for (let i = 0; i < 300; i++) c.push(i % 256);
    expect(c.rows()).toBeInstanceOf(Uint8Array);
    c.push(256);
    expect(c.rows()).toBeInstanceOf(Int32Array);
    expect([c.get(0), c.get(255), c.get(299), c.get(300)]).toEqual([0, 255, 43, 256]);
    const d = new Column(4, true);
    d.push(7);
    d.set(0, -1);
    expect(d.rows()).toBeInstanceOf(Int32Array);
    d.set(0, 2 ** 40);
    expect(d.rows()).toBeInstanceOf(Float64Array);
    expect(d.get(0)).toBe(2 ** 40);
  });
});

describe('Groups', () => {
  it('lists each group\'s items in item order, none for an empty group or id -1', () => {
    const g = new Groups(Int32Array.from([2, 0, 2, 2, 0]), 4);
    expect(Array.from(g.of(0))).toEqual([1, 4]);
    expect(Array.from(g.of(1))).toEqual([]);
    expect(Array.from(g.of(2))).toEqual([0, 2, 3]);
    expect(Array.from(g.of(3))).toEqual([]);
    expect(Array.from(g.of(-1))).toEqual([]);
  });
});

describe('lowerBound', () => {
  it('finds the first position whose value is not below the one asked for', () => {
    const sorted = [1, 3, 3, 7];
    expect([0, 1, 2, 3, 4, 7, 8].map((v) => lowerBound(sorted, v))).toEqual([0, 0, 1, 1, 3, 3, 4]);
  });
});

describe('the tables', () => {
  it('hand out the rows they were given', () => {
    const n = names();
    const heads = new OpHeads(n);
    heads.push({ index: 4, time: 9, type: 'ok', f: 'txn', commit: 7, error: 'PRODUCER_FENCED' }, n.processes.id('p-1'));
    heads.push({ index: 5, time: 10, type: 'invoke', f: 'poll' }, n.processes.id('c-1'));
    expect(heads.at(0)).toEqual({ index: 4, time: 9, process: 'p-1', type: 'ok', f: 'txn', commit: 7, error: 'PRODUCER_FENCED' });
    expect(heads.at(1)).toEqual({ index: 5, time: 10, process: 'c-1', type: 'invoke', f: 'poll' });
    expect([heads.f(1), heads.type(1), heads.process(1), heads.indexOf(1), heads.timeOf(0), heads.error(1)]).toEqual(['poll', 'invoke', 'c-1', 5, 9, undefined]);

    const writes = new Writes(n);
    writes.push(n.values.id('v'), n.keys.id('t/0'), 0, { invoke: 0, done: -1, type: 'info', offset: null, txn: -1 });
    writes.complete(0, 1, 'ok');
    writes.setOffset(0, 12);
    expect(writes.at(0)).toEqual({ value: 'v', vid: 0, key: 't/0', kid: 0, process: 'p-1', proc: 0, invoke: 0, done: 1, type: 'ok', offset: 12, txn: -1 });
    expect([...writes].map((w) => w.value)).toEqual(['v']);

    const reads = new Reads(n);
    reads.push(1, n.keys.id('t/1'), 3, n.values.id('w'), 1);
    expect(reads.at(0)).toEqual({ process: 'c-1', proc: 1, key: 't/1', kid: 1, offset: 3, value: 'w', vid: 1, pos: 1 });
    expect([...reads].map((r) => r.pos)).toEqual([1]);
  });
});
