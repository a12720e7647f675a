/**
 * The HTTP server (fastify): routes from src/server/routes-*.ts, authentication by
 * bearer token, the policy check, the `{ error, code }` error contract, body limits,
 * request and decision logging through fastify's logger (pino).
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { actorForToken, bearerToken, type TokenEntry } from './auth.js';
import { parseJsonBody } from './body.js';
import { HttpError, referenceCode, toErrorResponse } from './errors.js';
import { openApiDocument } from './openapi.js';
import type { PolicyEngine } from './policy.js';
import * as S from './api-schemas.js';
import { authorizeRead, type AuthorizedRead, type ReadDecisionLog } from './access.js';
import {
  isReadTarget,
  REPLY_SENT,
  route,
  type BranchTarget,
  type PolicyTarget,
  type RouteDef,
  type ServerRepo,
} from './route.js';
import { dataRoutes } from './routes-data.js';
import { adminRoutes, healthOf } from './routes-admin.js';
import { abortChangeStreams, changeRoutes } from './routes-changes.js';
import { exploreRoutes } from './routes-explore.js';
import { historyRoutes } from './routes-history.js';
import { auditRoutes } from './routes-audit.js';
import { registerUi } from './ui-assets.js';
import { currentRoutes, graphListRoute } from './routes-current.js';
import { storedQueryRoutes } from './routes-stored-queries.js';
import { blobRoutes } from './routes-blob.js';

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
/** The actor of requests to a server without tokens. */
export const ANONYMOUS_ACTOR = 'anonymous';

export interface AppOptions {
  /** The repo of `serve REPO`: served at the single-graph paths and as graph `default`. */
  server?: ServerRepo | null;
  /** The graphs of `serve --graph NAME=URI …`, served at `/graphs/{graph_id}/…` only. */
  graphs?: ReadonlyMap<string, ServerRepo>;
  /** Hashed tokens; empty: no authentication. */
  tokens: TokenEntry[];
  policy: PolicyEngine | null;
  /** fastify's logger option: pino options (`{ level, stream }`), true, or false. */
  logger?: boolean | Record<string, unknown>;
  /** Called after a write failed for a reason that is not the request's (recovery roll-forward). */
  onWriteFailure?: () => void;
  /** When the last periodic refresh ran (reported by /healthz). */
  lastRefreshAt?: () => string | null;
  /** Serve the Explorer (docs/ui.md) from this directory at /ui/ (default: not served). */
  uiDir?: string | null;
}

/** The graph id of the repo `serve REPO` serves, under `/graphs/{graph_id}/…`. */
export const DEFAULT_GRAPH_ID = 'default';

/** Every graph the app serves, by id (the single repo of `serve REPO` as `default`). */
export function graphsOf(opts: AppOptions): ReadonlyMap<string, ServerRepo> {
  if (opts.graphs && opts.graphs.size > 0) return opts.graphs;
  return new Map(opts.server ? [[DEFAULT_GRAPH_ID, opts.server]] : []);
}

/** Every route: the reference API, Lancelog's own, /healthz, /graphs and /openapi.json. */
export function allRoutes(
  lastRefreshAt: () => string | null = () => null,
  graphs: () => ReadonlyMap<string, ServerRepo> = () => new Map(),
): RouteDef[] {
  const routes: RouteDef[] = [
    route({
      method: 'GET',
      path: '/healthz',
      operationId: 'health',
      summary: 'Liveness, version, and the state of the repo (or every graph) and its journal',
      tag: 'reference',
      response: S.HealthSchema,
      errors: [],
      auth: false,
      scope: 'server',
      handler: ({ server }) => Promise.resolve(healthOf(server, lastRefreshAt(), graphs())),
    }),
    graphListRoute(graphs),
    ...dataRoutes,
    ...currentRoutes,
    ...storedQueryRoutes,
    ...blobRoutes,
    ...adminRoutes,
    ...changeRoutes,
    ...exploreRoutes,
    ...historyRoutes,
    ...auditRoutes,
  ];
  routes.push(
    route({
      method: 'GET',
      path: '/openapi.json',
      operationId: 'openapi',
      summary: 'This document',
      tag: 'lancelog',
      response: S.OpenApiSchema,
      errors: [],
      auth: false,
      scope: 'server',
      handler: () => Promise.resolve(openApiDocument(routes)),
    }),
  );
  return routes;
}

/** 64-bit integers the JS number cannot hold exactly are sent as strings. */
function jsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'bigint'
      ? v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(v)
        : v.toString()
      : v,
  );
}

function parseInput<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const parsed = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = [where, ...issue.path.map(String)].join('.');
  throw new HttpError('InvalidRequest', `${field}: ${issue.message}`, {
    field,
    issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
  });
}

/** The actor of a request (401 when tokens are configured and it has none or a wrong one). */
function authenticate(tokens: TokenEntry[], request: FastifyRequest): string {
  if (tokens.length === 0) return ANONYMOUS_ACTOR;
  const token = bearerToken(request.headers.authorization);
  if (token === null) throw new HttpError('Unauthorized', 'missing bearer token');
  const actor = actorForToken(tokens, token);
  if (actor === null) throw new HttpError('Unauthorized', 'invalid bearer token');
  return actor;
}

/** The policy's decision for one branch target, logged with the request. */
function decide(
  opts: AppOptions,
  request: FastifyRequest,
  actor: string,
  t: BranchTarget,
  graphId: string | null,
): { allowed: boolean; reason: string } {
  const decision = opts.policy
    ? opts.policy.authorize({
        actor,
        action: t.action,
        branch: t.branch,
        targetBranch: t.targetBranch,
      })
    : { allowed: true, rule: null, reason: 'no policy configured' };
  request.log.info(
    {
      policy: {
        actor,
        action: t.action,
        graph_id: graphId,
        branch: t.branch ?? null,
        target_branch: t.targetBranch ?? null,
        decision: decision.allowed ? 'allow' : 'deny',
        rule: decision.rule,
        reason: decision.reason,
      },
    },
    'policy decision',
  );
  return decision;
}

/** The request a handler runs for: who, on which graph, and how to ask the policy more. */
interface Caller {
  opts: AppOptions;
  request: FastifyRequest;
  actor: string;
  server: ServerRepo;
  graphId: string | null;
}

function authorize(c: Caller, targets: BranchTarget[]): void {
  for (const t of targets) {
    const decision = decide(c.opts, c.request, c.actor, t, c.graphId);
    if (!decision.allowed)
      throw new HttpError('Forbidden', `policy denied: ${decision.reason}`, {
        action: t.action,
        actor: c.actor,
      });
  }
}

function readAccess(c: Caller) {
  return {
    repo: c.server.repo,
    policy: c.opts.policy,
    actor: c.actor,
    log: (policy: ReadDecisionLog) =>
      c.request.log.info({ policy: { ...policy, graph_id: c.graphId } }, 'policy decision'),
  };
}

/**
 * Asks the policy for every target of the route (branch targets by name, read targets
 * by the commit they resolve to); returns the snapshots the read targets resolved to.
 */
function checkPolicy(
  c: Caller,
  def: RouteDef,
  input: { body: unknown; query: unknown; params: unknown },
): Record<string, AuthorizedRead> {
  if (!def.policy) return {};
  const given = def.policy({ ...input, server: c.server });
  const targets: PolicyTarget[] = Array.isArray(given) ? given : [given];
  authorize(
    c,
    targets.filter((t): t is BranchTarget => !isReadTarget(t)),
  );
  const reads: Record<string, AuthorizedRead> = {};
  for (const t of targets.filter(isReadTarget)) reads[t.name] = authorizeRead(readAccess(c), t);
  return reads;
}

/** The served repo a request addresses: by `graph_id` on a graph route, else the single repo. */
function serverOf(
  opts: AppOptions,
  graphs: ReadonlyMap<string, ServerRepo>,
  graphId: string | null,
): ServerRepo {
  const server =
    graphId === null ? (opts.server ?? graphs.values().next().value) : graphs.get(graphId);
  if (!server)
    throw new HttpError('GraphNotFound', `no graph '${graphId ?? ''}' is served here`, {
      graph_id: graphId,
    });
  return server;
}

/** The path parameters of the route itself (`graph_id` is the prefix's). */
function routeParams(request: FastifyRequest): Record<string, unknown> {
  const { graph_id: _g, ...rest } = (request.params ?? {}) as Record<string, unknown>;
  return rest;
}

/** A deprecated alias answers with `Deprecation` and a `Link` to its successor. */
function markDeprecated(def: RouteDef, reply: FastifyReply, graphId: string | null): void {
  if (def.successor === undefined) return;
  const prefix = graphId === null ? '' : `/graphs/${encodeURIComponent(graphId)}`;
  void reply
    .header('deprecation', 'true')
    .header('link', `<${prefix}${def.successor}>; rel="successor-version"`);
}

function register(
  app: FastifyInstance,
  def: RouteDef,
  opts: AppOptions,
  graphs: ReadonlyMap<string, ServerRepo>,
  prefixed: boolean,
): void {
  app.route({
    method: def.method,
    url: (prefixed ? '/graphs/:graph_id' : '') + def.path.replace(/\{(\w+)\}/g, ':$1'),
    bodyLimit: def.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const actor = def.auth === false ? ANONYMOUS_ACTOR : authenticate(opts.tokens, request);
      // After authentication: a caller without a token cannot probe which graphs exist.
      const graphId = prefixed ? String((request.params as { graph_id: string }).graph_id) : null;
      const c: Caller = { opts, request, actor, graphId, server: serverOf(opts, graphs, graphId) };
      const input = {
        body: parseInput(def.body, request.body, 'body'),
        query: parseInput(def.query, request.query, 'query'),
        params: parseInput(def.params, routeParams(request), 'path'),
      };
      const reads = def.auth !== false ? checkPolicy(c, def, input) : {};
      markDeprecated(def, reply, graphId);
      try {
        const out = await def.handler({
          ...input,
          actor,
          server: c.server,
          reply,
          reads,
          headers: request.headers,
          refresh: () => opts.onWriteFailure?.(),
          graphId,
          allows: (t) => decide(opts, request, actor, t, graphId).allowed,
          authorizeRead: (t) => authorizeRead(readAccess(c), t),
        });
        // A reply is thenable: handlers that stream answer REPLY_SENT, never the reply.
        if (out === REPLY_SENT) return reply;
        return reply.type('application/json').send(jsonText(out));
      } catch (err) {
        if (def.write && toErrorResponse(err).status >= 500) opts.onWriteFailure?.();
        throw err;
      }
    },
  });
}

/** The error shape for a status fastify or Node decided (no Lancelog error behind it). */
function frameworkError(status: number, message: string, fastifyCode: string): string {
  return jsonText({ error: message, code: referenceCode(status), lancelog_code: fastifyCode });
}

/**
 * A request Node's HTTP parser refused before fastify saw it (headers too large,
 * a malformed request line, a timeout): answered on the socket in the error shape.
 */
function onClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status =
    err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = frameworkError(
    status,
    `${STATUS_CODES[status]}: the request was refused before it reached a route`,
    err.code ?? 'ClientError',
  );
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(err);
}

/**
 * Every route once per family: the single-graph paths for the repo of `serve REPO`, the
 * graph paths for every graph; `/healthz`, `/graphs` and `/openapi.json` once.
 */
function registerRoutes(app: FastifyInstance, opts: AppOptions): void {
  const graphs = graphsOf(opts);
  // Raw NDJSON bodies (`/load/ndjson`) reach the handler as text; their route sets the limit.
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );
  for (const def of allRoutes(opts.lastRefreshAt, () => graphs)) {
    if (def.scope === 'server') {
      register(app, def, opts, graphs, false);
      continue;
    }
    if (opts.server) register(app, def, opts, graphs, false);
    register(app, def, opts, graphs, true);
  }
}

export function buildApp(opts: AppOptions): FastifyInstance {
  const app = Fastify({
    logger: opts.logger ?? true,
    bodyLimit: DEFAULT_BODY_LIMIT_BYTES,
    // Keep-alive connections that are idle are closed on shutdown; busy ones finish.
    forceCloseConnections: 'idle',
    // A URL that is not decodable (400) or a path parameter past the limit (414).
    frameworkErrors: (err, _request, reply) => {
      const status = err.statusCode ?? 400;
      const raw = reply as unknown as FastifyReply;
      void raw
        .status(status)
        .type('application/json')
        .send(frameworkError(status, err.message, err.code));
    },
    clientErrorHandler: onClientError,
  });
  // Bodies as bytes: checked as UTF-8, then parsed with exact 64-bit integers.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.setErrorHandler((err: unknown, request, reply) => {
    const fastifyStatus = (err as { statusCode?: number }).statusCode;
    const mapped =
      !(err instanceof Error && 'details' in err) &&
      typeof fastifyStatus === 'number' &&
      fastifyStatus < 500
        ? {
            status: fastifyStatus,
            body: {
              error: (err as Error).message,
              code: referenceCode(fastifyStatus),
              lancelog_code: (err as { code?: string }).code ?? 'BadRequest',
            },
          }
        : toErrorResponse(err);
    if (mapped.status >= 500) request.log.error({ err }, 'request failed');
    void reply.status(mapped.status).type('application/json').send(jsonText(mapped.body));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .type('application/json')
      .send(jsonText({ error: `no route ${request.method} ${request.url}`, code: 'not_found' }));
  });
  registerRoutes(app, opts);
  if (opts.uiDir) registerUi(app, opts.uiDir);
  // Live change streams never end by themselves: end them so a shutdown can finish.
  app.addHook('preClose', (done) => {
    abortChangeStreams();
    done();
  });
  return app;
}
