import { describe, expect, it } from 'vitest';
import { validateBranchName } from '../../src/journal/index.js';
import { codeOf, newJournal } from './helpers.js';

describe('branches', () => {
  it('validates names: charset, non-empty, main and __ reserved', () => {
    for (const ok of ['feature', 'feat/x-1', 'v1.2_rc', 'a', 'a.', 'x'.repeat(200)])
      expect(() => validateBranchName(ok)).not.toThrow();
    // Besides the charset: what Lance refuses in its branch names ('..') or cannot
    // store (a name past the file-name limit), and empty or hidden path segments.
    const lanceRefuses = ['..', '../x', 'a..b', '/x', 'x/', 'a//b', '.x', 'a/.b', 'x'.repeat(201)];
    for (const bad of ['', 'main', '__internal', 'has space', 'ünï', 'a:b', 'x*', ...lanceRefuses])
      expect(codeOf(() => validateBranchName(bad))).toBe('InvalidBranchName');
    const j = newJournal();
    expect(codeOf(() => j.createBranch('__x'))).toBe('InvalidBranchName');
    expect(j.listBranches().map((b) => b.name)).toEqual(['main']);
  });

  it("lazy fork: the new branch starts with the parent's pins (same versions and Lance branches), copies nothing", () => {
    const j = newJournal();
    j.publish({
      branch: 'main',
      actor: 'a',
      tables: [{ tableKey: 'node:Person', expectedVersion: 1, newVersion: 2, lanceBranch: null }],
    });
    const main = j.snapshot({ branch: 'main' });
    const feat = j.createBranch('feat');
    expect(feat).toMatchObject({
      branch: 'feat',
      manifestVersion: 1,
      commitId: main.commitId,
      pins: main.pins,
    });
    expect(j.getBranch('feat')).toMatchObject({
      parentBranch: 'main',
      parentManifestVersion: 2,
      headCommitId: main.commitId,
      deleted: false,
    });
    expect(codeOf(() => j.createBranch('feat'))).toBe('BranchExists');

    // First write of a table on the branch forks only that table.
    j.recordFork('feat', 'node:Person', 'feat', 2);
    j.recordFork('feat', 'node:Person', 'feat', 2); // idempotent
    expect(codeOf(() => j.recordFork('feat', 'node:Person', 'other', 2))).toBe('ForkExists');
    const r = j.publish({
      branch: 'feat',
      actor: 'b',
      tables: [{ tableKey: 'node:Person', expectedVersion: 2, newVersion: 3, lanceBranch: 'feat' }],
    });
    const after = j.snapshot({ branch: 'feat' });
    expect(after.pins).toEqual([
      { tableKey: 'edge:WorksAt', version: 1, lanceBranch: null },
      { tableKey: 'node:Company', version: 1, lanceBranch: null },
      { tableKey: 'node:Person', version: 3, lanceBranch: 'feat' },
    ]);
    expect(j.snapshot({ branch: 'main' })).toEqual(main); // the parent is untouched
    expect(j.getCommit(r.commitId).parentId).toBe(main.commitId);
    // The branch's history includes what it inherited from main.
    expect(j.listCommits({ branch: 'feat' }).map((c) => [c.branch, c.manifestVersion])).toEqual([
      ['feat', 2],
      ['main', 2],
      ['main', 1],
    ]);
  });

  it('creates from a past manifest version or from a commit', () => {
    const j = newJournal();
    const c1 = j.snapshot({ branch: 'main' }).commitId;
    j.publish({
      branch: 'main',
      actor: 'a',
      tables: [{ tableKey: 'node:Person', expectedVersion: 1, newVersion: 2, lanceBranch: null }],
    });
    expect(
      j
        .createBranch('old', { fromBranch: 'main', manifestVersion: 1 })
        .pins.find((p) => p.tableKey === 'node:Person')!.version,
    ).toBe(1);
    expect(j.createBranch('fromcommit', { commitId: c1 })).toMatchObject({
      commitId: c1,
      manifestVersion: 1,
    });
    expect(j.getBranch('fromcommit')).toMatchObject({
      parentBranch: 'main',
      parentManifestVersion: 1,
    });
    expect(j.createBranch('grandchild', { fromBranch: 'old' }).pins).toEqual(
      j.snapshot({ branch: 'old' }).pins,
    );
    expect(codeOf(() => j.createBranch('x', { fromBranch: 'main', manifestVersion: 9 }))).toBe(
      'ManifestVersionNotFound',
    );
    expect(codeOf(() => j.createBranch('x', { commitId: 'nope' }))).toBe('CommitNotFound');
    expect(codeOf(() => j.createBranch('x', { fromBranch: 'nope' }))).toBe('BranchNotFound');
  });

  it('delete: refuses main, parents of live branches and branches with operations in flight; returns owned Lance branches', () => {
    const j = newJournal();
    j.createBranch('parent');
    j.createBranch('child', { fromBranch: 'parent' });
    j.recordFork('parent', 'node:Company', 'parent-company', 1);
    j.recordFork('parent', 'edge:WorksAt', 'parent-works', 1);
    expect(codeOf(() => j.deleteBranch('main'))).toBe('InvalidBranchName');
    expect(codeOf(() => j.deleteBranch('parent'))).toBe('BranchInUse');
    const op = j.beginOperation({ kind: 'Mutation', branch: 'child', actor: 'a' });
    expect(codeOf(() => j.deleteBranch('child'))).toBe('BranchInUse');
    j.completeOperation(op);
    expect(j.deleteBranch('child')).toEqual([]);
    expect(j.deleteBranch('parent')).toEqual([
      { tableKey: 'edge:WorksAt', lanceBranch: 'parent-works' },
      { tableKey: 'node:Company', lanceBranch: 'parent-company' },
    ]);
    expect(j.listBranches().map((b) => b.name)).toEqual(['main']);
    expect(j.listBranches({ includeDeleted: true }).map((b) => b.name)).toEqual([
      'child',
      'main',
      'parent',
    ]);
    expect(codeOf(() => j.deleteBranch('parent'))).toBe('BranchNotFound');
    expect(codeOf(() => j.snapshot({ branch: 'parent' }))).toBe('BranchNotFound');
    expect(codeOf(() => j.createBranch('parent'))).toBe('BranchExists'); // names are not reused
    expect(codeOf(() => j.beginOperation({ kind: 'Mutation', branch: 'parent', actor: 'a' }))).toBe(
      'BranchNotFound',
    );
    expect(j.verify().ok).toBe(true);
  });
});
