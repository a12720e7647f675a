/**
 * Column names reach Lance SQL through one function (`sqlIdent`, src/storage/sql.ts).
 * `.pg` names are identifiers, so this test gives the columns of a real Lance table
 * names no `.pg` file can spell — both quotes, spaces, SQL keywords, upper case — by
 * renaming the properties of a compiled catalog and of compiled plans, and runs every
 * path that puts a column name into a predicate against it: the read's scan pushdown,
 * top-k (nearest with its IS NOT NULL, bm25 through an inverted index, a prefilter),
 * and the write filters (a read-your-writes scan with =, contains on a string and on
 * a list, IS NULL; the @unique check against committed rows). A backtick cannot be in
 * a stored column's name (Lance 0.37.1 refuses the append); that sqlIdent escapes one
 * so Lance's SQL parser reads the whole name is checked on its own.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileQuery } from '../../src/query/index.js';
import type { QueryValue, ReadPlan } from '../../src/query/types.js';
import { executeRead } from '../../src/read/executor.js';
import { ReadCache } from '../../src/read/cache.js';
import { arrowSchemaFor, compileSchema, type Catalog } from '../../src/schema/index.js';
import { TableStore, sqlIdent, type TableHandle } from '../../src/storage/index.js';
import { StagedOperation } from '../../src/write/protocol/index.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();

/** Placeholder property → the name the Lance column really has. */
const NAMES: Record<string, string> = {
  col_title: "ti\"tle 'x'",
  col_tags: 'Select',
  col_body: "bo'dy order",
  col_vec: 'em "bed"',
};

const SCHEMA = `node Doc {
  slug: String @key
  col_title: String @unique
  col_tags: [String]?
  col_body: String?
  col_vec: Vector(4)?
}`;

/** A copy of `x` with every string equal to a placeholder replaced by its real name. */
function renamed<T>(x: T): T {
  if (typeof x === 'string') return (NAMES[x] ?? x) as T;
  if (Array.isArray(x)) return x.map(renamed) as T;
  if (x === null || typeof x !== 'object' || x instanceof Uint8Array) return x;
  return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, renamed(v)])) as T;
}

/** `def` with its property `from` called `to`. */
function renamedDef<T extends { properties: Array<{ name: string }> }>(
  def: T,
  from: string,
  to: string,
): T {
  return {
    ...def,
    properties: def.properties.map((p) => (p.name === from ? { ...p, name: to } : p)),
  };
}

const base = compileSchema(SCHEMA, 'weird.pg');
const catalog: Catalog = renamed(base);
const def = catalog.nodes[0];
const [TITLE, TAGS, BODY, VEC] = ['col_title', 'col_tags', 'col_body', 'col_vec'].map(
  (p) => NAMES[p],
);

const ROWS = [
  { slug: 'a', title: 'alpha', tags: ['x'], body: 'the quick fox', vec: [1, 0, 0, 0] },
  { slug: 'b', title: "o'k", tags: ['y', 'x'], body: null, vec: [0, 1, 0, 0] },
  { slug: 'c', title: 'gamma', tags: null, body: 'a lazy dog', vec: null },
  { slug: 'd', title: 'delta', tags: ['z'], body: 'the fox jumps', vec: [0.9, 0.1, 0, 0] },
  { slug: 'e', title: 'eps"ilon', tags: [], body: 'nothing here', vec: [0, 0, 1, 0] },
].map((r) => ({
  id: r.slug,
  slug: r.slug,
  [TITLE]: r.title,
  [TAGS]: r.tags,
  [BODY]: r.body,
  [VEC]: r.vec,
}));

interface Fixture {
  store: TableStore;
  handle: TableHandle;
  version: number;
}

const open: TableStore[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function fixture(): Promise<Fixture> {
  const store = await TableStore.open(join(tmp(), 'repo'));
  open.push(store);
  await store.createTable(def.tableKey, def.tablePath, arrowSchemaFor(def));
  const handle = await store.openTable(def.tableKey, def.tablePath);
  await handle.append(ROWS);
  const version = await handle.createIndex({ kind: 'fts', column: BODY, name: 'body_fts' });
  return { store, handle, version };
}

/** A query compiled against the placeholder names, then renamed like the catalog. */
function plan(source: string, name: string): ReadPlan {
  return renamed(compileQuery(source, 'q.gq', base, name) as ReadPlan);
}

async function read(
  f: Fixture,
  p: ReadPlan,
  params: Record<string, QueryValue>,
): Promise<{ rows: unknown[]; rowsScanned: number }> {
  const ctx = {
    catalog,
    cache: new ReadCache(),
    openPinned: (tableKey: string, pin: { version: number }) =>
      f.store.openTable(tableKey, def.tablePath, { version: pin.version }),
  };
  const snapshot = {
    branch: 'main',
    manifestVersion: 1,
    commitId: 'c',
    timeUs: 0,
    pins: [{ tableKey: def.tableKey, version: f.version, lanceBranch: null }],
  };
  const r = await executeRead(ctx, p, new Map(Object.entries(params)), snapshot);
  return { rows: r.rows, rowsScanned: r.stats.rowsScanned };
}

describe('column names with quotes, spaces and keywords reach Lance through sqlIdent', () => {
  it('read: the scan pushdown and every top-k path', async () => {
    const f = await fixture();
    const byTitle = plan(
      'query q($t: String) { match { $d: Doc { col_title: $t } } return { $d.slug } }',
      'q',
    );
    // The first read of the version pushes the match down: only the matching row is read.
    expect(await read(f, byTitle, { t: "o'k" })).toEqual({
      rows: [{ 'd.slug': 'b' }],
      rowsScanned: 1,
    });
    const nearest = plan(
      'query n($q: Vector(4)) { match { $d: Doc } return { $d.slug } order { nearest($d.col_vec, $q) } limit 2 }',
      'n',
    );
    // Top-k asks Lance for limit + 1 rows with a vector (`col` IS NOT NULL), not all five.
    expect(await read(f, nearest, { q: [1, 0, 0, 0] })).toEqual({
      rows: [{ 'd.slug': 'a' }, { 'd.slug': 'd' }],
      rowsScanned: 3,
    });
    const nearestWhere = plan(
      'query w($q: Vector(4), $t: String) { match { $d: Doc { col_title: $t } } return { $d.slug } order { nearest($d.col_vec, $q) } limit 1 }',
      'w',
    );
    expect(await read(f, nearestWhere, { q: [1, 0, 0, 0], t: 'delta' })).toEqual({
      rows: [{ 'd.slug': 'd' }],
      rowsScanned: 1,
    });
    const bm25 = plan(
      'query b($q: String) { match { $d: Doc } return { $d.slug } order { bm25($d.col_body, $q) } limit 1 }',
      'b',
    );
    const ranked = await read(f, bm25, { q: 'lazy dog' });
    expect(ranked.rows).toEqual([{ 'd.slug': 'c' }]);
    expect(ranked.rowsScanned).toBeLessThan(ROWS.length);
  });

  it('write: read-your-writes filters and the @unique check run as SQL on the committed rows', async () => {
    const f = await fixture();
    const staged = new StagedOperation(catalog, {
      scan: (_def, opts) => f.handle.scan(opts),
      count: () => f.handle.countRows(),
    });
    const slugs = async (filter: Parameters<StagedOperation['scan']>[1]) =>
      (await staged.scan('Doc', filter)).map((r) => r.slug).sort();
    expect(await slugs([{ column: TITLE, op: '=', value: "o'k" }])).toEqual(['b']);
    expect(await slugs([{ column: TITLE, op: 'contains', value: 'n"i' }])).toEqual([]);
    expect(await slugs([{ column: TITLE, op: 'contains', value: 's"i' }])).toEqual(['e']);
    expect(await slugs([{ column: TAGS, op: 'contains', value: 'x' }])).toEqual(['a', 'b']);
    expect(await slugs([{ column: BODY, op: '=', value: null }])).toEqual(['b']);
    expect(await slugs([{ column: VEC, op: '!=', value: null }])).toEqual(['a', 'b', 'd', 'e']);
    // A new row whose unique column repeats a committed value: found by a SQL tuple filter.
    staged.putNode('Doc', { slug: 'f', [TITLE]: 'gamma' }, 'insert');
    await expect(staged.validate()).rejects.toMatchObject({
      message: expect.stringContaining('committed Doc "c" has the same value'),
      details: { rule: 'unique', field: TITLE },
    });
  });

  it('a backtick in a name is escaped, so Lance parses the whole name as one column', async () => {
    expect(sqlIdent('p`q')).toBe('`p``q`');
    const store = await TableStore.open(join(tmp(), 'bt'));
    open.push(store);
    const one = compileSchema('node X { p: String? }', 'x.pg').nodes[0];
    await store.createTable(one.tableKey, one.tablePath, arrowSchemaFor(one));
    const h = await store.openTable(one.tableKey, one.tablePath);
    await h.append([{ id: '1', p: 'v' }]);
    expect(await h.scan({ where: `${sqlIdent('p')} = 'v'` })).toEqual([{ id: '1', p: 'v' }]);
    // Parsed as the one name "p`q" (not a syntax error after `p`): the field does not exist.
    await expect(h.scan({ where: `${sqlIdent('p`q')} = 'v'` })).rejects.toThrow(
      'No field named "p`q"',
    );
    // And a table cannot hold such a column: Lance refuses to append to one.
    const bt = renamedDef(compileSchema('node Y { p: String? }', 'y.pg').nodes[0], 'p', 'p`q');
    await store.createTable(bt.tableKey, bt.tablePath, arrowSchemaFor(bt));
    const hy = await store.openTable(bt.tableKey, bt.tablePath);
    await expect(hy.append([{ id: '1', 'p`q': 'v' }])).rejects.toThrow('not found');
  });
});
