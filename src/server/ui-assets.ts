/**
 * The Lancelog Explorer's files (`lancelog serve --ui`, docs/ui.md): the single-page app
 * Vite builds from ui/ into dist/ui/ at `npm run build`, served at /ui/ by
 * @fastify/static. The files hold no data and need no token; the page then calls the
 * same API as any client, with the caller's bearer token and the same policy, so serving
 * it opens no other way in. Everything is local (no CDN): the page works offline.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { LancelogError, packageRoot } from '../index.js';

export const UI_PREFIX = '/ui/';

/** Where `npm run build` puts the page (dist/ui/ of the package). */
export function defaultUiDir(): string {
  return join(packageRoot(), 'dist', 'ui');
}

/**
 * Scripts and styles only from the server itself; CodeMirror and Cytoscape set inline
 * styles, hence 'unsafe-inline' for styles (never for scripts).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** A built page, or a typed error saying how to build it (at startup, not at the first request). */
export function checkUiDir(dir: string): void {
  if (!existsSync(join(dir, 'index.html')))
    throw new LancelogError(
      'FileNotFound',
      `the Explorer's files are not built (${join(dir, 'index.html')} is missing): run 'npm run build'`,
      { file: join(dir, 'index.html'), reason: 'not built' },
    );
}

export function registerUi(app: FastifyInstance, dir: string): void {
  checkUiDir(dir);
  void app.register(fastifyStatic, {
    root: dir,
    prefix: UI_PREFIX,
    index: ['index.html'],
    // Hashed asset names change with their content; index.html is revalidated every time.
    setHeaders: (reply, path) => {
      void reply.headers({
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': path.endsWith('index.html')
          ? 'no-cache'
          : 'public, max-age=31536000, immutable',
      });
    },
  });
  app.get('/ui', (_request, reply) => reply.redirect(UI_PREFIX));
}
