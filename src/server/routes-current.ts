/**
 * The routes of the reference's current API that the 0.3.0 one lacks: `GET /graphs`,
 * `POST /query` and `POST /mutate` (the canonical names of `/read` and `/change`, with the
 * short field names `query` and `name`), and `POST /load/ndjson` (a raw NDJSON body).
 * Each runs through the same functions as its older sibling (routes-data.ts).
 */
import { z } from 'zod';
import { DEFAULT_BRANCH, parseQueries, type Repo } from '../index.js';
import * as S from './api-schemas.js';
import { HttpError } from './errors.js';
import { commitOut } from './routes-admin.js';
import { IF_COMMIT_HEADER, loadIntoBranch, readRef, runChange, runRead } from './routes-data.js';
import { route, type RouteDef, type ServerRepo } from './route.js';

const nullableString = z.string().nullable().optional();
const NDJSON_LIMIT_BYTES = 32 * 1024 * 1024;

export const GraphListSchema = z
  .object({
    graphs: z.array(z.object({ graph_id: z.string(), uri: z.string() }).meta({ id: 'GraphInfo' })),
  })
  .meta({ id: 'GraphListResponse' });

export const QueryRequestSchema = z
  .object({
    /** The .gq source: one or more named read queries. */
    query: z.string(),
    /** Which query of the source to run (optional when it declares one). */
    name: nullableString,
    params: z.unknown().optional(),
    branch: nullableString,
    /** A graph commit id to read at; exclusive with `branch`. */
    snapshot: nullableString,
  })
  .meta({ id: 'QueryRequest' });
export const QueryOutputSchema = S.ReadOutputSchema.extend({
  /** The commit the rows were read at. */
  graph_commit_id: nullableString,
}).meta({ id: 'QueryOutput' });

export const MutateRequestSchema = z
  .object({
    query: z.string(),
    name: nullableString,
    params: z.unknown().optional(),
    branch: nullableString,
  })
  .meta({ id: 'MutateRequest' });
export const MutateOutputSchema = S.ChangeOutputSchema.extend({
  /** The commit the mutation made; null when nothing changed. */
  commit: S.CommitSchema.nullable(),
}).meta({ id: 'MutateOutput' });

const LoadQuerySchema = z.strictObject({
  branch: z.string().min(1).optional(),
  /** Create a missing branch from this one (without it a missing branch is a 404). */
  from: z.string().min(1).optional(),
  mode: S.LoadModeSchema.optional(),
});
const DeclarationSchema = z.object({ name: z.string(), entities_loaded: z.number().int() });
export const GraphBatchLoadSchema = z
  .object({
    branch: z.string(),
    base_branch: nullableString,
    branch_created: z.boolean(),
    mode: S.LoadModeSchema,
    nodes: z.array(DeclarationSchema),
    edges: z.array(DeclarationSchema),
    total_entities: z.number().int(),
    actor_id: nullableString,
    commit: S.CommitSchema.nullable(),
  })
  .meta({ id: 'GraphBatchLoadOutput' });

/** The kind of the query a request runs, checked before any policy decision is acted on. */
function kindOf(source: string, name: string | null | undefined): 'read' | 'mutation' {
  const decls = parseQueries(source, '<request>').queries;
  const decl = name ? decls.find((d) => d.name === name) : decls.length === 1 ? decls[0] : null;
  return decl?.body.kind === 'mutation' ? 'mutation' : 'read';
}

/**
 * The ref a read names: `snapshot` (a commit, authorized by the commit it is), else
 * `branch`, else main; both given is a 400 before anything is looked up.
 */
export function readRefOf(
  branch: string | null | undefined,
  snapshot: string | null | undefined,
  where: 'body' | 'query',
): string {
  if (branch && snapshot)
    throw new HttpError('InvalidRequest', `${where}: give branch or snapshot, not both`, {
      field: `${where}.snapshot`,
    });
  return readRef({ branch, snapshot });
}

function commitOf(repo: Repo, id: string | null) {
  return id === null ? null : commitOut(repo.getCommit(id));
}

/** `GET /graphs`: needs `graph_list`; lists every served graph (never under a graph prefix). */
export function graphListRoute(graphs: () => ReadonlyMap<string, ServerRepo>): RouteDef {
  return route({
    method: 'GET',
    path: '/graphs',
    operationId: 'listGraphs',
    summary: 'The graphs this server serves, by id',
    tag: 'reference',
    response: GraphListSchema,
    errors: [],
    scope: 'server',
    policy: () => ({ action: 'graph_list' }),
    handler: () =>
      Promise.resolve({
        graphs: [...graphs()]
          .map(([id, g]) => ({ graph_id: id, uri: g.repo.dir }))
          .sort((a, b) => a.graph_id.localeCompare(b.graph_id)),
      }),
  });
}

export const currentRoutes = [
  route({
    method: 'POST',
    path: '/query',
    operationId: 'query',
    summary: 'Run a named .gq read query at a branch (default main) or a commit (snapshot)',
    tag: 'reference',
    body: QueryRequestSchema,
    response: QueryOutputSchema,
    errors: [404],
    policy: ({ body }) => ({
      action: 'read',
      name: 'at',
      at: readRefOf(body.branch, body.snapshot, 'body'),
    }),
    async handler({ body, server, reads }) {
      if (kindOf(body.query, body.name) === 'mutation')
        throw new HttpError('InvalidRequest', 'body.query: a mutation; send it to /mutate', {
          field: 'body.query',
        });
      const out = await runRead(server.repo, reads.at, readRef(body), {
        source: body.query,
        name: body.name,
        params: body.params,
      });
      return { ...out, graph_commit_id: out.target.snapshot };
    },
  }),
  route({
    method: 'POST',
    path: '/mutate',
    operationId: 'mutate',
    summary: 'Run a named .gq mutation as one atomic operation',
    tag: 'reference',
    body: MutateRequestSchema,
    response: MutateOutputSchema,
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
      const out = await runChange(
        server.repo,
        {
          query_source: body.query,
          query_name: body.name,
          params: body.params,
          branch: body.branch,
        },
        actor,
      );
      return { ...out, commit: commitOf(server.repo, out.graph_commit_id) };
    },
  }),
  route({
    method: 'POST',
    path: '/load/ndjson',
    operationId: 'loadNdjson',
    summary:
      'Load raw NDJSON (the load format, Content-Type application/x-ndjson) into a branch as one operation',
    tag: 'reference',
    query: LoadQuerySchema,
    body: z.string(),
    bodyMediaType: 'application/x-ndjson',
    response: GraphBatchLoadSchema,
    errors: [404, 409],
    bodyLimitBytes: NDJSON_LIMIT_BYTES,
    write: true,
    policy: ({ query, server }) => {
      const branch = query.branch ?? DEFAULT_BRANCH;
      const change = { action: 'change', branch } as const;
      const exists = server.repo.listBranches().some((b) => b.name === branch);
      // A missing branch is created from `from`: a branch_create, and a read of `from`.
      return exists || query.from === undefined
        ? change
        : [
            { action: 'branch_create', targetBranch: branch },
            change,
            { action: 'read', name: 'from', at: query.from },
          ];
    },
    async handler({ query, body, server, actor, reads }) {
      const repo = server.repo;
      const branch = query.branch ?? DEFAULT_BRANCH;
      const mode = query.mode ?? 'merge';
      const { created, result } = await loadIntoBranch(repo, {
        data: body,
        branch,
        from: reads.from,
        mode,
        actor,
      });
      const decl = (counts: Record<string, number>) =>
        Object.entries(counts).map(([name, n]) => ({ name, entities_loaded: n }));
      const nodes = decl(result.nodes);
      const edges = decl(result.edges);
      return {
        branch,
        base_branch: created ? (query.from ?? null) : branch,
        branch_created: created,
        mode,
        nodes,
        edges,
        total_entities: [...nodes, ...edges].reduce((n, d) => n + d.entities_loaded, 0),
        actor_id: actor,
        commit: commitOf(repo, result.commitId),
      };
    },
  }),
];
