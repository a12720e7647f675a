/**
 * Branch creation and the Lance branches a branch forked: the journal does the work,
 * this module checks where a branch may start and shapes what callers see.
 */
import type { Journal, Snapshot } from '../journal/index.js';
import { DEFAULT_BRANCH } from '../defaults.js';
import { assertCommitOnBranch } from './snapshots.js';

/** Where a new branch starts: a branch (at its head or a manifest version) or a commit. */
export interface BranchStart {
  from?: string;
  version?: number;
  commit?: string;
}

/** A new branch starts with the pins of its parent (lazy fork: nothing is copied). */
export function createBranchAt(journal: Journal, name: string, start: BranchStart): Snapshot {
  if (start.commit !== undefined) {
    if (start.from !== undefined) assertCommitOnBranch(journal, start.commit, start.from);
    return journal.createBranch(name, { commitId: start.commit });
  }
  return journal.createBranch(name, {
    fromBranch: start.from ?? DEFAULT_BRANCH,
    ...(start.version !== undefined ? { manifestVersion: start.version } : {}),
  });
}

/** One Lance branch a lancelog branch forked, and the version it forked from. */
export interface ForkRow {
  branch: string;
  tableKey: string;
  lanceBranch: string;
  fromVersion: number;
}

export function forksOf(journal: Journal, branch?: string): ForkRow[] {
  return journal.listForks(branch).map((f) => ({
    branch: f.branch,
    tableKey: f.tableKey,
    lanceBranch: f.lanceBranch,
    fromVersion: f.fromVersion,
  }));
}
