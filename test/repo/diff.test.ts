import { describe, expect, it } from 'vitest';
import { makeRepo as makeRepoWith } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';

const tmp = useTmpDirs();

export const DIFF_PG = `
node Person { name: String @key  age: I32?  email: String? @unique }
node Company { name: String @key }
node Note { text: String }
edge WorksAt: Person -> Company @card(0..1)
edge Knows: Person -> Person
`;
const makeRepo = (dir: string) => makeRepoWith(dir, DIFF_PG);

describe('repo.diff', () => {
  it('lists inserts, updates (with changed properties) and deletes between commits of one branch', async () => {
    const repo = await makeRepo(tmp());
    try {
      const c1 = await repo.transaction((tx) => {
        tx.insert('Person', { name: 'ann', age: 30 });
        tx.insert('Person', { name: 'bob', age: 40 });
        tx.insert('Company', { name: 'acme' });
      });
      const c2 = await repo.transaction(async (tx) => {
        await tx.update('Person', 'ann', { age: 31 });
        await tx.delete('Person', 'bob');
        tx.insert('Person', { name: 'cid' });
        tx.link('WorksAt', 'ann', 'acme');
      });
      const d = await repo.diff({ from: c1.commitId!, to: c2.commitId! });
      expect(
        d.changes.map((c) => [
          c.tableKey,
          c.id.length === 26 ? 'ULID' : c.id,
          c.op,
          c.changedProperties,
        ]),
      ).toEqual([
        ['node:Person', 'ann', 'update', ['age']],
        ['node:Person', 'bob', 'delete', undefined],
        ['node:Person', 'cid', 'insert', undefined],
        ['edge:WorksAt', 'ULID', 'insert', undefined],
      ]);
      expect(d.changes[3].endpoints).toEqual({ src: 'ann', dst: 'acme' });
      expect(d.stats).toEqual({
        inserts: 2,
        updates: 1,
        deletes: 1,
        tablesCompared: 2,
        tablesSkipped: 3,
        methods: { lineage: 2, fullCompare: 0, fallbacks: [] },
      });
      // main@N refs name the same states; filters narrow the result.
      const byVersion = await repo.diff({
        from: 'main@2',
        to: 'main',
        filter: { types: ['Person'], ops: ['delete', 'update'] },
      });
      expect(byVersion.changes.map((c) => [c.id, c.op])).toEqual([
        ['ann', 'update'],
        ['bob', 'delete'],
      ]);
      // The reverse diff swaps inserts and deletes.
      const back = await repo.diff({ from: c2.commitId!, to: c1.commitId! });
      expect(back.stats).toMatchObject({ inserts: 1, updates: 1, deletes: 2 });
    } finally {
      await repo.close();
    }
  });

  it('compares two branches; equal pins are skipped without reading', async () => {
    const repo = await makeRepo(tmp());
    try {
      await repo.transaction((tx) => void tx.insert('Person', { name: 'ann', age: 1 }));
      repo.createBranch('feat');
      expect((await repo.diff({ from: 'main', to: 'feat' })).stats.tablesSkipped).toBe(5);
      await repo.transaction((tx) => tx.update('Person', 'ann', { age: 2 }), { branch: 'feat' });
      await repo.transaction((tx) => void tx.insert('Note', { text: 'n' }));
      const d = await repo.diff({ from: 'main', to: 'feat' });
      expect(d.changes.map((c) => [c.type, c.op])).toEqual([
        ['Person', 'update'],
        ['Note', 'delete'],
      ]);
      expect(d.stats.tablesSkipped).toBe(3);
    } finally {
      await repo.close();
    }
  });

  it('refuses unknown refs and types', async () => {
    const repo = await makeRepo(tmp());
    try {
      await expect(repo.diff({ from: 'main', to: 'nope' })).rejects.toMatchObject({
        code: 'BranchNotFound',
      });
      await expect(repo.diff({ from: 'main@9', to: 'main' })).rejects.toMatchObject({
        code: 'ManifestVersionNotFound',
      });
      await expect(
        repo.diff({ from: '01JM8CTAY32W8HJXEHPG1TFH6X', to: 'main' }),
      ).rejects.toMatchObject({
        code: 'CommitNotFound',
      });
      await expect(
        repo.diff({ from: 'main', to: 'main', filter: { types: ['Nope'] } }),
      ).rejects.toMatchObject({
        code: 'UnknownType',
      });
    } finally {
      await repo.close();
    }
  });
});

describe('entity history', () => {
  it('lists every commit that changed one node, with its values after', async () => {
    const dir = tmp();
    const repo = await makeRepo(dir);
    try {
      await repo.transaction((tx) => void tx.insert('Person', { name: 'ann', age: 1 }));
      await repo.transaction((tx) => void tx.insert('Company', { name: 'acme' }));
      await repo.transaction((tx) => tx.update('Person', 'ann', { age: 2 }));
      await repo.transaction((tx) => tx.delete('Person', 'ann'));
      await repo.transaction((tx) => void tx.insert('Person', { name: 'ann', age: 5 }));
      const h = await repo.entityHistory('Person', 'ann');
      expect(
        h.map((v) => [v.op, v.manifestVersion, v.row?.age ?? null, v.changedProperties]),
      ).toEqual([
        ['insert', 2, 1, undefined],
        ['update', 4, 2, ['age']],
        ['delete', 5, null, undefined],
        ['insert', 6, 5, undefined],
      ]);
      repo.createBranch('feat');
      await repo.transaction((tx) => tx.update('Person', 'ann', { age: 9 }), { branch: 'feat' });
      expect(
        (await repo.entityHistory('Person', 'ann', { branch: 'feat' })).map((v) => v.op),
      ).toEqual(['insert', 'update', 'delete', 'insert', 'update']);
    } finally {
      await repo.close();
    }
    const cli = await runCli(['history', '--type', 'Person', '--id', 'ann', '--json', dir]);
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout).versions.map((v: { op: string }) => v.op)).toEqual([
      'insert',
      'update',
      'delete',
      'insert',
    ]);
  });
});

describe('lancelog diff and commit show', () => {
  it('prints the change set as JSON and the commit change summary', async () => {
    const dir = tmp();
    const repo = await makeRepo(dir);
    let commit: string;
    try {
      await repo.transaction((tx) => void tx.insert('Person', { name: 'ann', age: 1 }));
      commit = (
        await repo.transaction(async (tx) => {
          await tx.update('Person', 'ann', { age: 2 });
          tx.insert('Person', { name: 'bob' });
        })
      ).commitId!;
    } finally {
      await repo.close();
    }
    const out = await runCli(['diff', '--from', 'main@2', '--to', 'main', '--json', dir]);
    expect(out.code).toBe(0);
    const json = JSON.parse(out.stdout);
    expect(json.changes).toEqual([
      {
        table_key: 'node:Person',
        kind: 'node',
        type: 'Person',
        id: 'ann',
        op: 'update',
        changed_properties: ['age'],
      },
      { table_key: 'node:Person', kind: 'node', type: 'Person', id: 'bob', op: 'insert' },
    ]);
    expect(json.from).toMatchObject({ branch: 'main', manifest_version: 2 });
    const bad = await runCli(['diff', '--from', 'main', '--to', 'main', '--op', 'upsert', dir]);
    expect(bad.code).toBe(2);
    const show = await runCli(['commit', 'show', commit, '--json', dir]);
    expect(JSON.parse(show.stdout).summary).toMatchObject({
      inserts: 1,
      updates: 1,
      deletes: 0,
      tables: [{ tableKey: 'node:Person', inserts: 1, updates: 1, deletes: 0 }],
    });
  });
});
