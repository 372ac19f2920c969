// Bad command-line usage, shared by every command: one error class (printed as is, exit code 2) and the
// flag parsers that throw it, so each command's messages name the flag and the allowed values alike.

/** Bad usage or input: printed as is, exit code 2. */
export class UsageError extends Error {}

/** An integer 1..max given to `flag`. */
export function parsePositive(flag: string, text: string, max: number): number {
  const v = Number(text);
  if (!/^\d+$/.test(text) || v < 1 || v > max) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not allowed (allowed: an integer 1..${max})`);
  return v;
}

/** One of `allowed`, given to `flag`. */
export function oneOfFlag<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new UsageError(`${flag}: unknown value ${JSON.stringify(value)} (allowed: ${allowed.join(', ')})`);
  return value as T;
}
