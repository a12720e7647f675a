/**
 * Snapshots, time travel, branches and commits through the Repo API.
 *
 * The write protocol (src/write/) is not used here: data is produced through the
 * internals a writer uses — one Lance append, then a journal publish that moves the
 * pin — which is exactly what a published operation leaves behind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LancelogError, Repo } from '../../src/index.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();
const TEST_PG = readFileSync(join(FIXTURES_DIR, 'omnigraph', 'test.pg'), 'utf8');

const open: Repo[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});

async function newRepo(): Promise<Repo> {
  const dir = join(tmp(), 'repo');
  await Repo.init(dir, { schemaSource: TEST_PG, schemaFile: 'test.pg' });
  const repo = await Repo.open(dir);
  open.push(repo);
  return repo;
}

/** One Lance append (not published): returns the new Lance version. */
async function appendOnly(
  repo: Repo,
  type: string,
  rows: Record<string, unknown>[],
  lanceBranch: string | null = null,
): Promise<number> {
  const def = repo.typeDef(type);
  const t = await repo.store.openTable(
    def.tableKey,
    def.tablePath,
    lanceBranch ? { branch: lanceBranch } : {},
  );
  try {
    return await t.append(rows);
  } finally {
    t.close();
  }
}

/** Append + publish on `branch` (the table must not need a fork there). */
async function write(
  repo: Repo,
  type: string,
  rows: Record<string, unknown>[],
  opts: { actor?: string; branch?: string } = {},
) {
  const branch = opts.branch ?? 'main';
  const def = repo.typeDef(type);
  const pin = repo.pinOf(repo.snapshot({ branch }), def.tableKey);
  const newVersion = await appendOnly(repo, type, rows, pin.lanceBranch);
  return repo.journal.publish({
    branch,
    actor: opts.actor ?? 'test',
    tables: [
      {
        tableKey: def.tableKey,
        expectedVersion: pin.version,
        newVersion,
        lanceBranch: pin.lanceBranch,
      },
    ],
  });
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(LancelogError);
    return (err as LancelogError).code;
  }
  throw new Error('expected an error');
}

const names = (rows: Record<string, unknown>[]) => rows.map((r) => r.name).sort();

describe('snapshots and time travel', () => {
  it('reads old manifest versions and commits after newer publishes', async () => {
    const repo = await newRepo();
    const c1 = repo.snapshot().commitId;
    const p2 = await write(repo, 'Person', [{ id: 'alice', name: 'alice', age: 30 }]);
    const p3 = await write(repo, 'Person', [{ id: 'bob', name: 'bob', age: 40 }]);
    await write(repo, 'Company', [{ id: 'acme', name: 'acme' }]);

    const head = repo.snapshot();
    expect(head).toMatchObject({ branch: 'main', manifestVersion: 4 });
    expect(repo.pinOf(head, 'node:Person').version).toBe(3);
    expect(repo.pinOf(repo.snapshot({ version: 2 }), 'node:Person')).toEqual({
      tableKey: 'node:Person',
      version: 2,
      lanceBranch: null,
    });

    // Time travel by manifest version…
    expect(await repo.scan('Person', { version: 1 })).toEqual([]);
    expect(names(await repo.scan('Person', { version: 2 }))).toEqual(['alice']);
    expect(names(await repo.scan('Person', { version: 3 }))).toEqual(['alice', 'bob']);
    expect(names(await repo.scan('Person'))).toEqual(['alice', 'bob']);
    expect(await repo.scan('Company', { version: 3 })).toEqual([]);
    // …and by commit id.
    expect(repo.snapshot({ commit: p2.commitId })).toMatchObject({
      manifestVersion: 2,
      commitId: p2.commitId,
    });
    expect(names(await repo.scan('Person', { commit: p2.commitId }))).toEqual(['alice']);
    expect(await repo.scan('Person', { commit: c1 })).toEqual([]);

    // get and scan with where, at a version.
    expect(await repo.get('Person', 'bob', { version: 2 })).toBeNull();
    expect(await repo.get('Person', 'bob', { commit: p3.commitId })).toMatchObject({
      id: 'bob',
      name: 'bob',
      age: 40,
    });
    expect(names(await repo.scan('Person', { where: 'age > 35' }))).toEqual(['bob']);
    expect(await repo.scan('Person', { where: 'age > 35', version: 2 })).toEqual([]);
    expect(await repo.scan('Person', { columns: ['name'], where: "name = 'alice'" })).toEqual([
      { name: 'alice' },
    ]);

    // tables() per snapshot.
    const rows = async (version: number) =>
      Object.fromEntries(
        (await repo.tables({ version })).map((t) => [t.tableKey, [t.pinnedVersion, t.rows]]),
      );
    expect(await rows(2)).toEqual({
      'node:Person': [2, 1],
      'node:Company': [1, 0],
      'edge:Knows': [1, 0],
      'edge:WorksAt': [1, 0],
    });
    expect(await rows(4)).toEqual({
      'node:Person': [3, 2],
      'node:Company': [2, 1],
      'edge:Knows': [1, 0],
      'edge:WorksAt': [1, 0],
    });

    // A second handle, opened read-only after the fact, sees the same history.
    const ro = await Repo.open(repo.dir, { readOnly: true });
    open.push(ro);
    expect(names(await ro.scan('Person', { version: 2 }))).toEqual(['alice']);

    expect(await codeOf(() => repo.snapshot({ version: 9 }))).toBe('ManifestVersionNotFound');
    expect(await codeOf(() => repo.snapshot({ commit: 'nope' }))).toBe('CommitNotFound');
    expect(await codeOf(() => repo.snapshot({ branch: 'nope' }))).toBe('BranchNotFound');
    expect(await codeOf(repo.scan('Nope'))).toBe('UnknownType');
  });

  it('commits: parents, actor filter, branch history, limit', async () => {
    const repo = await newRepo();
    const init = repo.listCommits()[0];
    const a = await write(repo, 'Person', [{ id: 'a', name: 'a' }], { actor: 'ann' });
    const b = await write(repo, 'Person', [{ id: 'b', name: 'b' }], { actor: 'ben' });
    const c = await write(repo, 'Company', [{ id: 'c', name: 'c' }], { actor: 'ann' });

    expect(init).toMatchObject({
      branch: 'main',
      manifestVersion: 1,
      parentId: null,
      mergedParentId: null,
      actor: 'lancelog',
      message: 'init',
    });
    expect(repo.listCommits().map((x) => x.id)).toEqual([
      c.commitId,
      b.commitId,
      a.commitId,
      init.id,
    ]);
    expect(repo.listCommits({ actor: 'ann' }).map((x) => x.id)).toEqual([c.commitId, a.commitId]);
    expect(repo.listCommits({ actor: 'nobody' })).toEqual([]);
    expect(repo.listCommits({ limit: 2 }).map((x) => x.id)).toEqual([c.commitId, b.commitId]);
    expect(repo.getCommit(b.commitId)).toMatchObject({
      id: b.commitId,
      parentId: a.commitId,
      manifestVersion: 3,
      actor: 'ben',
      opId: b.opId,
    });
    // Commit ids are ULIDs: sortable by time.
    expect(b.commitId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a.commitId < b.commitId && b.commitId < c.commitId).toBe(true);

    repo.createBranch('feat');
    const f = await write(repo, 'Person', [{ id: 'f', name: 'f' }], {
      actor: 'fay',
      branch: 'feat',
    });
    // A branch's history includes what it inherited; main's does not include the branch's commits.
    expect(repo.listCommits({ branch: 'feat' }).map((x) => x.id)).toEqual([
      f.commitId,
      c.commitId,
      b.commitId,
      a.commitId,
      init.id,
    ]);
    expect(repo.listCommits({ branch: 'main' }).map((x) => x.id)).toEqual([
      c.commitId,
      b.commitId,
      a.commitId,
      init.id,
    ]);
    expect(repo.listCommits({ branch: 'feat', actor: 'ann' }).map((x) => x.id)).toEqual([
      c.commitId,
      a.commitId,
    ]);
    expect(repo.getCommit(f.commitId)).toMatchObject({
      branch: 'feat',
      manifestVersion: 2,
      parentId: c.commitId,
    });
    expect(await codeOf(() => repo.getCommit('nope'))).toBe('CommitNotFound');
  });
});

describe('branches', () => {
  it("lazy fork: a new branch reads its parent's pinned versions; later parent writes stay invisible", async () => {
    const repo = await newRepo();
    await write(repo, 'Person', [{ id: 'alice', name: 'alice' }]);
    const main2 = repo.snapshot();

    const feat = repo.createBranch('feat');
    expect(feat).toMatchObject({
      branch: 'feat',
      manifestVersion: 1,
      commitId: main2.commitId,
      pins: main2.pins,
    });
    expect(feat.pins.every((p) => p.lanceBranch === null)).toBe(true);
    expect(repo.listBranches().find((b) => b.name === 'feat')).toMatchObject({
      parentBranch: 'main',
      parentManifestVersion: 2,
      headManifestVersion: 1,
    });

    await write(repo, 'Person', [{ id: 'bob', name: 'bob' }]);
    expect(names(await repo.scan('Person', { branch: 'feat' }))).toEqual(['alice']);
    expect(names(await repo.scan('Person'))).toEqual(['alice', 'bob']);

    // From an older manifest version, or from a commit.
    expect(
      names(
        await repo.scan('Person', {
          branch: repo.createBranch('old', { from: 'main', version: 1 }).branch,
        }),
      ),
    ).toEqual([]);
    const fromCommit = repo.createBranch('at-c2', { commit: main2.commitId });
    expect(fromCommit.pins).toEqual(main2.pins);
    expect(repo.createBranch('grandchild', { from: 'feat' }).pins).toEqual(feat.pins);
    expect(repo.listBranches().map((b) => b.name)).toEqual([
      'at-c2',
      'feat',
      'grandchild',
      'main',
      'old',
    ]);

    // A commit the branch inherited is readable through it; a later parent commit is not.
    expect(repo.snapshot({ branch: 'feat', commit: main2.commitId }).pins).toEqual(main2.pins);
    expect(
      await codeOf(() => repo.snapshot({ branch: 'feat', commit: repo.snapshot().commitId })),
    ).toBe('CommitNotOnBranch');
    expect(
      await codeOf(() =>
        repo.createBranch('y', { from: 'feat', commit: repo.snapshot().commitId }),
      ),
    ).toBe('CommitNotOnBranch');
    for (const bad of ['main', '__x', 'has space', ''])
      expect(await codeOf(() => repo.createBranch(bad))).toBe('InvalidBranchName');
    expect(await codeOf(() => repo.createBranch('feat'))).toBe('BranchExists');
    expect(await codeOf(() => repo.createBranch('x', { from: 'nope' }))).toBe('BranchNotFound');
  });

  it('a branch name at the longest allowed (200 bytes, with / and .) takes writes: Lance accepts its branch', async () => {
    const repo = await newRepo();
    const name = `team.a/${'x'.repeat(193)}`;
    expect(Buffer.byteLength(name)).toBe(200);
    repo.createBranch(name);
    await repo.transaction((tx) => tx.upsert('Person', { name: 'ada', age: 36 }), { branch: name });
    expect((await repo.scan('Person', { branch: name })).map((r) => r.name)).toEqual(['ada']);
    expect(await codeOf(() => repo.createBranch(`${name}y`))).toBe('InvalidBranchName');
  });

  it('the first write on a branch forks only that table; delete removes the Lance branches the branch owns', async () => {
    const repo = await newRepo();
    await write(repo, 'Person', [{ id: 'alice', name: 'alice' }]);
    await write(repo, 'Company', [{ id: 'acme', name: 'acme' }]);
    repo.createBranch('feat');
    const def = repo.typeDef('Person');

    // What the write protocol does on the first write of node:Person on `feat`.
    const pin = repo.pinOf(repo.snapshot({ branch: 'feat' }), def.tableKey);
    await repo.store.createBranch(def.tableKey, def.tablePath, 'feat', pin.version);
    repo.journal.recordFork('feat', def.tableKey, 'feat', pin.version);
    const v = await appendOnly(repo, 'Person', [{ id: 'bob', name: 'bob' }], 'feat');
    repo.journal.publish({
      branch: 'feat',
      actor: 'test',
      tables: [
        {
          tableKey: def.tableKey,
          expectedVersion: pin.version,
          newVersion: v,
          lanceBranch: 'feat',
        },
      ],
    });

    const featSnap = repo.snapshot({ branch: 'feat' });
    const mainSnap = repo.snapshot();
    expect(repo.pinOf(featSnap, 'node:Person')).toEqual({
      tableKey: 'node:Person',
      version: v,
      lanceBranch: 'feat',
    });
    for (const key of ['node:Company', 'edge:Knows', 'edge:WorksAt'])
      expect(repo.pinOf(featSnap, key)).toEqual(repo.pinOf(mainSnap, key));
    expect(repo.pinOf(mainSnap, 'node:Person')).toEqual(pin);
    expect(names(await repo.scan('Person', { branch: 'feat' }))).toEqual(['alice', 'bob']);
    expect(names(await repo.scan('Person'))).toEqual(['alice']);
    expect(names(await repo.scan('Company', { branch: 'feat' }))).toEqual(['acme']);
    // I1 holds on both lines of the table.
    const verify = await repo.verify();
    expect(verify.differences).toEqual([]);
    expect(
      verify.i1.find((x) => x.branch === 'feat' && x.tableKey === 'node:Person'),
    ).toMatchObject({ pin: v, head: v, lanceBranch: 'feat', ok: true });

    // Delete rules: not main, not a parent of a live branch.
    repo.createBranch('child', { from: 'feat' });
    expect(await codeOf(repo.deleteBranch('main'))).toBe('InvalidBranchName');
    expect(await codeOf(repo.deleteBranch('feat'))).toBe('BranchInUse');
    expect(await codeOf(repo.deleteBranch('nope'))).toBe('BranchNotFound');
    expect(await repo.deleteBranch('child')).toEqual({ deletedLanceBranches: [] });
    expect(await repo.deleteBranch('feat')).toEqual({
      deletedLanceBranches: [{ tableKey: 'node:Person', lanceBranch: 'feat' }],
    });
    expect(await repo.store.listBranches(def.tableKey, def.tablePath)).toEqual([]);
    expect(repo.listBranches().map((b) => b.name)).toEqual(['main']);
    expect(await codeOf(() => repo.snapshot({ branch: 'feat' }))).toBe('BranchNotFound');
    expect(await codeOf(() => repo.createBranch('feat'))).toBe('BranchExists'); // names are not reused
    expect(names(await repo.scan('Person'))).toEqual(['alice']);
    expect((await repo.verify()).ok).toBe(true);

    const ro = await Repo.open(repo.dir, { readOnly: true });
    open.push(ro);
    expect(await codeOf(() => ro.createBranch('x'))).toBe('ReadOnlyRepo');
    expect(await codeOf(ro.deleteBranch('main'))).toBe('ReadOnlyRepo');
  });
});

describe('verify', () => {
  it('is ok on a clean repo and reports I1 after an unpublished append', async () => {
    const repo = await newRepo();
    await write(repo, 'Person', [{ id: 'alice', name: 'alice' }]);
    const clean = await repo.verify();
    expect(clean).toMatchObject({ ok: true, differences: [], integrity: 'ok', events: 3 }); // repo.initialized, schema.recorded, op.published
    expect(clean.i1).toHaveLength(4);
    expect(clean.i1.every((x) => x.ok && x.branch === 'main')).toBe(true);

    const head = await appendOnly(repo, 'Person', [{ id: 'ghost', name: 'ghost' }]); // Lance HEAD moves past the pin
    const bad = await repo.verify();
    expect(bad.ok).toBe(false);
    expect(bad.differences).toEqual([
      `I1 violated: node:Person on branch main: pin 2, Lance HEAD ${head}`,
    ]);
    expect(bad.i1.filter((x) => !x.ok)).toEqual([
      {
        branch: 'main',
        tableKey: 'node:Person',
        pin: 2,
        head,
        lanceBranch: null,
        inherited: false,
        ok: false,
      },
    ]);
    // Readers still see only the pinned version.
    expect(names(await repo.scan('Person'))).toEqual(['alice']);
  });
});
