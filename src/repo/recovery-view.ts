/** Read-only views of recovery for the Repo: what is pending, and the audit of what it decided. */
import type { Journal } from '../journal/index.js';
import { RECOVERY_ACTOR } from '../recovery/sweep.js';
import { findPending } from '../recovery/observe.js';
import type { PendingRecoveryRow, RecoveryAuditEntry } from './types.js';

/** Operations recovery would process, less those this process is running (changes nothing). */
export function pendingOperations(
  dir: string,
  journal: Journal,
  activeOps: ReadonlySet<string>,
): PendingRecoveryRow[] {
  return findPending(dir, journal)
    .operations.filter((o) => !activeOps.has(o.opId))
    .map((o) => ({
      opId: o.opId,
      kind: o.kind,
      branch: o.branch,
      actor: o.actor,
      hasSidecar: o.hasSidecar,
      published: o.published,
    }));
}

/** The recovery audit, each row with the lancelog:recovery commit that published it. */
export function recoveryAuditEntries(journal: Journal): RecoveryAuditEntry[] {
  const commits = new Map(journal.listCommits({ actor: RECOVERY_ACTOR }).map((c) => [c.opId, c]));
  return journal.listRecoveryAudit().map((row) => {
    const commit = commits.get(row.recoveryOpId);
    return { ...row, commitId: commit?.id ?? null, branch: commit?.branch ?? null };
  });
}
