/**
 * Index builds (src/write/indexes.ts, docs/indexes.md): the rules, `ensureIndexes` as a
 * journaled write of the protocol (one Lance commit per index, HEAD == pin after, a
 * lazy branch fork, idempotent), `indexes()` (state and the version an index covers),
 * and the vector threshold. Crashes and failures inside a build: the drill matrix
 * (writer `index`, test/drills/matrix.test.ts).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VECTOR_INDEX_MIN_ROWS, compileSchema, wantedIndexes, type Repo } from '../../src/index.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();

const PG = `
node Doc {
  slug: String @key
  title: String @index
  kind: enum(note, post) @index
  year: I32? @index
  tags: [String]? @index
  pair_a: String?
  pair_b: String?
  embedding: Vector(2)?
  @index(pair_a, pair_b)
}
node Empty { name: String @key }
node Plain { text: String }
edge Links: Doc -> Doc
`;

async function docs(n: number): Promise<Repo> {
  const repo = await makeRepo(join(tmp(), 'repo'), PG);
  await repo.transaction((tx) => {
    for (let i = 0; i < n; i++)
      tx.upsert('Doc', {
        slug: `d${i}`,
        title: `title ${i}`,
        kind: i % 2 ? 'note' : 'post',
        year: 2000 + i,
        embedding: [Math.cos(i), Math.sin(i)],
      });
  });
  return repo;
}

const opEvents = (repo: Repo, opId: string): string[] =>
  repo.listEvents({ opId, order: 'asc' }).map((e) => e.kind);

describe('index rules', () => {
  it('a key gets a BTREE, an indexed String an inverted index, other indexed scalars a BTREE, vectors a vector index', () => {
    const catalog = compileSchema(PG, 'schema.pg');
    const doc = catalog.nodes.find((n) => n.name === 'Doc')!;
    expect(wantedIndexes(doc).map((w) => `${w.column}:${w.kind}`)).toEqual([
      'slug:btree',
      'title:fts',
      'kind:btree',
      'year:btree',
      'embedding:vector',
    ]);
    expect(wantedIndexes(catalog.nodes.find((n) => n.name === 'Plain')!)).toEqual([]);
  });
});

describe('ensureIndexes', () => {
  it('builds every missing index in one journaled operation, one Lance commit each, HEAD == pin', async () => {
    const repo = await docs(5);
    try {
      const pin = repo.snapshot().pins.find((p) => p.tableKey === 'node:Doc')!.version;
      const progress: string[] = [];
      const out = await repo.ensureIndexes({
        onProgress: (p) => progress.push(`${p.phase} ${p.step}/${p.of} ${p.column}`),
      });
      expect(out.value.built.map((b) => [b.column, b.kind, b.version])).toEqual([
        ['slug', 'btree', pin + 1],
        ['title', 'fts', pin + 2],
        ['kind', 'btree', pin + 3],
        ['year', 'btree', pin + 4],
      ]);
      expect(progress[0]).toBe('start 1/4 slug');
      expect(progress.at(-1)).toBe('done 4/4 year');
      expect(out.commitId).not.toBeNull();
      expect(repo.snapshot().pins.find((p) => p.tableKey === 'node:Doc')!.version).toBe(pin + 4);
      const kinds = opEvents(repo, out.opId);
      expect(kinds[0]).toBe('op.begun');
      expect(kinds.filter((k) => k === 'table.committed')).toHaveLength(4);
      expect(kinds).toContain('op.published');
      const begun = repo.listEvents({ opId: out.opId }).find((e) => e.kind === 'op.begun');
      expect(begun?.kind === 'op.begun' && begun.payload.kind).toBe('EnsureIndices');
      expect((await repo.verify()).ok).toBe(true);

      const list = await repo.indexes();
      const byCol = Object.fromEntries(list.map((r) => [`${r.column}:${r.kind}`, r]));
      expect(byCol['title:fts']).toMatchObject({
        state: 'built',
        indexType: 'FTS',
        indexedRows: 5,
      });
      expect(byCol['slug:btree'].builtAtVersion).toBe(pin + 1);
      expect(byCol['year:btree'].builtAtVersion).toBe(pin + 4);
      // Below the threshold a Vector property stays a flat (exact) search.
      expect(byCol['embedding:vector']).toMatchObject({ state: 'flat', builtAtVersion: null });
      expect(list.some((r) => r.type === 'Empty')).toBe(true);
      expect(list.find((r) => r.type === 'Empty')!.state).toBe('empty');

      // Idempotent: nothing to build, nothing published.
      const again = await repo.ensureIndexes();
      expect(again.value.built).toEqual([]);
      expect(again.commitId).toBeNull();
      expect(repo.snapshot().pins.find((p) => p.tableKey === 'node:Doc')!.version).toBe(pin + 4);
    } finally {
      await repo.close();
    }
  });

  it('rebuilds stale indexes only, and a build on a branch forks lazily and leaves main alone', async () => {
    const repo = await docs(3);
    try {
      await repo.ensureIndexes();
      const mainPins = repo.snapshot().pins;
      repo.createBranch('feat');
      await repo.transaction((tx) => tx.upsert('Doc', { slug: 'new', title: 'x', kind: 'note' }), {
        branch: 'feat',
      });
      const stale = (await repo.indexes({ branch: 'feat' })).filter((r) => r.state === 'stale');
      expect(stale.map((r) => r.column)).toEqual(['slug', 'title', 'kind', 'year']);
      const out = await repo.ensureIndexes({ branch: 'feat' });
      expect(out.value.built).toHaveLength(4);
      expect((await repo.indexes({ branch: 'feat' })).every((r) => r.state !== 'stale')).toBe(true);
      expect(repo.snapshot().pins).toEqual(mainPins);
      expect((await repo.indexes()).filter((r) => r.state === 'built')).toHaveLength(4);
      expect((await repo.verify()).ok).toBe(true);
    } finally {
      await repo.close();
    }
  });

  it('types limits the build; an unknown type is a UsageError and starts nothing', async () => {
    const repo = await docs(2);
    try {
      const before = repo.listEvents({}).length;
      await expect(repo.ensureIndexes({ types: ['Nope'] })).rejects.toMatchObject({
        code: 'UsageError',
      });
      expect(repo.listEvents({})).toHaveLength(before);
      const out = await repo.ensureIndexes({ types: ['Empty'] });
      expect(out.value.built).toEqual([]);
    } finally {
      await repo.close();
    }
  });

  it(`builds the vector index (IVF_FLAT, cosine) from ${VECTOR_INDEX_MIN_ROWS} rows; nearest still answers`, async () => {
    const repo = await docs(VECTOR_INDEX_MIN_ROWS);
    try {
      const out = await repo.ensureIndexes({ types: ['Doc'] });
      expect(out.value.built.map((b) => b.kind)).toContain('vector');
      const row = (await repo.indexes()).find((r) => r.kind === 'vector')!;
      expect(row).toMatchObject({ state: 'built', indexType: 'IvfFlat' });
      const r = await repo.query({
        source: `query near($v: Vector(2)) { match { $d: Doc } return { $d.slug } order { nearest($d.embedding, $v) } limit 1 }`,
        file: 'q.gq',
        name: 'near',
        params: { v: [Math.cos(7), Math.sin(7)] },
      });
      expect(r.rows).toEqual([{ 'd.slug': 'd7' }]);
      expect((await repo.verify()).ok).toBe(true);
    } finally {
      await repo.close();
    }
  }, 120_000);
});
