import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileSchema } from '../../src/schema/index.js';
import { checkQueries, lintQueries, parseQueries } from '../../src/query/index.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

function gqFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return gqFiles(p);
    return e.name.endsWith('.gq') ? [p] : [];
  });
}

/** cookbooks/X/queries/*.gq ↔ cookbooks/X/schema.pg; omnigraph/X.gq ↔ omnigraph/X.pg. */
function schemaFor(gq: string): string {
  const dir = dirname(gq);
  if (basename(dir) === 'queries') return join(dirname(dir), 'schema.pg');
  return join(dir, basename(gq).replace(/\.gq$/, '.pg'));
}

const files = gqFiles(FIXTURES).sort();

describe('every .gq fixture', () => {
  it('finds the fixtures', () => {
    expect(files.length).toBeGreaterThanOrEqual(16);
  });

  for (const file of files) {
    const rel = file.slice(FIXTURES.length + 1);
    it(`${rel} parses and typechecks against ${schemaFor(file).slice(FIXTURES.length + 1)}`, () => {
      const source = readFileSync(file, 'utf8');
      const ast = parseQueries(source, rel);
      expect(ast.queries.length).toBeGreaterThan(0);
      const schemaPath = schemaFor(file);
      expect(existsSync(schemaPath)).toBe(true);
      const catalog = compileSchema(readFileSync(schemaPath, 'utf8'), schemaPath);
      const checked = checkQueries(source, rel, catalog);
      expect(checked.filter((c) => c.error).map((c) => c.error!.message)).toEqual([]);
      const lint = lintQueries(source, rel, catalog);
      expect(lint.every((r) => r.status === 'ok')).toBe(true);
      // Mutation files hold mutations, everything else reads.
      for (const r of lint) expect(r.kind).toBe(rel.endsWith('mutations.gq') ? 'mutation' : 'read');
    });
  }
});
