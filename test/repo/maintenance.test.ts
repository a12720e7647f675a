/**
 * optimize and cleanup on real repos (docs/maintenance.md): compaction is a journaled
 * operation that changes no data and removes no version; cleanup removes only what its
 * policy allows, records it, and time travel past it is VersionCleanedUp.
 */
import { describe, expect, it } from 'vitest';
import type { Repo } from '../../src/index.js';
import { setTimeout } from 'node:timers/promises';
import { CUTOFF_MARGIN_MS } from '../../src/write/maintenance/cleanup-policy.js';
import { makeRepo } from '../helpers/repo.js';
import { runChild } from '../helpers/crash.js';
import { Repo as RepoClass } from '../../src/index.js';
import { useTmpDirs } from '../helpers/tmp.js';

const makeDir = useTmpDirs();
const SCHEMA = `
node Person { name: String @key
  age: I32? }
node City { name: String @key }
edge LivesIn: Person -> City
`;

/**
 * A repo with `n` one-row commits into Person (plus one City and one edge). With
 * `pauseAfter`, a pause longer than cleanup's cut-off margin follows that commit.
 */
async function grownRepo(
  n: number,
  pauseAfter?: number,
): Promise<{ repo: Repo; commits: string[] }> {
  const repo = await makeRepo(makeDir(), SCHEMA);
  const commits: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i - 1 === pauseAfter) await setTimeout(CUTOFF_MARGIN_MS + 200);
    const out = await repo.transaction((tx) => {
      tx.insert('Person', { name: `p${i}`, age: i });
      return Promise.resolve();
    });
    commits.push(out.commitId!);
  }
  const last = await repo.transaction((tx) => {
    tx.insert('City', { name: 'Oslo' });
    tx.link('LivesIn', 'p0', 'Oslo');
    return Promise.resolve();
  });
  commits.push(last.commitId!);
  return { repo, commits };
}

async function people(repo: Repo, at: { commit?: string } = {}): Promise<string[]> {
  return (await repo.scan('Person', at)).map((r) => `${String(r.name)}:${String(r.age)}`).sort();
}

async function lanceVersions(repo: Repo, type: string): Promise<number[]> {
  const snap = repo.snapshot();
  const def = repo.typeDef(type);
  const h = await repo.openPinned(def.tableKey, repo.pinOf(snap, def.tableKey));
  return (await h.listVersions()).map((v) => v.version);
}

describe('optimize', () => {
  it('compacts each table as one journaled operation; data, history and versions stay', async () => {
    const { repo, commits } = await grownRepo(8);
    const before = await people(repo);
    const versionsBefore = await lanceVersions(repo, 'Person');
    const result = await repo.optimize();
    const person = result.tables.find((t) => t.tableKey === 'node:Person')!;
    expect(person.fragmentsBefore).toBe(8);
    expect(person.fragmentsAfter).toBe(1);
    expect(person.commitId).not.toBeNull();
    expect(person.toVersion).toBeGreaterThan(person.fromVersion);
    // Tables with one fragment have nothing to compact: no operation published.
    expect(result.tables.find((t) => t.tableKey === 'node:City')).toMatchObject({
      commitId: null,
      fragmentsBefore: 1,
      fragmentsAfter: 1,
    });
    expect(await people(repo)).toEqual(before);
    expect(repo.getOperation(person.opId)).toMatchObject({ kind: 'Optimize', state: 'completed' });
    // No version removed: every old commit still reads.
    const after = await lanceVersions(repo, 'Person');
    expect(after.slice(0, versionsBefore.length)).toEqual(versionsBefore);
    expect(await people(repo, { commit: commits[0] })).toEqual(['p0:0']);
    expect((await repo.verify()).ok).toBe(true);
    // A second optimize finds nothing to do.
    const again = await repo.optimize();
    expect(again.tables.every((t) => t.commitId === null)).toBe(true);
    await repo.close();
  });

  it('works on a branch (its own Lance branch) and refuses an unknown branch', async () => {
    const { repo } = await grownRepo(3);
    repo.createBranch('feature');
    for (const name of ['f1', 'f2', 'f3'])
      await repo.transaction(
        (tx) => {
          tx.insert('Person', { name });
          return Promise.resolve();
        },
        { branch: 'feature' },
      );
    const r = await repo.optimize({ branch: 'feature' });
    expect(r.tables.find((t) => t.tableKey === 'node:Person')?.commitId).not.toBeNull();
    expect((await repo.scan('Person', { branch: 'feature' })).length).toBe(6);
    expect((await repo.scan('Person')).length).toBe(3);
    await expect(repo.optimize({ branch: 'nope' })).rejects.toMatchObject({
      code: 'BranchNotFound',
    });
    expect((await repo.verify()).ok).toBe(true);
    await repo.close();
  });
});

describe('cleanup', () => {
  it('a preview changes nothing', async () => {
    const { repo } = await grownRepo(6, 2);
    const versions = await lanceVersions(repo, 'Person');
    const events = repo.listEvents().length;
    const r = await repo.cleanup({ keep: 2, olderThanMs: null, confirm: false });
    expect(r.confirmed).toBe(false);
    expect(
      r.tables.find((t) => t.tableKey === 'node:Person')!.versionsRemoved.length,
    ).toBeGreaterThan(0);
    expect(await lanceVersions(repo, 'Person')).toEqual(versions);
    expect(repo.listEvents().length).toBe(events);
    await repo.close();
  });

  it('removes what no kept commit pins, records it, and old commits are VersionCleanedUp', async () => {
    const { repo, commits } = await grownRepo(6, 2);
    await repo.optimize();
    // A live branch at commits[3] pins that commit's versions.
    repo.createBranch('old', { commit: commits[3] });
    const r = await repo.cleanup({ keep: 1, olderThanMs: null, confirm: true });
    const person = r.tables.find((t) => t.tableKey === 'node:Person')!;
    expect(person.versionsRemoved.length).toBeGreaterThanOrEqual(4); // init, commits 0..2
    expect(person.bytesRemoved).toBeGreaterThan(0);
    const remaining = await lanceVersions(repo, 'Person');
    for (const v of person.versionsRemoved) expect(remaining).not.toContain(v);
    for (const v of person.protectedVersions) expect(remaining).toContain(v);
    // Recorded in the journal, in the cleanup operation.
    const ev = repo.listEvents({ kind: 'versions.cleaned' });
    expect(ev.map((e) => e.opId)).toContain(person.opId);
    expect(repo.getOperation(person.opId!)).toMatchObject({ kind: 'Cleanup', state: 'completed' });
    // The head, the live branch and commits newer than the oldest protected one still read.
    expect((await people(repo)).length).toBe(6);
    expect((await repo.scan('Person', { branch: 'old' })).length).toBe(4);
    expect((await people(repo, { commit: commits[4] })).length).toBe(5);
    // An old commit is a typed error naming it.
    const err = await repo.scan('Person', { commit: commits[1] }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'VersionCleanedUp',
      details: { commit: commits[1], table_key: 'node:Person', cleanup_op_id: person.opId },
    });
    expect((await repo.verify()).ok).toBe(true);
    expect(repo.pendingRecovery()).toEqual([]);
    // Writes go on, and a second cleanup finds nothing more to remove.
    await repo.transaction((tx) => {
      tx.insert('Person', { name: 'later' });
      return Promise.resolve();
    });
    expect((await people(repo)).length).toBe(7);
    const again = await repo.cleanup({ keep: 10, olderThanMs: null, confirm: true });
    expect(again.tables.every((t) => t.versionsRemoved.length === 0)).toBe(true);
    expect((await repo.verify()).ok).toBe(true);
    await repo.close();
  });

  it('--older-than keeps every young commit', async () => {
    const { repo, commits } = await grownRepo(4);
    const r = await repo.cleanup({ keep: 1, olderThanMs: 3_600_000, confirm: true });
    expect(r.tables.every((t) => t.versionsRemoved.length === 0)).toBe(true);
    expect(await people(repo, { commit: commits[0] })).toEqual(['p0:0']);
    await repo.close();
  });

  it('refuses while an operation is in flight (the recovery floor), and a bad --keep', async () => {
    const { repo } = await grownRepo(2);
    await expect(repo.cleanup({ keep: 0, olderThanMs: null, confirm: true })).rejects.toMatchObject(
      { code: 'InvalidArgument' },
    );
    repo.journal.beginOperation({ kind: 'Mutation', branch: 'main', actor: 'x' });
    await expect(repo.cleanup({ keep: 1, olderThanMs: null, confirm: true })).rejects.toMatchObject(
      { code: 'CleanupBlocked' },
    );
    await repo.close();
  });

  it('a crash after the prune, before the publish, recovers to the pins with every kept commit readable', async () => {
    const { repo, commits } = await grownRepo(6, 2);
    const dir = repo.dir;
    const before = await people(repo);
    await repo.close();
    const child = await runChild({ repo: dir, action: 'cleanup' }, 'write.before_publish=crash');
    expect(child.signal).toBe('SIGKILL');
    const reopened = await RepoClass.open(dir);
    expect(reopened.recoveryAudit().at(-1)).toMatchObject({ decision: 'RollBack' });
    expect(await people(reopened)).toEqual(before);
    expect((await people(reopened, { commit: commits[4] })).length).toBe(5);
    expect((await reopened.verify()).ok).toBe(true);
    // The removal was not recorded (the crash came first): a cleanup run again records its own.
    const again = await reopened.cleanup({ keep: 1, olderThanMs: null, confirm: true });
    expect(again.confirmed).toBe(true);
    expect((await reopened.verify()).ok).toBe(true);
    await reopened.close();
  });
});
