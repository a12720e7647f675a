import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Repo } from '../../src/index.js';
import { rejection } from '../helpers/errors.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { buildGraph } from './graph.js';

const tmp = useTmpDirs();

const GQ = `
query person($name: String) {
  match { $p: Person { name: $name } }
  return { $p.name, $p.age }
}
query friends($name: String) {
  match { $p: Person { name: $name }
          $p knows $f }
  return { $f.name }
  order { $f.name }
}
query staff($company: String) {
  match { $c: Company { name: $company }
          $p worksAt $c }
  return { $p.name }
  order { $p.name }
}
query people() {
  match { $p: Person }
  return { $p.name }
  order { $p.name }
}
query found($q: String) {
  match { $p: Person
          search($p.name, $q) }
  return { $p.name }
}
query add($name: String) { insert Person { name: $name } }
`;

async function withGraph<T>(fn: (repo: Repo) => Promise<T>): Promise<T> {
  const repo = await buildGraph(join(tmp(), 'repo'));
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

const q = (name: string, params: Record<string, unknown> = {}) => ({
  source: GQ,
  file: 'api.gq',
  name,
  params,
});
const col = (rows: Array<Record<string, unknown>>, c: string): unknown[] => rows.map((r) => r[c]);

describe('repo.query errors are typed and name the file, query and parameter', () => {
  it('an unknown query name lists the names that exist', async () => {
    await withGraph(async (repo) => {
      const err = await rejection(repo.query(q('nope')));
      expect(err.code).toBe('QueryNotFound');
      expect(err.message).toContain('person, friends, staff, people, found, add');
      expect(err.details).toMatchObject({ file: 'api.gq', query: 'nope' });
    });
  });

  it('a mutation given to a read is QueryNotRead and writes nothing', async () => {
    await withGraph(async (repo) => {
      const before = repo.snapshot().manifestVersion;
      const err = await rejection(repo.query(q('add', { name: 'zed' })));
      expect(err.code).toBe('QueryNotRead');
      expect(err.details).toEqual({ query: 'add', file: 'api.gq' });
      expect(repo.snapshot().manifestVersion).toBe(before);
    });
  });

  it('missing, unknown and mistyped parameters', async () => {
    await withGraph(async (repo) => {
      expect((await rejection(repo.query(q('person')))).details).toMatchObject({
        query: 'person',
        param: 'name',
      });
      expect((await rejection(repo.query(q('person')))).code).toBe('ParamMissing');
      const unknown = await rejection(repo.query(q('person', { name: 'a', age: 3 })));
      expect(unknown.code).toBe('ParamUnknown');
      expect(unknown.details).toMatchObject({ param: 'age' });
      const typed = await rejection(repo.query(q('person', { name: 7 })));
      expect(typed.code).toBe('ParamType');
      expect(typed.details).toMatchObject({ query: 'person', param: 'name', expected: 'String' });
    });
  });

  it('search runs as a match clause (issue 14): whole tokens of the property', async () => {
    await withGraph(async (repo) => {
      const r = await repo.query(q('found', { q: 'a' }));
      expect(col(r.rows, 'p.name')).toEqual(['a']);
    });
  });

  it('reads the source from a file when no text is given', async () => {
    await withGraph(async (repo) => {
      const file = join(tmp(), 'q.gq');
      writeFileSync(file, GQ);
      const r = await repo.query({ file, name: 'friends', params: { name: 'a' } });
      expect(col(r.rows, 'f.name')).toEqual(['b', 'c']);
    });
  });
});

describe('tx.query sees the transaction’s own staged writes', () => {
  it('inserts, updates and deletes (nodes and edges), and the commit is unaffected by reading', async () => {
    await withGraph(async (repo) => {
      await repo.transaction(async (tx) => {
        tx.insert('Person', { name: 'g', age: 50 });
        tx.link('Knows', 'a', 'g');
        expect(col((await tx.query(q('friends', { name: 'a' }))).rows, 'f.name')).toEqual([
          'b',
          'c',
          'g',
        ]);
        expect(await tx.update('Person', 'b', { age: 99 })).toBe(true);
        expect((await tx.query(q('person', { name: 'b' }))).rows).toEqual([
          { 'p.name': 'b', 'p.age': 99 },
        ]);
        expect(await tx.delete('Person', 'c')).toBe(true); // cascades to c's edges
        expect(col((await tx.query(q('friends', { name: 'a' }))).rows, 'f.name')).toEqual([
          'b',
          'g',
        ]);
        expect(col((await tx.query(q('people'))).rows, 'p.name')).toEqual([
          'a',
          'b',
          'd',
          'e',
          'f',
          'g',
        ]);
        // The committed state is unchanged until the transaction commits.
        expect(col((await repo.query(q('people'))).rows, 'p.name')).toContain('c');
      });
      expect(col((await repo.query(q('friends', { name: 'a' }))).rows, 'f.name')).toEqual([
        'b',
        'g',
      ]);
      expect((await repo.query(q('person', { name: 'b' }))).rows).toEqual([
        { 'p.name': 'b', 'p.age': 99 },
      ]);
    });
  });
});

describe('snapshots', () => {
  it('time travel by manifest version and by commit reads the old data', async () => {
    await withGraph(async (repo) => {
      const old = repo.snapshot();
      await repo.transaction((tx) => {
        tx.link('WorksAt', 'd', 'globex');
      });
      expect(col((await repo.query(q('staff', { company: 'globex' }))).rows, 'p.name')).toEqual([
        'c',
        'd',
      ]);
      const byVersion = await repo.query({
        ...q('staff', { company: 'globex' }),
        version: old.manifestVersion,
      });
      expect(col(byVersion.rows, 'p.name')).toEqual(['c']);
      expect(byVersion.target).toEqual({
        branch: 'main',
        manifestVersion: old.manifestVersion,
        commitId: old.commitId,
      });
      const byCommit = await repo.query({
        ...q('staff', { company: 'globex' }),
        commit: old.commitId,
      });
      expect(col(byCommit.rows, 'p.name')).toEqual(['c']);
    });
  });

  it('a branch reads its own data; main does not see it', async () => {
    await withGraph(async (repo) => {
      repo.createBranch('feat');
      await repo.transaction(
        (tx) => {
          tx.insert('Person', { name: 'h' });
          tx.link('Knows', 'a', 'h');
        },
        { branch: 'feat' },
      );
      const onFeat = await repo.query({ ...q('friends', { name: 'a' }), branch: 'feat' });
      expect(col(onFeat.rows, 'f.name')).toEqual(['b', 'c', 'h']);
      expect(onFeat.target.branch).toBe('feat');
      expect(col((await repo.query(q('friends', { name: 'a' }))).rows, 'f.name')).toEqual([
        'b',
        'c',
      ]);
    });
  });
});
