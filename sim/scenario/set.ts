// `--set producer.acks=1`: one override of a client option from the command line, judged by the same
// schema as the scenario file's producer and consumer sections.
import YAML from 'yaml';
import { consumerOverrides, producerOverrides } from './format.ts';
import { parseWith, SchemaIssue } from './schema.ts';
import type { Overrides } from './types.ts';

/** All --set values as overrides; a bad one is a SchemaIssue whose message starts with the option's text. */
export function parseSets(sets: readonly string[]): Overrides {
  const out: Overrides = { producer: {}, consumer: {} };
  for (const s of sets) {
    const m = /^(producer|consumer)\.(\w+)=(.*)$/.exec(s);
    if (!m) throw new SchemaIssue([], `${JSON.stringify(s)} is not of the form section.field=value`, 'sections producer, consumer');
    const [, section, field, raw] = m;
    // In a file, `field:` with nothing after it means "the default"; on the command line it is a slip.
    if (raw.trim() === '') throw new SchemaIssue([section, field], `has no value after "="`, `e.g. ${section}.${field}=<value>`);
    const schema = section === 'producer' ? producerOverrides : consumerOverrides;
    Object.assign(out[section as keyof Overrides], parseWith(schema, { [field]: YAML.parse(raw) }, [section]));
  }
  return out;
}
