/**
 * Text search and ranking in reads (issue 14, docs/query-language.md "Search and
 * ranking"): every function against hand-checked answers on a small corpus, with and
 * without indexes, combined with a traversal, inside a transaction, on rows committed
 * after the last index build; Lance's top-k path against the full path; typed errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEmbeddingClient, loadJsonl, Repo } from '../../src/index.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { rejection } from '../helpers/errors.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();

const PG = `
node Doc {
  slug: String @key
  title: String @index
  body: String? @index
  embedding: Vector(3)?
}
node Author { name: String @key }
edge Wrote: Author -> Doc
`;

const DOCS = [
  {
    slug: 'd1',
    title: 'Graph databases explained',
    body: 'a graph database stores nodes and edges',
    embedding: [1, 0, 0],
  },
  {
    slug: 'd2',
    title: 'Vector search engines',
    body: 'a fast vector search engine for embeddings',
    embedding: [0, 1, 0],
  },
  {
    slug: 'd3',
    title: 'Search over a vector',
    body: 'search over a vector of numbers',
    embedding: [0, 0.9, 0.1],
  },
  { slug: 'd4', title: 'lance lance lance', body: 'short', embedding: [0.7, 0.7, 0] },
  {
    slug: 'd5',
    title:
      'A long introduction to columnar formats like lance and many other things worth reading about',
    body: null,
    embedding: null,
  },
];

const GQ = `
query words($q: String) {
  match { $d: Doc  search($d.title, $q) }
  return { $d.slug }
  order { $d.slug }
}
query typo($q: String, $e: I32) {
  match { $d: Doc  fuzzy($d.title, $q, $e) }
  return { $d.slug }
  order { $d.slug }
}
query typo2($q: String) {
  match { $d: Doc  fuzzy($d.title, $q) }
  return { $d.slug }
  order { $d.slug }
}
query phrase($q: String) {
  match { $d: Doc  match_text($d.body, $q) }
  return { $d.slug }
  order { $d.slug }
}
query ranked($q: String, $n: I32) {
  match { $d: Doc }
  return { $d.slug, bm25($d.title, $q) as score }
  order { bm25($d.title, $q) }
  limit 3
}
query ranked_full($q: String) {
  match { $d: Doc  $d.slug != "none" }
  return { $d.slug, bm25($d.title, $q) as score }
  order { bm25($d.title, $q) }
  limit 3
}
query near($v: Vector(3)) {
  match { $d: Doc }
  return { $d.slug }
  order { nearest($d.embedding, $v) }
  limit 3
}
query near_full($v: Vector(3)) {
  match { $d: Doc  $d.slug != "none" }
  return { $d.slug }
  order { nearest($d.embedding, $v) }
  limit 3
}
query near_list($v: [F64]) {
  match { $d: Doc }
  return { $d.slug }
  order { nearest($d.embedding, $v) }
  limit 3
}
query near_text($t: String) {
  match { $d: Doc }
  return { $d.slug }
  order { nearest($d.embedding, $t) }
  limit 3
}
query fused($v: Vector(3), $q: String) {
  match { $d: Doc }
  return { $d.slug, rrf(nearest($d.embedding, $v), bm25($d.title, $q)) as score }
  order { rrf(nearest($d.embedding, $v), bm25($d.title, $q)) }
  limit 2
}
query fused_full($v: Vector(3), $q: String) {
  match { $d: Doc  $d.slug != "none" }
  return { $d.slug }
  order { rrf(nearest($d.embedding, $v), bm25($d.title, $q)) }
  limit 2
}
query ranked_desc($q: String) {
  match { $d: Doc }
  return { $d.slug }
  order { bm25($d.title, $q) desc }
  limit 1
}
query ranked_alias($q: String) {
  match { $d: Doc  $d.slug != "none" }
  return { $d.slug, bm25($d.title, $q) as score }
  order { score desc }
  limit 3
}
query near_desc($v: Vector(3)) {
  match { $d: Doc }
  return { $d.slug }
  order { nearest($d.embedding, $v) desc }
  limit 3
}
query near_full_desc($v: Vector(3)) {
  match { $d: Doc  $d.slug != "none" }
  return { $d.slug }
  order { nearest($d.embedding, $v) desc }
  limit 3
}
query fused_score_desc($v: Vector(3), $q: String) {
  match { $d: Doc }
  return { $d.slug, rrf(nearest($d.embedding, $v), bm25($d.title, $q)) as score }
  order { score desc }
  limit 2
}
query fused_score_asc($v: Vector(3), $q: String) {
  match { $d: Doc }
  return { $d.slug, rrf(nearest($d.embedding, $v), bm25($d.title, $q)) as score }
  order { score asc }
  limit 2
}
query fused_desc($v: Vector(3), $q: String) {
  match { $d: Doc }
  return { $d.slug }
  order { rrf(nearest($d.embedding, $v), bm25($d.title, $q)) desc }
  limit 2
}
query by_author($a: String, $q: String) {
  match {
    $a1: Author { name: $a }
    $a1 wrote $d
    search($d.title, $q)
  }
  return { $a1.name, $d.slug }
  order { $d.slug }
}
`;

type Row = Record<string, unknown>;
const slugs = (rows: Row[], col = 'd.slug'): unknown[] => rows.map((r) => r[col]);

async function corpus(indexed: boolean): Promise<Repo> {
  const repo = await makeRepo(join(tmp(), 'repo'), PG);
  await repo.transaction(async (tx) => {
    for (const d of DOCS) tx.upsert('Doc', d);
    tx.upsert('Author', { name: 'ann' });
    tx.upsert('Author', { name: 'bob' });
    tx.link('Wrote', 'ann', 'd1');
    tx.link('Wrote', 'ann', 'd2');
    tx.link('Wrote', 'bob', 'd3');
    tx.link('Wrote', 'bob', 'd4');
  });
  if (indexed) await repo.ensureIndexes();
  return repo;
}

const run = async (repo: Repo, name: string, params: Row = {}): Promise<Row[]> =>
  (await repo.query({ source: GQ, file: 'search.gq', name, params })).rows as Row[];

for (const indexed of [false, true]) {
  describe(`search functions on a small corpus (${indexed ? 'indexed' : 'no index'})`, () => {
    it('search matches whole tokens, any of the query tokens, case- and accent-insensitively', async () => {
      const repo = await corpus(indexed);
      try {
        expect(slugs(await run(repo, 'words', { q: 'vector' }))).toEqual(['d2', 'd3']);
        expect(slugs(await run(repo, 'words', { q: 'VÉCTOR graph' }))).toEqual(['d1', 'd2', 'd3']);
        expect(slugs(await run(repo, 'words', { q: 'vec' }))).toEqual([]);
        expect(slugs(await run(repo, 'words', { q: '' }))).toEqual([]);
      } finally {
        await repo.close();
      }
    });

    it('fuzzy finds a one-edit typo within max_edits (default 2), not within 0', async () => {
      const repo = await corpus(indexed);
      try {
        expect(slugs(await run(repo, 'typo', { q: 'grapj', e: 1 }))).toEqual(['d1']);
        expect(slugs(await run(repo, 'typo', { q: 'grapj', e: 0 }))).toEqual([]);
        expect(slugs(await run(repo, 'typo', { q: 'graph', e: 0 }))).toEqual(['d1']);
        // A transposition is two edits: found with the default, not with 1.
        expect(slugs(await run(repo, 'typo2', { q: 'grpah' }))).toEqual(['d1']);
        expect(slugs(await run(repo, 'typo', { q: 'grpah', e: 1 }))).toEqual([]);
        await expect(run(repo, 'typo', { q: 'x', e: -1 })).rejects.toMatchObject({
          code: 'InvalidSearchArgument',
        });
      } finally {
        await repo.close();
      }
    });

    it('match_text is a phrase: the tokens adjacent and in order, not the same words apart', async () => {
      const repo = await corpus(indexed);
      try {
        expect(slugs(await run(repo, 'phrase', { q: 'vector search' }))).toEqual(['d2']);
        expect(slugs(await run(repo, 'phrase', { q: 'Search, over a' }))).toEqual(['d3']);
        expect(slugs(await run(repo, 'phrase', { q: 'search vector' }))).toEqual([]);
        expect(slugs(await run(repo, 'words', { q: 'search vector' }))).toEqual(['d2', 'd3']);
      } finally {
        await repo.close();
      }
    });

    it('bm25 ranks a short document with the term three times over a long one with it once', async () => {
      const repo = await corpus(indexed);
      try {
        const rows = await run(repo, 'ranked', { q: 'lance', n: 3 });
        expect(slugs(rows)).toEqual(['d4', 'd5']);
        expect(rows[0].score as number).toBeGreaterThan(rows[1].score as number);
        expect(await run(repo, 'ranked_full', { q: 'lance' })).toEqual(rows);
      } finally {
        await repo.close();
      }
    });

    it('nearest of an exact vector is itself; rows without a vector are not ranked', async () => {
      const repo = await corpus(indexed);
      try {
        expect(slugs(await run(repo, 'near', { v: [0, 1, 0] }))).toEqual(['d2', 'd3', 'd4']);
        expect(slugs(await run(repo, 'near', { v: [2, 0, 0] }))[0]).toBe('d1');
        expect(slugs(await run(repo, 'near_full', { v: [0, 1, 0] }))).toEqual(['d2', 'd3', 'd4']);
        expect(slugs(await run(repo, 'near_list', { v: [0.7, 0.7, 0] }))[0]).toBe('d4');
      } finally {
        await repo.close();
      }
    });

    it('rrf of two agreeing rankings puts their common first first', async () => {
      const repo = await corpus(indexed);
      try {
        const rows = await run(repo, 'fused', { v: [0.7, 0.7, 0], q: 'lance' });
        expect(slugs(rows)).toEqual(['d4', rows[1]['d.slug']]);
        // d4 is first in both: 1/(60+1) twice.
        expect(rows[0].score).toBeCloseTo(2 / 61, 12);
        expect(slugs(await run(repo, 'fused_full', { v: [0.7, 0.7, 0], q: 'lance' }))).toEqual(
          slugs(rows),
        );
      } finally {
        await repo.close();
      }
    });

    it('a ranking orders best first whatever asc/desc says, as in the reference (by itself or by its alias)', async () => {
      const repo = await corpus(indexed);
      try {
        // bm25: the document with "lance" three times is the best match, under desc too.
        expect(slugs(await run(repo, 'ranked_desc', { q: 'lance' }))).toEqual(['d4']);
        const alias = await run(repo, 'ranked_alias', { q: 'lance' });
        expect(slugs(alias)).toEqual(['d4', 'd5']);
        expect(alias[0].score as number).toBeGreaterThan(alias[1].score as number);
        // nearest: the closest first, on Lance's top-k path and on the full path.
        for (const name of ['near_desc', 'near_full_desc'])
          expect(slugs(await run(repo, name, { v: [0, 1, 0] })), name).toEqual(['d2', 'd3', 'd4']);
        // rrf: the reference writes `order { score desc }` for best first; asc is the same.
        const fused = slugs(await run(repo, 'fused', { v: [0.7, 0.7, 0], q: 'lance' }));
        for (const name of ['fused_score_desc', 'fused_score_asc', 'fused_desc'])
          expect(slugs(await run(repo, name, { v: [0.7, 0.7, 0], q: 'lance' })), name).toEqual(
            fused,
          );
      } finally {
        await repo.close();
      }
    });

    it('search combines with a traversal', async () => {
      const repo = await corpus(indexed);
      try {
        expect(await run(repo, 'by_author', { a: 'ann', q: 'vector' })).toEqual([
          { 'a1.name': 'ann', 'd.slug': 'd2' },
        ]);
        expect(await run(repo, 'by_author', { a: 'bob', q: 'lance graph' })).toEqual([
          { 'a1.name': 'bob', 'd.slug': 'd4' },
        ]);
      } finally {
        await repo.close();
      }
    });
  });
}

describe('search after writes', () => {
  it('finds rows committed after the last index build (Lance searches unindexed rows too)', async () => {
    const repo = await corpus(true);
    try {
      await repo.transaction((tx) => {
        tx.upsert('Doc', { slug: 'd6', title: 'lance', body: 'a vector search' });
      });
      const stale = (await repo.indexes()).filter((i) => i.state === 'stale').map((i) => i.column);
      expect(stale.sort()).toEqual(['body', 'slug', 'title']);
      const r = await repo.query({
        source: GQ,
        file: 's.gq',
        name: 'ranked',
        params: { q: 'lance', n: 3 },
      });
      expect(slugs(r.rows as Row[]).sort()).toEqual(['d4', 'd5', 'd6']);
      expect(r.rows).toEqual(await run(repo, 'ranked_full', { q: 'lance' }));
      // Lance's top-k answered: only the best limit + 1 rows were read, not the table.
      expect(r.stats.rowsScanned).toBeLessThanOrEqual(4);
      expect(slugs(await run(repo, 'phrase', { q: 'vector search' }))).toEqual(['d2', 'd6']);
    } finally {
      await repo.close();
    }
  });

  it('tx.query searches and ranks what the transaction staged', async () => {
    const repo = await corpus(true);
    try {
      await repo.transaction(async (tx) => {
        tx.upsert('Doc', { slug: 'd7', title: 'lance lance lance lance', embedding: [0, 0, 1] });
        const r = await tx.query({
          source: GQ,
          file: 's.gq',
          name: 'ranked',
          params: { q: 'lance', n: 3 },
        });
        expect(slugs(r.rows as Row[])).toEqual(['d7', 'd4', 'd5']);
        const w = await tx.query({
          source: GQ,
          file: 's.gq',
          name: 'words',
          params: { q: 'lance' },
        });
        expect(slugs(w.rows as Row[])).toEqual(['d4', 'd5', 'd7']);
      });
    } finally {
      await repo.close();
    }
  });
});

describe("Lance's top-k answers as the full path does", () => {
  it('on a larger corpus: bm25, nearest and rrf, indexed', async () => {
    const repo = await makeRepo(join(tmp(), 'repo'), PG);
    try {
      const words = ['alpha', 'beta', 'gamma', 'delta', 'omega'];
      await repo.transaction((tx) => {
        for (let i = 0; i < 80; i++) {
          const title = Array.from(
            { length: 1 + (i % 7) },
            (_, j) => words[(i * 3 + j * j) % 5],
          ).join(' ');
          tx.upsert('Doc', {
            slug: `n${String(i).padStart(2, '0')}`,
            title,
            embedding: [Math.sin(i), Math.cos(i), (i % 5) / 5],
          });
        }
      });
      await repo.ensureIndexes();
      let viaTopK = 0;
      for (const q of ['alpha', 'omega beta', 'delta', 'gamma alpha']) {
        const fast = await repo.query({
          source: GQ,
          file: 's.gq',
          name: 'ranked',
          params: { q, n: 3 },
        });
        const full = await run(repo, 'ranked_full', { q });
        expect(fast.rows, q).toEqual(full);
        // bm25's top-k reads 8n + 1 rows (a tie with the n-th among them reads 8 times as many).
        if (fast.stats.rowsScanned <= 8 * 3 + 1) viaTopK++;
      }
      expect(viaTopK).toBeGreaterThan(0);
      for (const v of [
        [1, 0, 0],
        [0.2, -0.5, 0.9],
      ]) {
        expect(slugs(await run(repo, 'near', { v }))).toEqual(
          slugs(await run(repo, 'near_full', { v })),
        );
        expect(slugs(await run(repo, 'fused', { v, q: 'gamma' }))).toEqual(
          slugs(await run(repo, 'fused_full', { v, q: 'gamma' })),
        );
      }
    } finally {
      await repo.close();
    }
  });
});

describe('search errors are typed and read nothing wrong', () => {
  it('a Vector parameter of the wrong dimension', async () => {
    const repo = await corpus(false);
    try {
      const e1 = await rejection(run(repo, 'near', { v: [1, 0] }));
      expect(e1.code).toBe('ParamType');
      expect(e1.details).toMatchObject({ param: 'v' });
      const e2 = await rejection(run(repo, 'near_list', { v: [1, 0, 0, 0] }));
      expect(e2.code).toBe('VectorDimensionMismatch');
      expect(e2.details).toMatchObject({ expected: 3, got: 4 });
    } finally {
      await repo.close();
    }
  });

  it('nearest with a String query and no embedding provider is EmbeddingNotConfigured', async () => {
    const repo = await corpus(false);
    try {
      const e = await rejection(run(repo, 'near_text', { t: 'graph' }));
      expect(e.code).toBe('EmbeddingNotConfigured');
    } finally {
      await repo.close();
    }
  });

  it('nearest with a String query embeds it with the @embed client: a stored text finds itself', async () => {
    const dir = tmp();
    const schema =
      'node Note {\n  slug: String @key\n  text: String\n  vec: Vector(16) @embed("text")\n}\n';
    await Repo.init(dir, { schemaSource: schema, schemaFile: 'notes.pg' });
    const repo = await Repo.open(dir, { embeddings: createEmbeddingClient({ provider: 'mock' }) });
    try {
      const gq = `query ins($s: String, $t: String) { insert Note { slug: $s, text: $t } }
query near($t: String) {
  match { $n: Note }
  return { $n.slug }
  order { nearest($n.vec, $t) }
  limit 2
}`;
      const texts = { a: 'graphs of lance tables', b: 'a journal of events', c: 'crash drills' };
      for (const [s, t] of Object.entries(texts))
        await repo.change({ source: gq, file: 'notes.gq', name: 'ins', params: { s, t } });
      for (const [s, t] of Object.entries(texts)) {
        const out = await repo.query({ source: gq, file: 'notes.gq', name: 'near', params: { t } });
        expect(out.rows[0]).toEqual({ 'n.slug': s });
      }
    } finally {
      await repo.close();
    }
  });
});

describe('the fixture search.gq answers as documented', () => {
  it('every query, indexed or not', async () => {
    const fixture = (f: string): string => join(FIXTURES_DIR, 'omnigraph', f);
    const repo = await makeRepo(join(tmp(), 'repo'), { fixture: 'omnigraph/search.pg' });
    try {
      await loadJsonl(
        repo.operationContext(),
        { path: fixture('search.jsonl') },
        { mode: 'append' },
      );
      const source = readFileSync(fixture('search.gq'), 'utf8');
      const q = async (name: string, params: Row): Promise<unknown[]> =>
        slugs((await repo.query({ source, file: 'search.gq', name, params })).rows as Row[]);
      const v = [0.1, 0.2, 0.3, 0.4];
      for (const pass of ['no index', 'indexed']) {
        if (pass === 'indexed') await repo.ensureIndexes();
        const learning = ['dl-basics', 'ml-intro', 'rl-intro'];
        expect((await q('text_search', { q: 'learning' })).sort(), pass).toEqual(learning);
        expect((await q('fuzzy_search', { q: 'lerning' })).sort(), pass).toEqual(learning);
        expect((await q('phrase_search', { q: 'machine learning' })).sort(), pass).toEqual([
          'ml-intro',
          'nlp-guide',
        ]);
        expect(await q('phrase_search', { q: 'learning machine' }), pass).toEqual([]);
        expect(await q('vector_search', { q: v }), pass).toEqual([
          'ml-intro',
          'nlp-guide',
          'rl-intro',
        ]);
        // dl-basics and rl-intro tie (one "learning" in three tokens): by id.
        expect(await q('bm25_search', { q: 'learning' }), pass).toEqual([
          'dl-basics',
          'rl-intro',
          'ml-intro',
        ]);
        // nearest ranks ml, nlp, rl; bm25 ranks dl, rl, ml: ml 1/61+1/63 > rl 1/63+1/62 > dl 1/61.
        expect(await q('hybrid_search', { vq: v, tq: 'learning' }), pass).toEqual([
          'ml-intro',
          'rl-intro',
          'dl-basics',
        ]);
      }
    } finally {
      await repo.close();
    }
  });
});
