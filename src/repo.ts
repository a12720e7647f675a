/**
 * The public Repo: a directory holding `_schema.pg`, one Lance table per type,
 * and (from the journal layer on) `_lancelog.db`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compileSchema, arrowSchemaFor, catalogToJSON } from './schema/index.js';
import type { Catalog, TypeDef } from './schema/types.js';
import { TableStore } from './storage/index.js';
import { RepoError } from './errors.js';
import { writeFileAtomic } from './fs-atomic.js';

export const SCHEMA_FILE = '_schema.pg';

export interface InitOptions {
  /** The .pg source text. */
  schemaSource: string;
  /** The file it came from, used in error messages. */
  schemaFile: string;
}

export interface InitResult {
  repo: string;
  tables: Array<{ tableKey: string; tablePath: string; version: number }>;
}

export interface OpenOptions {
  readOnly?: boolean;
}

export interface TableSummary {
  tableKey: string;
  tablePath: string;
  kind: 'node' | 'edge';
  name: string;
  headVersion: number;
  rows: number;
}

function isNonEmptyDir(path: string): boolean {
  return existsSync(path) && (!statSync(path).isDirectory() || readdirSync(path).length > 0);
}

export class Repo {
  private constructor(
    readonly dir: string,
    readonly catalog: Catalog,
    private readonly store: TableStore,
  ) {}

  /**
   * Creates a repo: compiles the schema first (a schema error creates nothing),
   * refuses a non-empty existing directory, then creates one empty table per type.
   * If table creation fails part-way, what init created is removed again.
   */
  static async init(repoDir: string, opts: InitOptions): Promise<InitResult> {
    const dir = resolve(repoDir);
    const catalog = compileSchema(opts.schemaSource, opts.schemaFile);
    if (isNonEmptyDir(dir)) {
      throw new RepoError('RepoNotEmpty', `refusing to init: ${dir} exists and is not an empty directory`, { repo: dir });
    }
    const createdDir = !existsSync(dir);
    mkdirSync(dir, { recursive: true });
    try {
      const store = await TableStore.open(dir);
      const tables: InitResult['tables'] = [];
      for (const def of allTypes(catalog)) {
        const version = await store.createTable(def.tableKey, def.tablePath, arrowSchemaFor(def));
        tables.push({ tableKey: def.tableKey, tablePath: def.tablePath, version });
      }
      // Written last: a directory without _schema.pg is not a repo, so a crash
      // during init never leaves something that opens as a half-made repo.
      writeFileAtomic(join(dir, SCHEMA_FILE), opts.schemaSource);
      return { repo: dir, tables };
    } catch (err) {
      if (createdDir) rmSync(dir, { recursive: true, force: true });
      else for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
      throw err;
    }
  }

  /** Opens an existing repo. `readOnly` opens never write (from the journal layer on). */
  static async open(repoDir: string, _opts: OpenOptions = {}): Promise<Repo> {
    const dir = resolve(repoDir);
    const schemaPath = join(dir, SCHEMA_FILE);
    if (!existsSync(schemaPath)) {
      throw new RepoError('NotARepo', `${dir} is not a lancelog repo (no ${SCHEMA_FILE}); create one with 'lancelog init'`, { repo: dir });
    }
    const catalog = compileSchema(readFileSync(schemaPath, 'utf8'), schemaPath);
    const store = await TableStore.open(dir);
    return new Repo(dir, catalog, store);
  }

  /** The deterministic JSON form of the catalog. */
  catalogJSON(): string {
    return catalogToJSON(this.catalog);
  }

  /** Every table with its Lance HEAD version and row count. */
  async tables(): Promise<TableSummary[]> {
    const out: TableSummary[] = [];
    for (const def of allTypes(this.catalog)) {
      const table = await this.store.openTable(def.tableKey, def.tablePath);
      out.push({
        tableKey: def.tableKey,
        tablePath: def.tablePath,
        kind: def.kind,
        name: def.name,
        headVersion: await table.version(),
        rows: await table.countRows(),
      });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

export function allTypes(catalog: Catalog): TypeDef[] {
  return [...catalog.nodes, ...catalog.edges];
}
