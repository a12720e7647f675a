/** Regenerates journal/events.schema.json from the zod event schemas: `npx tsx scripts/gen-event-schema.ts`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateEventJsonSchema } from '../src/journal/index.js';
import { packageRoot } from '../src/version.js';

const out = join(packageRoot(), 'journal', 'events.schema.json');
writeFileSync(out, generateEventJsonSchema());
console.log(`wrote ${out}`);
