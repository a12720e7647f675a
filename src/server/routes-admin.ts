/** Branches, commits, health, and Lancelog's own journal, operation and recovery endpoints. */
import { lancelogVersion, type CommitRow, DEFAULT_BRANCH } from '../index.js';
import * as S from './api-schemas.js';
import { route, type BranchTarget, type ServerRepo } from './route.js';
import { branchStart, given } from './routes-data.js';

/**
 * Every branch's commits, as far as the actor may read them: a commit is listed when a
 * live branch the actor may read has it in its history (the rule of every read at a
 * commit, src/server/access.ts). One who may read every live branch sees every commit,
 * also those of deleted branches; so does every caller without a policy.
 */
function readableCommits(server: ServerRepo, allows: (t: BranchTarget) => boolean): CommitRow[] {
  const all = server.repo.listCommits({});
  const branches = server.repo.listBranches();
  const readable = branches.filter((b) => allows({ action: 'read', branch: b.name }));
  if (readable.length === branches.length) return all;
  const visible = new Set(
    readable.flatMap((b) => server.repo.listCommits({ branch: b.name }).map((c) => c.id)),
  );
  return all.filter((c) => visible.has(c.id));
}

export function commitOut(c: CommitRow): Record<string, unknown> {
  return {
    graph_commit_id: c.id,
    manifest_branch: c.branch,
    manifest_version: c.manifestVersion,
    parent_commit_id: c.parentId,
    merged_parent_commit_id: c.mergedParentId,
    actor_id: c.actor,
    created_at: c.timeUs,
    message: c.message,
    // Lancelog's addition: the operation that published the commit.
    op_id: c.opId,
  };
}

/** What /healthz reports of the repo and its journal (also the server's startup log line). */
export function healthOf(
  server: ServerRepo,
  lastRefreshAt: string | null,
  graphs: ReadonlyMap<string, ServerRepo> = new Map(),
): unknown {
  const repo = server.repo;
  const main = repo.snapshot({ branch: DEFAULT_BRANCH });
  const last = repo.listEvents({ order: 'desc', limit: 1 })[0];
  return {
    status: 'ok',
    version: lancelogVersion(),
    source_version: null,
    repo: {
      uri: repo.dir,
      branches: repo.listBranches().length,
      main_manifest_version: main.manifestVersion,
      main_commit_id: main.commitId,
    },
    journal: {
      events: last?.seq ?? 0,
      pending_recovery: repo.pendingRecovery().length,
      last_refresh_at: lastRefreshAt,
    },
    // Every served graph, when there are several (`serve --graph`); the repo above is the first.
    ...(graphs.size > 1
      ? {
          graphs: [...graphs].map(([id, g]) => ({
            graph_id: id,
            uri: g.repo.dir,
            pending_recovery: g.repo.pendingRecovery().length,
          })),
        }
      : {}),
  };
}

/**
 * `delete_branch` on a merge: the source is deleted under its own `branch_delete` check
 * once the merge landed; a refusal or a failure is reported, never fails the merge.
 */
async function deleteMergedSource(
  server: ServerRepo,
  source: string,
  allows: (t: BranchTarget) => boolean,
): Promise<{ branch_deleted: boolean; branch_delete_error: string | null }> {
  if (source === DEFAULT_BRANCH)
    return { branch_deleted: false, branch_delete_error: `${DEFAULT_BRANCH} cannot be deleted` };
  if (!allows({ action: 'branch_delete', targetBranch: source }))
    return { branch_deleted: false, branch_delete_error: 'policy denied branch_delete' };
  try {
    await server.repo.deleteBranch(source);
    return { branch_deleted: true, branch_delete_error: null };
  } catch (err) {
    return { branch_deleted: false, branch_delete_error: (err as Error).message };
  }
}

export const adminRoutes = [
  route({
    method: 'GET',
    path: '/branches',
    operationId: 'listBranches',
    summary: 'Every live branch',
    tag: 'reference',
    response: S.BranchListSchema,
    errors: [],
    policy: () => ({ action: 'read' }),
    handler({ server }) {
      return Promise.resolve({ branches: server.repo.listBranches().map((b) => b.name) });
    },
  }),
  route({
    method: 'POST',
    path: '/branches',
    operationId: 'createBranch',
    summary: 'Create a branch from another (default main); nothing is copied',
    tag: 'reference',
    body: S.BranchCreateRequestSchema,
    response: S.BranchCreateOutputSchema,
    errors: [404, 409],
    policy: ({ body }) => [
      { action: 'branch_create', targetBranch: body.name },
      { action: 'read', name: 'from', at: given(body.from) ?? DEFAULT_BRANCH },
    ],
    handler({ body, server, actor, reads }) {
      const from = body.from ?? DEFAULT_BRANCH;
      server.repo.createBranch(body.name, branchStart(server.repo, reads.from));
      return Promise.resolve({ uri: server.repo.dir, from, name: body.name, actor_id: actor });
    },
  }),
  route({
    method: 'DELETE',
    path: '/branches/{branch}',
    operationId: 'deleteBranch',
    summary: 'Delete a branch and the Lance branches it forked',
    tag: 'reference',
    params: S.BranchPathSchema,
    response: S.BranchDeleteOutputSchema,
    errors: [404, 409],
    write: true,
    policy: ({ params }) => ({ action: 'branch_delete', targetBranch: params.branch }),
    async handler({ params, server, actor }) {
      await server.repo.deleteBranch(params.branch);
      return { uri: server.repo.dir, name: params.branch, actor_id: actor };
    },
  }),
  route({
    method: 'POST',
    path: '/branches/merge',
    operationId: 'mergeBranches',
    summary: 'Merge a branch into another (default main)',
    tag: 'reference',
    body: S.BranchMergeRequestSchema,
    response: S.BranchMergeOutputSchema,
    errors: [404, 409],
    write: true,
    policy: ({ body }) => [
      { action: 'branch_merge', branch: body.source, targetBranch: body.target ?? DEFAULT_BRANCH },
      // The merge reads the source at its head when it runs: only the source can allow it.
      { action: 'read', name: 'source', at: { branch: body.source }, live: true },
    ],
    async handler({ body, server, actor, allows }) {
      const target = body.target ?? DEFAULT_BRANCH;
      const out = await server.merge({ source: body.source, target, actor });
      const merged = { source: body.source, target, outcome: out.outcome, actor_id: actor };
      if (body.delete_branch !== true) return merged;
      return { ...merged, ...(await deleteMergedSource(server, body.source, allows)) };
    },
  }),
  route({
    method: 'GET',
    path: '/commits',
    operationId: 'listCommits',
    summary:
      "A branch's commits, newest first (without `branch`: every commit of a branch the caller may read)",
    tag: 'reference',
    query: S.BranchQuerySchema,
    response: S.CommitListSchema,
    errors: [404],
    // A branch's commits are its history at its head when listed: only the branch can allow it.
    policy: ({ query }) =>
      query.branch !== undefined
        ? { action: 'read', name: 'history', at: { branch: query.branch }, live: true }
        : // Without a branch the handler lists only what the actor may read (readableCommits).
          [],
    handler({ query, server, allows }) {
      if (query.branch !== undefined) {
        const commits = server.repo.listCommits({ branch: query.branch });
        return Promise.resolve({ commits: commits.map(commitOut) });
      }
      return Promise.resolve({ commits: readableCommits(server, allows).map(commitOut) });
    },
  }),
  route({
    method: 'GET',
    path: '/commits/{commit_id}',
    operationId: 'getCommit',
    summary: 'One commit',
    tag: 'reference',
    params: S.CommitPathSchema,
    response: S.CommitSchema,
    errors: [404],
    policy: ({ params }) => ({ action: 'read', name: 'commit', at: { commit: params.commit_id } }),
    handler({ params, server }) {
      return Promise.resolve(commitOut(server.repo.getCommit(params.commit_id)));
    },
  }),
  route({
    method: 'GET',
    path: '/journal',
    operationId: 'listJournalEvents',
    summary: 'Journal events, oldest first, filtered by operation, kind, branch or position',
    tag: 'lancelog',
    query: S.JournalQuerySchema,
    response: S.JournalOutputSchema,
    errors: [],
    policy: () => ({ action: 'admin' }),
    handler({ query, server }) {
      const events = server.repo.listEvents({
        ...(query.op_id !== undefined ? { opId: query.op_id } : {}),
        ...(query.kind !== undefined ? { kind: query.kind } : {}),
        ...(query.branch !== undefined ? { branch: query.branch } : {}),
        ...(query.after_seq !== undefined ? { afterSeq: query.after_seq } : {}),
        limit: query.limit ?? 1000,
      });
      return Promise.resolve({ events });
    },
  }),
  route({
    method: 'GET',
    path: '/operations/{op_id}',
    operationId: 'getOperation',
    summary: 'One operation: kind, branch, actor, state, its failure if any',
    tag: 'lancelog',
    params: S.OperationPathSchema,
    response: S.OperationOutputSchema,
    errors: [404],
    policy: () => ({ action: 'admin' }),
    handler({ params, server }) {
      return Promise.resolve({ operation: server.repo.getOperation(params.op_id) });
    },
  }),
  route({
    method: 'GET',
    path: '/recovery',
    operationId: 'getRecovery',
    summary: 'Operations recovery would process now, and the recovery audit',
    tag: 'lancelog',
    response: S.RecoveryOutputSchema,
    errors: [],
    policy: () => ({ action: 'admin' }),
    handler({ server }) {
      return Promise.resolve({
        pending: server.repo.pendingRecovery(),
        audit: server.repo.recoveryAudit(),
      });
    },
  }),
];
