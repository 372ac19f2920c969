// Building blocks for describing parsed YAML/JSON with zod, so that a failure reads as one line naming the
// field path, what is wrong and what is allowed. zod describes the format (and gives editors a JSON Schema
// of it); these helpers give each zod schema the project's messages, and `parseWith` turns zod's first
// issue into a SchemaIssue. One precise message that points at the field beats a list in which the real
// mistake hides among its consequences, so only the first issue is reported, an unknown field before any
// other (a misspelt name is the usual cause of a "missing" field).
//
// The helpers know nothing about Kafka; sim/scenario/format.ts describes the scenario file with them.
import { z } from 'zod';

/** Where a value sits in the parsed document: field names and list indexes, e.g. ['faults', 'schedule', 2]. */
export type Path = readonly (string | number)[];

/** A validation failure: `problem` says what is wrong with the value at `path`, `allowed` what would be right. */
export class SchemaIssue extends Error {
  constructor(readonly path: Path, readonly problem: string, readonly allowed?: string) {
    super(issueText(formatPath(path), problem, allowed));
    this.name = 'SchemaIssue';
  }
}

/** `faults.schedule[1].broker: broker 7 does not exist (allowed: 1..3)`; the path is left out when empty (the top level). */
export function issueText(path: string, problem: string, allowed?: string): string {
  return `${path === '' ? '' : `${path}: `}${problem}${allowed === undefined ? '' : ` (allowed: ${allowed})`}`;
}

export function fail(path: Path, problem: string, allowed?: string): never {
  throw new SchemaIssue(path, problem, allowed);
}

/** `faults.schedule[2].broker`; a key that is not an identifier is quoted (`cluster["my key"]`). */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** A value as a message shows it: strings quoted so that 1 and "1" differ, containers by kind. */
export function show(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/** "did you mean …?" for a misspelt name: the closest candidate within a third of its length in edits. */
export function suggest(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    // "broker-4" is not a misspelt "broker-1": names that differ only in numbers are different things.
    if (word.replace(/\d/g, '') === candidate.replace(/\d/g, '')) continue;
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best === undefined ? '' : `; did you mean ${JSON.stringify(best)}?`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

// ---- messages through zod ------------------------------------------------------------------------------

// A zod issue carries one message string; the problem and what is allowed travel in it apart, so that a
// ScenarioError can keep them apart for tools.
const ALLOWED = '\u001f';
const REQUIRED = 'is required';

function message(problem: string, allowed?: string): string {
  return allowed === undefined ? problem : `${problem}${ALLOWED}${allowed}`;
}

type Issue = { readonly input?: unknown };

/** An error function for a schema: an absent value is "required", anything else gets `describe`'s message. */
function errors(describe: (input: unknown) => string): (iss: Issue) => string {
  return (iss) => (iss.input === undefined ? REQUIRED : describe(iss.input));
}

/** Parses `value` (YAML's empty values read as absent) or throws a SchemaIssue for zod's first issue. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, path: Path = []): z.output<S> {
  const emptied = new Set<string>();
  const data = withoutEmpty(value, [], emptied);
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  const issues = result.error.issues;
  const first = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
  const at = [...path, ...first.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
  if (first.code === 'unrecognized_keys') at.push(first.keys[0]);
  const [problem, allowed] = first.message.split(ALLOWED);
  // A key written with nothing after it was taken out as absent; the message says which it was.
  const empty = problem === REQUIRED && emptied.has(JSON.stringify(at.slice(path.length)));
  return fail(at, empty ? 'is empty; a value is required' : problem, allowed);
}

/**
 * The document with every mapping field whose value is null (YAML's `key:` with nothing after it, e.g.
 * because its content is commented out) left out, so it takes its default; `emptied` records where.
 */
function withoutEmpty(value: unknown, path: (string | number)[], emptied: Set<string>): unknown {
  if (Array.isArray(value)) return value.map((v, i) => withoutEmpty(v, [...path, i], emptied));
  if (typeof value !== 'object' || value === null) return value;
  // No prototype: an inherited property (`toString`) is not a field the file has.
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(value)) {
    if (v === null) emptied.add(JSON.stringify([...path, k]));
    else out[k] = withoutEmpty(v, [...path, k], emptied);
  }
  return out;
}

// ---- scalars -------------------------------------------------------------------------------------------

export interface NumberRange {
  min?: number;
  max?: number;
  /** Exclusive lower bound, for quantities such as intervals where 0 would make a timer spin. */
  greaterThan?: number;
}

/** A finite number (YAML's .inf and .nan are rejected) within the range. */
export function number(range: NumberRange = {}): z.ZodNumber {
  return ranged(z.number({ error: errors((v) => `must be a number, got ${show(v)}`) }), range);
}

export function int(range: NumberRange = {}): z.ZodNumber {
  return ranged(z.int({ error: errors((v) => `must be an integer, got ${show(v)}`) }), range);
}

function ranged(schema: z.ZodNumber, { min, max, greaterThan }: NumberRange): z.ZodNumber {
  const bound = min === undefined ? `<= ${max}` : max === undefined ? `>= ${min}` : `in ${min}..${max}`;
  const outOfRange = { error: (iss: Issue) => `must be ${bound}, got ${show(iss.input)}` };
  let out = schema;
  if (greaterThan !== undefined) out = out.gt(greaterThan, { error: (iss) => `must be > ${greaterThan}, got ${show(iss.input)}` });
  if (min !== undefined) out = out.min(min, outOfRange);
  if (max !== undefined) out = out.max(max, outOfRange);
  return out;
}

export function bool(): z.ZodBoolean {
  return z.boolean({ error: errors((v) => `must be true or false, got ${show(v)}`) });
}

export interface StringRule {
  pattern: RegExp;
  /** What a matching string is, for the message: `must be kebab-case, got "Lost Ack"`. */
  name: string;
  /** The rule in words, shown as what is allowed. */
  allowed: string;
}

/** A non-empty string, optionally matching a pattern. */
export function str(rule?: StringRule): z.ZodString {
  const s = z.string({ error: errors((v) => `must be a string, got ${show(v)}`) }).min(1, { error: 'must not be empty' });
  if (rule === undefined) return s;
  return s.regex(rule.pattern, { error: (iss) => message(`must be ${rule.name}, got ${show(iss.input)}`, rule.allowed) });
}

type Literal = string | number | boolean;

export interface OneOfOptions {
  /** What the values are, for the message: `broker 7 does not exist` instead of `7 is not allowed`. */
  what?: string;
  /** The allowed values as the message should list them, when listing each would be long (`broker-1..9`). */
  allowed?: string;
}

function listValues(values: readonly Literal[]): string {
  return values.map((v) => (typeof v === 'string' ? JSON.stringify(v) : String(v))).join(', ');
}

/** One of a fixed set of literal values; 1 and "1" are different values. */
export function oneOf<const V extends readonly Literal[]>(values: V, options: OneOfOptions = {}): z.ZodLiteral<V[number]> {
  const allowed = options.allowed ?? listValues(values);
  const strings = values.filter((v): v is string => typeof v === 'string');
  return z.literal(values as unknown as V[number][], {
    error: errors((value) => {
      const hint = typeof value === 'string' ? suggest(value, strings) : '';
      const problem = options.what === undefined ? `${show(value)} is not allowed` : `${options.what} ${show(value)} does not exist`;
      return message(problem + hint, allowed);
    }),
  });
}

// ---- containers ----------------------------------------------------------------------------------------

export interface ListRule {
  minLength?: number;
  /** Reject a value listed twice (compared with ===, so meant for lists of literals). */
  unique?: boolean;
}

export function list<T extends z.ZodType>(item: T, { minLength = 0, unique = false }: ListRule = {}): z.ZodType<z.output<T>[], z.input<T>[]> {
  const entries = (n: number) => `${n} ${n === 1 ? 'entry' : 'entries'}`;
  let out = z.array(item, { error: errors((v) => `must be a list, got ${show(v)}`) });
  if (minLength > 0) out = out.min(minLength, { error: (iss) => `must have at least ${entries(minLength)}, got ${(iss.input as unknown[]).length}` });
  if (!unique) return out;
  return out.check((ctx) => {
    ctx.value.forEach((v, i) => {
      const first = ctx.value.indexOf(v);
      if (first !== i) ctx.issues.push({ code: 'custom', path: [i], input: v, message: `${show(v)} is already listed at [${first}]` });
    });
  });
}

type Shape = Record<string, z.ZodType>;
type Optional<O extends Shape> = { [K in keyof O]: z.ZodOptional<O[K]> };

/**
 * A mapping with the given fields. Fields of `fields` are required unless they have a default
 * (`withDefault`); fields of `optionalFields` are left out of the result when absent. Any other field is an
 * error listing the allowed names.
 */
export function object<R extends Shape, O extends Shape = Record<never, never>>(fields: R, optionalFields: O = {} as O) {
  const names = [...Object.keys(fields), ...Object.keys(optionalFields)];
  const optional = Object.fromEntries(Object.entries(optionalFields).map(([k, s]) => [k, s.optional()])) as Optional<O>;
  return z.strictObject({ ...fields, ...optional }, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') {
        const [key] = (iss as unknown as { keys: string[] }).keys;
        return message(`unknown field${suggest(key, names)}`, names.join(', '));
      }
      return iss.input === undefined ? REQUIRED : `must be a mapping of fields, got ${show(iss.input)}`;
    },
  });
}

type Variant = z.ZodObject<Shape, z.core.$strict>;

/**
 * A union of mappings told apart by the value of field `key` (e.g. `fault: crash-broker`). The key is
 * checked first, so the remaining fields are judged against the right variant and an unknown field lists
 * that variant's names (the key first).
 */
export function discriminated<const K extends string, V extends Record<string, Variant>>(key: K, variants: V) {
  const tags = Object.keys(variants);
  const withKey = tags.map((t) => {
    const v = variants[t];
    const required = Object.fromEntries(Object.entries(v.shape).filter(([, s]) => !(s instanceof z.ZodOptional)));
    const optional = Object.fromEntries(Object.entries(v.shape).filter(([, s]) => s instanceof z.ZodOptional).map(([k, s]) => [k, (s as z.ZodOptional).unwrap() as z.ZodType]));
    return object({ [key]: z.literal(t), ...required }, optional);
  }) as unknown as { [T in keyof V & string]: z.ZodObject<{ [_ in K]: z.ZodLiteral<T> } & V[T]['shape'], z.core.$strict> }[keyof V & string][];
  return z.discriminatedUnion(key, withKey as [typeof withKey[number], ...typeof withKey], {
    error: (iss) => {
      const input = iss.input as Record<string, unknown> | undefined;
      if (typeof input !== 'object' || input === null || Array.isArray(input)) return input === undefined ? REQUIRED : `must be a mapping of fields, got ${show(input)}`;
      const tag = input[key];
      if (tag === undefined) return message(REQUIRED, listValues(tags));
      return message(`${show(tag)} is not allowed${typeof tag === 'string' ? suggest(tag, tags) : ''}`, listValues(tags));
    },
  });
}

// ---- composition ---------------------------------------------------------------------------------------

/**
 * Makes a field optional with a default written as it would be in the file. The default goes through the
 * same schema (zod's prefault), so nested defaults and cross-field checks apply to it exactly as to a value
 * the user wrote, and no two results share a default's containers.
 */
export function withDefault<S extends z.ZodType>(schema: S, fileValue: unknown) {
  return schema.prefault(fileValue as z.input<S>);
}

/**
 * Validates with `schema`, then hands the typed value to `next` for what one field cannot judge alone:
 * checks across fields (via `fail`, with paths relative to this value) and values that depend on a sibling
 * (a topic's replication factor on the broker count).
 */
export function andThen<S extends z.ZodType, U>(schema: S, next: (value: z.output<S>) => U) {
  return schema.transform((value, ctx) => {
    try {
      return next(value);
    } catch (e) {
      if (!(e instanceof SchemaIssue)) throw e;
      ctx.issues.push({ code: 'custom', path: [...e.path], input: value, message: message(e.problem, e.allowed) });
      return z.NEVER;
    }
  });
}
