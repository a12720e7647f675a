import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Repo } from '../../src/index.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';

const tmp = useTmpDirs();

const SCHEMA = `
node Person { name: String @key
  age: I32?
  big: I64?
  seen: DateTime? }
node Company { name: String @key }
edge WorksAt: Person -> Company
`;

const GQ = `
query add($name: String, $age: I32?) { insert Person { name: $name, age: $age } }
query add_big($name: String, $big: I64) { insert Person { name: $name, big: $big } }
query hire($p: String, $c: String) {
  insert Company { name: $c }
  insert WorksAt { from: $p, to: $c }
}
query add_then_update($name: String) {
  insert Person { name: $name, age: 1 }
  update Person set { age: 2 } where name = $name
}
query add_then_delete($name: String) {
  insert Person { name: $name }
  delete Person where name = $name
}
query mixed($new: String, $old: String, $gone: String) {
  insert Person { name: $new }
  update Person set { age: 99 } where name = $old
  delete Person where name = $gone
}
query fire($c: String) { delete Company where name = $c }
query stamp($a: String, $b: String) {
  insert Person { name: $a, seen: now() }
  insert Person { name: $b, seen: now() }
}
query everyone() { match { $p: Person } return { $p.name } }
`;

async function withRepo(fn: (repo: Repo) => Promise<void>): Promise<void> {
  const repo = await makeRepo(join(tmp(), 'repo'), SCHEMA);
  try {
    await fn(repo);
  } finally {
    await repo.close();
  }
}

const run = (repo: Repo, name: string, params: unknown = {}) =>
  repo.change({ source: GQ, file: 'm.gq', name, params, actor: 'gq' });
const people = async (repo: Repo) =>
  (await repo.scan('Person')).map((r) => [r.id, r.age ?? null]).sort();

describe('.gq mutations', () => {
  it('inserts with parameters; optional parameters may be omitted', async () => {
    await withRepo(async (repo) => {
      const out = await run(repo, 'add', { name: 'a', age: 3 });
      expect(out).toMatchObject({ affectedNodes: 1, affectedEdges: 0 });
      expect(out.commitId).not.toBeNull();
      await run(repo, 'add', { name: 'b' });
      expect(await people(repo)).toEqual([
        ['a', 3],
        ['b', null],
      ]);
      expect(repo.getCommit(out.commitId!).actor).toBe('gq');
    });
  });

  it('runs statements in order with read-your-writes', async () => {
    await withRepo(async (repo) => {
      await run(repo, 'add_then_update', { name: 'x' });
      expect(await people(repo)).toEqual([['x', 2]]);
      const out = await run(repo, 'add_then_delete', { name: 'y' });
      expect(out.value.statements.map((s) => s.rows)).toEqual([1, 1]);
      expect(await people(repo)).toEqual([['x', 2]]);
    });
  });

  it('accepts mixed insert/update/delete atomically, one Lance commit per table', async () => {
    await withRepo(async (repo) => {
      await run(repo, 'add', { name: 'old' });
      await run(repo, 'add', { name: 'gone' });
      const out = await run(repo, 'mixed', { new: 'new', old: 'old', gone: 'gone' });
      expect(out.tables).toHaveLength(1);
      expect(out.tables[0].to).toBe(out.tables[0].from + 1);
      expect(await people(repo)).toEqual([
        ['new', null],
        ['old', 99],
      ]);
    });
  });

  it('deleting a node deletes its edges; a failed statement changes nothing', async () => {
    await withRepo(async (repo) => {
      await run(repo, 'add', { name: 'p' });
      await run(repo, 'hire', { p: 'p', c: 'acme' });
      expect(await repo.scan('WorksAt')).toHaveLength(1);
      const before = repo.snapshot().manifestVersion;
      await expect(run(repo, 'hire', { p: 'nobody', c: 'other' })).rejects.toMatchObject({
        code: 'ValidationError',
        details: { rule: 'endpoint', field: 'from' },
      });
      expect(repo.snapshot().manifestVersion).toBe(before);
      expect(await repo.get('Company', 'other')).toBeNull();
      const out = await run(repo, 'fire', { c: 'acme' });
      expect(out).toMatchObject({ affectedNodes: 1, affectedEdges: 1 });
      expect(await repo.scan('WorksAt')).toEqual([]);
    });
  });

  it('now() is one timestamp per operation', async () => {
    await withRepo(async (repo) => {
      await run(repo, 'stamp', { a: 'a', b: 'b' });
      const [a, b] = await repo.scan('Person');
      expect((a.seen as Date).getTime()).toBe((b.seen as Date).getTime());
    });
  });

  it('validates parameters: missing, wrong type, 64-bit integers as strings', async () => {
    await withRepo(async (repo) => {
      await expect(run(repo, 'add', {})).rejects.toMatchObject({
        code: 'ParamMissing',
        details: { param: 'name' },
      });
      await expect(run(repo, 'add', { name: 'a', age: 'x' })).rejects.toMatchObject({
        code: 'ParamType',
        details: { param: 'age' },
      });
      await run(repo, 'add_big', { name: 'b', big: '9223372036854775807' });
      expect((await repo.get('Person', 'b'))!.big).toBe(9223372036854775807n);
      // A JSON number beyond 2^53 in params text is read exactly (not refused, not rounded).
      await run(repo, 'add_big', '{"name":"c","big":-9223372036854775808}');
      expect((await repo.get('Person', 'c'))!.big).toBe(-9223372036854775808n);
      await run(repo, 'add_big', '{"name":"d","big":9007199254740993}');
      expect((await repo.get('Person', 'd'))!.big).toBe(9007199254740993n);
      // One coercion rule: a string is not an I32 here, nor in a data file.
      await expect(run(repo, 'add', { name: 'e', age: '12' })).rejects.toMatchObject({
        code: 'ParamType',
        details: { param: 'age' },
      });
      await expect(run(repo, 'everyone')).rejects.toMatchObject({ code: 'QueryNotMutation' });
      await expect(run(repo, 'nope')).rejects.toMatchObject({ code: 'QueryNotFound' });
    });
  });

  it('runs a fixture mutation file unchanged', async () => {
    const repo = await makeRepo(join(tmp(), 'repo'), {
      fixture: 'cookbooks/pharma-intel/schema.pg',
    });
    try {
      const source = readFileSync(
        join(FIXTURES_DIR, 'cookbooks', 'pharma-intel', 'queries', 'mutations.gq'),
        'utf8',
      );
      const t = '2026-04-09T12:00:00Z';
      await repo.change({
        source,
        file: 'mutations.gq',
        name: 'add_compound',
        params: { slug: 'c1', name: 'C1', phase: 'phase-2', createdAt: t, updatedAt: t },
      });
      await expect(
        repo.change({
          source,
          file: 'mutations.gq',
          name: 'add_compound',
          params: { slug: 'c2', name: 'C2', phase: 'phase-9', createdAt: t, updatedAt: t },
        }),
      ).rejects.toMatchObject({
        code: 'ValidationError',
        details: { rule: 'enum', field: 'phase' },
      });
      expect((await repo.scan('Compound')).map((r) => r.id)).toEqual(['c1']);
    } finally {
      await repo.close();
    }
  });

  it('lancelog change runs a mutation and reports what it did', async () => {
    const dir = join(tmp(), 'repo');
    await (await makeRepo(dir, SCHEMA)).close();
    const gq = join(tmp(), 'm.gq');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(gq, GQ);
    const ok = await runCli([
      'change',
      '--query',
      gq,
      '--name',
      'add',
      '--params',
      '{"name":"a"}',
      '--actor',
      'cli',
      '--json',
      dir,
    ]);
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ affectedNodes: 1, affectedEdges: 0 });
    expect(typeof ok.json().commitId).toBe('string');
    const bad = await runCli([
      'change',
      '--query',
      gq,
      '--name',
      'add',
      '--params',
      '{"name": 5}',
      '--json',
      dir,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.json()).toMatchObject({ code: 'ParamType', details: { param: 'name' } });
  });
});
