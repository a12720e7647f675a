/**
 * `lancelog serve`: opens one repo (recovering what a crash left), listens, runs
 * recovery's roll-forward (`repo.refresh()`) every `refreshMs` and after a failed
 * write, and shuts down gracefully on SIGINT/SIGTERM: in-flight requests finish,
 * then the repo closes.
 */
import type { FastifyInstance } from 'fastify';
import { Repo, UsageError, DEFAULT_BRANCH } from '../index.js';
import { buildApp, DEFAULT_GRAPH_ID } from './app.js';
import { checkGraphFolders, readQueryDir, storedQueriesFor } from './stored-queries.js';
import { loadTokens, type TokenEntry } from './auth.js';
import { PolicyEngine } from './policy.js';
import { checkUiDir, defaultUiDir } from './ui-assets.js';
import type { ServerRepo } from './route.js';

export interface ServeOptions {
  /** The repo of `serve REPO` (single-graph routes, and graph `default`). */
  repo?: string;
  /** `serve --graph NAME=URI …`: graph id → repo directory, served at `/graphs/{graph_id}/…`. */
  graphs?: Record<string, string>;
  /** `serve --queries DIR`: stored queries, checked against each graph's schema at startup. */
  queriesDir?: string;
  host?: string;
  port?: number;
  policyFile?: string;
  /** Period of the recovery refresh (default 5 s; 0 turns it off). */
  refreshMs?: number;
  env?: NodeJS.ProcessEnv;
  logger?: boolean | Record<string, unknown>;
  /** Serve the Explorer at /ui/ (docs/ui.md): true for the built page, or a directory. */
  ui?: boolean | string;
  /** Install SIGINT/SIGTERM handlers (default true). */
  handleSignals?: boolean;
}

export interface RunningServer {
  app: FastifyInstance;
  /** The repo of `serve REPO`, or the first graph. */
  server: ServerRepo;
  graphs: ReadonlyMap<string, ServerRepo>;
  /** `http://host:port` the server listens on. */
  url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

const MERGE_OUTCOMES = {
  AlreadyUpToDate: 'already_up_to_date',
  FastForward: 'fast_forward',
  Merged: 'merged',
} as const;

/** Merge through `repo.merge`, schema apply through `repo.applySchema`, in the reference's terms. */
export function repoAdapter(repo: Repo): ServerRepo {
  return {
    repo,
    merge: async ({ source, target, actor }) => {
      const out = await repo.merge({ source, target, actor });
      return { outcome: MERGE_OUTCOMES[out.outcome] };
    },
    applySchema: async ({ schemaSource, actor }) => {
      // A refusal (unsupported step, data breaking the new rules, other branches) is a typed error.
      const out = await repo.applySchema(schemaSource, 'schema_source', { actor });
      return {
        supported: !out.plan.unsupported,
        applied: out.applied,
        steps: out.plan.steps,
        manifestVersion:
          out.manifestVersion ?? repo.snapshot({ branch: DEFAULT_BRANCH }).manifestVersion,
      };
    },
  };
}

function checkExposure(tokens: TokenEntry[], host: string, log: FastifyInstance['log']): void {
  if (tokens.length > 0) return;
  log.warn(
    { host },
    LOOPBACK.has(host)
      ? 'no tokens configured (LANCELOG_SERVER_TOKENS_JSON, LANCELOG_SERVER_TOKENS_FILE, LANCELOG_SERVER_TOKEN): requests are not authenticated; listening on loopback only'
      : `no tokens configured: requests are NOT authenticated and --host ${host} exposes the server beyond this machine`,
  );
}

/** The URL the server listens on (the bound port, when 0 asked for any). */
function listeningUrl(app: FastifyInstance, host: string, port: number): string {
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
}

/** Graceful shutdown on SIGINT/SIGTERM: in-flight requests finish, the repo closes, then exit. */
function exitOnSignals(app: FastifyInstance, close: () => Promise<void>): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

/** A graph id is one URL path segment of plain characters. */
const GRAPH_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function graphDirs(opts: ServeOptions): Array<[string, string]> {
  const graphs = Object.entries(opts.graphs ?? {});
  if (opts.repo !== undefined && graphs.length > 0)
    throw new UsageError('give a repo or --graph NAME=URI, not both', { flag: 'graph' });
  if (opts.repo !== undefined) return [[DEFAULT_GRAPH_ID, opts.repo]];
  if (graphs.length === 0)
    throw new UsageError('give a repo directory or --graph NAME=URI', { flag: 'graph' });
  for (const [id] of graphs)
    if (!GRAPH_ID.test(id))
      throw new UsageError(`--graph ${id}: a graph id is letters, digits, _ . - (at most 64)`, {
        flag: 'graph',
      });
  return graphs;
}

/** Opens every graph (recovering what a crash left) and checks the stored queries against each. */
async function openGraphs(opts: ServeOptions): Promise<Map<string, ServerRepo>> {
  const dirs = graphDirs(opts);
  const files = opts.queriesDir !== undefined ? readQueryDir(opts.queriesDir) : [];
  checkGraphFolders(
    files,
    dirs.map(([id]) => id),
  );
  const graphs = new Map<string, ServerRepo>();
  try {
    for (const [id, dir] of dirs) {
      const repo = await Repo.open(dir);
      const server = repoAdapter(repo);
      graphs.set(id, server);
      server.queries = storedQueriesFor(files, repo.catalog, id);
    }
  } catch (err) {
    for (const g of graphs.values()) await g.repo.close();
    throw err;
  }
  return graphs;
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be an integer in 0..65535, got ${port}`, { port });
  const tokens = loadTokens(opts.env ?? process.env);
  const policy = opts.policyFile !== undefined ? PolicyEngine.load(opts.policyFile) : null;
  const uiDir = opts.ui === true ? defaultUiDir() : typeof opts.ui === 'string' ? opts.ui : null;
  if (uiDir !== null) checkUiDir(uiDir); // before the repos are opened: nothing to close
  const graphs = await openGraphs(opts);
  const server = graphs.values().next().value as ServerRepo;
  let lastRefreshAt: string | null = null;
  let refreshing: Promise<void> | null = null;
  const app = buildApp({
    server: opts.repo !== undefined ? server : null,
    graphs,
    tokens,
    policy,
    logger: opts.logger,
    onWriteFailure: () => refresh(),
    lastRefreshAt: () => lastRefreshAt,
    uiDir,
  });
  const refresh = (): void => {
    refreshing ??= refreshAll(graphs, app)
      .then(() => {
        lastRefreshAt = new Date().toISOString();
      })
      .finally(() => {
        refreshing = null;
      });
  };
  checkExposure(tokens, host, app.log);
  const refreshMs = opts.refreshMs ?? 5000;
  const timer = refreshMs > 0 ? setInterval(refresh, refreshMs) : null;
  timer?.unref();
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      if (timer) clearInterval(timer);
      await app.close();
      await refreshing;
      for (const g of graphs.values()) await g.repo.close();
    })());
  try {
    await app.listen({ host, port });
  } catch (err) {
    await close();
    throw err;
  }
  const url = listeningUrl(app, host, port);
  app.log.info(
    {
      url,
      repo: server.repo.dir,
      graphs: Object.fromEntries([...graphs].map(([id, g]) => [id, g.repo.dir])),
      queries: server.queries?.list().length ?? 0,
      auth: tokens.length > 0,
      policy: opts.policyFile ?? null,
      ui: uiDir !== null ? `${url}/ui/` : null,
    },
    'lancelog serve: listening',
  );
  if (opts.handleSignals ?? true) exitOnSignals(app, close);
  return { app, server, graphs, url, close };
}

/** Recovery's roll-forward on every graph; a failure on one is logged and the others still run. */
async function refreshAll(
  graphs: ReadonlyMap<string, ServerRepo>,
  app: FastifyInstance,
): Promise<void> {
  for (const [id, g] of graphs) {
    try {
      const report = await g.repo.refresh();
      if (report && report.operations.length > 0)
        app.log.info(
          { graph_id: id, recovery: report.operations.length },
          'recovery refresh processed operations',
        );
    } catch (err) {
      app.log.error({ err, graph_id: id }, 'recovery refresh failed');
    }
  }
}
