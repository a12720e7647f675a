import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildFromStrings, ReadCache, type GraphIndexes } from '../../src/read/index.js';
import { loadJsonl, Repo } from '../../src/index.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { buildGraph } from './graph.js';

const tmp = useTmpDirs();

describe('GraphIndex (CSR out, CSC in)', () => {
  const src = ['a', 'a', 'a', 'b', 'c', 'c', 'd', 'e'];
  const dst = ['b', 'b', 'c', 'c', 'a', 'd', 'e', 'e'];
  const index = buildFromStrings(src, dst, true);

  it('lists out- and in-neighbours in edge order, parallel edges repeated', () => {
    expect(index.neighbors('a', 'out')).toEqual(['b', 'b', 'c']);
    expect(index.neighbors('c', 'in')).toEqual(['a', 'b']);
    expect(index.neighbors('e', 'in')).toEqual(['d', 'e']);
    expect(index.neighbors('zzz', 'out')).toEqual([]);
    expect(index.edgeCount).toBe(8);
    expect(index.nodeCount('src')).toBe(5);
  });

  it('reach: breadth-first, shortest distance, each node once, never the source', () => {
    expect(index.reach('a', 'out', 1, 1)).toEqual(['b', 'c']);
    expect(index.reach('a', 'out', 1, null)).toEqual(['b', 'c', 'd', 'e']);
    expect(index.reach('a', 'out', 2, 3)).toEqual(['d', 'e']);
    expect(index.reach('e', 'out', 1, 3)).toEqual([]);
    expect(index.reach('e', 'in', 1, 2)).toEqual(['d', 'c']);
  });

  it('a cross-type edge has one id space per end and one hop', () => {
    const works = buildFromStrings(['p1', 'p2', 'p1'], ['acme', 'acme', 'p2'], false);
    expect(works.reach('p1', 'out', 1, 1)).toEqual(['acme', 'p2']);
    expect(works.reach('acme', 'in', 1, 1)).toEqual(['p1', 'p2']);
    // 'p2' as a destination id is not the source-space 'p2'.
    expect(works.reach('p2', 'in', 1, 1)).toEqual(['p1']);
    expect(works.nodeCount('dst')).toBe(2);
  });

  it('reports its size in bytes', () => {
    expect(index.bytes).toBeGreaterThan(8 * 4 * 2);
  });
});

describe('ReadCache', () => {
  it('evicts least recently used entries past its byte bound', () => {
    const cache = new ReadCache(100);
    cache.set('a', 1, 40);
    cache.set('b', 2, 40);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3, 40);
    expect(cache.has('b')).toBe(false);
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.bytes).toBe(80);
    cache.set('huge', 4, 1000); // larger than the bound: not kept, nothing evicted
    expect(cache.has('huge')).toBe(false);
    expect(cache.size).toBe(2);
  });

  it('builds an entry once for concurrent callers', async () => {
    const cache = new ReadCache(1000);
    let builds = 0;
    const build = async () => {
      builds++;
      await new Promise((r) => setTimeout(r, 5));
      return { value: 'v', bytes: 10 };
    };
    const [x, y] = await Promise.all([cache.getOrBuild('k', build), cache.getOrBuild('k', build)]);
    expect([x, y, builds]).toEqual(['v', 'v', 1]);
  });
});

describe('graph indexes in a repo', () => {
  const FRIENDS = `query f($n: String) { match { $p: Person { name: $n }
    $p knows $f } return { $f.name } order { $f.name } }
    query people() { match { $p: Person } return { $p.name } }`;
  const friends = (repo: Repo, branch?: string) =>
    repo
      .query({
        source: FRIENDS,
        file: 'f.gq',
        name: 'f',
        params: { n: 'a' },
        ...(branch ? { branch } : {}),
      })
      .then((r) => r.rows.map((x) => x['f.name']));

  it('are built only when a query expands, cached per table version, patched after an insert and a delete', async () => {
    const repo = await buildGraph(join(tmp(), 'repo'));
    try {
      const cache = (repo as unknown as { readCache: ReadCache }).readCache;
      const origins = (repo as unknown as { graph: { indexes: GraphIndexes } }).graph.indexes
        .origins;
      const indexKeys = (): string[] =>
        [...(cache as unknown as { entries: Map<string, unknown> }).entries.keys()].filter((k) =>
          k.startsWith('gi\u0000'),
        );
      await repo.query({ source: FRIENDS, file: 'f.gq', name: 'people' });
      expect(indexKeys()).toEqual([]);
      expect(await friends(repo)).toEqual(['b', 'c']);
      expect(indexKeys()).toHaveLength(1);
      expect(Object.fromEntries(origins)).toEqual({ built: 1 });
      // A branch pinning the same version shares the entry.
      repo.createBranch('feat');
      expect(await friends(repo, 'feat')).toEqual(['b', 'c']);
      expect(indexKeys()).toHaveLength(1);
      // An insert: the new version's index is the old one patched with the new fragment's rows.
      await repo.transaction((tx) => {
        tx.link('Knows', 'a', 'f');
        tx.insert('Person', { name: 'g' });
        tx.link('Knows', 'g', 'a');
      });
      expect(await friends(repo)).toEqual(['b', 'c', 'f']);
      expect(indexKeys()).toHaveLength(2);
      expect(Object.fromEntries(origins)).toEqual({ built: 1, 'patched-memory': 1 });
      expect(await friends(repo, 'feat')).toEqual(['b', 'c']);
      const reach = await repo.query({
        source:
          'query r() { match { $g: Person { name: "g" }\n $g knows{1,2} $x } return { $x.name } order { $x.name } }',
        file: 'r.gq',
        name: 'r',
      });
      expect(reach.rows.map((x) => x['x.name'])).toEqual(['a', 'b', 'c', 'f']);
      // A delete: patched too (the deleted row's ends come from the base's edge rows).
      await repo.transaction(async (tx) => {
        const [edge] = await tx.scan('Knows', [
          { column: 'src', op: '=', value: 'a' },
          { column: 'dst', op: '=', value: 'f' },
        ]);
        expect(await tx.unlink('Knows', String(edge.id))).toBe(true);
      });
      expect(await friends(repo)).toEqual(['b', 'c']);
      expect(indexKeys()).toHaveLength(3);
      expect(Object.fromEntries(origins)).toEqual({ built: 1, 'patched-memory': 2 });
    } finally {
      await repo.close();
    }
  });

  it('a chunked load (several Lance commits, one publish) is patched from the cached index', async () => {
    const repo = await buildGraph(join(tmp(), 'repo'));
    try {
      const cache = (repo as unknown as { readCache: ReadCache }).readCache;
      const indexKeys = (): string[] =>
        [...(cache as unknown as { entries: Map<string, unknown> }).entries.keys()].filter((k) =>
          k.startsWith('gi\u0000'),
        );
      expect(await friends(repo)).toEqual(['b', 'c']);
      expect(indexKeys()).toHaveLength(1);
      // Several Lance commits to Knows (one row each), one publish; the cached index of
      // the old version stays as it was and no index of the new version is made.
      const lines = [
        { type: 'Person', data: { name: 'h' } },
        { edge: 'Knows', from: 'a', to: 'h' },
        { edge: 'Knows', from: 'a', to: 'f' },
        { edge: 'Knows', from: 'h', to: 'a' },
      ];
      const r = await loadJsonl(
        repo.operationContext(),
        { text: lines.map((l) => JSON.stringify(l)).join('\n'), file: 'more.jsonl' },
        { mode: 'append', chunkBytes: 0, chunkRows: 1 },
      );
      const knows = r.tables.find((t) => t.tableKey === 'edge:Knows')!;
      expect(knows.to - knows.from).toBe(3);
      expect(indexKeys()).toHaveLength(1);
      expect(await friends(repo)).toEqual(['b', 'c', 'f', 'h']);
      expect(indexKeys()).toHaveLength(2);
    } finally {
      await repo.close();
    }
  });

  it('the cache bound is an open option; a tiny bound still answers correctly', async () => {
    const dir = join(tmp(), 'repo');
    await (await buildGraph(dir)).close();
    const repo = await Repo.open(dir, { readCacheBytes: 1 });
    try {
      expect(await friends(repo)).toEqual(['b', 'c']);
      expect((repo as unknown as { readCache: ReadCache }).readCache.size).toBe(0);
    } finally {
      await repo.close();
    }
  });
});
