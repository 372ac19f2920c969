import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  SchemaIssue, andThen, bool, discriminated, fail, formatPath, int, list, number, object, oneOf, parseWith, str,
  suggest, withDefault,
} from './schema.ts';

/** The issue `schema` raises for `value` at path ['x'], as its message. */
function issue(schema: z.ZodType, value: unknown): string {
  try {
    parseWith(schema, value, ['x']);
  } catch (e) {
    if (e instanceof SchemaIssue) return e.message;
    throw e;
  }
  throw new Error(`expected a SchemaIssue for ${JSON.stringify(value)}`);
}

describe('schema helpers over zod', () => {
  it('formats paths with fields, indexes and quoted odd keys', () => {
    expect(formatPath(['faults', 'schedule', 2, 'broker'])).toBe('faults.schedule[2].broker');
    expect(formatPath([0, 'a'])).toBe('[0].a');
    expect(formatPath(['cluster', 'my key'])).toBe('cluster["my key"]');
    expect(formatPath([])).toBe('');
  });

  it('checks numbers against their kind and range', () => {
    expect(parseWith(int({ min: 1, max: 9 }), 9)).toBe(9);
    expect(issue(int({ min: 1, max: 9 }), 10)).toBe('x: must be in 1..9, got 10');
    expect(issue(int({ min: 0 }), -1)).toBe('x: must be >= 0, got -1');
    expect(issue(int({ max: 5 }), 6)).toBe('x: must be <= 5, got 6');
    expect(issue(int(), 1.5)).toBe('x: must be an integer, got 1.5');
    expect(issue(number({ greaterThan: 0 }), 0)).toBe('x: must be > 0, got 0');
    expect(issue(number(), Infinity)).toBe('x: must be a number, got Infinity');
    expect(issue(number(), '5')).toBe('x: must be a number, got "5"');
    expect(issue(number(), null)).toBe('x: must be a number, got an empty value');
  });

  it('checks booleans and strings', () => {
    expect(issue(bool(), 'yes')).toBe('x: must be true or false, got "yes"');
    expect(issue(str(), 3)).toBe('x: must be a string, got 3');
    expect(issue(str(), '')).toBe('x: must not be empty');
    const hex = str({ pattern: /^[0-9a-f]+$/, name: 'hex', allowed: 'digits and a-f' });
    expect(issue(hex, 'xyz')).toBe('x: must be hex, got "xyz" (allowed: digits and a-f)');
  });

  it('tells 1 from "1" in oneOf, suggests close strings and can name what it lists', () => {
    const acks = oneOf([0, 1, 'all']);
    expect(parseWith(acks, 'all')).toBe('all');
    expect(issue(acks, '1')).toBe('x: "1" is not allowed (allowed: 0, 1, "all")');
    expect(issue(oneOf(['process', 'power-loss']), 'powerloss')).toBe(
      'x: "powerloss" is not allowed; did you mean "power-loss"? (allowed: "process", "power-loss")',
    );
    expect(issue(oneOf([1, 2], { what: 'broker', allowed: '1..2' }), 3)).toBe('x: broker 3 does not exist (allowed: 1..2)');
  });

  it('does not suggest a name that differs only in its number', () => {
    expect(suggest('broker-4', ['broker-1', 'controller'])).toBe('');
    expect(suggest('brokr-1', ['broker-1', 'controller'])).toBe('; did you mean "broker-1"?');
  });

  it('validates list items with their index, length and uniqueness', () => {
    expect(issue(list(int()), [1, 'a'])).toBe('x[1]: must be an integer, got "a"');
    expect(issue(list(int(), { minLength: 2 }), [1])).toBe('x: must have at least 2 entries, got 1');
    expect(issue(list(int(), { unique: true }), [1, 2, 1])).toBe('x[2]: 1 is already listed at [0]');
    expect(issue(list(int()), { a: 1 })).toBe('x: must be a list, got a mapping');
  });

  const point = object({ x: int(), y: withDefault(int(), 0) }, { label: str() });

  it('fills defaults, leaves absent optional fields out and reads null as absent', () => {
    expect(parseWith(point, { x: 1 })).toEqual({ x: 1, y: 0 });
    expect(parseWith(point, { x: 1, y: null, label: null })).toEqual({ x: 1, y: 0 });
    expect('label' in parseWith(point, { x: 1 })).toBe(false);
    expect(parseWith(point, { x: 1, y: 2, label: 'p' })).toEqual({ x: 1, y: 2, label: 'p' });
  });

  it('reports unknown fields before missing ones, listing the allowed names', () => {
    expect(issue(point, { X: 1 })).toBe('x.X: unknown field; did you mean "x"? (allowed: x, y, label)');
    expect(issue(point, {})).toBe('x.x: is required');
    expect(issue(point, { x: null })).toBe('x.x: is empty; a value is required');
    expect(issue(point, [1])).toBe('x: must be a mapping of fields, got a list');
  });

  it('does not take inherited properties for fields', () => {
    expect(issue(object({ toString: str() }), {})).toBe('x.toString: is required');
  });

  it('gives each result its own copy of a default', () => {
    const spec = object({ tags: withDefault(list(str()), []) });
    const a = parseWith(spec, {});
    a.tags.push('changed');
    expect(parseWith(spec, {}).tags).toEqual([]);
  });

  const shape = discriminated('kind', {
    circle: object({ r: number({ greaterThan: 0 }) }),
    square: object({ side: number() }, { rotated: bool() }),
  });

  it('picks the variant by its discriminator and judges the rest against it', () => {
    expect(parseWith(shape, { kind: 'circle', r: 2 })).toEqual({ kind: 'circle', r: 2 });
    expect(issue(shape, { r: 2 })).toBe('x.kind: is required (allowed: "circle", "square")');
    expect(issue(shape, { kind: 'triangle' })).toBe('x.kind: "triangle" is not allowed (allowed: "circle", "square")');
    expect(issue(shape, { kind: 'circle', side: 1 })).toBe('x.side: unknown field (allowed: kind, r)');
    expect(issue(shape, { kind: 'square', side: 'big' })).toBe('x.side: must be a number, got "big"');
  });

  it('runs cross-field checks after the fields, on defaults too', () => {
    const range = andThen(object({ from: withDefault(int(), 5), until: withDefault(int(), 1) }), (r) => {
      if (r.until <= r.from) fail(['until'], `must be > from (${r.from}), got ${r.until}`);
      return r;
    });
    expect(parseWith(range, { from: 0 })).toEqual({ from: 0, until: 1 });
    expect(issue(range, { until: 3 })).toBe('x.until: must be > from (5), got 3');
    expect(issue(object({ r: withDefault(range, {}) }), {})).toBe('x.r.until: must be > from (5), got 1');
  });

  it('keeps the problem and what is allowed apart in the issue', () => {
    try {
      parseWith(object({ mode: oneOf(['alpha', 'beta']) }), { mode: 'omega' }, ['case']);
    } catch (e) {
      expect(e).toMatchObject({ path: ['case', 'mode'], problem: '"omega" is not allowed', allowed: '"alpha", "beta"' });
      return;
    }
    throw new Error('expected a SchemaIssue');
  });
});
