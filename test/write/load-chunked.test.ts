import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  armFailpoint,
  disarmAllFailpoints,
  exportJsonl,
  loadJsonl,
  type LoadOptions,
  type LoadResult,
  type Repo,
} from '../../src/index.js';
import { FIXTURES_DIR, fixtureFiles } from '../helpers/fixtures.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { rejection } from '../helpers/errors.js';

const tmp = useTmpDirs();

async function withRepo<T>(
  schema: string | { fixture: string } | undefined,
  fn: (repo: Repo) => Promise<T>,
): Promise<T> {
  const repo = await makeRepo(join(tmp(), 'repo'), schema);
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

/** Chunked from the first byte, `rows` rows per table per Lance commit. */
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
const knows = (from: string, to: string, data?: Record<string, unknown>) => ({
  edge: 'Knows',
  from,
  to,
  ...(data ? { data } : {}),
});

/** Lance commits per table of a load: version moves. */
const commits = (r: LoadResult): Record<string, number> =>
  Object.fromEntries(r.tables.map((t) => [t.tableKey, t.to - t.from]));

/** The versions of a table's Lance commits an operation journaled as `table.committed`. */
function committedVersions(repo: Repo, opId: string, tableKey: string): number[] {
  return repo
    .listEvents({ kind: 'table.committed' })
    .filter((e) => e.opId === opId && e.tableKey === tableKey)
    .map((e) => (e.payload as unknown as { version: number }).version);
}

function schemaFor(jsonlPath: string): string {
  const rel = jsonlPath.slice(FIXTURES_DIR.length + 1);
  return basename(rel) === 'seed.jsonl'
    ? join(dirname(rel), 'schema.pg')
    : rel.replace(/\.jsonl$/, '.pg');
}

describe('chunked load: the same graph as one commit per table', () => {
  for (const file of fixtureFiles('.jsonl')) {
    const rel = file.slice(FIXTURES_DIR.length + 1);
    it(`${rel}: append and merge in chunks export what a one-commit load exports`, async () => {
      const schema = { fixture: schemaFor(file) };
      const expected = await withRepo(schema, async (repo) => {
        const r = await loadJsonl(repo.operationContext(), { path: file }, { mode: 'append' });
        // Below the threshold (the default 64 MiB): one Lance commit per table, as before.
        for (const n of Object.values(commits(r))) expect(n).toBe(1);
        return exportText(repo);
      });
      await withRepo(schema, async (repo) => {
        // A few commits per table whatever the fixture's size (hundreds of commits are slow).
        const lines = readFileSync(file, 'utf8').split('\n').length;
        const rowsPerCommit = Math.max(2, Math.ceil(lines / 12));
        const r = await loadJsonl(
          repo.operationContext(),
          { path: file },
          { mode: 'append', ...chunked(rowsPerCommit) },
        );
        const rows = { ...r.nodes, ...r.edges };
        for (const t of r.tables) {
          const name = Object.keys(rows).find((n) => t.tableKey.endsWith(`:${n}`))!;
          const want = Math.ceil(rows[name] / rowsPerCommit);
          expect(t.to - t.from, t.tableKey).toBe(want);
          // Every commit but the last is journaled by the load, the last with the publish.
          expect(committedVersions(repo, r.opId, t.tableKey)).toEqual(
            Array.from({ length: t.to - t.from }, (_, i) => t.from + 1 + i),
          );
        }
        expect(await exportText(repo)).toBe(expected);
        await loadJsonl(repo.operationContext(), { path: file }, { mode: 'merge', ...chunked(3) });
        expect(await exportText(repo)).toBe(expected);
        expect((await repo.verify()).ok).toBe(true);
      });
    });
  }
});

describe('chunked load: merge across chunks', () => {
  it('the last line of a key wins, committed keys are updated, not duplicated, and edges keep their ids', async () => {
    await withRepo(undefined, async (repo) => {
      await load(
        repo,
        jsonl(person('a', { age: 1 }), person('b'), knows('a', 'b', { since: '2020-01-01' })),
      );
      const edgeId = (await repo.scan('Knows'))[0].id;
      const r = await load(
        repo,
        jsonl(
          person('a', { age: 2 }),
          person('c', { age: 5 }),
          knows('a', 'b', { since: '2021-01-01' }),
          person('a', { age: 3 }), // chunk 2 of Person: a again
          person('c', { age: 6 }),
          knows('c', 'a'),
          person('d'),
          knows('a', 'b', { since: '2022-01-01' }), // chunk 2 of Knows: the same pair again
          person('c', { age: 7 }), // chunk 3 of Person, and a repeat within it
          person('c', { age: 8 }),
        ),
        'merge',
        chunked(2),
      );
      expect(commits(r)).toEqual({ 'node:Person': 4, 'edge:Knows': 2 });
      const people = await repo.scan('Person');
      expect(people.map((p) => [p.name, p.age]).sort()).toEqual([
        ['a', 3],
        ['b', null],
        ['c', 8],
        ['d', null],
      ]);
      const edges = await repo.scan('Knows');
      expect(edges).toHaveLength(2);
      const ab = edges.find((e) => e.src === 'a')!;
      expect(ab.id).toBe(edgeId);
      expect((ab.since as Date).toISOString()).toBe('2022-01-01T00:00:00.000Z');
      expect((await repo.verify()).ok).toBe(true);
    });
  });
});

describe('chunked load: cross-row rules span chunks and committed data', () => {
  const company = (name: string) => ({ type: 'Company', data: { name } });
  const rel = (e: string, from: string, to: string) => ({ edge: e, from, to });

  it('key, @unique, endpoint and @card are checked for the whole file; nothing is published', async () => {
    await withRepo(undefined, async (repo) => {
      await load(
        repo,
        jsonl(person('old', { email: 'old@x.org' }), company('acme'), rel('Owns', 'acme', 'old')),
      );
      const baseline = await exportText(repo);
      const bad: Array<[string, unknown[], LoadOptions['mode'], Record<string, unknown>]> = [
        [
          'key repeated across chunks',
          [person('a'), person('b'), person('c'), person('a')],
          'append',
          { rule: 'key', line: 4, id: 'a' },
        ],
        [
          'key committed',
          [person('a'), person('b'), person('old')],
          'append',
          { rule: 'key', line: 3, id: 'old' },
        ],
        [
          '@unique across chunks',
          [person('a', { email: 'e@x.org' }), person('b'), person('c', { email: 'e@x.org' })],
          'append',
          { rule: 'unique', line: 3, id: 'c' },
        ],
        [
          '@unique against a committed row',
          [person('a'), person('b'), person('c', { email: 'old@x.org' })],
          'merge',
          { rule: 'unique', line: 3, id: 'c' },
        ],
        [
          'endpoint in no chunk and not committed',
          [
            person('a'),
            person('b'),
            person('c'),
            rel('Knows', 'a', 'old'),
            rel('Knows', 'c', 'zed'),
          ],
          'append',
          { rule: 'endpoint', line: 5, field: 'to' },
        ],
        [
          '@card max over two chunks',
          [
            company('c1'),
            company('c2'),
            person('a'),
            rel('WorksAt', 'a', 'c1'),
            rel('Owns', 'c1', 'a'),
            rel('Owns', 'c2', 'a'),
            rel('WorksAt', 'a', 'c2'),
          ],
          'append',
          { rule: 'card' },
        ],
        [
          '@card min of a new node',
          [
            company('c1'),
            company('c2'),
            company('c3'),
            rel('Owns', 'c1', 'old'),
            rel('Owns', 'c3', 'old'),
          ],
          'append',
          { rule: 'card', line: 2 },
        ],
      ];
      for (const [name, records, mode, details] of bad) {
        const err = await rejection(load(repo, jsonl(...records), mode, chunked(2)));
        expect({ name, code: err.code, ...(err.details as object) }).toMatchObject({
          name,
          code: 'ValidationError',
          ...details,
        });
      }
      expect(await exportText(repo)).toBe(baseline);
      // The same rules pass when they hold: an edge to a committed node, merge of a committed key.
      const ok = await load(
        repo,
        jsonl(
          person('old', { email: 'new@x.org' }),
          person('a', { email: 'old@x.org' }),
          rel('Knows', 'a', 'old'),
          company('c9'),
          rel('Owns', 'c9', 'a'),
        ),
        'merge',
        chunked(1),
      );
      expect(commits(ok)).toEqual({
        'node:Person': 2,
        'edge:Knows': 1,
        'node:Company': 1,
        'edge:Owns': 1,
      });
      expect(await repo.scan('Person')).toHaveLength(2);
    });
  });
});

describe('chunked load: failures publish nothing', () => {
  it('a failure between chunk commits restores every table to its pin in-process', async () => {
    await withRepo(undefined, async (repo) => {
      await load(repo, jsonl(person('seed')));
      const before = repo.snapshot();
      const baseline = await exportText(repo);
      const text = jsonl(
        person('a'),
        person('b'),
        person('c'),
        knows('a', 'b'),
        knows('b', 'c'),
        knows('c', 'a'),
      );
      armFailpoint('write.after_chunk_commit', { kind: 'error' }, { onHit: 3 });
      try {
        const err = await rejection(load(repo, text, 'append', chunked(1)));
        expect(err).toMatchObject({ code: 'FailpointTriggered' });
      } finally {
        disarmAllFailpoints();
      }
      expect(await exportText(repo)).toBe(baseline);
      const ops = repo.listEvents({ kind: 'op.rolled_back' });
      expect(ops.length).toBe(1);
      // HEAD == pin again: the same load now succeeds, in chunks.
      expect(repo.snapshot().branch).toBe(before.branch);
      const r = await load(repo, text, 'append', chunked(1));
      expect(commits(r)).toEqual({ 'edge:Knows': 3, 'node:Person': 3 });
      expect(await repo.scan('Person')).toHaveLength(4);
      expect((await repo.verify()).ok).toBe(true);
    });
  });

  it('a file past the byte threshold loads in chunks from a path, and its bad line names the file', async () => {
    await withRepo(undefined, async (repo) => {
      const file = join(tmp(), 'big.jsonl');
      const lines = Array.from({ length: 50 }, (_, i) => person(`p${i}`, { age: i }));
      writeFileSync(file, `${jsonl(...lines)}\n`);
      const size = readFileSync(file).byteLength;
      const r = await loadJsonl(
        repo.operationContext(),
        { path: file },
        { mode: 'append', chunkBytes: size - 1, chunkRows: 20 },
      );
      expect(commits(r)).toEqual({ 'node:Person': 3 });
      writeFileSync(file, `${jsonl(person('q1'), person('q2', { age: 151 }))}\n`);
      const err = await rejection(
        loadJsonl(repo.operationContext(), { path: file }, { mode: 'append', chunkBytes: 0 }),
      );
      expect(err).toMatchObject({
        code: 'ValidationError',
        details: { file, line: 2, field: 'age', rule: 'range' },
      });
      expect(await repo.scan('Person')).toHaveLength(50);
    });
  });

  it('bad chunk options are usage errors', async () => {
    await withRepo(undefined, async (repo) => {
      for (const extra of [{ chunkRows: 0 }, { chunkRows: 1.5 }, { chunkBytes: -1 }])
        expect(await rejection(load(repo, jsonl(person('a')), 'append', extra))).toMatchObject({
          code: 'UsageError',
        });
      expect(await repo.scan('Person')).toEqual([]);
    });
  });
});
