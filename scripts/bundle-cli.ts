/**
 * Bundles the CLI (dist/cli/main.js and everything it imports from src/) into
 * dist/cli/lancelog.mjs, the package's `bin`, plus the chunks it loads on demand
 * (dist/cli/chunks/). Why one bundle: Node's ES module loader spends most of a short
 * command's time resolving and reading ~300 separate modules. Why chunks: command
 * registration (names, options, help) imports only light modules, and each command's
 * action loads its implementation with `import()` (cli/lazy-action.ts); with code splitting
 * that implementation — the full API, zod, the server — is a separate chunk, so
 * `lancelog --help` and `lancelog version` neither read nor evaluate it
 * (docs/performance.md "Cold start"). Native packages and LanceDB/Arrow stay external
 * (loaded from node_modules, lazily). The metafile (dist/cli/bundle-meta.json) lets
 * test/cli/light-entry.test.ts check that the entry chunk stays light. Run by `npm run build`.
 */
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/version.js';

const root = packageRoot();
const outdir = join(root, 'dist', 'cli');
rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
const result = await build({
  entryPoints: { lancelog: join(outdir, 'main.js') },
  outdir,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Native and lazily loaded packages stay in node_modules; pure-JS ones (commander, zod,
  // immer, ...) are bundled, since each of their files would be one more module to load.
  external: ['@lancedb/lancedb', 'apache-arrow', 'better-sqlite3', 'kuzu', 'esbuild'],
  banner: {
    js: "import { createRequire as __lancelogRequire } from 'node:module'; const require = __lancelogRequire(import.meta.url);",
  },
  metafile: true,
  logLevel: 'warning',
});
writeFileSync(join(outdir, 'bundle-meta.json'), JSON.stringify(result.metafile));
