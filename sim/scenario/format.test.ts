// docs/scenarios.md is the format's user-facing description; these tests keep it and format.ts in step.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_NAMES, FAULT_KINDS } from '../faults/schedule.ts';
import { DEFAULT_BROKER, DEFAULT_CONSUMER, DEFAULT_NETWORK, DEFAULT_PRODUCER } from '../kafka/config.ts';
import { parseScenario } from './load.ts';
import { BUGS, MODES } from './types.ts';

const DOC_FILE = 'docs/scenarios.md';
const doc = readFileSync(new URL(`../../${DOC_FILE}`, import.meta.url), 'utf8');

describe(DOC_FILE, () => {
  it('has a complete example that loads', () => {
    const example = /## A complete example\n+```yaml\n([\s\S]*?)```/.exec(doc);
    expect(example).not.toBeNull();
    const s = parseScenario(example![1], `${DOC_FILE} (example)`);
    expect(s.faults.schedule.length).toBeGreaterThan(0);
    expect(s.expect.length).toBeGreaterThan(0);
  });

  it('documents every config field, fault kind, API, mode and bug', () => {
    const names = [
      ...[DEFAULT_PRODUCER, DEFAULT_CONSUMER, DEFAULT_BROKER, DEFAULT_NETWORK].flatMap(Object.keys),
      ...FAULT_KINDS, ...API_NAMES, ...MODES, ...BUGS,
    ];
    expect(names.filter((n) => !doc.includes(`\`${n}\``))).toEqual([]);
  });
});
