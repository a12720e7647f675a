/**
 * Read-only endpoints for exploring a repo's graph and history (the Explorer's Query and
 * Commits views, docs/ui.md; any client may use them): the schema as data, a `.gq`
 * check with positioned diagnostics, a node's neighbours, one branch, the index states,
 * a commit's per-table counts and a diff between any two commits with before and after
 * values. Each is guarded by `read` on the branch whose data it returns. Thin over the
 * public API, like every route.
 */
import { z } from 'zod';
import {
  DEFAULT_BRANCH,
  LancelogError,
  lintQueries,
  parseQueries,
  RepoError,
  valueTypeText,
  type ParamType,
  type ReadAt,
  type Repo,
  type TypeDef,
} from '../index.js';
import { readAtOf } from './access.js';
import { HttpError } from './errors.js';
import { route } from './route.js';

const REQUEST_FILE = '<request>';
const Json = z.record(z.string(), z.unknown());

export const CatalogOutputSchema = z
  .object({ catalog: Json })
  .meta({ id: 'CatalogOutput', description: 'The compiled schema (src/schema catalogToJSON)' });

export const QueryCheckRequestSchema = z
  .strictObject({ query_source: z.string() })
  .meta({ id: 'QueryCheckRequest' });
const Diagnostic = z.object({
  severity: z.enum(['error', 'warning']),
  code: z.string(),
  message: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  query: z.string().nullable(),
});
export const QueryCheckOutputSchema = z
  .object({
    ok: z.boolean(),
    queries: z.array(
      z.object({
        name: z.string(),
        kind: z.enum(['read', 'mutation']),
        status: z.enum(['ok', 'error']),
        params: z.array(z.object({ name: z.string(), type: z.string(), optional: z.boolean() })),
      }),
    ),
    diagnostics: z.array(Diagnostic),
  })
  .meta({ id: 'QueryCheckOutput' });

const NeighboursQuerySchema = z.strictObject({
  type: z.string().min(1),
  id: z.string().min(1),
  branch: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
const NodeOut = z.object({ type: z.string(), id: z.string(), properties: Json });
export const NeighboursOutputSchema = z
  .object({
    branch: z.string(),
    node: NodeOut,
    neighbours: z.array(NodeOut),
    edges: z.array(
      z.object({
        type: z.string(),
        id: z.string(),
        from: z.object({ type: z.string(), id: z.string() }),
        to: z.object({ type: z.string(), id: z.string() }),
        properties: Json,
      }),
    ),
    truncated: z.boolean(),
  })
  .meta({ id: 'NeighboursOutput' });

const DEFAULT_NEIGHBOURS = 50;

/** A SQL string literal (Lance filters): quotes doubled. */
function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** Lint issues, or the one syntax error, as diagnostics; the queries with their parameters. */
export function checkSource(repo: Repo, source: string) {
  let lint;
  let decls;
  try {
    decls = parseQueries(source, REQUEST_FILE).queries;
    lint = lintQueries(source, REQUEST_FILE, repo.catalog);
  } catch (err) {
    if (!(err instanceof LancelogError) || typeof err.details.line !== 'number') throw err;
    const d = err.details as { line: number; column: number; reason?: string };
    return {
      ok: false,
      queries: [],
      diagnostics: [
        {
          severity: 'error' as const,
          code: err.code,
          message: d.reason ?? err.message,
          line: d.line,
          column: d.column,
          query: null,
        },
      ],
    };
  }
  const queries = lint.map((q, i) => ({
    name: q.name,
    kind: q.kind,
    status: q.status,
    params: decls[i].params.map((p) => ({
      name: p.name,
      type: valueTypeText(p.type as ParamType),
      optional: p.optional,
    })),
  }));
  const diagnostics = lint.flatMap((q) => [
    ...q.errors.map((e) => ({ severity: 'error' as const, ...issueOut(e, q.name) })),
    ...q.warnings.map((w) => ({ severity: 'warning' as const, ...issueOut(w, q.name) })),
  ]);
  return { ok: lint.every((q) => q.status === 'ok'), queries, diagnostics };
}

function issueOut(
  i: { code: string; message: string; line: number; column: number },
  query: string,
) {
  return { code: i.code, message: i.message, line: i.line, column: i.column, query };
}

/** A node and the nodes one edge away (either direction), from the edge tables. */
export async function neighbours(
  repo: Repo,
  q: { type: string; id: string; branch: string; limit: number },
  at: ReadAt = { branch: q.branch },
) {
  const def = repo.typeDef(q.type);
  if (def.kind !== 'node')
    throw new RepoError('NotANodeType', `'${q.type}' is an edge type, not a node type`, {
      type: q.type,
    });
  const found = await repo.get(def.name, q.id, at);
  if (found === null)
    throw new HttpError('NodeNotFound', `no ${def.name} '${q.id}' on branch ${q.branch}`, {
      type: def.name,
      id: q.id,
      branch: q.branch,
    });
  const edges: Array<ReturnType<typeof edgeOut>> = [];
  let truncated = false;
  for (const e of repo.catalog.edges) {
    for (const side of ['src', 'dst'] as const) {
      if ((side === 'src' ? e.from : e.to) !== def.name) continue;
      const room = q.limit - edges.length;
      if (room <= 0) {
        truncated = true;
        continue;
      }
      const rows = await repo.scan(e.name, {
        ...at,
        where: `${side} = ${sqlString(q.id)}`,
        limit: room + 1,
      });
      if (rows.length > room) truncated = true;
      for (const r of rows.slice(0, room)) edges.push(edgeOut(e, r));
    }
  }
  const seen = new Map<string, { type: string; id: string }>();
  for (const e of edges) for (const end of [e.from, e.to]) seen.set(`${end.type}\0${end.id}`, end);
  seen.delete(`${def.name}\0${q.id}`);
  const nodes: Array<ReturnType<typeof nodeOut>> = [];
  for (const n of seen.values()) {
    const row = await repo.get(n.type, n.id, at);
    if (row !== null) nodes.push(nodeOut(n.type, row));
  }
  return {
    branch: q.branch,
    node: nodeOut(def.name, found),
    neighbours: nodes,
    edges,
    truncated,
  };
}

function nodeOut(type: string, row: Record<string, unknown>) {
  const { id, ...properties } = row;
  return { type, id: String(id), properties };
}

function edgeOut(def: TypeDef & { from?: string; to?: string }, row: Record<string, unknown>) {
  const { id, src, dst, ...properties } = row;
  return {
    type: def.name,
    id: String(id),
    from: { type: def.from!, id: String(src) },
    to: { type: def.to!, id: String(dst) },
    properties,
  };
}

export const exploreRoutes = [
  route({
    method: 'GET',
    path: '/schema/catalog',
    operationId: 'getCatalog',
    summary: 'The compiled schema as data: node and edge types, properties, keys, endpoints',
    tag: 'lancelog',
    response: CatalogOutputSchema,
    errors: [],
    policy: () => ({ action: 'read' }),
    handler({ server }) {
      return Promise.resolve({ catalog: JSON.parse(server.repo.catalogJSON()) as unknown });
    },
  }),
  route({
    method: 'POST',
    path: '/queries/check',
    operationId: 'checkQueries',
    summary:
      'Check a .gq source against the schema: each query with its parameters, and positioned errors and warnings (nothing runs)',
    tag: 'lancelog',
    body: QueryCheckRequestSchema,
    response: QueryCheckOutputSchema,
    errors: [],
    policy: () => ({ action: 'read' }),
    handler({ body, server }) {
      return Promise.resolve(checkSource(server.repo, body.query_source));
    },
  }),
  route({
    method: 'GET',
    path: '/graph/neighbours',
    operationId: 'getNeighbours',
    summary:
      "A node and its neighbours one edge away in either direction, with the edges (at a branch's head)",
    tag: 'lancelog',
    query: NeighboursQuerySchema,
    response: NeighboursOutputSchema,
    errors: [404],
    // Read at the branch's head: only the branch itself can allow it (src/server/access.ts).
    policy: ({ query }) => ({
      action: 'read',
      name: 'at',
      at: { branch: query.branch ?? DEFAULT_BRANCH },
      live: true,
    }),
    handler({ query, server, reads }) {
      const branch = query.branch ?? DEFAULT_BRANCH;
      return neighbours(
        server.repo,
        { type: query.type, id: query.id, branch, limit: query.limit ?? DEFAULT_NEIGHBOURS },
        readAtOf(reads.at, branch),
      );
    },
  }),
];
