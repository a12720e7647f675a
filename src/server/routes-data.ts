/** The data endpoints: snapshot, read, export, change, ingest, schema. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { z } from 'zod';
import {
  columnTypeText,
  exportJsonl,
  formatValue,
  LancelogError,
  DEFAULT_BRANCH,
  parseQueries,
  SCHEMA_FILE,
  type LoadMode,
  type Repo,
  type Snapshot,
} from '../index.js';
import * as S from './api-schemas.js';
import { readAtOf, type AuthorizedRead } from './access.js';
import { REQUEST_FILE } from './body.js';
import { HttpError } from './errors.js';
import { REPLY_SENT, route } from './route.js';

const INGEST_LIMIT_BYTES = 32 * 1024 * 1024;

/** The named query, or the only query of the source when no name is given. */
function queryName(source: string, name: string | null | undefined): string {
  if (name !== null && name !== undefined && name !== '') return name;
  const names = parseQueries(source, REQUEST_FILE).queries.map((q) => q.name);
  if (names.length === 1) return names[0];
  throw new HttpError(
    'QueryNameRequired',
    `query_name is required: the source declares ${names.length} queries (${names.join(', ') || 'none'})`,
    { queries: names },
  );
}

/** A named read query: its source (a request's, or a stored query's file) and parameters. */
export interface ReadQuery {
  source: string;
  name?: string | null;
  params?: unknown;
  /** The file errors name: a stored query's own (its name is then given), else the request. */
  file?: string;
}

/**
 * One named read at the snapshot the policy authorized (`ref` as the request named it):
 * the reference's ReadOutput, for `/read`, `/query` and stored queries alike.
 */
export async function runRead(repo: Repo, at: AuthorizedRead, ref: string, q: ReadQuery) {
  const name = q.file !== undefined ? (q.name ?? '') : queryName(q.source, q.name);
  const result = await repo.query({
    source: q.source,
    file: q.file ?? REQUEST_FILE,
    name,
    params: q.params ?? {},
    ...readAtOf(at, ref),
  });
  return {
    query_name: result.query,
    target: { branch: at.branch, snapshot: result.target.commitId },
    row_count: result.rows.length,
    columns: result.columns.map((c) => c.name),
    column_types: result.columns.map((c) => columnTypeText(c.type)),
    rows: result.rows.map((row) =>
      Object.fromEntries(
        result.columns.map((c) => [c.name, formatValue(row[c.name], c.type, repo.catalog)]),
      ),
    ),
  };
}

/** The header of a conditional mutation (routes-changes.ts). */
export const IF_COMMIT_HEADER = 'omnigraph-if-graph-commit';

/** The conditional-write header's one commit id; InvalidRequest for anything else. */
export function ifCommitOf(headers: Record<string, unknown>): string {
  const raw = headers[IF_COMMIT_HEADER];
  if (typeof raw !== 'string' || !/^[0-9A-HJKMNP-TV-Z]{26}$/.test(raw.trim()))
    throw new HttpError(
      'InvalidRequest',
      'Omnigraph-If-Graph-Commit must be one raw graph commit id (no *, lists, quotes or W/ tags)',
      { field: 'Omnigraph-If-Graph-Commit' },
    );
  return raw.trim();
}

/** `/change` and `/mutate/if-graph-commit`: one named mutation, maybe conditional. */
export async function runChange(
  repo: Repo,
  body: z.infer<typeof S.ChangeRequestSchema>,
  actor: string,
  ifCommit?: string,
  file?: string,
) {
  const name = file ? (body.query_name ?? '') : queryName(body.query_source, body.query_name);
  const branch = body.branch ?? DEFAULT_BRANCH;
  const out = await repo.change({
    source: body.query_source,
    file: file ?? REQUEST_FILE,
    name,
    params: body.params ?? {},
    branch,
    actor,
    ...(ifCommit !== undefined ? { ifCommit } : {}),
  });
  return {
    branch,
    query_name: name,
    affected_nodes: out.affectedNodes,
    affected_edges: out.affectedEdges,
    actor_id: actor,
    graph_commit_id: out.commitId,
    manifest_version: out.manifestVersion,
    // Lancelog's additions (the CLI prints them with --server as it does locally).
    op_id: out.opId,
    statements: out.value.statements,
  };
}

/** Table keys or type names → type names (unknown ones are a 400 before anything is streamed). */
function exportTypes(
  repo: Repo,
  body: { table_keys?: string[]; type_names?: string[] },
): string[] | undefined {
  if (body.table_keys === undefined && body.type_names === undefined) return undefined;
  const names = (body.type_names ?? []).map((t) => repo.typeDef(t).name);
  for (const key of body.table_keys ?? []) {
    const def = repo.typeDef(key);
    if (def.tableKey !== key)
      throw new HttpError('UnknownTableKey', `no table key '${key}'`, { table_key: key });
    names.push(def.name);
  }
  return [...new Set(names)];
}

export const dataRoutes = [
  route({
    method: 'GET',
    path: '/snapshot',
    operationId: 'getSnapshot',
    summary: "A branch's latest manifest version: every table's pinned version and rows",
    tag: 'reference',
    query: S.BranchQuerySchema,
    response: S.SnapshotSchema,
    errors: [404],
    policy: ({ query }) => ({ action: 'read', name: 'at', at: query.branch ?? DEFAULT_BRANCH }),
    async handler({ server, reads }) {
      const snap = reads.at;
      const tables = await server.repo.tables({ commit: snap.commitId });
      return {
        branch: snap.branch,
        manifest_version: snap.manifestVersion,
        tables: tables.map((t) => ({
          table_key: t.tableKey,
          table_path: t.tablePath,
          table_version: t.pinnedVersion,
          table_branch: t.lanceBranch,
          row_count: t.rows,
        })),
      };
    },
  }),
  route({
    method: 'POST',
    path: '/read',
    operationId: 'read',
    summary:
      'Run a named .gq read query at a ref: a branch (default main), branch@version or a commit (snapshot) (deprecated alias of /query)',
    tag: 'reference',
    body: S.ReadRequestSchema,
    response: S.ReadOutputSchema,
    errors: [404],
    successor: '/query',
    policy: ({ body }) => ({ action: 'read', name: 'at', at: readRef(body) }),
    handler({ body, server, reads }) {
      return runRead(server.repo, reads.at, readRef(body), {
        source: body.query_source,
        name: body.query_name,
        params: body.params,
      });
    },
  }),
  route({
    method: 'POST',
    path: '/export',
    operationId: 'export',
    summary: 'The graph (or some types) at a ref as JSONL in the load format, streamed',
    tag: 'reference',
    body: S.ExportRequestSchema,
    response: 'ndjson',
    errors: [404],
    policy: ({ body }) => ({
      action: 'export',
      name: 'at',
      at: given(body.branch) ?? DEFAULT_BRANCH,
    }),
    async handler({ body, server, reply, reads }) {
      const repo = server.repo;
      const types = exportTypes(repo, body);
      // Resolved before the first byte (by the policy check): an unknown ref is a 404, not a cut stream.
      const snap = reads.at;
      const out = new PassThrough({ highWaterMark: 1 << 16 });
      exportJsonl(repo, out, { commit: snap.commitId }, types ? { types } : {}).then(
        () => out.end(),
        (err: unknown) => out.destroy(err as Error),
      );
      void reply
        .header('x-lancelog-commit-id', snap.commitId)
        .type('application/x-ndjson')
        .send(out);
      return REPLY_SENT;
    },
  }),
  route({
    method: 'POST',
    path: '/change',
    operationId: 'change',
    summary: 'Run a named .gq mutation as one atomic operation (deprecated alias of /mutate)',
    tag: 'reference',
    successor: '/mutate',
    body: S.ChangeRequestSchema,
    response: S.ChangeOutputSchema,
    errors: [404, 409],
    write: true,
    policy: ({ body }) => ({ action: 'change', branch: body.branch ?? DEFAULT_BRANCH }),
    async handler({ body, server, actor, headers }) {
      if (headers[IF_COMMIT_HEADER] !== undefined)
        throw new HttpError(
          'InvalidRequest',
          'Omnigraph-If-Graph-Commit is accepted only on POST /mutate/if-graph-commit',
          { field: 'Omnigraph-If-Graph-Commit' },
        );
      return runChange(server.repo, body, actor);
    },
  }),
  route({
    method: 'GET',
    path: '/schema',
    operationId: 'getSchema',
    summary: "The repo's .pg schema source",
    tag: 'reference',
    response: S.SchemaOutputSchema,
    errors: [],
    policy: () => ({ action: 'read' }),
    handler({ server }) {
      return Promise.resolve({
        schema_source: readFileSync(join(server.repo.dir, SCHEMA_FILE), 'utf8'),
      });
    },
  }),
  route({
    method: 'POST',
    path: '/schema/apply',
    operationId: 'applySchema',
    summary: 'Migrate the repo to a new .pg schema (docs/schema-language.md §Evolution)',
    tag: 'reference',
    body: S.SchemaApplyRequestSchema,
    response: S.SchemaApplyOutputSchema,
    errors: [400, 409],
    write: true,
    policy: () => ({ action: 'schema_apply', targetBranch: DEFAULT_BRANCH }),
    async handler({ body, server, actor }) {
      const out = await server.applySchema({ schemaSource: body.schema_source, actor });
      return {
        uri: server.repo.dir,
        supported: out.supported,
        applied: out.applied,
        step_count: out.steps.length,
        manifest_version: out.manifestVersion,
        steps: out.steps,
      };
    },
  }),
  route({
    method: 'POST',
    path: '/ingest',
    operationId: 'ingest',
    summary: 'Load JSONL into a branch (created from `from` when missing) as one operation',
    tag: 'reference',
    body: S.IngestRequestSchema,
    response: S.IngestOutputSchema,
    errors: [404, 409],
    bodyLimitBytes: INGEST_LIMIT_BYTES,
    write: true,
    policy: ({ body, server }) => {
      const branch = body.branch ?? DEFAULT_BRANCH;
      const change = { action: 'change', branch } as const;
      // Creating the missing branch is a branch_create too, and reads `from`.
      return server.repo.listBranches().some((b) => b.name === branch)
        ? change
        : [
            { action: 'branch_create', targetBranch: branch },
            change,
            { action: 'read', name: 'from', at: given(body.from) ?? DEFAULT_BRANCH },
          ];
    },
    handler: ingest,
  }),
];

/**
 * A JSONL load into a branch, created first from the snapshot the policy authorized as
 * `from` when it is missing (and removed again when the load fails: nothing changes).
 */
export async function loadIntoBranch(
  repo: Repo,
  args: { data: string; branch: string; from: Snapshot | undefined; mode: LoadMode; actor: string },
) {
  const created = !repo.listBranches().some((b) => b.name === args.branch);
  if (created) {
    // The policy read `from` when the branch was missing; without it nothing was checked.
    if (!args.from)
      throw new LancelogError(
        'BranchNotFound',
        `branch ${JSON.stringify(args.branch)} does not exist`,
        { branch: args.branch },
      );
    repo.createBranch(args.branch, branchStart(repo, args.from));
  }
  try {
    const result = await repo.load(
      { text: args.data, file: REQUEST_FILE },
      { mode: args.mode, branch: args.branch, actor: args.actor },
    );
    return { created, result };
  } catch (err) {
    if (created) await repo.deleteBranch(args.branch).catch(() => undefined);
    throw err;
  }
}

async function ingest({
  body,
  server,
  actor,
  reads,
}: {
  body: import('zod').infer<typeof S.IngestRequestSchema>;
  server: { repo: Repo };
  actor: string;
  reads: Record<string, Snapshot>;
}): Promise<unknown> {
  const repo = server.repo;
  const branch = body.branch ?? DEFAULT_BRANCH;
  const base = body.from ?? DEFAULT_BRANCH;
  const mode = body.mode ?? 'merge';
  const { created, result } = await loadIntoBranch(repo, {
    data: body.data,
    branch,
    from: reads.from,
    mode,
    actor,
  });
  const counts = { ...result.nodes, ...result.edges };
  return {
    uri: repo.dir,
    branch,
    base_branch: created ? base : branch,
    branch_created: created,
    mode,
    tables: Object.entries(counts).map(([type, rows]) => ({
      table_key: repo.typeDef(type).tableKey,
      rows_loaded: rows,
    })),
    actor_id: actor,
  };
}

/** The ref a `/read` reads: `snapshot`, else `branch`, else main. */
export function readRef(body: { branch?: string | null; snapshot?: string | null }): string {
  return given(body.snapshot) ?? given(body.branch) ?? DEFAULT_BRANCH;
}

/** A request field that names something: null and '' are absent. */
export function given(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}

/**
 * Where a branch created from a resolved snapshot starts: the snapshot's own branch at
 * its manifest version (its parent is that branch), or its commit when that branch is gone.
 */
export function branchStart(
  repo: Repo,
  snap: Snapshot,
): { from: string; version: number } | { commit: string } {
  return repo.listBranches().some((b) => b.name === snap.branch)
    ? { from: snap.branch, version: snap.manifestVersion }
    : { commit: snap.commitId };
}
