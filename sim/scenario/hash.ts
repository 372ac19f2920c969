// A scenario's identity as data: a stable hash of its parsed content (defaults applied, the file path left
// out), so a report, a results line or a replay file can tell whether the scenario it names is still the
// one that ran. Key order never matters; everything else (values, list order) does.
import { createHash } from 'node:crypto';
import type { Scenario } from './types.ts';

/** 16 hex digits of SHA-256 over the canonical JSON of the scenario without its `file`. */
export function scenarioHash(scenario: Scenario | Omit<Scenario, 'file'>): string {
  const { file: _file, ...content } = scenario as Scenario;
  return createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 16);
}

/** JSON with object keys sorted at every level; undefined fields are left out, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
