// Writes scenario.schema.json from build.ts (the published schema editors load). Run after changing the language:
//   node --import tsx scenarios/schema/generate.ts
// test/scenarios/schema.test.ts fails when the file is out of date.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildScenarioSchema } from './build.js';

export const SCHEMA_FILE = fileURLToPath(new URL('./scenario.schema.json', import.meta.url));

export function schemaText(): string {
  return JSON.stringify(buildScenarioSchema(), null, 2) + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_FILE, schemaText());
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}
