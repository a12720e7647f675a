/**
 * A Repo's catalog against the journal: another process may have changed the schema
 * (`lancelog schema apply`). The journal records the new schema with its text, so a
 * Repo adopts it before its next operation instead of staging with the old one.
 */
import { join } from 'node:path';
import { compileSchema, schemaFingerprint } from '../schema/index.js';
import type { Catalog } from '../schema/types.js';
import type { Journal } from '../journal/index.js';
import { SCHEMA_FILE } from '../write/schema-apply/schema-apply.js';

/**
 * The journal's recorded catalog when it is not `current` (one indexed query when it
 * is); null when nothing changed, or when the journal has no text for it (the write
 * then refuses with SchemaChanged under its leases).
 */
export function newerCatalog(dir: string, journal: Journal, current: Catalog): Catalog | null {
  const hash = journal.recordedSchemaHash();
  if (hash === null || hash === schemaFingerprint(current)) return null;
  const recorded = journal.recordedSchema();
  if (recorded?.source == null) return null;
  const next = compileSchema(recorded.source, join(dir, SCHEMA_FILE));
  return schemaFingerprint(next) === recorded.hash ? next : null;
}
