/**
 * `_schema.pg` against the journal, the source of truth for the repo's schema
 * (docs/recovery.md "Schema fingerprint"). `lancelog schema apply` records the new
 * schema's text in its publish transaction and replaces the file afterwards; a crash
 * in between leaves the journal ahead of the file. `schemaOfRecord` settles that: a
 * file that is exactly the schema the last change replaced (its fingerprint is the one
 * recorded before the newest), while the journal holds the text of the newest, is
 * replaced by that text (read-write) or just read from it (read-only). Any other
 * mismatch is for the caller to refuse (SchemaDrift): an edited file is never
 * overwritten.
 */
import { join } from 'node:path';
import { compileSchema, schemaFingerprint } from '../../schema/index.js';
import type { Catalog } from '../../schema/types.js';
import type { Journal } from '../../journal/index.js';
import { writeFileAtomic } from '../../fs-atomic.js';
import { SCHEMA_FILE } from './schema-apply.js';

export interface SchemaOfRecord {
  catalog: Catalog;
  source: string;
  /** The file was behind the journal and was rewritten from it (read-write opens only). */
  completed: boolean;
}

/**
 * The schema the repo's data is written under, given the file's text and catalog:
 * the file's when its fingerprint is the recorded one (or none is recorded), the
 * journal's recorded text when that differs from the file (the file is then rewritten
 * unless `readOnly`), else null (the file drifted: the caller refuses).
 */
export function schemaOfRecord(
  dir: string,
  journal: Pick<Journal, 'recordedSchema'>,
  file: { source: string; catalog: Catalog },
  readOnly: boolean,
): SchemaOfRecord | null {
  const recorded = journal.recordedSchema();
  if (recorded === null || recorded.hash === schemaFingerprint(file.catalog))
    return { ...file, completed: false };
  const fileHash = schemaFingerprint(file.catalog);
  if (recorded.source === null || recorded.previousHash !== fileHash) return null;
  const path = join(dir, SCHEMA_FILE);
  const catalog = compileSchema(recorded.source, path);
  if (schemaFingerprint(catalog) !== recorded.hash) return null;
  if (!readOnly) writeFileAtomic(path, recorded.source);
  return { catalog, source: recorded.source, completed: !readOnly };
}
