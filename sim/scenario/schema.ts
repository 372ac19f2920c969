// A small declarative validator for parsed YAML/JSON. Each combinator builds a Spec that takes an unknown
// value and either returns it typed (with defaults filled in) or throws a SchemaIssue naming the field path,
// what is wrong and what is allowed. Validation stops at the first problem: one precise message that
// points at the field beats a list in which the real mistake hides among its consequences.
//
// The combinators know nothing about Kafka; sim/scenario/format.ts describes the scenario file with them.

/** Where a value sits in the parsed document: field names and list indexes, e.g. ['faults', 'schedule', 2]. */
export type Path = readonly (string | number)[];

export interface Spec<T> {
  /** Returns the value typed and completed with defaults, or throws a SchemaIssue. */
  parse(value: unknown, path: Path): T;
  /** The value an absent object field takes; a field of `object`'s first argument without one is required. */
  readonly fallback?: (path: Path) => T;
}

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

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---- scalars -------------------------------------------------------------------------------------------

export interface NumberRange {
  min?: number;
  max?: number;
  /** Exclusive lower bound, for quantities such as intervals where 0 would make a timer spin. */
  greaterThan?: number;
}

/** A finite number (YAML's .inf and .nan are rejected) within the range. */
export function number(range: NumberRange = {}): Spec<number> {
  return numeric('a number', Number.isFinite, range);
}

export function int(range: NumberRange = {}): Spec<number> {
  return numeric('an integer', Number.isInteger, range);
}

function numeric(kind: string, isKind: (n: number) => boolean, { min, max, greaterThan }: NumberRange): Spec<number> {
  return {
    parse(value, path) {
      if (typeof value !== 'number' || !isKind(value)) fail(path, `must be ${kind}, got ${show(value)}`);
      if (greaterThan !== undefined && value <= greaterThan) fail(path, `must be > ${greaterThan}, got ${value}`);
      const tooLow = min !== undefined && value < min;
      const tooHigh = max !== undefined && value > max;
      if (tooLow || tooHigh) {
        const bound = min === undefined ? `<= ${max}` : max === undefined ? `>= ${min}` : `in ${min}..${max}`;
        fail(path, `must be ${bound}, got ${value}`);
      }
      return value;
    },
  };
}

export function bool(): Spec<boolean> {
  return {
    parse(value, path) {
      if (typeof value !== 'boolean') fail(path, `must be true or false, got ${show(value)}`);
      return value;
    },
  };
}

export interface StringRule {
  pattern: RegExp;
  /** What a matching string is, for the message: `must be kebab-case, got "Lost Ack"`. */
  name: string;
  /** The rule in words, shown as what is allowed. */
  allowed: string;
}

/** A non-empty string, optionally matching a pattern. */
export function str(rule?: StringRule): Spec<string> {
  return {
    parse(value, path) {
      if (typeof value !== 'string') fail(path, `must be a string, got ${show(value)}`);
      if (value === '') fail(path, 'must not be empty');
      if (rule !== undefined && !rule.pattern.test(value)) fail(path, `must be ${rule.name}, got ${show(value)}`, rule.allowed);
      return value;
    },
  };
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
export function oneOf<const V extends readonly Literal[]>(values: V, options: OneOfOptions = {}): Spec<V[number]> {
  const allowed = options.allowed ?? listValues(values);
  const strings = values.filter((v): v is string => typeof v === 'string');
  return {
    parse(value, path) {
      if (values.includes(value as Literal)) return value as V[number];
      const hint = typeof value === 'string' ? suggest(value, strings) : '';
      const problem = options.what === undefined ? `${show(value)} is not allowed` : `${options.what} ${show(value)} does not exist`;
      return fail(path, problem + hint, allowed);
    },
  };
}

// ---- containers ----------------------------------------------------------------------------------------

export interface ListRule {
  minLength?: number;
  /** Reject a value listed twice (compared with ===, so meant for lists of literals). */
  unique?: boolean;
}

export function list<T>(item: Spec<T>, { minLength = 0, unique = false }: ListRule = {}): Spec<T[]> {
  return {
    parse(value, path) {
      if (!Array.isArray(value)) fail(path, `must be a list, got ${show(value)}`);
      if (value.length < minLength) {
        fail(path, `must have at least ${minLength} ${minLength === 1 ? 'entry' : 'entries'}, got ${value.length}`);
      }
      const out = value.map((v, i) => item.parse(v, [...path, i]));
      if (unique) {
        out.forEach((v, i) => {
          const first = out.indexOf(v);
          if (first !== i) fail([...path, i], `${show(v)} is already listed at [${first}]`);
        });
      }
      return out;
    },
  };
}

type Shape = Record<string, Spec<unknown>>;
type Parsed<S extends Shape> = { -readonly [K in keyof S]: S[K] extends Spec<infer T> ? T : never };
/** Flattens an intersection so editors show `{ a: number; b?: string }` rather than `A & Partial<B>`. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

export interface ObjectSpec<R extends Shape, O extends Shape> extends Spec<Simplify<Parsed<R> & Partial<Parsed<O>>>> {
  readonly fields: R;
  readonly optionalFields: O;
}

/**
 * A mapping with the given fields. Fields of `fields` are required unless their spec has a fallback
 * (`withDefault`); fields of `optionalFields` are left out of the result when absent. Any other field is an
 * error listing the allowed names, checked first because a misspelt name is the usual cause of a
 * "missing" field. An empty value (`key:` with nothing after it in YAML) counts as absent, so commenting
 * out the content of a section leaves it at its defaults.
 */
export function object<R extends Shape, O extends Shape = Record<never, never>>(
  fields: R,
  optionalFields: O = {} as O,
): ObjectSpec<R, O> {
  const names = [...Object.keys(fields), ...Object.keys(optionalFields)];
  return {
    fields,
    optionalFields,
    parse(value, path) {
      if (!isMapping(value)) fail(path, `must be a mapping of fields, got ${show(value)}`);
      for (const key of Object.keys(value)) {
        if (!names.includes(key)) fail([...path, key], `unknown field${suggest(key, names)}`, names.join(', '));
      }
      const out: Record<string, unknown> = {};
      for (const [key, spec] of Object.entries(fields)) {
        const at = [...path, key];
        const v = field(value, key);
        if (v !== undefined) out[key] = spec.parse(v, at);
        else if (spec.fallback !== undefined) out[key] = spec.fallback(at);
        else fail(at, Object.hasOwn(value, key) ? 'is empty; a value is required' : 'is required');
      }
      for (const [key, spec] of Object.entries(optionalFields)) {
        const v = field(value, key);
        if (v !== undefined) out[key] = spec.parse(v, [...path, key]);
      }
      return out as Simplify<Parsed<R> & Partial<Parsed<O>>>;
    },
  };
}

/** An own field's value, with YAML's empty value (null) read as absent. */
function field(mapping: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(mapping, key) ? mapping[key] ?? undefined : undefined;
}

type Variants = Record<string, ObjectSpec<Shape, Shape>>;
type VariantOf<K extends string, V extends Variants> = {
  [T in keyof V & string]: Simplify<{ [_ in K]: T } & (V[T] extends Spec<infer P> ? P : never)>;
}[keyof V & string];

/**
 * A union of mappings told apart by the value of field `key` (e.g. `fault: crash-broker`). The key is
 * checked first, so the remaining fields are judged against the right variant and an unknown field lists
 * that variant's names.
 */
export function discriminated<const K extends string, V extends Variants>(key: K, variants: V): Spec<VariantOf<K, V>> {
  const tags = Object.keys(variants);
  const tag = oneOf(tags);
  const withKey = Object.fromEntries(
    tags.map((t) => [t, object({ [key]: tag, ...variants[t].fields }, variants[t].optionalFields)]),
  );
  return {
    parse(value, path) {
      if (!isMapping(value)) fail(path, `must be a mapping of fields, got ${show(value)}`);
      if (field(value, key) === undefined) fail([...path, key], 'is required', listValues(tags));
      const t = tag.parse(value[key], [...path, key]);
      return withKey[t].parse(value, path) as VariantOf<K, V>;
    },
  };
}

// ---- composition ---------------------------------------------------------------------------------------

/**
 * Makes a field optional with a default written as it would be in the file. The default goes through the
 * same spec, so nested defaults and cross-field checks apply to it exactly as to a value the user wrote,
 * and (since parsing builds new lists and mappings) no two results share a default's containers.
 */
export function withDefault<T>(spec: Spec<T>, fileValue: unknown): Spec<T> {
  return { parse: spec.parse, fallback: (path) => spec.parse(fileValue, path) };
}

/**
 * Validates with `spec`, then hands the typed value to `next` for what one field cannot judge alone:
 * checks across fields (via `fail`) and defaults that depend on a sibling (a topic's replication factor on
 * the broker count). A default of `spec` goes through `next` as well.
 */
export function andThen<T, U>(spec: Spec<T>, next: (value: T, path: Path) => U): Spec<U> {
  const { fallback } = spec;
  return {
    parse: (value, path) => next(spec.parse(value, path), path),
    ...(fallback && { fallback: (path: Path) => next(fallback(path), path) }),
  };
}

/**
 * A field that the enclosing spec's `andThen` validates, because its rules depend on sibling fields (fault
 * targets on the cluster and the workload). Accepts anything here; absent stays undefined.
 */
export function deferred(): Spec<unknown> {
  return { parse: (value) => value, fallback: () => undefined };
}
