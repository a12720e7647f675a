/**
 * The node arguments that run a TypeScript entry of this repo (the CLI, a test child) in
 * a child process, from the current sources. `node --import tsx entry.ts` resolves,
 * transforms and loads some 300 modules through tsx's loader in every child: 0.6–1
 * CPU-second per CLI command, for a suite that starts hundreds of them. An esbuild
 * bundle of the same sources (the esbuild tsx itself uses) starts in half that or less.
 *
 * A bundle is made once per state of the sources — a stamp of every .ts file's path,
 * size and mtime under src/, cli/, test/ and scripts/ — in node_modules/.cache/lancelog-test/,
 * split like the CLI's own bin (scripts/bundle-cli.ts) so a command loads only what it
 * runs; packages stay in node_modules. Test workers that build the same bundle at once
 * each build into a directory of their own and the first rename wins. Building one
 * removes the entry's bundles of earlier sources that are more than an hour old.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '..', '..');

const SOURCE_DIRS = ['src', 'cli', 'test', 'scripts'];

/**
 * Dot-directories are skipped (test/layers.test.ts plants files in test/.layers-*), and
 * so is a file removed while it is being read: neither is ever part of a bundle.
 */
function sourceStamp(): string {
  const h = createHash('sha1');
  const walk = (d: string): void => {
    const entries = readdirSync(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith('.')) walk(p);
      } else if (e.name.endsWith('.ts')) {
        const s = statSync(p, { throwIfNoEntry: false });
        if (s) h.update(`${p}:${s.size}:${s.mtimeMs}\n`);
      }
    }
  };
  for (const d of SOURCE_DIRS) walk(join(ROOT, d));
  return h.digest('hex').slice(0, 16);
}

async function buildBundle(entry: string, outFile: string, outDir: string): Promise<void> {
  const tmp = `${outDir}.${process.pid}.${Date.now()}`;
  await build({
    entryPoints: [entry],
    outdir: tmp,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  try {
    renameSync(tmp, outDir);
  } catch (err) {
    // Another worker got there first: its bundle is the same.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(outFile)) throw err;
  }
}

/** Bundles of `prefix` (one entry) for earlier states of the sources, older than an hour: no run still uses them. */
function pruneOld(cache: string, prefix: string): void {
  const hourAgoMs = Date.now() - 3_600_000;
  for (const name of readdirSync(cache)) {
    const dir = join(cache, name);
    if (!name.startsWith(prefix)) continue;
    const s = statSync(dir, { throwIfNoEntry: false });
    if (s && s.mtimeMs < hourAgoMs) rmSync(dir, { recursive: true, force: true });
  }
}

const built = new Map<string, Promise<string>>();

/** The bundle of `entry` (an absolute path to a .ts file) for the current sources. */
export function bundled(entry: string): Promise<string> {
  let p = built.get(entry);
  if (!p) {
    p = (async () => {
      const name = basename(entry, '.ts');
      const key = createHash('sha1').update(relative(ROOT, entry)).digest('hex').slice(0, 8);
      const cache = join(ROOT, 'node_modules', '.cache', 'lancelog-test');
      const outDir = join(cache, `${name}-${key}-${sourceStamp()}`);
      const outFile = join(outDir, `${name}.mjs`);
      if (!existsSync(outFile)) {
        mkdirSync(cache, { recursive: true });
        pruneOld(cache, `${name}-${key}-`);
        await buildBundle(entry, outFile, outDir);
      }
      return outFile;
    })();
    built.set(entry, p);
  }
  return p;
}

/** `[bundle]`: the node arguments that run `entry` (then its own arguments). */
export async function nodeArgsFor(entry: string): Promise<string[]> {
  return [await bundled(entry)];
}
