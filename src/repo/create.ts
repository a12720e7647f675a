/**
 * Creating a repo directory and opening its parts: the schema, its fingerprint, the
 * journal and the table store (docs/architecture.md §What a repo is).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compileSchema, arrowSchemaFor, schemaFingerprint } from '../schema/index.js';
import type { Catalog, TypeDef } from '../schema/types.js';
import { TableStore } from '../storage/index.js';
import { Journal, type FileDigest } from '../journal/index.js';
import { asSystemError, RepoError } from '../errors.js';
import { writeFileAtomic } from '../fs-atomic.js';
import { DEFAULT_ACTOR, DEFAULT_BRANCH } from '../defaults.js';
import { schemaOfRecord } from '../write/schema-apply/schema-file.js';
import type { InitOptions, InitResult } from './types.js';
import { checkClaim, claimTables, readStorageFile, writeStorageFile } from './storage-claim.js';

import { SCHEMA_FILE } from '../write/schema-apply/schema-apply.js';
export { SCHEMA_FILE };
export { DEFAULT_ACTOR };

export function allTypes(catalog: Catalog): TypeDef[] {
  return [...catalog.nodes, ...catalog.edges];
}

/** The schema fingerprint (public name of `schemaFingerprint`, src/schema/fingerprint.ts). */
export function schemaHash(catalog: Catalog): string {
  return schemaFingerprint(catalog);
}

/**
 * Open refuses a `_schema.pg` that is not the schema the data was written under;
 * a repo from before fingerprints adopts its current schema at its first read-write
 * open (docs/recovery.md "Schema fingerprint").
 */
function checkSchemaFingerprint(
  dir: string,
  journal: Journal,
  file: { source: string; catalog: Catalog },
  readOnly: boolean,
): Catalog {
  const current = schemaHash(file.catalog);
  const recorded = journal.recordedSchemaHash();
  if (recorded === null) {
    if (!readOnly) journal.recordSchema(current, 'adopted');
    return file.catalog;
  }
  if (recorded === current) return file.catalog;
  // A schema change that crashed between its publish and the file's rename: the
  // journal holds the new schema's text; the file is completed from it.
  const settled = schemaOfRecord(dir, journal, file, readOnly);
  if (settled) return settled.catalog;
  throw new RepoError(
    'SchemaDrift',
    `${join(dir, SCHEMA_FILE)} is not the schema this repo's data was written under ` +
      `(recorded ${recorded}, file ${current}). Restore the original ${SCHEMA_FILE} ` +
      `(from version control or a backup). To move the data to another schema: with the ` +
      `original restored, 'lancelog export' it, 'lancelog init' a new repo with the new ` +
      `schema and 'lancelog load' the export there`,
    { repo: dir, recorded, current, file: join(dir, SCHEMA_FILE) },
  );
}

/**
 * Creates `dir` and its missing parents one level at a time. Not `mkdirSync(dir,
 * {recursive: true})`: under /proc it never returns (Node retries the ENOENT forever),
 * so `init /proc/x` hung. Any failure is a typed error naming the path.
 */
function makeRepoDir(dir: string): void {
  const missing: string[] = [];
  for (let p = dir; !existsSync(p); p = dirname(p)) {
    missing.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing) {
    try {
      mkdirSync(p);
    } catch (err) {
      const typed = asSystemError(err, `cannot create the repo directory ${dir}`, {
        repo: dir,
        path: p,
      });
      if (typed !== err) throw typed;
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown';
      throw new RepoError(
        'InvalidRepoPath',
        `cannot create the repo directory ${dir}: ${code === 'ENOTDIR' ? `${dirname(p)} is not a directory` : (err as Error).message}`,
        { repo: dir, path: p, reason: code },
      );
    }
  }
}

function isNonEmptyDir(path: string): boolean {
  return existsSync(path) && (!statSync(path).isDirectory() || readdirSync(path).length > 0);
}

/** One empty table per type, each at its first version, with the digests of its files (the scrub's). */
async function createTables(
  dir: string,
  catalog: Catalog,
  tablesUri: string | undefined,
): Promise<Array<InitResult['tables'][number] & { files: FileDigest[] }>> {
  const store = await TableStore.open(dir, tablesUri);
  const tables: Array<InitResult['tables'][number] & { files: FileDigest[] }> = [];
  try {
    for (const def of allTypes(catalog)) {
      const version = await store.createTable(def.tableKey, def.tablePath, arrowSchemaFor(def));
      const files = await store.lineFiles(def.tableKey, def.tablePath).digest(null, version);
      tables.push({ tableKey: def.tableKey, tablePath: def.tablePath, version, files });
    }
  } finally {
    await store.close();
  }
  return tables;
}

/** `Repo.init` of an absolute `dir` (the steps are documented there). */
export async function initRepo(dir: string, opts: InitOptions): Promise<InitResult> {
  const catalog = compileSchema(opts.schemaSource, opts.schemaFile);
  if (isNonEmptyDir(dir)) {
    throw new RepoError(
      'RepoNotEmpty',
      `refusing to init: ${dir} exists and is not an empty directory`,
      { repo: dir },
    );
  }
  const createdDir = !existsSync(dir);
  makeRepoDir(dir);
  try {
    // On S3 the claim comes first: of two inits racing for one prefix, one goes on.
    const storage = opts.tables === undefined ? undefined : await claimTables(dir, opts.tables);
    const tables = await createTables(dir, catalog, storage?.tables);
    const journal = Journal.create(dir, {
      tables,
      actor: opts.actor ?? DEFAULT_ACTOR,
      message: 'init',
      schemaHash: schemaHash(catalog),
    });
    const commitId = journal.snapshot({ branch: DEFAULT_BRANCH }).commitId;
    journal.close();
    if (storage !== undefined) writeStorageFile(dir, storage);
    // Written last: a directory without _schema.pg is not a repo, so a crash
    // during init never leaves something that opens as a half-made repo.
    writeFileAtomic(join(dir, SCHEMA_FILE), opts.schemaSource);
    return { repo: dir, tables: tables.map(({ files: _files, ...t }) => t), commitId };
  } catch (err) {
    if (createdDir) rmSync(dir, { recursive: true, force: true });
    else
      for (const entry of readdirSync(dir))
        rmSync(join(dir, entry), { recursive: true, force: true });
    throw err;
  }
}

/**
 * The parts of an existing repo at an absolute `dir`: its compiled schema, the
 * journal (after the schema fingerprint check) and the table store.
 */
export async function openRepoParts(
  dir: string,
  readOnly: boolean,
): Promise<{ catalog: Catalog; journal: Journal; store: TableStore }> {
  const schemaPath = join(dir, SCHEMA_FILE);
  if (!existsSync(schemaPath)) {
    throw new RepoError(
      'NotARepo',
      `${dir} is not a lancelog repo (no ${SCHEMA_FILE}); create one with 'lancelog init'`,
      { repo: dir },
    );
  }
  const source = readFileSync(schemaPath, 'utf8');
  const storage = readStorageFile(dir);
  if (storage !== undefined) await checkClaim(dir, storage);
  const journal = Journal.open(dir, { readOnly });
  let catalog: Catalog;
  try {
    catalog = checkSchemaFingerprint(
      dir,
      journal,
      { source, catalog: compileSchema(source, schemaPath) },
      readOnly,
    );
  } catch (err) {
    journal.close();
    throw err;
  }
  const store = await TableStore.open(dir, storage?.tables);
  return { catalog, journal, store };
}
