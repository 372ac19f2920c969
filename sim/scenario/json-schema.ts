// The scenario format as a JSON Schema, generated from the zod schema (format.ts), for editors: with
// `# yaml-language-server: $schema=<path or URL of scenario.schema.json>` as a scenario file's first line,
// YAML editors validate and complete it. The file is committed at the package root; `npm run schema`
// rewrites it, and a test holds the committed file to the generated one.
import { z } from 'zod';
import { scenarioSchema } from './format.ts';

export const SCHEMA_FILE = 'scenario.schema.json';

export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input' });
  return {
    ...schema,
    title: 'eos-sim scenario',
    description: 'A failure story for eos-sim: cluster, workload, faults and expectations (docs/scenarios.md). '
      + 'Fault targets are checked against the scenario\'s own cluster and workload when it loads.',
  };
}

/** The file's text: stable key order as generated, two-space indent, a final newline. */
export function scenarioJsonSchemaText(): string {
  return JSON.stringify(scenarioJsonSchema(), null, 2) + '\n';
}
