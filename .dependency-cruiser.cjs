/**
 * The layer rules of docs/architecture.md §Layers, enforced by test/layers.test.ts.
 * A violation fails the test suite.
 */
const IO_MODULES =
  '^(fs|node:fs|fs/promises|node:fs/promises|child_process|node:child_process|net|node:net|http|node:http|https|node:https|dgram|node:dgram|worker_threads|node:worker_threads|better-sqlite3|@lancedb/lancedb)$';

/** The foundation every layer may import. */
const FOUNDATION =
  '^src/((defaults|errors|error-codes|failpoints|fs-atomic|json-exact|lazy|version)\\.ts$|error-codes/)';
/** The public API: src/repo.ts (and its parts in src/repo/), the repo-level doctor (and its deep part and report types), the main entry and its light part. */
const API = '^src/((repo|doctor|doctor-deep|doctor-report|index|light)\\.ts$|repo/)';

/** Each layer (a folder of src/) and the layers below it that it may import. */
const LAYERS = {
  lang: [],
  schema: ['lang'],
  query: ['lang', 'schema'],
  storage: [],
  journal: [],
  embed: ['schema'],
  write: ['lang', 'schema', 'query', 'storage', 'journal', 'read', 'embed'],
  read: ['lang', 'schema', 'query', 'storage', 'journal', 'embed'],
  recovery: ['lang', 'schema', 'query', 'storage', 'journal', 'read', 'write', 'embed'],
};

const layerRules = Object.entries(LAYERS).map(([layer, below]) => ({
  name: `${layer}-imports-only-below`,
  comment: `src/${layer}/ may import only ${below.length ? below.map((l) => `src/${l}/`).join(', ') + ' and ' : ''}the foundation (docs/architecture.md §Layers).`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: {
    path: '^src/',
    pathNot: [`^src/(${[layer, ...below].join('|')})/`, FOUNDATION, API],
  },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, between files or layers.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'layers-do-not-import-the-api',
      comment:
        'Nothing inside the layers (or the foundation) imports src/repo.ts or src/index.ts: a layer declares the methods it needs as an interface and the Repo passes itself.',
      severity: 'error',
      from: {
        path: ['^src/(lang|schema|query|storage|journal|embed|read|write|recovery)/', FOUNDATION],
      },
      to: { path: API },
    },
    ...layerRules,
    {
      name: 'protocol-only-through-its-entry',
      comment:
        'The write protocol (src/write/protocol/) is reached only through its entry, src/write/protocol/index.ts: by the writers beside it, recovery, doctor and the API (docs/architecture.md §The write layer).',
      severity: 'error',
      from: { pathNot: '^src/write/protocol/' },
      to: { path: '^src/write/protocol/', pathNot: '^src/write/protocol/index\\.ts$' },
    },
    {
      name: 'protocol-imports-no-writer',
      comment:
        'The protocol knows no writer: src/write/protocol/ imports nothing else of src/write/.',
      severity: 'error',
      from: { path: '^src/write/protocol/' },
      to: { path: '^src/write/', pathNot: '^src/write/protocol/' },
    },
    {
      name: 'writers-import-only-the-protocol',
      comment:
        'A writer (a file or a folder of src/write/ beside the protocol) imports of src/write/ only the protocol entry and its own files, no other writer.',
      severity: 'error',
      from: { path: '^src/write/(?!protocol/)([^/]+)' },
      to: { path: '^src/write/', pathNot: ['^src/write/protocol/', '^src/write/$1(/|$)'] },
    },
    {
      name: 'consumers-write-through-the-api',
      comment:
        'cli/, src/server/ and src/drill/ write only through the public API (Repo.load, Repo.change, …, which check the repo is writable), never through src/write/ directly.',
      severity: 'error',
      from: { path: ['^cli/', '^src/server/', '^src/drill/'] },
      to: { path: '^src/write/' },
    },
    {
      name: 'foundation-imports-no-layer',
      comment: 'src/errors.ts, failpoints.ts, fs-atomic.ts and version.ts import no layer.',
      severity: 'error',
      from: { path: FOUNDATION },
      to: { path: '^src/', pathNot: [FOUNDATION, API] },
    },
    {
      name: 'drill-only-from-cli-and-scripts',
      comment:
        'The crash-drill harness (src/drill/) is reached only from cli/, scripts/ and the tests (package export "lancelog/drill"), never from the library.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/drill/' },
      to: { path: '^src/drill/' },
    },
    {
      name: 'src-does-not-import-cli-or-scripts',
      comment: 'The library never imports the command line or the scripts.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(cli|scripts)/' },
    },
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
      name: 'cli-uses-public-api',
      comment:
        'cli/ talks only to the public entries (src/index.ts, src/drill/index.ts, src/server/index.ts; the light ones it registers commands from: src/light.ts, src/server/actions.ts, the policy actions without the server, and src/drill/model.ts, the drill writer names) and its own files.',
      severity: 'error',
      from: { path: '^cli/' },
      to: {
        path: '^src/',
        pathNot: '^src/(index|light|drill/index|drill/model|server/index|server/actions)\\.ts$',
      },
    },
    {
      name: 'server-uses-public-api',
      comment:
        'src/server/ (lancelog serve) is an API consumer like the CLI: it imports only the public API (src/index.ts) and its own files.',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: '^src/', pathNot: ['^src/index\\.ts$', '^src/server/'] },
    },
    {
      name: 'server-only-from-cli-and-scripts',
      comment:
        'The HTTP server is reached only from cli/, scripts/ and the tests (package export "lancelog/server"): the library does not load fastify.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/server/' },
      to: { path: '^src/server/' },
    },
    {
      name: 'ui-talks-only-http',
      comment:
        'The Explorer (ui/, docs/ui.md) is a web page: it reaches the engine only through the HTTP API, never by importing it.',
      severity: 'error',
      from: { path: '^ui/' },
      to: { path: '^(src|cli|scripts|test)/' },
    },
    {
      name: 'no-ui-in-the-engine',
      comment:
        'No UI code in the engine, the CLI or the scripts: the page is built and served as files.',
      severity: 'error',
      from: { path: '^(src|cli|scripts)/' },
      to: { path: '^ui/' },
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
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts'],
    },
  },
};
