import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS } from '../faults/schedule.ts';
import { EXPECTABLE_KINDS } from './format.ts';
import { SCHEMA_FILE, scenarioJsonSchema, scenarioJsonSchemaText } from './json-schema.ts';

type Node = { properties: Record<string, Node>; items: Node & { oneOf: Node[] }; required?: string[]; enum?: unknown[] };

describe(SCHEMA_FILE, () => {
  it('is committed exactly as `npm run schema` generates it from the zod schema', () => {
    const committed = readFileSync(new URL(`../../${SCHEMA_FILE}`, import.meta.url), 'utf8');
    expect(committed).toBe(scenarioJsonSchemaText());
  });

  it('describes every field, every fault kind and every anomaly kind an expectation may name', () => {
    const schema = scenarioJsonSchema() as unknown as Node;
    expect(Object.keys(schema.properties)).toEqual([
      'name', 'description', 'cluster', 'network', 'producer', 'consumer', 'workload', 'faults', 'runLimitMs', 'seeds', 'expect', 'notMeaningful', 'kafka', 'sink', 'gateway', 'ledgerDb',
    ]);
    expect(schema.required).toEqual(['name', 'description']);
    const events = schema.properties.faults.properties.schedule.items.oneOf;
    expect(events.map((e) => (e.properties.fault as unknown as { const: string }).const)).toEqual([...FAULT_KINDS]);
    expect(schema.properties.expect.items.properties.anomalies.items.enum).toEqual([...EXPECTABLE_KINDS]);
  });
});
