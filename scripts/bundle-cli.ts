/**
 * Bundles the CLI (dist/cli/main.js and everything it imports from src/) into one file,
 * dist/cli/lancelog.mjs, the package's `bin`. Why: Node's ES module loader spends most of
 * a short command's time resolving and reading ~300 separate modules; one file halves the
 * start-up cost of `lancelog --help` and `lancelog version` (docs/performance.md "Cold
 * start"). Native packages and LanceDB/Arrow stay external (loaded from node_modules as usual,
 * lazily where they were lazy before). Run by `npm run build`.
 */
import { build } from 'esbuild';
import { join } from 'node:path';
import { packageRoot } from '../src/version.js';

const root = packageRoot();
await build({
  entryPoints: [join(root, 'dist', 'cli', 'main.js')],
  outfile: join(root, 'dist', 'cli', 'lancelog.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Native and lazily loaded packages stay in node_modules; pure-JS ones (commander, zod,
  // immer, ...) are bundled, since each of their files would be one more module to load.
  external: ['@lancedb/lancedb', 'apache-arrow', 'better-sqlite3', 'kuzu', 'esbuild'],
  banner: {
    js: "import { createRequire as __lancelogRequire } from 'node:module'; const require = __lancelogRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
