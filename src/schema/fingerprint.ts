/**
 * The schema fingerprint: sha256 of the catalog's canonical JSON (less the source
 * file's name), so comments and layout in `_schema.pg` do not count, but any change
 * to a type, property, constraint or annotation does. The journal records it
 * (`schema.recorded`); open and every write compare against it.
 */
import { createHash } from 'node:crypto';
import { catalogToJSON } from './catalog-json.js';
import type { Catalog } from './types.js';

const memo = new WeakMap<Catalog, string>();

export function schemaFingerprint(catalog: Catalog): string {
  let hash = memo.get(catalog);
  if (hash === undefined) {
    // The name of the file the schema was compiled from is not part of the schema.
    const { file: _file, ...schema } = catalog;
    hash = createHash('sha256')
      .update(catalogToJSON(schema as Catalog))
      .digest('hex');
    memo.set(catalog, hash);
  }
  return hash;
}
