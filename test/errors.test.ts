/** The error-code table (src/error-codes.ts) is complete, used, and docs/errors.md is current. */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODE_AREAS, ERROR_CODES, exitStatusOf } from '../src/error-codes.js';
import {
  compileQueries,
  compileSchema,
  exportJsonl,
  LancelogError,
  QueryError,
  RecoveryAborted,
  Repo,
  RepoError,
  SchemaError,
  StorageError,
  type ErrorCode,
} from '../src/index.js';
import { errorsMarkdown } from '../scripts/gen-errors-doc.js';
import { asSystemError } from '../src/errors.js';
import { guard } from '../src/storage/errors.js';
import { ROOT } from './helpers/cli.js';
import { FIXTURES_DIR } from './helpers/fixtures.js';
import { useTmpDirs } from './helpers/tmp.js';

const tmp = useTmpDirs();

/** The text of every .ts file under `dir`, but the table's own modules. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (path === join(ROOT, 'src', 'error-codes')) return [];
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && path !== join(ROOT, 'src', 'error-codes.ts')
      ? [readFileSync(path, 'utf8')]
      : [];
  });
}

describe('error codes as data', () => {
  it('docs/errors.md is generated from the table and current', () => {
    const docs = join(ROOT, 'docs');
    expect(readFileSync(join(docs, 'errors.md'), 'utf8')).toBe(errorsMarkdown(docs));
  });

  it('every code in the table is raised somewhere (no stale entries)', () => {
    const code = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'cli'))].join('\n');
    const unused = Object.keys(ERROR_CODES).filter((c) => !code.includes(`'${c}'`));
    expect(unused).toEqual([]);
  });

  it('the areas make the table, each code in exactly one area', () => {
    const areaCodes = Object.values(ERROR_CODE_AREAS).flatMap((area) => Object.keys(area));
    expect(areaCodes.length).toBe(new Set(areaCodes).size);
    expect(areaCodes.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('details keys use one casing (snake_case) and exit statuses follow the table', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      for (const key of spec.details) expect(key, `${code}.${key}`).toMatch(/^[a-z][a-z0-9_]*$/);
    }
    expect(exitStatusOf('UsageError')).toBe(2);
    expect(exitStatusOf('ValidationError')).toBe(1);
    expect(exitStatusOf('SomethingUnknown')).toBe(1);
  });
});

/** The table's class names, as the classes (a code raised under another class fails). */
const TABLE_CLASSES: Record<string, unknown> = {
  LancelogError,
  RecoveryAborted,
  QueryError,
  RepoError,
  SchemaError,
  StorageError,
};

/** What `run` throws (or rejects with); fails the test when it succeeds. */
async function raised(site: string, run: () => unknown): Promise<LancelogError> {
  try {
    await run();
  } catch (err) {
    expect(err, site).toBeInstanceOf(LancelogError);
    return err as LancelogError;
  }
  return expect.fail(`${site}: expected an error`);
}

describe('a code is raised as its table class, at every throw site', () => {
  const open: Repo[] = [];
  afterEach(async () => {
    for (const r of open.splice(0)) await r.close();
  });

  it('the codes once raised under two classes: branch codes (journal and storage), unknown type and property (compilers and API)', async () => {
    const dir = join(tmp(), 'repo');
    const schemaSource = readFileSync(join(FIXTURES_DIR, 'omnigraph', 'test.pg'), 'utf8');
    await Repo.init(dir, { schemaSource, schemaFile: 'test.pg' });
    const repo = await Repo.open(dir);
    open.push(repo);
    const person = repo.typeDef('Person');
    const { tableKey, tablePath } = person;
    repo.createBranch('feature');
    await repo.store.createBranch(tableKey, tablePath, 'lance-branch');
    const query = (body: string) => () =>
      compileQueries(`query q($n: String) { ${body} }`, 'q.gq', repo.catalog);
    const sink = new Writable({ write: (_chunk, _enc, done) => done() });

    const sites: Array<[ErrorCode, string, () => unknown]> = [
      ['BranchExists', 'journal: a branch created twice', () => repo.createBranch('feature')],
      [
        'BranchExists',
        'storage: a Lance branch created twice',
        () => repo.store.createBranch(tableKey, tablePath, 'lance-branch'),
      ],
      [
        'BranchNotFound',
        'journal: a snapshot of a missing branch',
        () => repo.snapshot({ branch: 'nope' }),
      ],
      [
        'BranchNotFound',
        'journal: a fork of a missing branch',
        () => repo.createBranch('x', { from: 'nope' }),
      ],
      [
        'BranchNotFound',
        'storage: opening a missing Lance branch',
        () => repo.store.openTable(tableKey, tablePath, { branch: 'nope' }),
      ],
      [
        'BranchNotFound',
        'storage: forking a missing Lance branch',
        () => repo.store.createBranch(tableKey, tablePath, 'x', undefined, 'nope'),
      ],
      [
        'BranchNotFound',
        'storage: deleting a missing Lance branch',
        () => repo.store.deleteBranch(tableKey, tablePath, 'nope'),
      ],
      ['InvalidBranchName', 'journal: a reserved name', () => repo.createBranch('__x')],
      ['InvalidBranchName', 'journal: deleting main', () => repo.deleteBranch('main')],
      [
        'InvalidBranchName',
        'storage: a Lance branch name with a slash',
        () => repo.store.createBranch(tableKey, tablePath, 'a/b'),
      ],
      [
        'InvalidBranchName',
        'storage: deleting the main Lance branch',
        () => repo.store.deleteBranch(tableKey, tablePath, 'main'),
      ],
      ['UnknownType', 'query compiler: a binding', query('match { $p: Nope } return { $p }')],
      ['UnknownType', 'query compiler: an insert', query('insert Nope { name: $n }')],
      ['UnknownType', 'API: repo.scan', () => repo.scan('Nope')],
      [
        'UnknownType',
        'API: export of a type',
        () => exportJsonl(repo, sink, {}, { types: ['Nope'] }),
      ],
      [
        'UnknownType',
        'API: a transaction insert',
        () => repo.transaction((tx) => tx.insert('Nope', { name: 'a' })),
      ],
      [
        'UnknownProperty',
        'query compiler: a property',
        query('match { $p: Person } return { $p.nope }'),
      ],
      [
        'UnknownProperty',
        'API: a transaction scan filter',
        () => repo.transaction((tx) => tx.scan('Person', [{ column: 'nope', op: '=', value: 1 }])),
      ],
      [
        'UnknownPropertyType',
        'schema compiler: a property type',
        () => compileSchema('node A {\n  x: Int\n}', 'a.pg'),
      ],
    ];
    for (const [code, site, run] of sites) {
      const err = await raised(site, run);
      expect(err.code, site).toBe(code);
      const tableClass = ERROR_CODES[code].classes[0];
      expect(TABLE_CLASSES[tableClass], `${code}: ${tableClass} is a known class`).toBeDefined();
      expect(err.constructor, `${site} raises ${code} as ${tableClass}`).toBe(
        TABLE_CLASSES[tableClass],
      );
    }
  });

  it('system failures (full disk, read-only, forbidden) are raised as their table class by storage and by the journal side', async () => {
    const ref = { tableKey: 'node:Person', tablePath: 'nodes/Person' };
    const failure = (errno: string) =>
      Object.assign(new Error(`${errno}: failed`), { code: errno });
    const cases: Array<[string, ErrorCode]> = [
      ['ENOSPC', 'DiskFull'],
      ['EACCES', 'PermissionDenied'],
      ['EROFS', 'ReadOnlyRepo'],
    ];
    for (const [errno, code] of cases) {
      const tableClass = TABLE_CLASSES[ERROR_CODES[code].classes[0]];
      const fromStorage = await raised(`guard ${errno}`, () =>
        guard(ref, 'mergeInsert', () => Promise.reject(failure(errno))),
      );
      expect(fromStorage.code).toBe(code);
      expect(fromStorage.constructor, `storage raises ${code}`).toBe(tableClass);
      expect(fromStorage.details.table_key).toBe('node:Person');
      const fromJournal = asSystemError(failure(errno), 'journal append') as LancelogError;
      expect(fromJournal.code).toBe(code);
      expect(fromJournal.constructor, `the journal side raises ${code}`).toBe(tableClass);
    }
  });
});

describe("the table's entry is what the throw site raises: class and details", () => {
  it('RecoveryAborted: its own class, and details keys (snake_case) the table lists', async () => {
    const dir = join(tmp(), 'repo');
    const schemaSource = readFileSync(join(FIXTURES_DIR, 'omnigraph', 'test.pg'), 'utf8');
    await Repo.init(dir, { schemaSource, schemaFile: 'test.pg' });
    // A sidecar recovery cannot read: recovery reports it and raises RecoveryAborted.
    mkdirSync(join(dir, '__recovery'), { recursive: true });
    writeFileSync(join(dir, '__recovery', '01J00000000000000000000000.json'), 'not json {');
    const err = await raised('recovery of an unreadable sidecar', () => Repo.open(dir));
    expect(err.code).toBe('RecoveryAborted');
    expect(err.constructor).toBe(TABLE_CLASSES[ERROR_CODES.RecoveryAborted.classes[0]]);
    const listed = new Set<string>(ERROR_CODES.RecoveryAborted.details);
    expect(Object.keys(err.details).filter((k) => !listed.has(k))).toEqual([]);
    const reported = (err.details.errors as Array<{ code: string }>)[0];
    expect(reported.code).not.toBe('RecoveryAborted'); // the sidecar's own error, reported
  });
});
