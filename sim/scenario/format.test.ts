// docs/scenarios.md is the format's user-facing description; these tests keep it and format.ts in step.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_NAMES, FAULT_KINDS } from '../faults/schedule.ts';
import { DEFAULT_BROKER, DEFAULT_CONSUMER, DEFAULT_NETWORK, DEFAULT_PRODUCER } from '../kafka/config.ts';
import { runCase } from '../suite/suite.ts';
import { parseScenario } from './load.ts';
import { BUGS, MODES } from './types.ts';

const DOC_FILE = 'docs/scenarios.md';
const doc = readFileSync(new URL(`../../${DOC_FILE}`, import.meta.url), 'utf8');

describe(DOC_FILE, () => {
  const example = /## A complete example\n[^`]*```yaml\n([\s\S]*?)```/.exec(doc);

  it('has a complete example that loads, names the schema and sets every section', () => {
    expect(example).not.toBeNull();
    expect(example![1].startsWith('# yaml-language-server: $schema=../scenario.schema.json\n')).toBe(true);
    const s = parseScenario(example![1], `${DOC_FILE} (example)`);
    expect(s.faults.schedule.length).toBeGreaterThan(0);
    expect(s.faults.random).toBeDefined();
    expect(s.expect.length).toBeGreaterThan(0);
  });

  it('has a complete example whose expectations hold over its seeds', () => {
    const s = parseScenario(example![1], `${DOC_FILE} (example)`);
    const results = s.expect.map((_, i) => runCase(s, i, s.seeds));
    expect(results.map((r) => ({ case: r.label, missing: r.missing, unexpected: r.unexpected, broken: r.broken.length })))
      .toEqual(results.map((r) => ({ case: r.label, missing: [], unexpected: [], broken: 0 })));
  });

  it('documents every config field, fault kind, API, mode and bug', () => {
    const names = [
      ...[DEFAULT_PRODUCER, DEFAULT_CONSUMER, DEFAULT_BROKER, DEFAULT_NETWORK].flatMap(Object.keys),
      ...FAULT_KINDS, ...API_NAMES, ...MODES, ...BUGS,
    ];
    expect(names.filter((n) => !doc.includes(`\`${n}\``))).toEqual([]);
  });
});
