/**
 * Read-only endpoints for a repo's history and its state per branch (the Explorer's
 * Commits and Health views, docs/ui.md; any client may use them): one branch with its
 * fork point and forked tables, a commit's per-table counts, the diff between any two
 * commits with before and after values, and the index states. Each is guarded by `read`
 * on every branch whose data it returns. Thin over the public API, like every route.
 */
import { z } from 'zod';
import {
  DEFAULT_BRANCH,
  LancelogError,
  snapshotChanges,
  type Repo,
  type Snapshot,
} from '../index.js';
import { route } from './route.js';

const Json = z.record(z.string(), z.unknown());
const count = z.number().int().min(0);

const BranchPath = z.object({ branch: z.string().min(1) });
export const BranchInfoSchema = z
  .object({
    name: z.string(),
    parent_branch: z.string().nullable(),
    parent_manifest_version: z.number().int().nullable(),
    head_manifest_version: z.number().int(),
    head_commit_id: z.string(),
    /** Microseconds since the Unix epoch. */
    created_at: z.number().int(),
    forks: z.array(
      z.object({ table_key: z.string(), lance_branch: z.string(), from_version: z.number().int() }),
    ),
  })
  .meta({ id: 'BranchInfoOutput' });

const CommitPath = z.object({ commit_id: z.string().min(1) });
export const CommitSummarySchema = z
  .object({
    graph_commit_id: z.string(),
    parent_commit_id: z.string().nullable(),
    /** The operation that published the commit (`/operations/{op_id}/timeline`). */
    op_id: z.string(),
    tables: z.array(
      z.object({
        table_key: z.string(),
        from_version: z.number().int().nullable(),
        to_version: z.number().int(),
        inserts: count.nullable(),
        updates: count.nullable(),
        deletes: count.nullable(),
      }),
    ),
    /** Why the counts are missing (e.g. cleanup removed a version the diff needs). */
    counts_error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .meta({ id: 'CommitSummaryOutput' });

const MAX_DIFF_CHANGES = 2000;
const DiffQuerySchema = z.strictObject({
  from: z.string().min(1),
  to: z.string().min(1),
  limit: z.coerce.number().int().min(1).max(MAX_DIFF_CHANGES).optional(),
});
const SnapshotRef = z.object({
  branch: z.string(),
  manifest_version: z.number().int(),
  graph_commit_id: z.string(),
});
export const DiffOutputSchema = z
  .object({
    from: SnapshotRef,
    to: SnapshotRef,
    stats: z.object({ inserts: count, updates: count, deletes: count }),
    /** Entity changes as `/commits/{commit_id}/changes` gives them (before and after images). */
    changes: z.array(Json),
    truncated: z.boolean(),
  })
  .meta({ id: 'DiffOutput' });

const IndexQuery = z.strictObject({ branch: z.string().min(1).optional() });
export const IndexListSchema = z
  .object({ branch: z.string(), indexes: z.array(Json) })
  .meta({ id: 'IndexListOutput' });

function branchInfo(repo: Repo, name: string) {
  const b = repo.listBranches().find((x) => x.name === name);
  if (!b)
    throw new LancelogError('BranchNotFound', `branch '${name}' does not exist`, {
      branch: name,
    });
  return {
    name: b.name,
    parent_branch: b.parentBranch,
    parent_manifest_version: b.parentManifestVersion,
    head_manifest_version: b.headManifestVersion,
    head_commit_id: b.headCommitId,
    created_at: b.createdUs,
    forks: repo.listForks(name).map((f) => ({
      table_key: f.tableKey,
      lance_branch: f.lanceBranch,
      from_version: f.fromVersion,
    })),
  };
}

/** The tables a commit moved against its first parent, with the rows it changed in each. */
async function commitSummary(repo: Repo, id: string) {
  const c = repo.getCommit(id);
  const pins = repo.snapshot({ commit: id }, { allowCleaned: true }).pins;
  const before = new Map(
    c.parentId
      ? repo
          .snapshot({ commit: c.parentId }, { allowCleaned: true })
          .pins.map((p) => [p.tableKey, p])
      : [],
  );
  const moved = pins.filter((p) => {
    const b = before.get(p.tableKey);
    return !b || b.version !== p.version || b.lanceBranch !== p.lanceBranch;
  });
  const counts = new Map<string, { inserts: number; updates: number; deletes: number }>();
  let countsError: { code: string; message: string } | null = null;
  if (c.parentId !== null && moved.length > 0) {
    try {
      const { changes } = await repo.diff({ from: c.parentId, to: id });
      for (const ch of changes) {
        const n = counts.get(ch.tableKey) ?? { inserts: 0, updates: 0, deletes: 0 };
        n[ch.op === 'insert' ? 'inserts' : ch.op === 'update' ? 'updates' : 'deletes']++;
        counts.set(ch.tableKey, n);
      }
    } catch (err) {
      if (!(err instanceof LancelogError)) throw err;
      countsError = { code: err.code, message: err.message };
    }
  }
  return {
    graph_commit_id: c.id,
    parent_commit_id: c.parentId,
    op_id: c.opId,
    tables: moved.map((p) => {
      const n = counts.get(p.tableKey);
      const known = c.parentId === null || countsError === null;
      return {
        table_key: p.tableKey,
        from_version: before.get(p.tableKey)?.version ?? null,
        to_version: p.version,
        inserts: known ? (n?.inserts ?? 0) : null,
        updates: known ? (n?.updates ?? 0) : null,
        deletes: known ? (n?.deletes ?? 0) : null,
      };
    }),
    counts_error: countsError,
  };
}

function refOut(s: Snapshot) {
  return { branch: s.branch, manifest_version: s.manifestVersion, graph_commit_id: s.commitId };
}

/** The changes between two snapshots the policy check resolved (exactly what was authorized). */
async function diffRefs(repo: Repo, from: Snapshot, to: Snapshot, max: number | undefined) {
  const all = await snapshotChanges(repo, from, to);
  const limit = max ?? 500;
  const stats = { inserts: 0, updates: 0, deletes: 0 };
  for (const c of all)
    stats[c.op === 'insert' ? 'inserts' : c.op === 'update' ? 'updates' : 'deletes']++;
  return {
    from: refOut(from),
    to: refOut(to),
    stats,
    changes: all.slice(0, limit),
    truncated: all.length > limit,
  };
}

export const historyRoutes = [
  route({
    method: 'GET',
    path: '/branches/{branch}',
    operationId: 'getBranch',
    summary: 'One branch: where it forked from, its head, and the tables it has forked',
    tag: 'lancelog',
    params: BranchPath,
    response: BranchInfoSchema,
    errors: [404],
    // The branch as it is now: only the branch itself can allow it (src/server/access.ts).
    policy: ({ params }) => ({
      action: 'read',
      name: 'branch',
      at: { branch: params.branch },
      live: true,
    }),
    handler({ params, server }) {
      return Promise.resolve(branchInfo(server.repo, params.branch));
    },
  }),
  route({
    method: 'GET',
    path: '/commits/{commit_id}/summary',
    operationId: 'getCommitSummary',
    summary:
      'The tables a commit moved (versions before and after) and the rows it inserted, updated and deleted in each',
    tag: 'lancelog',
    params: CommitPath,
    response: CommitSummarySchema,
    errors: [404],
    // A read of the commit (and of its first parent, in the history of every branch that has it).
    policy: ({ params }) => ({ action: 'read', name: 'commit', at: { commit: params.commit_id } }),
    handler({ params, server }) {
      return commitSummary(server.repo, params.commit_id);
    },
  }),
  route({
    method: 'GET',
    path: '/diff',
    operationId: 'diffRefs',
    summary:
      'The entity changes from one ref to another (commit ids, branch names or branch@version), with before and after values',
    tag: 'lancelog',
    query: DiffQuerySchema,
    response: DiffOutputSchema,
    errors: [404, 409, 410],
    // Both sides' rows are returned: each side is a read of the commit it resolves to.
    policy: ({ query }) => [
      { action: 'read', name: 'from', at: query.from },
      { action: 'read', name: 'to', at: query.to },
    ],
    handler({ query, server, reads }) {
      return diffRefs(server.repo, reads.from, reads.to, query.limit);
    },
  }),
  route({
    method: 'GET',
    path: '/indexes',
    operationId: 'listIndexes',
    summary:
      "Every index the schema asks for at a branch's head: its state (built, stale, missing, flat, empty) and the version it covers",
    tag: 'lancelog',
    query: IndexQuery,
    response: IndexListSchema,
    errors: [404],
    // The indexes at the branch's head: only the branch itself can allow it.
    policy: ({ query }) => ({
      action: 'read',
      name: 'branch',
      at: { branch: query.branch ?? DEFAULT_BRANCH },
      live: true,
    }),
    async handler({ query, server }) {
      const branch = query.branch ?? DEFAULT_BRANCH;
      return { branch, indexes: await server.repo.indexes({ branch }) };
    },
  }),
];
