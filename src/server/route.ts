/**
 * One endpoint of the server: its method and path, the zod schemas of its inputs
 * and outputs (the handler parses with the same schemas /openapi.json is generated
 * from), the policy action it needs and the handler.
 */
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { Repo } from '../index.js';
import type { AuthorizedRead, ReadTarget } from './access.js';
import type { PolicyAction } from './policy.js';
import type { StoredQuerySet } from './stored-queries.js';

/** What a merge answers (the reference's BranchMergeOutput less actor_id). */
export interface MergeOutcome {
  outcome: 'already_up_to_date' | 'fast_forward' | 'merged';
  graphCommitId?: string | null;
}

/** What a schema apply answers (the reference's SchemaApplyOutput less uri). */
export interface SchemaApplyOutcome {
  supported: boolean;
  applied: boolean;
  steps: unknown[];
  manifestVersion: number;
}

/**
 * The repo the server serves, with its merge and schema apply in the reference's
 * terms (outcome spellings, the plan's steps): src/server/serve.ts `repoAdapter`.
 */
export interface ServerRepo {
  repo: Repo;
  /** The stored queries checked against this graph's schema (`serve --queries`); none: empty. */
  queries?: StoredQuerySet;
  merge: (args: { source: string; target: string; actor: string }) => Promise<MergeOutcome>;
  applySchema: (args: { schemaSource: string; actor: string }) => Promise<SchemaApplyOutcome>;
}

/** A handler's answer when it has sent the reply itself (a stream). */
export const REPLY_SENT = Symbol('reply sent');

/** What a handler gets: the parsed inputs, the actor and the repo. */
export interface RouteContext<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  actor: string;
  server: ServerRepo;
  reply: FastifyReply;
  /** The snapshot each read target of the route's policy resolved to, by its name: read exactly these. */
  reads: Record<string, AuthorizedRead>;
  /** The request's headers (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  /** Runs recovery's roll-forward now (after a failed write). */
  refresh(): void;
  /** The graph addressed (`/graphs/{graph_id}/…`), or null on a single-graph route. */
  graphId: string | null;
  /** Asks the policy about a branch target; false when it denies (logged either way). */
  allows(target: BranchTarget): boolean;
  /** Resolves and authorizes a read decided in the handler (403 when no branch allows it). */
  authorizeRead(target: ReadTarget): AuthorizedRead;
}

/** What the policy is asked for a request about a branch by its name (a write, a branch to create). */
export interface BranchTarget {
  action: PolicyAction;
  branch?: string | null;
  targetBranch?: string | null;
}

/**
 * What the policy is asked for a request: a branch by name, or a read at a ref, which is
 * checked against the commit it resolves to (src/server/access.ts).
 */
export type PolicyTarget = BranchTarget | ReadTarget;

export function isReadTarget(t: PolicyTarget): t is ReadTarget {
  return 'at' in t;
}

export interface RouteDef<B = unknown, Q = unknown, P = unknown> {
  method: 'GET' | 'POST' | 'DELETE';
  /** OpenAPI form (`/branches/{branch}`). */
  path: string;
  operationId: string;
  summary: string;
  tag: 'reference' | 'lancelog';
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  /** The 200 response: a JSON schema, NDJSON (`/export`), or bytes (`/blob`: also 206, 304). */
  response: z.ZodType | 'ndjson' | 'binary';
  /** The error statuses the route can answer besides 401/403/400. */
  errors: number[];
  /** Body limit in bytes (default 1 MiB). */
  bodyLimitBytes?: number;
  /** False: no authentication, no policy (`/healthz`, `/openapi.json`). */
  auth?: false;
  /**
   * `graph` (default): served per graph, at `/graphs/{graph_id}` + path, and at the path
   * itself for the repo of `serve REPO`; `server`: once, at the path (`/healthz`, `/graphs`).
   */
  scope?: 'graph' | 'server';
  /** A deprecated alias: answered with `Deprecation: true` and a `Link` to this successor path. */
  successor?: string;
  /** The request body's media type when it is not JSON (`application/x-ndjson`). */
  bodyMediaType?: string;
  /**
   * The policy actions (and branches) the request needs; every one must be allowed. A
   * read target is resolved and checked even without a policy: the handler reads its
   * snapshot (`ctx.reads`).
   */
  policy?: (input: {
    body: B;
    query: Q;
    params: P;
    server: ServerRepo;
  }) => PolicyTarget | PolicyTarget[];
  /** A write: a failure that is not the request's fault triggers a recovery refresh. */
  write?: boolean;
  handler(ctx: RouteContext<B, Q, P>): Promise<unknown>;
}

/** Declares a route with its input types inferred from its schemas. */
export function route<B = undefined, Q = undefined, P = undefined>(
  def: RouteDef<B, Q, P>,
): RouteDef<unknown, unknown, unknown> {
  return def as unknown as RouteDef<unknown, unknown, unknown>;
}
