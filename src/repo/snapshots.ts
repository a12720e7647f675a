/**
 * Which published state a read sees: the snapshot a branch, manifest version, commit
 * or diff ref names, checked against the history of the branch and against cleanup.
 */
import { cleanedVersionKey, type Journal, type Snapshot, type TablePin } from '../journal/index.js';
import { DEFAULT_BRANCH } from '../defaults.js';
import { RepoError } from '../errors.js';
import type { ReadAt } from './types.js';
import type { HistoryCommit } from '../read/entity-history.js';

/** A commit is readable from a branch when it is in the branch's first-parent history (inherited commits included). */
export function assertCommitOnBranch(journal: Journal, commit: string, branch: string): void {
  if (!journal.listCommits({ branch }).some((c) => c.id === commit)) {
    const own = journal.getCommit(commit).branch;
    throw new RepoError(
      'CommitNotOnBranch',
      `commit ${commit} (on branch ${own}) is not in the history of branch ${branch}`,
      { commit, branch },
    );
  }
}

/**
 * Time travel to a commit whose table versions cleanup removed, or that a repair
 * recorded as damaged (`lancelog doctor --deep --repair`), is a typed error, not a
 * storage one — and never a silently wrong answer from a damaged file.
 */
function assertNotCleanedUp(journal: Journal, snap: Snapshot): Snapshot {
  assertNotDamaged(journal, snap);
  const cleaned = journal.cleanedVersions();
  if (cleaned.size === 0) return snap;
  for (const pin of snap.pins) {
    const opId = cleaned.get(cleanedVersionKey(pin.tableKey, pin.lanceBranch, pin.version));
    if (opId === undefined) continue;
    throw new RepoError(
      'VersionCleanedUp',
      `commit ${snap.commitId} (branch ${snap.branch}, version ${snap.manifestVersion}) can no longer be read: ` +
        `cleanup ${opId} removed version ${pin.version} of ${pin.tableKey}`,
      {
        commit: snap.commitId,
        branch: snap.branch,
        manifest_version: snap.manifestVersion,
        table_key: pin.tableKey,
        version: pin.version,
        cleanup_op_id: opId,
      },
    );
  }
  return snap;
}

function assertNotDamaged(journal: Journal, snap: Snapshot): void {
  const opId = journal.damageRecords().unreadableCommits.get(snap.commitId);
  if (opId === undefined) return;
  throw new RepoError(
    'VersionDamaged',
    `commit ${snap.commitId} (branch ${snap.branch}, version ${snap.manifestVersion}) can no longer be read: ` +
      `a table version it pins is damaged (recorded by repair ${opId}; 'lancelog doctor --deep' names the files)`,
    {
      commit: snap.commitId,
      branch: snap.branch,
      manifest_version: snap.manifestVersion,
      repair_op_id: opId,
    },
  );
}

/** `Repo.snapshot`: the pin set `at` names (documented there). */
export function resolveSnapshot(
  journal: Journal,
  at: ReadAt,
  opts: { allowCleaned?: boolean },
): Snapshot {
  if (at.commit !== undefined) {
    const snap = journal.snapshot({ commitId: at.commit });
    if (at.branch !== undefined && at.branch !== snap.branch)
      assertCommitOnBranch(journal, at.commit, at.branch);
    return opts.allowCleaned ? snap : assertNotCleanedUp(journal, snap);
  }
  const snap = journal.snapshot({
    branch: at.branch ?? DEFAULT_BRANCH,
    ...(at.version !== undefined ? { manifestVersion: at.version } : {}),
  });
  // A branch's latest pins are never cleaned up (docs/maintenance.md); only time travel checks.
  return at.version !== undefined && !opts.allowCleaned ? assertNotCleanedUp(journal, snap) : snap;
}

/**
 * What a diff ref names: `branch@manifestVersion`, a commit id (a ULID that is not
 * also a branch name), else a branch name.
 */
export function refToReadAt(journal: Journal, ref: string): ReadAt {
  const at = /^(.+)@(\d+)$/.exec(ref);
  if (at) return { branch: at[1], version: Number(at[2]) };
  if (/^[0-9A-HJKMNP-TV-Z]{26}$/i.test(ref) && !journal.listBranches().some((b) => b.name === ref))
    return { commit: ref.toUpperCase() };
  return { branch: ref };
}

export function pinOf(snapshot: Snapshot, tableKey: string): TablePin {
  const pin = snapshot.pins.find((p) => p.tableKey === tableKey);
  if (!pin)
    throw new RepoError(
      'TableNotPinned',
      `${tableKey} has no pin on branch ${snapshot.branch} at manifest version ${snapshot.manifestVersion}`,
      { table_key: tableKey, branch: snapshot.branch },
    );
  return pin;
}

/** A branch's commits, oldest first, each with the pin of one table: what entity history walks. */
export function commitsWithPin(
  journal: Journal,
  branch: string,
  tableKey: string,
): HistoryCommit[] {
  return journal
    .listCommits({ branch })
    .reverse()
    .map((c) => ({
      commitId: c.id,
      branch: c.branch,
      manifestVersion: c.manifestVersion,
      timeUs: c.timeUs,
      actor: c.actor,
      message: c.message,
      pin: pinOf(journal.snapshot({ commitId: c.id }), tableKey),
    }));
}
