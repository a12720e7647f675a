/**
 * Reads over scans with no rows: a first (pushed-down) read whose filter matches
 * nothing, and tables that have never had a row (a type the data does not use): an
 * expansion over an empty edge table matches nothing, `not { }` over it keeps every
 * row, a scan of an empty node table returns no rows, an aggregate-only return gives
 * its one row. Found by the property test (random-queries.test.ts) and the fixture
 * reads (both cookbooks have edge types their seed data never uses).
 */
import { describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { useTmpDirs } from '../helpers/tmp.js';

const PG = `node P { name: String @key }
node C { name: String @key }
edge Knows: P -> P
edge Visits: P -> C
`;

const GQ = `
query hop() { match { $a: P
  $a knows $b } return { $a.name, $b.name } }
query lonely() { match { $a: P
  not { $a visits $_ } } return { $a.name } order { $a.name } }
query places() { match { $c: C } return { $c.name } }
query named($name: String) { match { $a: P { name: $name } } return { $a.name } }
query visits_count() { match { $a: P
  $a visits $c } return { count($c) as n } }
`;

describe('reads over empty tables', () => {
  const tmp = useTmpDirs();

  it('a pushed-down filter matching nothing; expand, anti-join, scan and aggregate over tables with no rows', async () => {
    const dir = tmp();
    await Repo.init(dir, { schemaSource: PG, schemaFile: 'e.pg' });
    const repo = await Repo.open(dir);
    try {
      await repo.transaction((tx) => {
        tx.insert('P', { name: 'p1' });
        tx.insert('P', { name: 'p2' });
      });
      const q = (name: string, params = {}) =>
        repo.query({ source: GQ, file: 'e.gq', name, params });
      // The first read of this table version pushes the key match down to Lance; it matches nothing.
      expect((await q('named', { name: 'nobody' })).rows).toEqual([]);
      expect((await q('named', { name: 'p2' })).rows).toEqual([{ 'a.name': 'p2' }]);
      expect((await q('hop')).rows).toEqual([]);
      expect((await q('lonely')).rows).toEqual([{ 'a.name': 'p1' }, { 'a.name': 'p2' }]);
      expect((await q('places')).rows).toEqual([]);
      const count = (await q('visits_count')).rows;
      expect(count).toHaveLength(1);
      expect(Number(count[0].n)).toBe(0);
    } finally {
      await repo.close();
    }
  }, 120_000);
});
