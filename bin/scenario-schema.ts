// `npm run schema`: writes scenario.schema.json (the scenario format for editors) from the zod schema.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SCHEMA_FILE, scenarioJsonSchemaText } from '../sim/scenario/json-schema.ts';

const file = fileURLToPath(new URL(`../${SCHEMA_FILE}`, import.meta.url));
writeFileSync(file, scenarioJsonSchemaText());
process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
