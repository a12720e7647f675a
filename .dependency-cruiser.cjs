/**
 * The layer rules of ARCHITECTURE §1, enforced by test/layers.test.ts.
 * A violation fails the test suite.
 */
const IO_MODULES =
  '^(fs|node:fs|fs/promises|node:fs/promises|child_process|node:child_process|net|node:net|http|node:http|https|node:https|dgram|node:dgram|worker_threads|node:worker_threads|better-sqlite3|@lancedb/lancedb)$';

module.exports = {
  forbidden: [
    {
      name: 'lancedb-only-in-storage',
      comment: 'Only src/storage/ may import @lancedb/lancedb.',
      severity: 'error',
      from: { pathNot: '^src/storage/' },
      to: { path: '@lancedb/lancedb' },
    },
    {
      name: 'sqlite-only-in-journal',
      comment: 'Only src/journal/ may import better-sqlite3.',
      severity: 'error',
      from: { pathNot: '^src/journal/' },
      to: { path: 'better-sqlite3' },
    },
    {
      name: 'compiler-does-no-io',
      comment:
        'src/schema/, src/query/ and src/lang/ are pure compilers: no file, process or network I/O, no storage, no journal.',
      severity: 'error',
      from: { path: '^src/(schema|query|lang)/' },
      to: {
        path: ['^src/(storage|journal|write|recovery|drill|read)/', IO_MODULES],
      },
    },
    {
      name: 'read-below-repo',
      comment:
        'src/read/ executes read plans over query, schema, storage and journal types: never repo.ts, the write path, recovery or drills.',
      severity: 'error',
      from: { path: '^src/read/' },
      to: { path: ['^src/repo\\.ts$', '^src/(write|recovery|drill)/', '^cli/'] },
    },
    {
      name: 'cli-uses-public-api',
      comment: 'cli/ talks only to the public API (src/index.ts) and its own files.',
      severity: 'error',
      from: { path: '^cli/' },
      to: { path: '^src/', pathNot: '^src/index\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'],
    },
  },
};
