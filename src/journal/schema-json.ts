/**
 * journal/events.schema.json: the public JSON Schema of every stored event,
 * generated from the zod schemas so it cannot drift (a test compares the
 * committed file with this output; scripts/gen-event-schema.ts rewrites it).
 */
import { z } from 'zod';
import { eventRowSchema } from './events.js';
import { JOURNAL_SCHEMA_VERSION } from './migrations.js';

/** The committed file's exact text: deterministic (same input → same bytes). */
export function generateEventJsonSchema(): string {
  const schema = z.toJSONSchema(eventRowSchema(), { target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  const doc = {
    ...schema,
    title: 'Lancelog journal event',
    description: `One row of the events table (journal schema version ${JOURNAL_SCHEMA_VERSION}). Generated from src/journal/events.ts by scripts/gen-event-schema.ts; do not edit.`,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
