/**
 * `lancelog ui REPO`: the Explorer on this machine only. A `lancelog serve --ui` bound to
 * 127.0.0.1 (no --host: it never listens beyond loopback). When no token is configured in
 * the environment, a random one is made for this run (actor `ui`) and put in the URL's
 * fragment, which the browser never sends to a server: the page reads it, keeps it for the
 * tab and sends it as the bearer token, so another local user who finds the port cannot
 * read the repo. With tokens configured, the page asks for one.
 */
import { randomBytes } from 'node:crypto';
import { loadTokens, TOKEN_ENV } from './auth.js';
import { startServer, type RunningServer, type ServeOptions } from './serve.js';
import { UI_PREFIX } from './ui-assets.js';

/** The actor of the token `lancelog ui` makes when none is configured. */
export const EXPLORER_ACTOR = 'ui';

export interface ExplorerOptions extends Pick<
  ServeOptions,
  'repo' | 'port' | 'policyFile' | 'refreshMs' | 'logger' | 'handleSignals' | 'env'
> {
  /** The page's directory (default: the built page). */
  uiDir?: string;
}

export interface RunningExplorer extends RunningServer {
  /** The page's URL (with `#token=` when this run made the token). */
  pageUrl: string;
  /** The token this run made, or null when the environment configures tokens. */
  token: string | null;
}

export async function startExplorer(opts: ExplorerOptions): Promise<RunningExplorer> {
  const env = opts.env ?? process.env;
  const configured = loadTokens(env).length > 0;
  const token = configured ? null : randomBytes(24).toString('base64url');
  const { uiDir, ...serve } = opts;
  const running = await startServer({
    ...serve,
    host: '127.0.0.1',
    port: opts.port ?? 0,
    ui: uiDir ?? true,
    env:
      token === null
        ? env
        : { ...env, [TOKEN_ENV.json]: JSON.stringify({ [EXPLORER_ACTOR]: token }) },
  });
  const page = `${running.url}${UI_PREFIX}`;
  return {
    ...running,
    pageUrl: token === null ? page : `${page}#token=${token}`,
    token,
  };
}
