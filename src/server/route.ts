/**
 * One endpoint of the server: its method and path, the zod schemas of its inputs
 * and outputs (the handler parses with the same schemas /openapi.json is generated
 * from), the policy action it needs and the handler.
 */
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { Repo } from '../index.js';
import type { PolicyAction } from './policy.js';

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
 * The repo the server serves, plus the operations that are not on `Repo` in every
 * build: a build that has branch merge or schema apply passes them here
 * (src/server/serve.ts `repoAdapter`); without them their endpoints answer 501.
 */
export interface ServerRepo {
  repo: Repo;
  merge?: (args: { source: string; target: string; actor: string }) => Promise<MergeOutcome>;
  applySchema?: (args: { schemaSource: string; actor: string }) => Promise<SchemaApplyOutcome>;
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
  /** The request's headers (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  /** Runs recovery's roll-forward now (after a failed write). */
  refresh(): void;
}

/** What the policy is asked for a request. */
export interface PolicyTarget {
  action: PolicyAction;
  branch?: string | null;
  targetBranch?: string | null;
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
  /** The 200 response: a JSON schema, or NDJSON (`/export`). */
  response: z.ZodType | 'ndjson';
  /** The error statuses the route can answer besides 401/403/400. */
  errors: number[];
  /** Body limit in bytes (default 1 MiB). */
  bodyLimitBytes?: number;
  /** False: no authentication, no policy (`/healthz`, `/openapi.json`). */
  auth?: false;
  /** The policy actions (and branches) the request needs; every one must be allowed. */
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
