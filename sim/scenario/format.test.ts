// docs/scenarios.md is the format's user-facing description; these tests keep it and format.ts in step.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
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

  /**
   * The table after `heading` (up to the next heading): field name -> the default cell's value, when it is
   * one scalar literal (a section's `{}` or a list stands for its own table).
   */
  function documentedDefaults(heading: string): Record<string, unknown> {
    const start = doc.indexOf(heading);
    expect(start, `${DOC_FILE} has no section ${heading}`).toBeGreaterThanOrEqual(0);
    const end = doc.indexOf('\n#', start + heading.length);
    const out: Record<string, unknown> = {};
    for (const m of doc.slice(start, end < 0 ? undefined : end).matchAll(/^\| `(\w+)` \|[^|]*\| `([^`]*)` \|/gm)) {
      const value: unknown = YAML.parse(m[2]);
      if (typeof value !== 'object') out[m[1]] = value;
    }
    return out;
  }

  it('documents the defaults the code uses', () => {
    const parsed = parseScenario('name: d\ndescription: d\n', `${DOC_FILE} (defaults)`);
    const sections: [string, Record<string, unknown>][] = [
      ['`cluster.broker` (`BrokerConfig`', { ...DEFAULT_BROKER }],
      ['## `network`', { ...DEFAULT_NETWORK }],
      ['## `producer`', { ...DEFAULT_PRODUCER }],
      ['## `consumer`', { ...DEFAULT_CONSUMER }],
      ['## `workload`', { ...parsed.workload }],
      ['## Top level', { runLimitMs: parsed.runLimitMs, seeds: parsed.seeds }],
    ];
    for (const [heading, code] of sections) {
      const documented = documentedDefaults(heading);
      expect(Object.keys(documented).length, `${heading}: no documented defaults found`).toBeGreaterThan(0);
      const fromCode = Object.fromEntries(Object.keys(documented).map((k) => [k, code[k]]));
      expect(documented, `${heading}: the defaults in ${DOC_FILE} differ from the code's`).toEqual(fromCode);
    }
  });

  it('documents every config field, fault kind, API, mode and bug', () => {
    const names = [
      ...[DEFAULT_PRODUCER, DEFAULT_CONSUMER, DEFAULT_BROKER, DEFAULT_NETWORK].flatMap(Object.keys),
      ...FAULT_KINDS, ...API_NAMES, ...MODES, ...BUGS,
    ];
    expect(names.filter((n) => !doc.includes(`\`${n}\``))).toEqual([]);
  });
});
