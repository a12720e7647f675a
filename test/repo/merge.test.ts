import { describe, expect, it } from 'vitest';
import { MergeConflictsError, type Repo } from '../../src/index.js';
import { makeRepo as makeRepoWith } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';

const tmp = useTmpDirs();

const MERGE_PG = `
node Person { name: String @key  age: I32?  email: String? @unique }
node Company { name: String @key }
edge WorksAt: Person -> Company @card(0..1)
edge Knows: Person -> Person
`;

async function seeded(dir = tmp()): Promise<Repo> {
  const repo = await makeRepoWith(dir, MERGE_PG);
  await repo.transaction((tx) => {
    for (const name of ['ann', 'bob', 'cid', 'dan']) tx.insert('Person', { name, age: 20 });
    tx.insert('Company', { name: 'acme' });
    tx.insert('Company', { name: 'bolt' });
    tx.link('Knows', 'ann', 'bob');
  });
  return repo;
}

async function people(repo: Repo, branch = 'main'): Promise<Record<string, unknown>> {
  const rows = await repo.scan('Person', { branch });
  return Object.fromEntries(
    rows
      .map((r) => [r.name as string, { age: r.age, email: r.email }] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : 1)),
  );
}

async function conflictsOf(p: Promise<unknown>) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MergeConflictsError);
  return (err as MergeConflictsError).conflicts
    .map((c) => `${c.kind} ${c.tableKey} ${c.tableKey.startsWith('edge:Knows') ? 'edge' : c.rowId}`)
    .sort();
}

describe('repo.merge outcomes', () => {
  it('AlreadyUpToDate: a branch with no commits of its own, and a merged branch', async () => {
    const repo = await seeded();
    try {
      repo.createBranch('feat');
      const before = repo.listCommits({ branch: 'main' }).length;
      const r = await repo.merge({ source: 'feat' });
      expect(r).toMatchObject({ outcome: 'AlreadyUpToDate', commitId: null, opId: null });
      await repo.transaction((tx) => tx.update('Person', 'ann', { age: 1 }), { branch: 'feat' });
      expect((await repo.merge({ source: 'feat' })).outcome).toBe('FastForward');
      expect((await repo.merge({ source: 'feat' })).outcome).toBe('AlreadyUpToDate');
      expect(repo.listCommits({ branch: 'main' }).length).toBe(before + 1);
    } finally {
      await repo.close();
    }
  });

  it('FastForward: the target takes the source state; the commit has both parents', async () => {
    const repo = await seeded();
    try {
      repo.createBranch('feat');
      const mainHead = repo.snapshot().commitId;
      const c = await repo.transaction(
        async (tx) => {
          await tx.update('Person', 'ann', { age: 30 });
          await tx.delete('Person', 'dan');
          tx.insert('Person', { name: 'eve', email: 'e@x' });
          tx.link('WorksAt', 'eve', 'acme');
        },
        { branch: 'feat' },
      );
      const r = await repo.merge({ source: 'feat', actor: 'rev', message: 'ship it' });
      expect(r).toMatchObject({
        outcome: 'FastForward',
        baseCommitId: mainHead,
        sourceCommitId: c.commitId,
      });
      const commit = repo.getCommit(r.commitId!);
      expect(commit).toMatchObject({
        parentId: mainHead,
        mergedParentId: c.commitId,
        actor: 'rev',
        message: 'ship it',
        branch: 'main',
      });
      expect(repo.listCommits({ branch: 'main' })[0].id).toBe(r.commitId);
      expect((await repo.diff({ from: 'main', to: 'feat' })).changes).toEqual([]);
      // main's pins stay on main's own Lance line (no pin names the source's forks).
      expect(repo.snapshot().pins.every((p) => p.lanceBranch === null)).toBe(true);
      expect(repo.getOperation(r.opId!).kind).toBe('BranchMerge');
      expect((await repo.verify()).ok).toBe(true);
      // main stays writable after the merge.
      await repo.transaction((tx) => tx.update('Person', 'eve', { age: 5 }));
    } finally {
      await repo.close();
    }
  });

  it('Merged: disjoint rows and disjoint properties of one row merge; identical changes are no conflict', async () => {
    const repo = await seeded();
    try {
      repo.createBranch('feat');
      await repo.transaction(
        async (tx) => {
          await tx.update('Person', 'ann', { age: 31 });
          await tx.update('Person', 'bob', { email: 'bob@x' });
          await tx.delete('Person', 'dan');
          tx.insert('Person', { name: 'zed', age: 9 });
          tx.link('WorksAt', 'cid', 'acme');
        },
        { branch: 'feat' },
      );
      await repo.transaction(async (tx) => {
        await tx.update('Person', 'bob', { age: 44 });
        await tx.update('Person', 'ann', { age: 31 });
        await tx.delete('Person', 'dan');
        tx.insert('Person', { name: 'zed', age: 9 });
        tx.insert('Company', { name: 'core' });
      });
      const mainHead = repo.snapshot().commitId;
      const featHead = repo.snapshot({ branch: 'feat' }).commitId;
      const r = await repo.merge({ source: 'feat' });
      expect(r.outcome).toBe('Merged');
      expect(repo.getCommit(r.commitId!)).toMatchObject({
        parentId: mainHead,
        mergedParentId: featHead,
      });
      expect(await people(repo)).toEqual({
        ann: { age: 31, email: null },
        bob: { age: 44, email: 'bob@x' },
        cid: { age: 20, email: null },
        zed: { age: 9, email: null },
      });
      expect((await repo.scan('WorksAt')).map((e) => [e.src, e.dst])).toEqual([['cid', 'acme']]);
      expect((await repo.scan('Company')).length).toBe(3);
      // feat is unchanged by a merge into main.
      expect((await people(repo, 'feat')).bob).toEqual({ age: 20, email: 'bob@x' });
      expect(r.tables.map((t) => t.tableKey)).toEqual(['node:Person', 'edge:WorksAt']);
      // The merge commit's diff against its first parent is the source's side.
      const d = await repo.diff({ from: mainHead, to: r.commitId! });
      expect(d.changes.map((ch) => [ch.type, ch.op, ch.type === 'WorksAt' ? 'e' : ch.id])).toEqual([
        ['Person', 'update', 'bob'],
        ['WorksAt', 'insert', 'e'],
      ]);
    } finally {
      await repo.close();
    }
  });

  it('merges into a branch other than main, and main into a branch; a later merge uses the new base', async () => {
    const repo = await seeded();
    try {
      repo.createBranch('dev');
      repo.createBranch('feat', { from: 'dev' });
      await repo.transaction((tx) => tx.update('Person', 'ann', { age: 1 }), { branch: 'feat' });
      await repo.transaction((tx) => tx.update('Person', 'bob', { age: 2 }), { branch: 'dev' });
      const r = await repo.merge({ source: 'feat', target: 'dev' });
      expect(r.outcome).toBe('Merged');
      expect(repo.getCommit(r.commitId!).branch).toBe('dev');
      expect((await people(repo, 'dev')).ann).toEqual({ age: 1, email: null });
      expect((await people(repo)).ann).toEqual({ age: 20, email: null });
      await repo.transaction((tx) => tx.update('Person', 'cid', { age: 3 }));
      const back = await repo.merge({ source: 'main', target: 'feat' });
      expect(back.outcome).toBe('Merged');
      expect(await people(repo, 'feat')).toMatchObject({
        ann: { age: 1 },
        cid: { age: 3 },
        bob: { age: 20 },
      });
      // feat changes again; merging into dev only applies what changed since the last merge.
      await repo.transaction((tx) => tx.update('Person', 'dan', { age: 4 }), { branch: 'feat' });
      await repo.transaction((tx) => tx.update('Person', 'ann', { age: 7 }), { branch: 'dev' });
      const again = await repo.merge({ source: 'feat', target: 'dev' });
      // The base: feat's commit that the first merge took into dev (the back-merge's first parent).
      expect(again.baseCommitId).toBe(repo.getCommit(back.commitId!).parentId);
      expect(await people(repo, 'dev')).toMatchObject({
        ann: { age: 7 },
        bob: { age: 2 },
        cid: { age: 3 },
        dan: { age: 4 },
      });
      expect((await repo.verify()).ok).toBe(true);
    } finally {
      await repo.close();
    }
  });

  it('refuses merging a branch into itself and unknown branches', async () => {
    const repo = await seeded();
    try {
      await expect(repo.merge({ source: 'main' })).rejects.toMatchObject({ code: 'InvalidMerge' });
      await expect(repo.merge({ source: 'nope' })).rejects.toMatchObject({
        code: 'BranchNotFound',
      });
    } finally {
      await repo.close();
    }
  });
});

describe('merge conflicts', () => {
  it('reports every row conflict together and writes nothing', async () => {
    const repo = await seeded();
    try {
      repo.createBranch('feat');
      await repo.transaction(
        async (tx) => {
          tx.insert('Person', { name: 'new', age: 1 });
          await tx.update('Person', 'ann', { age: 2 });
          await tx.delete('Person', 'bob');
          await tx.update('Person', 'cid', { age: 3 });
        },
        { branch: 'feat' },
      );
      await repo.transaction(async (tx) => {
        tx.insert('Person', { name: 'new', age: 9 });
        await tx.update('Person', 'ann', { age: 8 });
        await tx.update('Person', 'bob', { age: 8 });
        await tx.delete('Person', 'cid');
      });
      const head = repo.snapshot();
      expect(await conflictsOf(repo.merge({ source: 'feat' }))).toEqual([
        'DeleteVsUpdate node:Person bob',
        'DeleteVsUpdate node:Person cid',
        'DivergentInsert node:Person new',
        'DivergentUpdate node:Person ann',
      ]);
      expect(repo.snapshot()).toEqual(head);
      const failed = repo.listEvents({ kind: 'op.failed', order: 'desc', limit: 1 })[0];
      expect(failed.payload).toMatchObject({ error: { code: 'MergeConflicts' } });
      expect((await repo.verify()).ok).toBe(true);
    } finally {
      await repo.close();
    }
  });

  it('OrphanEdge both ways, UniqueViolation and CardinalityViolation of the merged state', async () => {
    const repo = await seeded();
    try {
      repo.createBranch('feat');
      await repo.transaction(
        async (tx) => {
          tx.link('Knows', 'cid', 'dan'); // main deletes dan
          await tx.delete('Person', 'ann'); // main links ann → acme
          await tx.update('Person', 'bob', { email: 'same@x' });
          tx.link('WorksAt', 'cid', 'acme');
        },
        { branch: 'feat' },
      );
      await repo.transaction(async (tx) => {
        await tx.delete('Person', 'dan');
        tx.link('WorksAt', 'ann', 'acme');
        await tx.update('Person', 'cid', { email: 'same@x' });
        tx.link('WorksAt', 'cid', 'bolt');
      });
      const conflicts = await conflictsOf(repo.merge({ source: 'feat' }));
      expect(conflicts).toEqual([
        'CardinalityViolation edge:WorksAt cid',
        'OrphanEdge edge:Knows edge',
        'OrphanEdge edge:WorksAt ' + (await repo.scan('WorksAt', { where: "src = 'ann'" }))[0].id,
        'UniqueViolation node:Person bob',
      ]);
    } finally {
      await repo.close();
    }
  });

  it('lancelog branch merge: JSON conflicts with exit 1; a clean merge prints its outcome', async () => {
    const dir = tmp();
    const repo = await seeded(dir);
    try {
      repo.createBranch('feat');
      repo.createBranch('ok');
      await repo.transaction((tx) => tx.update('Person', 'ann', { age: 2 }), { branch: 'feat' });
      await repo.transaction((tx) => tx.update('Person', 'bob', { age: 2 }), { branch: 'ok' });
      await repo.transaction((tx) => tx.update('Person', 'ann', { age: 3 }));
    } finally {
      await repo.close();
    }
    const bad = await runCli(['branch', 'merge', 'feat', '--json', dir]);
    expect(bad.code).toBe(1);
    const json = JSON.parse(bad.stdout);
    expect(json.code).toBe('MergeConflicts');
    expect(json.conflicts).toEqual([
      {
        table_key: 'node:Person',
        row_id: 'ann',
        kind: 'DivergentUpdate',
        message: expect.stringContaining('age'),
      },
    ]);
    const good = await runCli(['branch', 'merge', 'ok', '--into', 'main', '--json', dir]);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({
      outcome: 'Merged',
      source: 'ok',
      target: 'main',
    });
    const list = await runCli(['commit', 'list', '--branch', 'main', dir]);
    expect(list.stdout.split('\n')[1]).toContain('(merge)');
  });
});

describe('merge of every property type', () => {
  it('writes rows of every type back exactly (dates, 64-bit ints, lists, vectors, blobs)', async () => {
    const repo = await makeRepoWith(tmp());
    try {
      repo.createBranch('feat');
      await repo.transaction(
        (tx) => {
          tx.insert('Person', {
            name: 'ann',
            age: 30,
            email: 'a@x.y',
            born: '1990-01-02',
            seen: '2024-05-06T07:08:09.123Z',
            score: 1.5,
            big: 9007199254740993n,
            tags: ['a', 'b'],
            level: 'senior',
            photo: new Uint8Array([1, 2, 3]),
            embedding: [0.5, 0.25, 1],
          });
          tx.insert('Note', { text: 'n' });
        },
        { branch: 'feat' },
      );
      await repo.transaction((tx) => void tx.insert('Note', { text: 'm' }));
      expect((await repo.merge({ source: 'feat' })).outcome).toBe('Merged');
      const [main] = await repo.scan('Person', { where: "id = 'ann'" });
      const [feat] = await repo.scan('Person', { branch: 'feat', where: "id = 'ann'" });
      expect(main).toEqual(feat);
      expect(
        (await repo.diff({ from: 'main', to: 'feat', filter: { types: ['Person'] } })).changes,
      ).toEqual([]);
      // Lists, vectors, blobs and dates are compared element by element.
      await repo.transaction(
        (tx) =>
          tx.update('Person', 'ann', {
            tags: ['a', 'c'],
            embedding: [0.5, 0.25, 2],
            photo: new Uint8Array([1, 2]),
            seen: '2024-05-06T07:08:09.124Z',
          }),
        { branch: 'feat' },
      );
      const d = await repo.diff({ from: 'main', to: 'feat', filter: { types: ['Person'] } });
      expect(d.changes.map((c) => c.changedProperties)).toEqual([
        ['seen', 'tags', 'photo', 'embedding'],
      ]);
    } finally {
      await repo.close();
    }
  });
});
