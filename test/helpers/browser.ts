/**
 * A real browser for the Explorer's tests: Debian's Chromium driven by playwright-core
 * (which never downloads a browser). CI installs Chromium (.ci/run); a machine without it
 * fails these tests with the way to get it, never skips them. The Explorer's page must be
 * built (`npm run build`); when ui/ changed after the last build it is rebuilt here.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { ROOT } from './cli.js';
import { runProcess } from './process.js';

/** The browser binary: $LANCELOG_CHROMIUM, else Debian's. */
export const CHROMIUM = process.env.LANCELOG_CHROMIUM ?? '/usr/bin/chromium';

/** Flags that work as root in a container without a display or GPU. */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: the Explorer's browser tests need it. Install it with 'apt-get install -y chromium' (.ci/run does), or set LANCELOG_CHROMIUM to a Chromium binary.`,
    );
  const profile = mkdtempSync(join(tmpdir(), 'lancelog-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1200, height: 760 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtimeMs(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** dist/ui/ as `npm run build` makes it, rebuilt when a file of ui/ is newer. */
export async function ensureUiBuilt(): Promise<void> {
  const built = join(ROOT, 'dist', 'ui', 'index.html');
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtimeMs(join(ROOT, 'ui'))) return;
  const r = await runProcess(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'ui/vite.config.ts',
    ],
    // Vitest sets NODE_ENV=test, which would make Vite build a development page.
    { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production' }, timeoutMs: 300_000 },
  );
  if (r.status !== 0) throw new Error(`building the Explorer failed:\n${r.stdout}${r.stderr}`);
}
