import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  armFailpoint,
  createEmbeddingClient,
  disarmAllFailpoints,
  exportJsonl,
  loadJsonl,
  mockEmbedding,
  Repo,
  type EmbeddingClient,
  type LoadOptions,
  type LoadResult,
} from '../../src/index.js';
import { makeRepo, RULES_PG } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { rejection } from '../helpers/errors.js';

const tmp = useTmpDirs();

/** No edge @card: a chunked overwrite's schema (docs/writes.md §Chunked loads). */
const PLAIN_PG = `
node Person {
  name: String @key
  age: I32? @range(0..150)
  email: String? @unique
}
node Company { name: String @key }
edge Knows: Person -> Person { since: Date? }
edge WorksAt: Person -> Company
`;

async function withRepo<T>(schema: string, fn: (repo: Repo) => Promise<T>): Promise<T> {
  const repo = await makeRepo(join(tmp(), 'repo'), schema);
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

const chunked = (rows: number): Partial<LoadOptions> => ({ chunkBytes: 0, chunkRows: rows });
const load = (
  repo: Repo,
  text: string,
  mode: LoadOptions['mode'] = 'append',
  extra: Partial<LoadOptions> = {},
) => loadJsonl(repo.operationContext(), { text, file: 'data.jsonl' }, { mode, ...extra });

async function exportText(repo: Repo): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await exportJsonl(repo, out, {});
  out.end();
  return Buffer.concat(chunks).toString('utf8');
}

const jsonl = (...records: unknown[]): string => records.map((r) => JSON.stringify(r)).join('\n');
const person = (name: string, data: Record<string, unknown> = {}) => ({
  type: 'Person',
  data: { name, ...data },
});
const company = (name: string) => ({ type: 'Company', data: { name } });
const rel = (edge: string, from: string, to: string, data?: Record<string, unknown>) => ({
  edge,
  from,
  to,
  ...(data ? { data } : {}),
});
const commits = (r: LoadResult): Record<string, number> =>
  Object.fromEntries(r.tables.map((t) => [t.tableKey, t.to - t.from]));

const SEED = jsonl(
  person('a', { age: 1, email: 'a@x' }),
  person('b', { age: 2 }),
  person('c', { age: 3, email: 'c@x' }),
  person('d'),
  company('acme'),
  rel('Knows', 'a', 'b'),
  rel('Knows', 'c', 'd'),
  rel('WorksAt', 'a', 'acme'),
  rel('WorksAt', 'c', 'acme'),
  rel('WorksAt', 'd', 'acme'),
);

/** Person and Knows replaced; c and d disappear, so their WorksAt edges (untouched table) cascade. */
const OVERWRITE = jsonl(
  person('a', { age: 10 }),
  person('b', { age: 20, email: 'c@x' }), // c's committed email: c is replaced, no clash
  person('e'),
  rel('Knows', 'a', 'e', { since: '2024-01-01' }),
  rel('Knows', 'e', 'b'),
  rel('Knows', 'b', 'a'),
);

describe('chunked overwrite', () => {
  it('exports what a one-commit overwrite exports: delete pages, then appends, cascade into untouched tables', async () => {
    const expected = await withRepo(PLAIN_PG, async (repo) => {
      await load(repo, SEED);
      const r = await load(repo, OVERWRITE, 'overwrite');
      for (const n of Object.values(commits(r))) expect(n).toBe(1);
      return { text: await exportText(repo), deleted: r.deleted };
    });
    await withRepo(PLAIN_PG, async (repo) => {
      await load(repo, SEED);
      const r = await load(repo, OVERWRITE, 'overwrite', chunked(2));
      // Person: 4 committed ids in 2 delete pages + 3 rows in 2 chunks; Knows: 1 + 2;
      // WorksAt (not in the file): c→acme and d→acme in one delete page.
      expect(commits(r)).toEqual({ 'node:Person': 4, 'edge:Knows': 3, 'edge:WorksAt': 1 });
      expect(r.deleted).toEqual(expected.deleted);
      expect(r.deleted).toEqual({ Person: 2, Knows: 2, WorksAt: 2 });
      expect(await exportText(repo)).toBe(expected.text);
      expect((await repo.scan('WorksAt')).map((e) => e.src)).toEqual(['a']);
      expect((await repo.verify()).ok).toBe(true);
      // Overwriting again with the same file: the same rows (new edge ids), nothing cascades.
      const again = await load(repo, OVERWRITE, 'overwrite', chunked(1));
      expect(again.deleted).toEqual({ Knows: 3 });
      expect(await repo.scan('Person')).toHaveLength(3);
      expect(await repo.scan('Knows')).toHaveLength(3);
      expect(await repo.scan('WorksAt')).toHaveLength(1);
    });
  });

  it('an empty table is just appended to; a key repeated in the file and an end at a dropped node are errors', async () => {
    await withRepo(PLAIN_PG, async (repo) => {
      const r = await load(
        repo,
        jsonl(person('a'), person('b'), person('c')),
        'overwrite',
        chunked(2),
      );
      expect(commits(r)).toEqual({ 'node:Person': 2 });
      await load(repo, SEED, 'overwrite');
      const baseline = await exportText(repo);
      const bad: Array<[string, string, Record<string, unknown>]> = [
        [
          'key twice',
          jsonl(person('x'), person('y'), person('x')),
          { rule: 'key', line: 3, id: 'x' },
        ],
        [
          'edge to a committed node the overwrite drops',
          jsonl(person('a'), rel('Knows', 'a', 'b')),
          { rule: 'endpoint', line: 2, field: 'to' },
        ],
        [
          '@unique within the file',
          jsonl(person('a', { email: 'z@x' }), person('q'), person('r', { email: 'z@x' })),
          { rule: 'unique', line: 3, id: 'r' },
        ],
      ];
      for (const [name, text, details] of bad) {
        const err = await rejection(load(repo, text, 'overwrite', chunked(1)));
        expect({ name, code: err.code, ...(err.details as object) }).toMatchObject({
          name,
          code: 'ValidationError',
          ...details,
        });
      }
      expect(await exportText(repo)).toBe(baseline);
      // An edge to a committed node of a table the file does not overwrite is fine.
      await load(repo, jsonl(person('z'), rel('WorksAt', 'z', 'acme')), 'overwrite', chunked(1));
      expect((await repo.scan('WorksAt')).map((e) => e.src)).toEqual(['z']);
    });
  });

  it('a failure after a delete page restores every table to its pin; recovery is not needed', async () => {
    await withRepo(PLAIN_PG, async (repo) => {
      await load(repo, SEED);
      const baseline = await exportText(repo);
      armFailpoint('write.after_chunk_commit', { kind: 'error' }, { onHit: 2 });
      try {
        const err = await rejection(load(repo, OVERWRITE, 'overwrite', chunked(1)));
        expect(err).toMatchObject({ code: 'FailpointTriggered' });
      } finally {
        disarmAllFailpoints();
      }
      expect(await exportText(repo)).toBe(baseline);
      expect(repo.listEvents({ kind: 'op.rolled_back' })).toHaveLength(1);
      expect((await repo.verify()).ok).toBe(true);
    });
  });

  it('under a schema with an edge @card an overwrite keeps one commit per table', async () => {
    await withRepo(RULES_PG, async (repo) => {
      await load(repo, jsonl(person('a'), person('b')));
      const r = await load(repo, jsonl(person('a'), person('c')), 'overwrite', chunked(1));
      expect(commits(r)).toEqual({ 'node:Person': 1 });
      expect(r.deleted).toEqual({ Person: 1 });
    });
  });
});

describe('chunked load with @embed', () => {
  const EMBED_PG = `
node Doc {
  slug: String @key
  body: String?
  embedding: Vector(4)? @embed("body")
}
`;
  it('fills missing vectors while the file is read, in file order, then commits in chunks', async () => {
    const mock = createEmbeddingClient({ env: { LANCELOG_EMBEDDINGS: 'mock' } });
    const calls: string[][] = [];
    const client: EmbeddingClient = {
      provider: mock.provider,
      model: mock.model,
      embed(texts, dimension) {
        calls.push(texts);
        return mock.embed(texts, dimension);
      },
    };
    const dir = join(tmp(), 'repo');
    await Repo.init(dir, { schemaSource: EMBED_PG, schemaFile: 'schema.pg' });
    const repo = await Repo.open(dir, { embeddings: client });
    try {
      const doc = (slug: string, body?: string, embedding?: number[]) => ({
        type: 'Doc',
        data: {
          slug,
          ...(body !== undefined ? { body } : {}),
          ...(embedding ? { embedding } : {}),
        },
      });
      const text = jsonl(
        doc('a', 'alpha'),
        doc('b', 'beta', [1, 0, 0, 0]),
        doc('c'),
        doc('a', 'alpha two'), // merge: the last line wins, and its vector is the one kept
        doc('d', 'delta'),
      );
      const r = await load(repo, text, 'merge', chunked(2));
      expect(commits(r)).toEqual({ 'node:Doc': 3 });
      expect(calls).toEqual([['alpha', 'alpha two', 'delta']]);
      const f32 = (v: Float32Array | number[]) => Array.from(v, (x) => Math.fround(x));
      const vec = async (id: string) => (await repo.get('Doc', id))?.embedding as number[] | null;
      expect(await vec('a')).toEqual(f32(mockEmbedding('alpha two', 4)));
      expect(await vec('b')).toEqual([1, 0, 0, 0]);
      expect(await vec('c')).toBeNull();
      expect(await vec('d')).toEqual(f32(mockEmbedding('delta', 4)));
      expect((await repo.verify()).ok).toBe(true);
    } finally {
      await repo.close();
    }
  });
});
