/**
 * The protocol's entry (src/write/protocol/run.ts `runWrite`) with table actions: multi-commit table
 * actions publish once, the commit-version promise is asserted, every failure before the
 * publish leaves the table at its pin, and a crash before the publish rolls back.
 */
import { describe, expect, it } from 'vitest';
import type { Repo } from '../../src/index.js';
import { runWrite, type TableAction } from '../../src/write/protocol/index.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';
import { runChild } from '../helpers/crash.js';

const makeDir = useTmpDirs();
const SCHEMA = 'node Tag {\n  name: String @key\n  n: I64?\n}\n';

async function tagRepo(): Promise<{ repo: Repo; dir: string }> {
  const dir = makeDir();
  const repo = await makeRepo(dir, SCHEMA);
  await repo.transaction((tx) => {
    tx.insert('Tag', { name: 'base' });
    return Promise.resolve();
  });
  return { repo, dir };
}

function appendEach(
  repo: Repo,
  names: string[],
  commits: 'one' | 'many',
  failAfter?: number,
): TableAction {
  const def = repo.operationContext().catalog.nodes.find((n) => n.name === 'Tag')!;
  return {
    def,
    commits,
    async commit(handle, step) {
      let version = step.pin;
      for (const [i, name] of names.entries()) {
        if (i > 0 && commits === 'many') step.committed(version);
        version = await handle.append([{ id: name, name, n: null }]);
        if (failAfter === i + 1) throw new Error('planted failure after a commit');
      }
      return version;
    },
  };
}

async function names(repo: Repo): Promise<string[]> {
  return (await repo.scan('Tag')).map((r) => String(r.name)).sort();
}

function tagCommits(repo: Repo, opId: string): number[] {
  return repo
    .listEvents({ opId, order: 'asc' })
    .flatMap((e) => (e.kind === 'table.committed' ? [e.payload.version] : []));
}

describe('runWrite with table actions', () => {
  it('publishes a multi-commit table once, at its last version, journaling every commit', async () => {
    const { repo } = await tagRepo();
    const pin = repo.snapshot().pins[0].version;
    const out = await runWrite(repo.operationContext(), 'Load', {}, () =>
      Promise.resolve({ value: 7, actions: [appendEach(repo, ['x', 'y', 'z'], 'many')] }),
    );
    expect(out.value).toBe(7);
    expect(out.tables).toEqual([
      { tableKey: 'node:Tag', from: pin, to: pin + 3, lanceBranch: null },
    ]);
    expect(tagCommits(repo, out.opId)).toEqual([pin + 1, pin + 2, pin + 3]);
    const intent = repo.listEvents({ opId: out.opId }).find((e) => e.kind === 'op.intent_recorded');
    expect(
      intent?.kind === 'op.intent_recorded' && intent.payload.tables[0].post_commit_version,
    ).toBe(null);
    expect(await names(repo)).toEqual(['base', 'x', 'y', 'z']);
    expect((await repo.verify()).ok).toBe(true);
    await repo.close();
  });

  it("asserts a 'one' action's promise: a second commit is CommitVersionUnexpected and rolled back", async () => {
    const { repo } = await tagRepo();
    await expect(
      runWrite(repo.operationContext(), 'Load', {}, () =>
        Promise.resolve({ value: null, actions: [appendEach(repo, ['x', 'y'], 'one')] }),
      ),
    ).rejects.toMatchObject({ code: 'CommitVersionUnexpected' });
    expect(await names(repo)).toEqual(['base']);
    expect((await repo.verify()).ok).toBe(true);
    await repo.close();
  });

  it('rolls every commit of a failing multi-commit action back in-process', async () => {
    const { repo } = await tagRepo();
    const before = repo.snapshot().manifestVersion;
    await expect(
      runWrite(repo.operationContext(), 'Load', {}, () =>
        Promise.resolve({ value: null, actions: [appendEach(repo, ['x', 'y', 'z'], 'many', 2)] }),
      ),
    ).rejects.toThrow('planted failure');
    expect(await names(repo)).toEqual(['base']);
    // The rollback publishes the restored version (HEAD == pin again).
    expect(repo.snapshot().manifestVersion).toBe(before + 1);
    expect((await repo.verify()).ok).toBe(true);
    await repo.close();
  });

  it('a failing plan is op.failed in phase stage and touches no table', async () => {
    const { repo } = await tagRepo();
    const before = repo.snapshot();
    await expect(
      runWrite(repo.operationContext(), 'Optimize', {}, () =>
        Promise.reject(new Error('cannot plan')),
      ),
    ).rejects.toThrow('cannot plan');
    const failed = repo.listEvents({ kind: 'op.failed', order: 'desc', limit: 1 })[0];
    expect(failed?.kind === 'op.failed' && failed.payload.phase).toBe('stage');
    expect(repo.snapshot()).toEqual(before);
    await repo.close();
  });

  it('a crash before the publish of a multi-commit table rolls back on recovery', async () => {
    const { repo, dir } = await tagRepo();
    await repo.close();
    const child = await runChild(
      { repo: dir, action: 'append-many', type: 'Tag', names: ['x', 'y', 'z'] },
      'write.before_publish=crash',
    );
    expect(child.signal).toBe('SIGKILL');
    const { Repo: RepoClass } = await import('../../src/index.js');
    const reopened = await RepoClass.open(dir);
    const audit = reopened.recoveryAudit();
    expect(audit.at(-1)).toMatchObject({ decision: 'RollBack' });
    expect(await names(reopened)).toEqual(['base']);
    expect((await reopened.verify()).ok).toBe(true);
    await reopened.close();
  });

  it("a 'many' action that makes no commit publishes nothing and completes", async () => {
    const { repo } = await tagRepo();
    const before = repo.snapshot();
    const out = await runWrite(repo.operationContext(), 'Optimize', {}, () =>
      Promise.resolve({ value: null, actions: [appendEach(repo, [], 'many')] }),
    );
    expect(out).toMatchObject({ commitId: null, manifestVersion: null, tables: [] });
    expect(repo.getOperation(out.opId).state).toBe('completed');
    expect(repo.snapshot()).toEqual(before);
    expect(repo.journal.listLeases()).toEqual([]);
    expect((await repo.verify()).ok).toBe(true);
    await repo.close();
  });
});
