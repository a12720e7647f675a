/**
 * Serving the Explorer's files (`lancelog serve --ui`, `lancelog ui`; docs/ui.md): the
 * page is static and public, the data behind the token; nothing outside the page's
 * directory is served; a server without --ui has no page; an unbuilt page stops the
 * start. `lancelog ui` as a real child process: loopback only, a token of its own in
 * the URL's fragment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/server/index.js';
import { ensureUiBuilt } from '../helpers/browser.js';
import { ROOT } from '../helpers/cli.js';
import { call, makeFixtureRepo, serveRepo } from '../helpers/server.js';

const TOKEN = 'ui-test-token-0123456789';
let root: string;
let repo: string;
let page: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lancelog-uiserve-'));
  repo = await makeFixtureRepo(join(root, 'repo'));
  page = join(root, 'page');
  mkdirSync(join(page, 'assets'), { recursive: true });
  writeFileSync(join(page, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(page, 'assets', 'app-1.js'), 'console.log(1)');
  writeFileSync(join(root, 'secret.txt'), 'not to be served');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('lancelog serve --ui', () => {
  it('serves the page without a token, with its headers; the API still needs the token', async () => {
    const srv = await serveRepo(repo, {
      ui: page,
      env: { LANCELOG_SERVER_TOKEN: TOKEN },
    });
    try {
      const index = await fetch(`${srv.url}/ui/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toMatch(/^text\/html/);
      expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(index.headers.get('x-content-type-options')).toBe('nosniff');
      expect(index.headers.get('cache-control')).toBe('no-cache');
      const asset = await fetch(`${srv.url}/ui/assets/app-1.js`);
      expect([asset.status, await asset.text()]).toEqual([200, 'console.log(1)']);
      expect(asset.headers.get('cache-control')).toContain('immutable');
      const bare = await fetch(`${srv.url}/ui`, { redirect: 'manual' });
      expect([bare.status, bare.headers.get('location')]).toEqual([302, '/ui/']);
      expect((await call(srv.url, 'GET', '/branches')).status).toBe(401);
      expect((await call(srv.url, 'GET', '/branches', { token: TOKEN })).status).toBe(200);
    } finally {
      await srv.close();
    }
  });

  it('serves nothing outside the page directory', async () => {
    const srv = await serveRepo(repo, { ui: page });
    try {
      for (const path of ['/ui/../secret.txt', '/ui/%2e%2e/secret.txt', '/ui/..%2fsecret.txt']) {
        const r = await fetch(`${srv.url}${path}`);
        expect(r.status, path).not.toBe(200);
        expect(await r.text(), path).not.toContain('not to be served');
      }
    } finally {
      await srv.close();
    }
  });

  it('without --ui there is no page', async () => {
    const srv = await serveRepo(repo);
    try {
      expect((await fetch(`${srv.url}/ui/`)).status).toBe(404);
    } finally {
      await srv.close();
    }
  });

  it('a page that is not built stops the start with FileNotFound, before the repo is opened', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty, { recursive: true });
    await expect(
      startServer({ repo, port: 0, ui: empty, handleSignals: false, logger: false, env: {} }),
    ).rejects.toMatchObject({ code: 'FileNotFound' });
  });
});

/** `lancelog ui REPO` as a child; resolves with the URL line once it is printed. */
function startUi(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), 'ui', repo],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const m = /^Lancelog Explorer: (\S+)$/m.exec(out);
      if (m) resolve(m[1]);
    });
    child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
    void exited.then(() => reject(new Error(`lancelog ui exited:\n${out}`)));
  });
  return { child, url, exited };
}

describe('lancelog ui', () => {
  beforeAll(() => ensureUiBuilt());

  it('listens on loopback and hands the page a token of its own in the fragment', async () => {
    const ui = startUi({
      LANCELOG_SERVER_TOKEN: '',
      LANCELOG_SERVER_TOKENS_JSON: '',
      LANCELOG_SERVER_TOKENS_FILE: '',
    });
    try {
      const url = new URL(await ui.url);
      expect(url.hostname).toBe('127.0.0.1');
      expect(url.pathname).toBe('/ui/');
      const token = /^#token=(.{24,})$/.exec(url.hash)?.[1];
      expect(token).toBeDefined();
      const base = url.origin;
      expect((await fetch(`${base}/ui/`)).status).toBe(200);
      expect((await call(base, 'GET', '/branches')).status).toBe(401);
      const ok = await call(base, 'GET', '/branches', { token });
      expect(ok.body.branches).toEqual(['main']);
    } finally {
      ui.child.kill('SIGTERM');
      expect(await ui.exited).toBe(0);
    }
  });

  it('with tokens configured it makes none: the page asks for one', async () => {
    const ui = startUi({ LANCELOG_SERVER_TOKEN: TOKEN });
    try {
      const url = new URL(await ui.url);
      expect(url.hash).toBe('');
      expect((await call(url.origin, 'GET', '/branches', { token: TOKEN })).status).toBe(200);
    } finally {
      ui.child.kill('SIGTERM');
      expect(await ui.exited).toBe(0);
    }
  });
});
