/** Writes schemas/model.schema.json (the editor's completion-only form, see editorSchema) from the layer and optimizer tables: `node --import tsx scripts/gen-schema.ts`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { editorSchema } from '../src/model/schema';

export function schemaText(): string {
  return JSON.stringify(editorSchema(), null, 2) + '\n';
}

if (require.main === module) {
  const out = join(__dirname, '..', 'schemas', 'model.schema.json');
  writeFileSync(out, schemaText());
  process.stdout.write(`wrote ${out}\n`);
}
