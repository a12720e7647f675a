/**
 * Authorize what is read, not what is named (docs/server.md "Reads at a ref").
 *
 * Every request that reads at a ref — a branch, `branch@N` or a commit id: `/read`,
 * `/export`, `/snapshot`, `/commits`, a branch's `from`, an ingest's `from`, a merge's
 * source — is resolved here to the one commit it will read, and the actor must hold
 * the read (or export) action on a live branch whose first-parent history contains
 * that commit. The handler then reads exactly that commit, never the name again, so
 * a branch that moves between the check and the read cannot widen what was allowed.
 * A read that cannot be pinned to the commit (a merge reads its source's head when it
 * runs) is `live`: only the named branch itself can allow it.
 */
import { DEFAULT_BRANCH, type ReadAt, type Repo, type Snapshot } from '../index.js';
import { HttpError } from './errors.js';
import type { PolicyDecision, PolicyEngine } from './policy.js';

/** A read at a ref that a request makes, as its route declares it. */
export interface ReadTarget {
  /** `invoke_query`: a stored query run at the ref is allowed by the same history rule. */
  action: 'read' | 'export' | 'invoke_query';
  /** The name the handler finds the resolved snapshot under (`ctx.reads[name]`). */
  name: string;
  /** A ref text (a branch, `branch@N` or a commit id) or an exact position. */
  at: string | ReadAt;
  /** The handler reads the branch's head when it runs, not the resolved commit. */
  live?: boolean;
}

/** What is logged of one decision (the `policy` object of a "policy decision" line). */
export interface ReadDecisionLog {
  actor: string;
  action: ReadTarget['action'];
  ref: string;
  commit: string;
  branch: string | null;
  decision: 'allow' | 'deny';
  rule: string | null;
  reason: string;
}

/** A resolved read target: the snapshot, and the branch whose policy allowed it (null: no policy). */
export type AuthorizedRead = Snapshot & { allowedBy: string | null };

/**
 * What a handler passes to the read itself: the branch when the ref named its head and
 * that branch allowed the read (a head that moved since is in its history as well, and
 * a branch's head is never cleaned up, so the read skips that check), else exactly the
 * commit that was authorized.
 */
export function readAtOf(read: AuthorizedRead, ref: string): ReadAt {
  const head = ref === read.branch && (read.allowedBy === null || read.allowedBy === read.branch);
  return head ? { branch: read.branch } : { commit: read.commitId };
}

export interface ReadAccess {
  repo: Repo;
  policy: PolicyEngine | null;
  actor: string;
  log: (decision: ReadDecisionLog) => void;
}

function refText(at: string | ReadAt): string {
  if (typeof at === 'string') return at;
  if (at.commit !== undefined) return at.commit;
  return at.version !== undefined
    ? `${at.branch ?? DEFAULT_BRANCH}@${at.version}`
    : (at.branch ?? DEFAULT_BRANCH);
}

/** Whether `commit` is in the first-parent history of live branch `branch`. */
function inHistory(repo: Repo, commit: string, branch: { name: string; headCommitId: string }) {
  if (branch.headCommitId === commit) return true;
  return repo.listCommits({ branch: branch.name }).some((c) => c.id === commit);
}

/**
 * The live branches that may allow the read, in the order they are asked: the branch
 * the snapshot belongs to (the named one, or the commit's own), then every other one.
 */
function candidates(repo: Repo, snap: Snapshot, live: boolean) {
  const branches = repo.listBranches();
  const own = branches.filter((b) => b.name === snap.branch);
  return live ? own : [...own, ...branches.filter((b) => b.name !== snap.branch)];
}

/**
 * Resolves a read target to the snapshot it reads (404 for an unknown ref) and checks
 * the policy against it (403 when no branch allows it). Without a policy every read is
 * allowed.
 */
export function authorizeRead(access: ReadAccess, target: ReadTarget): AuthorizedRead {
  const { repo, policy, actor } = access;
  // A ref text is read as data (a commit cleanup removed is refused); an exact position
  // may name a cleaned-up commit whose metadata is still shown (GET /commits/{id}).
  const snap =
    typeof target.at === 'string'
      ? repo.resolveRef(target.at)
      : repo.snapshot(target.at, { allowCleaned: true });
  if (!policy) return { ...snap, allowedBy: null };
  const ref = refText(target.at);
  let denied: PolicyDecision | null = null;
  for (const branch of candidates(repo, snap, target.live ?? false)) {
    const decision = policy.authorize({ actor, action: target.action, branch: branch.name });
    if (!decision.allowed) {
      denied ??= decision;
      continue;
    }
    if (!inHistory(repo, snap.commitId, branch)) continue;
    access.log({
      actor,
      action: target.action,
      ref,
      commit: snap.commitId,
      branch: branch.name,
      decision: 'allow',
      rule: decision.rule,
      reason: decision.reason,
    });
    return { ...snap, allowedBy: branch.name };
  }
  // The message names the ref as given: a denied caller learns no commit id.
  const reason = `no branch that actor '${actor}' may ${target.action} has the commit of '${ref}' in its history${target.live ? ` (branch ${snap.branch} is read at its head: only it can allow the ${target.action})` : ''}`;
  access.log({
    actor,
    action: target.action,
    ref,
    commit: snap.commitId,
    branch: null,
    decision: 'deny',
    rule: null,
    reason: denied ? `${reason}; ${denied.reason}` : reason,
  });
  throw new HttpError('Forbidden', `policy denied: ${reason}`, {
    action: target.action,
    actor,
    ref,
  });
}
