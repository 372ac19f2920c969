import { describe, expect, it } from 'vitest';
import { Interner } from './interner.ts';

describe('Interner', () => {
  it('numbers distinct strings in first-seen order and hands back one copy', () => {
    const i = new Interner();
    expect(['b', 'a', 'b', 'c', 'a'].map((s) => i.id(s))).toEqual([0, 1, 0, 2, 1]);
    expect(i.all()).toEqual(['b', 'a', 'c']);
  });

  it('gives a name the same id by its bytes as by its string, and finds only names it has seen', () => {
    const i = new Interner();
    const bytes = Buffer.from('xx"payments/0"xx"p1-e0-s0"');
    expect(i.idOfBytes(bytes, 3, 13)).toBe(0);
    expect(i.id('p1-e0-s0')).toBe(1);
    expect(i.idOfBytes(bytes, 17, 25)).toBe(1);
    expect(i.id('payments/0')).toBe(0);
    expect(i.find('payments/0')).toBe(0);
    expect(i.find('payments/1')).toBe(-1);
    expect(i.all()).toEqual(['payments/0', 'p1-e0-s0']);
    expect([i.includes(0, '/'), i.includes(1, '/'), i.name(1)]).toEqual([true, false, 'p1-e0-s0']);
  });

  it('keeps names with characters outside ASCII apart, in the same numbering', () => {
    const i = new Interner();
    expect(i.id('é')).toBe(0);
    expect(i.id('e')).toBe(1);
    expect(i.id('é')).toBe(0);
    expect(i.find('é')).toBe(0);
    expect(i.find('ë')).toBe(-1);
    // A latin1 byte is not that character here: only ASCII names are looked up by bytes.
    expect(i.find('\u00e9'.normalize('NFD'))).toBe(-1);
    expect(i.all()).toEqual(['é', 'e']);
    expect([i.includes(0, 'é'), i.includes(1, 'é')]).toEqual([true, false]);
  });

  it('holds many names through the growth of its table, arena and lists, the empty name and long ones too', () => {
    const i = new Interner();
    const names = Array.from({ length: 50_000 }, (_, n) => (n % 1000 === 7 ? `é${n}` : n === 3 ? '' : `v${n}`.repeat(1 + (n % 40))));
    const wrong: string[] = [];
    names.forEach((name, n) => { if (i.id(name) !== n) wrong.push(`id ${name}`); });
    const bytes = Buffer.from(names.join('\n'), 'utf8');
    let at = 0;
    names.forEach((name, n) => {
      const end = at + Buffer.byteLength(name);
      if (!name.startsWith('é') && i.idOfBytes(bytes, at, end) !== n) wrong.push(`bytes ${name}`);
      if (i.find(name) !== n) wrong.push(`find ${name}`);
      at = end + 1;
    });
    expect(wrong).toEqual([]);
    expect(i.all()).toEqual(names);
  });
});
