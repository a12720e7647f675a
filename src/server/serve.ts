/**
 * `lancelog serve`: opens one repo (recovering what a crash left), listens, runs
 * recovery's roll-forward (`repo.refresh()`) every `refreshMs` and after a failed
 * write, and shuts down gracefully on SIGINT/SIGTERM: in-flight requests finish,
 * then the repo closes.
 */
import type { FastifyInstance } from 'fastify';
import { Repo, UsageError, DEFAULT_BRANCH } from '../index.js';
import { buildApp } from './app.js';
import { loadTokens, type TokenEntry } from './auth.js';
import { PolicyEngine } from './policy.js';
import { checkUiDir, defaultUiDir } from './ui-assets.js';
import type { ServerRepo } from './route.js';

export interface ServeOptions {
  repo: string;
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
  server: ServerRepo;
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

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be an integer in 0..65535, got ${port}`, { port });
  const tokens = loadTokens(opts.env ?? process.env);
  const policy = opts.policyFile !== undefined ? PolicyEngine.load(opts.policyFile) : null;
  const uiDir = opts.ui === true ? defaultUiDir() : typeof opts.ui === 'string' ? opts.ui : null;
  if (uiDir !== null) checkUiDir(uiDir); // before the repo is opened: nothing to close
  const repo = await Repo.open(opts.repo);
  const server = repoAdapter(repo);
  let lastRefreshAt: string | null = null;
  let refreshing: Promise<void> | null = null;
  const app = buildApp({
    server,
    tokens,
    policy,
    logger: opts.logger,
    onWriteFailure: () => refresh(),
    lastRefreshAt: () => lastRefreshAt,
    uiDir,
  });
  const refresh = (): void => {
    refreshing ??= repo
      .refresh()
      .then((report) => {
        lastRefreshAt = new Date().toISOString();
        if (report && report.operations.length > 0)
          app.log.info(
            { recovery: report.operations.length },
            'recovery refresh processed operations',
          );
      })
      .catch((err: unknown) => app.log.error({ err }, 'recovery refresh failed'))
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
      await repo.close();
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
      repo: repo.dir,
      auth: tokens.length > 0,
      policy: opts.policyFile ?? null,
      ui: uiDir !== null ? `${url}/ui/` : null,
    },
    'lancelog serve: listening',
  );
  if (opts.handleSignals ?? true) exitOnSignals(app, close);
  return { app, server, url, close };
}
