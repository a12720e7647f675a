/**
 * The stored-query catalog (`serve --queries DIR`): `GET /queries` lists each query with
 * its kind and typed parameters; `POST /queries/{name}` invokes one by name under the
 * policy action `invoke_query`, then `read` (a read) or `change` (a mutation) on the
 * branch it touches. A query the caller may not invoke answers 404 exactly as an unknown
 * one does, so names cannot be probed.
 */
import { z } from 'zod';
import { DEFAULT_BRANCH } from '../index.js';
import * as S from './api-schemas.js';
import { HttpError } from './errors.js';
import { commitOut } from './routes-admin.js';
import { IF_COMMIT_HEADER, ifCommitOf, runChange, runRead } from './routes-data.js';
import { route, type PolicyTarget, type RouteContext } from './route.js';
import { readRefOf } from './routes-current.js';
import { EMPTY_QUERIES, type StoredQuery } from './stored-queries.js';

const KINDS = [
  'string',
  'bool',
  'int',
  'bigint',
  'float',
  'date',
  'datetime',
  'blob',
  'vector',
  'list',
] as const;
const ParamKindSchema = z.enum(KINDS).meta({ id: 'ParamKind' });
const ParamDescriptorSchema = z
  .object({
    name: z.string(),
    kind: ParamKindSchema,
    nullable: z.boolean(),
    item_kind: ParamKindSchema.nullable(),
    vector_dim: z.number().int().nullable(),
    type: z.string(),
  })
  .meta({ id: 'ParamDescriptor' });
export const QueryCatalogSchema = z
  .object({
    queries: z.array(
      z
        .object({
          name: z.string(),
          tool_name: z.string(),
          mutation: z.boolean(),
          kind: z.enum(['read', 'mutation']),
          params: z.array(ParamDescriptorSchema),
          description: z.string().nullable(),
          instruction: z.string().nullable(),
          /** Marked `@expose` in its file: offered as a tool by `lancelog mcp`. */
          expose: z.boolean(),
        })
        .meta({ id: 'QueryCatalogEntry' }),
    ),
  })
  .meta({ id: 'QueriesCatalogOutput' });

export const InvokeRequestSchema = z
  .object({
    params: z.unknown().optional(),
    branch: z.string().min(1).nullable().optional(),
    snapshot: z.string().min(1).nullable().optional(),
    /** Assert the query's kind: a mismatch is a 400 and nothing runs. */
    expect_mutation: z.boolean().nullable().optional(),
  })
  .meta({ id: 'InvokeStoredQueryRequest' });
const InvokeOutputSchema = z
  .union([S.ReadOutputSchema, S.ChangeOutputSchema])
  .meta({ id: 'InvokeStoredQueryResponse' });
const NamePath = z.object({ name: z.string().min(1) });

export function catalogEntry(q: StoredQuery) {
  return {
    name: q.name,
    tool_name: q.name,
    mutation: q.kind === 'mutation',
    kind: q.kind,
    params: q.params,
    description: q.description,
    instruction: q.instruction,
    expose: q.expose,
  };
}

type InvokeBody = z.infer<typeof InvokeRequestSchema> | undefined;
type InvokeCtx = RouteContext<InvokeBody, undefined, z.infer<typeof NamePath>>;

function checkAllowed(ctx: InvokeCtx, target: PolicyTarget): void {
  if (!ctx.allows(target))
    throw new HttpError('Forbidden', `policy denied ${target.action}`, {
      action: target.action,
      actor: ctx.actor,
    });
}

/**
 * Looks a query up under `invoke_query` at the ref (allowed by a branch whose history has
 * the commit, as a read is); unknown and denied are the same 404.
 */
function invocable(ctx: InvokeCtx, ref: string): StoredQuery {
  const name = ctx.params.name;
  const q = (ctx.server.queries ?? EMPTY_QUERIES).get(name);
  if (q && invokeAllowed(ctx, ref, q.kind === 'mutation')) return q;
  throw new HttpError('StoredQueryNotFound', `no stored query '${name}'`, { name });
}

/** A mutation writes the named branch: only that branch itself may allow invoking it. */
function invokeAllowed(ctx: InvokeCtx, ref: string, mutation: boolean): boolean {
  try {
    ctx.authorizeRead({ action: 'invoke_query', name: 'invoke', at: ref, live: mutation });
    return true;
  } catch (err) {
    if (err instanceof HttpError && err.code === 'Forbidden') return false;
    throw err;
  }
}

async function invoke(ctx: InvokeCtx, ifCommit?: string) {
  const body = ctx.body ?? {};
  const repo = ctx.server.repo;
  // The ref is resolved before the name is looked up: a bad ref answers alike for every name.
  const ref = readRefOf(body.branch, body.snapshot, 'body');
  repo.resolveRef(ref);
  const branch = body.branch ?? DEFAULT_BRANCH;
  const q = invocable(ctx, ref);
  const mutation = q.kind === 'mutation';
  if (typeof body.expect_mutation === 'boolean' && body.expect_mutation !== mutation)
    throw new HttpError('InvalidRequest', `stored query '${q.name}' is a ${q.kind}`, {
      field: 'body.expect_mutation',
    });
  if (!mutation) {
    if (ifCommit !== undefined)
      throw new HttpError('InvalidRequest', `stored query '${q.name}' is a read`, {
        field: 'Omnigraph-If-Graph-Commit',
      });
    // The read is authorized by the commit it reads, like every read at a ref.
    const at = ctx.authorizeRead({ action: 'read', name: 'at', at: ref });
    return runRead(repo, at, ref, {
      source: q.source,
      file: q.file,
      name: q.name,
      params: body.params,
    });
  }
  if (body.snapshot)
    throw new HttpError('InvalidRequest', 'a stored mutation cannot take a snapshot', {
      field: 'body.snapshot',
    });
  checkAllowed(ctx, { action: 'change', branch });
  const out = await runChange(
    repo,
    { query_source: q.source, query_name: q.name, params: body.params, branch },
    ctx.actor,
    ifCommit,
    q.file,
  );
  return {
    ...out,
    commit: out.graph_commit_id ? commitOut(repo.getCommit(out.graph_commit_id)) : null,
  };
}

export const storedQueryRoutes = [
  route({
    method: 'GET',
    path: '/queries',
    operationId: 'listQueries',
    summary:
      'The stored queries (serve --queries) the caller may invoke at a branch (default main): name, kind, typed parameters, description',
    tag: 'reference',
    query: z.strictObject({ branch: z.string().min(1).optional() }),
    response: QueryCatalogSchema,
    errors: [],
    policy: () => ({ action: 'read' }),
    handler({ server, query, allows }) {
      // A caller who may not invoke sees no names: the list never tells what a 404 hides.
      const invocable = allows({ action: 'invoke_query', branch: query.branch ?? DEFAULT_BRANCH });
      return Promise.resolve({
        queries: invocable ? (server.queries ?? EMPTY_QUERIES).list().map(catalogEntry) : [],
      });
    },
  }),
  route({
    method: 'POST',
    path: '/queries/{name}',
    operationId: 'invokeQuery',
    summary:
      'Invoke a stored query by name (invoke_query, then read or change); unknown and not allowed are both 404',
    tag: 'reference',
    params: NamePath,
    body: InvokeRequestSchema.optional(),
    response: InvokeOutputSchema,
    errors: [404, 409],
    write: true,
    handler(ctx) {
      if (ctx.headers[IF_COMMIT_HEADER] !== undefined)
        throw new HttpError(
          'InvalidRequest',
          'Omnigraph-If-Graph-Commit is accepted only on POST /queries/{name}/if-graph-commit',
          { field: 'Omnigraph-If-Graph-Commit' },
        );
      return invoke(ctx);
    },
  }),
  route({
    method: 'POST',
    path: '/queries/{name}/if-graph-commit',
    operationId: 'invokeQueryIfGraphCommit',
    summary:
      'Invoke a stored mutation only if the branch head is still the commit in Omnigraph-If-Graph-Commit (412 otherwise)',
    tag: 'reference',
    params: NamePath,
    body: InvokeRequestSchema.optional(),
    response: S.ChangeOutputSchema,
    errors: [404, 409, 412],
    write: true,
    handler(ctx) {
      return invoke(ctx, ifCommitOf(ctx.headers));
    },
  }),
];
