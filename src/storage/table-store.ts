/**
 * TableStore: the repo's Lance tables. A table lives at `<repoDir>/<tablePath>.lance`
 * with tablePath like `nodes/9a3f...`; lancedb addresses tables as (directory,
 * name), so we keep one lancedb connection per parent directory and use the
 * basename as the table name.
 *
 * Branches are native Lance branches (lancedb 0.37.1 `table.branches()`): a branch
 * lives inside the same dataset under `<table>.lance/tree/<name>/`, shares the data
 * files it forked from and has its own version history. Its version numbers continue
 * from the fork point (fork at 5 -> first branch commit is 6) and so can overlap
 * main's: a version number only means something together with its branch.
 */
import path from 'node:path';
import type * as arrow from 'apache-arrow';
import type { Connection, Table as LanceTable } from '@lancedb/lancedb';
import { schemaToLance } from './arrow-bridge.js';
import { lanceDb } from './lancedb.js';
import { branchError, errorMessage, guard, storageError, type TableRef } from './errors.js';
import { LanceTableHandle, type TableHandle } from './table-handle.js';
import { manifestFile, readFragments, type FragmentInfo } from './lance-manifest.js';
import { readLineageVersion, type LineageVersion } from './lance-lineage.js';
import type { SyncStats } from './lance-sync.js';
import { tableFilesFor, type TableFiles } from './table-files.js';
import { TableLineFiles } from './table-line-files.js';

export interface OpenTableOptions {
  /** Pin the handle at exactly this version (read-only). */
  version?: number;
  /** Lance branch; undefined or 'main' means the main line. */
  branch?: string;
}

export interface BranchInfo {
  name: string;
  /** Branch it was forked from; undefined for main. */
  parentBranch: string | undefined;
  /** Version of the parent it was forked at. */
  parentVersion: number;
}

/**
 * Every table is created with Lance's stable row ids (they cannot be turned on later):
 * a row keeps its `_rowid` through updates and compaction, and
 * `_row_created_at_version` / `_row_last_updated_at_version` name the rows a version
 * range wrote, which is what diffs in time proportional to the change read
 * (src/read/lineage-diff.ts, docs/branches-commits.md "Diff").
 */
const STABLE_ROW_IDS = { new_table_enable_stable_row_ids: 'true' } as const;

/** The main line: Lance itself names it by the absence of a branch. */
export const MAIN_BRANCH = 'main';

function normalizeBranch(branch: string | undefined): string | undefined {
  return branch === undefined || branch === MAIN_BRANCH ? undefined : branch;
}

export class TableStore {
  /** Connections whose tables re-read the latest version before every call. */
  private readonly connections = new Map<string, Promise<Connection>>();
  /** Connections for store-owned writers, which never refresh by themselves (see writerAt). */
  private readonly writerConnections = new Map<string, Promise<Connection>>();
  /** One kept-open HEAD handle per (table, Lance branch), keyed by writerKey. */
  private readonly writers = new Map<string, LanceTableHandle>();
  private closed = false;

  /** `files`: where the datasets live, the repo directory or an S3 prefix (table-files.ts). */
  private constructor(
    readonly repoDir: string,
    readonly files: TableFiles,
  ) {}

  /** The tables of the repo at `repoDir`, or at `tablesUri` (`s3://…`: table-files.ts). */
  static async open(repoDir: string, tablesUri?: string): Promise<TableStore> {
    const dir = path.resolve(repoDir);
    return new TableStore(dir, tableFilesFor(dir, tablesUri));
  }

  /** Validates tablePath and splits it into (absolute parent dir, table name). */
  private locate(ref: TableRef): { dir: string; name: string; datasetDir: string } {
    const p = ref.tablePath;
    const parts = p.split('/');
    if (
      path.isAbsolute(p) ||
      p.endsWith('.lance') ||
      parts.length < 2 ||
      parts.some((s) => s === '' || s === '.' || s === '..' || s.includes('\\'))
    ) {
      throw storageError(
        'InvalidTablePath',
        `invalid tablePath '${p}' (expected e.g. 'nodes/<hex>')`,
        ref,
      );
    }
    const dir = path.join(this.files.root, ...parts.slice(0, -1));
    const name = parts[parts.length - 1];
    return { dir, name, datasetDir: path.join(dir, `${name}.lance`) };
  }

  private assertOpen(ref: TableRef): void {
    if (this.closed) throw storageError('StoreClosed', 'TableStore is closed', ref);
  }

  private connection(ref: TableRef, dir: string, refreshing = true): Promise<Connection> {
    const pool = refreshing ? this.connections : this.writerConnections;
    let conn = pool.get(dir);
    if (conn === undefined) {
      // readConsistencyInterval 0: every read on an unpinned table checks for newer
      // versions, so a HEAD handle sees commits made through other handles/processes.
      // The default (undefined) never refreshes: only writerAt uses it, because each
      // refresh lists `_versions/`, which grows with the table's history.
      conn = guard(ref, 'connect', () =>
        lanceDb().connect(this.files.uri(dir), {
          ...(refreshing ? { readConsistencyInterval: 0 } : {}),
          storageOptions: this.files.storageOptions,
        }),
      );
      conn.catch(() => pool.delete(dir));
      pool.set(dir, conn);
    }
    return conn;
  }

  private versionsDir(ref: TableRef, branch: string | undefined): string {
    const { datasetDir } = this.locate(ref);
    return branch === undefined
      ? path.join(datasetDir, '_versions')
      : path.join(datasetDir, 'tree', branch, '_versions');
  }

  /**
   * Is `version` the HEAD of the table (on `branch`)? Lance numbers a table's versions
   * consecutively, so HEAD == v exactly when v's manifest exists and v+1's does not:
   * two `stat`s instead of listing every version (`headVersion`). A manifest under
   * another naming scheme falls back to the listing.
   */
  async isHead(
    tableKey: string,
    tablePath: string,
    version: number,
    branch?: string,
  ): Promise<boolean> {
    const ref = { tableKey, tablePath };
    this.assertOpen(ref);
    const b = normalizeBranch(branch);
    const dir = this.versionsDir(ref, b);
    const has = (v: number) => this.files.exists(manifestFile(dir, v));
    if (Number.isSafeInteger(version) && version >= 0 && (await has(version)))
      return !(await has(version + 1));
    return (await this.headVersion(tableKey, tablePath, b)) === version;
  }

  private writerKey(tablePath: string, branch: string | undefined): string {
    return `${tablePath}\0${branch ?? ''}`;
  }

  /**
   * The HEAD handle to commit to (table, Lance branch), kept open across operations so
   * that a write does not open the table (a `_versions/` listing) every time. Its
   * connection does not refresh, so the handle is reloaded when its version is not
   * `expectedVersion`. The caller must hold the table's lease and have checked that
   * HEAD is `expectedVersion` (isHead); the returned handle's version() says whether
   * it got there. Only for Lance branches that are never replaced (main, or a branch
   * already published): branch names are never reused once deleted.
   * close() on it is a no-op; dropWriter discards it.
   */
  async writerAt(
    tableKey: string,
    tablePath: string,
    expectedVersion: number,
    branch?: string,
  ): Promise<TableHandle> {
    const ref = { tableKey, tablePath };
    this.assertOpen(ref);
    const b = normalizeBranch(branch);
    const key = this.writerKey(tablePath, b);
    let writer = this.writers.get(key);
    if (writer === undefined) {
      const { dir, name } = this.locate(ref);
      if (!(await this.mayExist(tablePath)))
        throw storageError('TableNotFound', `table ${tableKey} not found at ${tablePath}`, ref);
      const conn = await this.connection(ref, dir, false);
      const main = await guard(ref, 'openTable', () => conn.openTable(name), 'TableNotFound');
      let table = main;
      try {
        if (b !== undefined) {
          await this.assertBranchExists(ref, main, b);
          table = await guard(
            ref,
            'openTable',
            async () => (await main.branches()).checkout(b),
            'VersionNotFound',
            { branch: b },
          );
          main.close();
        }
      } catch (err) {
        main.close();
        throw err;
      }
      writer = new LanceTableHandle(tableKey, tablePath, b, undefined, table, true);
      this.writers.set(key, writer);
    } else if ((await writer.version()) !== expectedVersion) {
      await writer.reload();
    }
    return writer;
  }

  /** Discards the kept-open writer of (table, Lance branch), e.g. after a failed commit. */
  dropWriter(tablePath: string, branch?: string): void {
    const key = this.writerKey(tablePath, normalizeBranch(branch));
    this.writers.get(key)?.dispose();
    this.writers.delete(key);
  }

  /**
   * Power-loss durability: fsyncs what versions (fromVersion, toVersion] of the table's
   * Lance branch created (manifests, transaction files, the data, deletion and index
   * files toVersion references and fromVersion does not) and the directories naming
   * them (lance-sync.ts). `forked`: the Lance branch was created after fromVersion was
   * published, so its fork manifest and ref are synced too. Call it before publishing
   * toVersion; lancedb itself never fsyncs. On an object store: nothing (table-files.ts).
   */
  async syncVersions(
    tableKey: string,
    tablePath: string,
    opts: { branch?: string; fromVersion: number; toVersion: number; forked?: boolean },
  ): Promise<SyncStats> {
    const ref = { tableKey, tablePath };
    this.assertOpen(ref);
    const { datasetDir } = this.locate(ref);
    const branch = normalizeBranch(opts.branch);
    return guard(ref, 'syncVersions', () =>
      this.files.sync({
        datasetDir,
        branch,
        fromVersion: opts.fromVersion,
        toVersion: opts.toVersion,
        forked: (opts.forked ?? false) && branch !== undefined,
        stopDir: datasetDir,
      }),
    );
  }

  /** The files of the table's Lance line `branch` (main when undefined): table-line-files.ts. */
  lineFiles(tableKey: string, tablePath: string, branch?: string | null): TableLineFiles {
    const ref = { tableKey, tablePath };
    this.assertOpen(ref);
    const b = normalizeBranch(branch ?? undefined);
    return new TableLineFiles(ref, this.locate(ref).datasetDir, b, this.files);
  }

  /**
   * The fragments of one version as its manifest lists them (no table open): what a
   * graph index file is checked against, and what changed since the version it describes.
   */
  async fragmentsAt(
    tableKey: string,
    tablePath: string,
    version: number,
    branch?: string,
  ): Promise<FragmentInfo[]> {
    const { ref, root } = this.lineFiles(tableKey, tablePath, branch);
    return guard(ref, 'fragmentsAt', () =>
      readFragments(manifestFile(path.join(root, '_versions'), version), root, this.readFile),
    );
  }

  /**
   * The row lineage of one version (src/storage/lance-lineage.ts), read from its
   * manifest: VersionNotFound when the manifest is gone (`lancelog cleanup` removed it).
   */
  async lineageVersion(
    tableKey: string,
    tablePath: string,
    version: number,
    branch?: string | null,
  ): Promise<LineageVersion> {
    const { ref, root, branch: b } = this.lineFiles(tableKey, tablePath, branch);
    const file = manifestFile(path.join(root, '_versions'), version);
    if (!(await this.files.exists(file)))
      throw storageError('VersionNotFound', `version ${version} of ${tableKey} not found`, ref, {
        version,
        branch: b ?? null,
      });
    return guard(ref, 'lineage', () => readLineageVersion(file, root, this.readFile), undefined, {
      version,
    });
  }

  /** Does the dataset at `tablePath` have versions? */
  async tableExists(tablePath: string): Promise<boolean> {
    return this.files.anyUnder(this.versionsDir({ tableKey: '(exists)', tablePath }, undefined));
  }

  /** Reads one dataset file (a manifest, a deletion or row-id file) from the backend. */
  readonly readFile = (file: string): Promise<Buffer> => this.files.read(file);

  /** Asked before every table open: false when the dataset certainly has no versions. */
  private mayExist(tablePath: string): Promise<boolean> {
    const dir = this.versionsDir({ tableKey: '(open)', tablePath }, undefined);
    return this.files.mayHaveVersions(dir);
  }

  /** Does the Lance branch `branch` of the table have versions (its `tree/<branch>/`)? */
  async lanceBranchExists(tableKey: string, tablePath: string, branch: string): Promise<boolean> {
    return this.files.anyUnder(this.versionsDir({ tableKey, tablePath }, branch));
  }

  async createTable(tableKey: string, tablePath: string, schema: arrow.Schema): Promise<number> {
    const ref = { tableKey, tablePath };
    this.assertOpen(ref);
    const { dir, name } = this.locate(ref);
    if (await this.tableExists(tablePath)) {
      throw storageError('TableExists', `table ${tableKey} already exists at ${tablePath}`, ref);
    }
    await guard(ref, 'createTable', () => this.files.makeDir(dir));
    const conn = await this.connection(ref, dir);
    let table: LanceTable;
    try {
      table = await conn.createEmptyTable(name, schemaToLance(schema), {
        mode: 'create',
        storageOptions: STABLE_ROW_IDS,
      });
    } catch (err) {
      // A concurrent creator may have won between our check and the create.
      const code = /already exists/i.test(errorMessage(err)) ? 'TableExists' : 'StorageFailure';
      throw storageError(
        code,
        `createTable ${tableKey} (${tablePath}) failed: ${errorMessage(err)}`,
        ref,
        {
          action: 'createTable',
          cause: errorMessage(err),
        },
      );
    }
    let version: number;
    try {
      version = await guard(ref, 'createTable', () => table.version());
    } finally {
      table.close();
    }
    // Everything is new, up to the table's entry in nodes/ or edges/ and theirs in the repo.
    await guard(ref, 'createTable', () =>
      this.files.sync({
        datasetDir: this.locate(ref).datasetDir,
        branch: undefined,
        fromVersion: null,
        toVersion: version,
        forked: false,
        stopDir: this.repoDir,
      }),
    );
    return version;
  }

  /**
   * Opens the dataset's main line at latest; TableNotFound when absent. With
   * `refreshing` false the table stays at the version it opened at (see connection).
   */
  private async openMain(ref: TableRef, refreshing = true): Promise<LanceTable> {
    this.assertOpen(ref);
    const { dir, name } = this.locate(ref);
    if (!(await this.mayExist(ref.tablePath))) {
      throw storageError(
        'TableNotFound',
        `table ${ref.tableKey} not found at ${ref.tablePath}`,
        ref,
      );
    }
    const conn = await this.connection(ref, dir, refreshing);
    return guard(ref, 'openTable', () => conn.openTable(name), 'TableNotFound');
  }

  private async assertBranchExists(
    ref: TableRef,
    table: LanceTable,
    branch: string,
  ): Promise<void> {
    const branches = await guard(
      ref,
      'listBranches',
      async () => (await table.branches()).list(),
      undefined,
      { branch },
    );
    if (!Object.prototype.hasOwnProperty.call(branches, branch)) {
      throw branchError('BranchNotFound', `branch '${branch}' of ${ref.tableKey} not found`, ref, {
        branch,
      });
    }
  }

  async openTable(
    tableKey: string,
    tablePath: string,
    opts: OpenTableOptions = {},
  ): Promise<TableHandle> {
    const ref = { tableKey, tablePath };
    const branch = normalizeBranch(opts.branch);
    const version = opts.version;
    if (version !== undefined && (!Number.isSafeInteger(version) || version < 0)) {
      throw storageError(
        'VersionNotFound',
        `invalid version ${String(version)} for ${tableKey}`,
        ref,
        { version, branch: branch ?? null },
      );
    }
    // A pinned handle never needs to refresh: open it on the non-refreshing connection,
    // where a table opened at latest stays there, so a pin that is the latest version
    // (the common case) needs no second manifest load by checkout().
    const main = await this.openMain(ref, version === undefined);
    let table = main;
    try {
      if (branch !== undefined) {
        await this.assertBranchExists(ref, main, branch);
        // checkout(name, version) returns a new handle scoped to the branch; with a
        // version it is a detached, read-only view of that branch version.
        table = await guard(
          ref,
          'openTable',
          async () => (await main.branches()).checkout(branch, version),
          'VersionNotFound',
          { version, branch },
        );
        main.close();
      } else if (
        version !== undefined &&
        (await guard(ref, 'openTable', () => main.version())) !== version
      ) {
        await guard(ref, 'openTable', () => main.checkout(version), 'VersionNotFound', {
          version,
          branch: null,
        });
      }
    } catch (err) {
      main.close();
      throw err;
    }
    return new LanceTableHandle(tableKey, tablePath, branch, version, table);
  }

  async headVersion(tableKey: string, tablePath: string, branch?: string): Promise<number> {
    const h = await this.openTable(tableKey, tablePath, { branch });
    try {
      return await h.version();
    } finally {
      h.close();
    }
  }

  /**
   * Restores the table (on Lance branch `branch`, main when null) to `version` as a
   * new commit; returns the version that commit landed at. Recovery and doctor undo a
   * table this way; the caller syncs and journals it. (The protocol's in-process
   * rollback reads HEAD on the same handle first, so it opens its own.)
   */
  async restoreTo(
    tableKey: string,
    tablePath: string,
    version: number,
    branch?: string | null,
  ): Promise<number> {
    const h = await this.openTable(tableKey, tablePath, branch ? { branch } : {});
    try {
      return await h.restore(version);
    } finally {
      h.close();
    }
  }

  /**
   * Creates Lance branch `name` forked from `fromBranch` (default main) at
   * `fromVersion` (default its latest). Creating a branch commits nothing on the
   * parent. Returns the branch's HEAD version, which equals the fork version.
   */
  async createBranch(
    tableKey: string,
    tablePath: string,
    name: string,
    fromVersion?: number,
    fromBranch?: string,
  ): Promise<number> {
    const ref = { tableKey, tablePath };
    const parent = normalizeBranch(fromBranch);
    if (
      normalizeBranch(name) === undefined ||
      name === '' ||
      name.includes('/') ||
      name.includes('\\')
    ) {
      throw branchError('InvalidBranchName', `invalid branch name '${name}'`, ref, {
        branch: name,
      });
    }
    this.dropWriter(tablePath, name);
    const main = await this.openMain(ref);
    try {
      const branches = await guard(
        ref,
        'createBranch',
        async () => (await main.branches()).list(),
        undefined,
        { branch: name },
      );
      if (Object.prototype.hasOwnProperty.call(branches, name)) {
        throw branchError('BranchExists', `branch '${name}' of ${tableKey} already exists`, ref, {
          branch: name,
        });
      }
      if (parent !== undefined && !Object.prototype.hasOwnProperty.call(branches, parent)) {
        throw branchError('BranchNotFound', `branch '${parent}' of ${tableKey} not found`, ref, {
          branch: parent,
        });
      }
      const extra = { branch: name, fromVersion, fromBranch: parent ?? MAIN_BRANCH };
      const bt = await guard(
        ref,
        'createBranch',
        async () => (await main.branches()).create(name, parent, fromVersion),
        'VersionNotFound',
        extra,
      );
      try {
        return await guard(ref, 'createBranch', () => bt.version(), undefined, extra);
      } finally {
        bt.close();
      }
    } finally {
      main.close();
    }
  }

  /** Deletes Lance branch `name`; BranchNotFound if absent. Main is untouched. */
  async deleteBranch(tableKey: string, tablePath: string, name: string): Promise<void> {
    const ref = { tableKey, tablePath };
    const branch = normalizeBranch(name);
    if (branch === undefined) {
      throw branchError('InvalidBranchName', `cannot delete the main branch of ${tableKey}`, ref, {
        branch: name,
      });
    }
    this.dropWriter(tablePath, branch);
    const main = await this.openMain(ref);
    try {
      await this.assertBranchExists(ref, main, branch);
      await guard(
        ref,
        'deleteBranch',
        async () => (await main.branches()).delete(branch),
        'BranchNotFound',
        { branch },
      );
    } finally {
      main.close();
    }
  }

  /** Lance branches of the table (main excluded), sorted by name. */
  async listBranches(tableKey: string, tablePath: string): Promise<BranchInfo[]> {
    const ref = { tableKey, tablePath };
    const main = await this.openMain(ref);
    try {
      const branches = await guard(ref, 'listBranches', async () => (await main.branches()).list());
      // BranchContents is a napi class: its fields are getters, so read them explicitly.
      return Object.keys(branches)
        .sort()
        .map((name) => {
          const c = branches[name];
          return {
            name,
            parentBranch: c.parentBranch ?? undefined,
            parentVersion: c.parentVersion,
          };
        });
    } finally {
      main.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.writers.values()) w.dispose();
    this.writers.clear();
    const conns = [...this.connections.values(), ...this.writerConnections.values()];
    this.connections.clear();
    this.writerConnections.clear();
    for (const p of conns) {
      try {
        (await p).close();
      } catch {
        // A connection that failed to open has nothing to close.
      }
    }
  }
}
