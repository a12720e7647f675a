/**
 * The public Repo: a directory holding `_schema.pg`, one Lance table per type and
 * the journal `_lancelog.db` (docs/architecture.md §What a repo is). Readers only ever open tables at
 * the versions the journal pins for a branch (a snapshot); writers go through the
 * write protocol (src/write/).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { compileSchema, arrowSchemaFor, catalogToJSON, findType } from './schema/index.js';
import type { Catalog, TypeDef } from './schema/types.js';
import { TableStore, sqlString, type TableHandle } from './storage/index.js';
import {
  Journal,
  type Snapshot,
  type TablePin,
  type CommitRow,
  type BranchInfo,
  type EventFilter,
  type JournalEvent,
  type OperationRow,
  type VerifyReport,
} from './journal/index.js';
import { asSystemError, RepoError } from './errors.js';
import {
  runOperation,
  type OperationContext,
  type OperationOptions,
  type OperationOutcome,
} from './write/operation.js';
import { Transaction } from './write/transaction.js';
import {
  ensureIndexes,
  listIndexes,
  type EnsureIndexesResult,
  type IndexListRow,
  type IndexProgress,
} from './write/indexes.js';
import { executeMutation, type MutationResult } from './write/mutation.js';
import { compileQuery, bindParams } from './query/index.js';
import type { QueryPlan, ReadPlan } from './query/index.js';
import {
  applyEdgeInserts,
  executeRead,
  ReadCache,
  type QueryArgs,
  type QuerySource,
  type ReadContext,
  type ReadResult,
  type TableOverlay,
} from './read/index.js';
import type { StagedOperation } from './write/staging.js';
import type { CommitResult } from './write/protocol.js';
import {
  runRecovery,
  recoveryPending,
  RECOVERY_ACTOR,
  type RecoveryMode,
  type RecoveryReport,
} from './recovery/sweep.js';
import { findPending } from './recovery/observe.js';
import type { RecoveryAuditRow } from './journal/index.js';
import { writeFileAtomic } from './fs-atomic.js';
import type { EmbeddingClient } from './embed/index.js';
import { lazyEmbeddingClient } from './write/embed-fill.js';
import {
  cleanupVersions,
  optimizeTables,
  type CleanupOptions,
  type CleanupResult,
  type OptimizeResult,
} from './write/maintenance.js';
import { cleanedVersionKey } from './journal/index.js';
import { mergeBranches, type MergeOptions, type MergeResult } from './write/merge.js';
import {
  diffSnapshots,
  entityHistory,
  type DiffFilter,
  type DiffResult,
  type EntityVersion,
} from './read/index.js';

export const SCHEMA_FILE = '_schema.pg';
export const DEFAULT_ACTOR = 'lancelog';

export interface InitOptions {
  /** The .pg source text. */
  schemaSource: string;
  /** The file it came from, used in error messages. */
  schemaFile: string;
  actor?: string;
}

export interface InitResult {
  repo: string;
  tables: Array<{ tableKey: string; tablePath: string; version: number }>;
  commitId: string;
}

export interface OpenOptions {
  /** A read-only open never writes: not to the journal, not to Lance. */
  readOnly?: boolean;
  /** Run Full recovery on a read-write open (default true; `lancelog recover` opens with false). */
  recover?: boolean;
  /** A lease whose heartbeat is older than this belongs to a dead owner (default 30 s). */
  leaseTimeoutMs?: number;
  /**
   * Bound, in bytes, of the read cache (node columns and graph indexes of the
   * table versions queries read; least recently used evicted first). Default 512 MiB.
   */
  readCacheBytes?: number;
  /**
   * The client that fills `@embed` vectors on writes (and embeds query strings).
   * Default: `createEmbeddingClient()` from the environment, created on first use.
   */
  embeddings?: EmbeddingClient;
}

export interface RecoveryAuditEntry extends RecoveryAuditRow {
  /** The lancelog:recovery commit that published the decision (null for Abort). */
  commitId: string | null;
  branch: string | null;
}

/** Which published state to read: a branch's latest, one of its manifest versions, or a commit. */
export interface ReadAt {
  branch?: string;
  version?: number;
  commit?: string;
}

export interface ScanOptions extends ReadAt {
  /** SQL filter over the table's columns, e.g. `age > 30`. */
  where?: string;
  columns?: string[];
  limit?: number;
}

export interface TableSummary {
  tableKey: string;
  tablePath: string;
  kind: 'node' | 'edge';
  name: string;
  pinnedVersion: number;
  lanceBranch: string | null;
  rows: number;
}

export interface VerifyResult extends VerifyReport {
  /** Invariant I1 per (branch, table): Lance HEAD == pin. */
  i1: Array<{
    branch: string;
    tableKey: string;
    pin: number;
    head: number | null;
    lanceBranch: string | null;
    inherited: boolean;
    ok: boolean;
  }>;
}

/**
 * The schema fingerprint: sha256 of the catalog's canonical JSON (less the source
 * file's name), so comments and layout in `_schema.pg` do not count, but any change to a type, property,
 * constraint or table path does.
 */
export function schemaHash(catalog: Catalog): string {
  // The name of the file the schema was compiled from is not part of the schema.
  const { file: _file, ...schema } = catalog;
  return createHash('sha256')
    .update(catalogToJSON(schema as Catalog))
    .digest('hex');
}

/**
 * Open refuses a `_schema.pg` that is not the schema the data was written under;
 * a repo from before fingerprints adopts its current schema at its first read-write
 * open (docs/recovery.md "Schema fingerprint").
 */
function checkSchemaFingerprint(
  dir: string,
  journal: Journal,
  catalog: Catalog,
  readOnly: boolean,
): void {
  const current = schemaHash(catalog);
  const recorded = journal.recordedSchemaHash();
  if (recorded === null) {
    if (!readOnly) journal.recordSchema(current, 'adopted');
    return;
  }
  if (recorded !== current)
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

export function allTypes(catalog: Catalog): TypeDef[] {
  return [...catalog.nodes, ...catalog.edges];
}

export class Repo {
  /** Pinned handles never change, so they are cached by path, Lance branch and version. */
  private readonly pinnedHandles = new Map<string, Promise<TableHandle>>();
  private readonly typesByKey: Map<string, TypeDef>;
  /** Operations this process is running (recovery never touches them). */
  protected readonly activeOps = new Set<string>();
  /** Node columns and graph indexes by table version, shared by every query of this repo. */
  private readonly readCache: ReadCache;
  private readonly plans = new Map<string, QueryPlan>();

  protected constructor(
    readonly dir: string,
    readonly catalog: Catalog,
    /** @internal */ readonly store: TableStore,
    /** @internal */ readonly journal: Journal,
    readonly readOnly: boolean,
    private readonly leaseTimeoutMs: number | undefined,
    readCacheBytes?: number,
  ) {
    this.typesByKey = new Map(allTypes(catalog).map((d) => [d.tableKey, d]));
    this.readCache = new ReadCache(readCacheBytes);
  }

  private embeddings = lazyEmbeddingClient();

  /**
   * The repo's embedding client (OpenOptions.embeddings, else from the environment on
   * first use): `await repo.embeddingClient().embed([text], dim)` gives the
   * L2-normalised vector that `@embed` stores for `text`. Throws EmbeddingNotConfigured
   * / EmbeddingConfigInvalid when the environment names no usable provider.
   */
  embeddingClient(): EmbeddingClient {
    return this.embeddings();
  }

  /**
   * Creates a repo: compiles the schema first (a schema error creates nothing),
   * refuses a non-empty existing directory, creates one empty table per type, the
   * journal (manifest 1 of `main` pins every table), and `_schema.pg` last.
   * If anything fails part-way, what init created is removed again.
   */
  static async init(repoDir: string, opts: InitOptions): Promise<InitResult> {
    const dir = resolve(repoDir);
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
      const store = await TableStore.open(dir);
      const tables: InitResult['tables'] = [];
      try {
        for (const def of allTypes(catalog)) {
          const version = await store.createTable(def.tableKey, def.tablePath, arrowSchemaFor(def));
          tables.push({ tableKey: def.tableKey, tablePath: def.tablePath, version });
        }
      } finally {
        await store.close();
      }
      const journal = Journal.create(dir, {
        tables,
        actor: opts.actor ?? DEFAULT_ACTOR,
        message: 'init',
        schemaHash: schemaHash(catalog),
      });
      const commitId = journal.snapshot({ branch: 'main' }).commitId;
      journal.close();
      // Written last: a directory without _schema.pg is not a repo, so a crash
      // during init never leaves something that opens as a half-made repo.
      writeFileAtomic(join(dir, SCHEMA_FILE), opts.schemaSource);
      return { repo: dir, tables, commitId };
    } catch (err) {
      if (createdDir) rmSync(dir, { recursive: true, force: true });
      else
        for (const entry of readdirSync(dir))
          rmSync(join(dir, entry), { recursive: true, force: true });
      throw err;
    }
  }

  /** Opens an existing repo. */
  static async open(repoDir: string, opts: OpenOptions = {}): Promise<Repo> {
    const dir = resolve(repoDir);
    const schemaPath = join(dir, SCHEMA_FILE);
    if (!existsSync(schemaPath)) {
      throw new RepoError(
        'NotARepo',
        `${dir} is not a lancelog repo (no ${SCHEMA_FILE}); create one with 'lancelog init'`,
        { repo: dir },
      );
    }
    const catalog = compileSchema(readFileSync(schemaPath, 'utf8'), schemaPath);
    const journal = Journal.open(dir, { readOnly: opts.readOnly ?? false });
    try {
      checkSchemaFingerprint(dir, journal, catalog, opts.readOnly ?? false);
    } catch (err) {
      journal.close();
      throw err;
    }
    const store = await TableStore.open(dir);
    const repo = new Repo(
      dir,
      catalog,
      store,
      journal,
      opts.readOnly ?? false,
      opts.leaseTimeoutMs,
      opts.readCacheBytes,
    );
    if (opts.embeddings) repo.embeddings = lazyEmbeddingClient(() => opts.embeddings!);
    if (!repo.readOnly && (opts.recover ?? true) && recoveryPending(repo.recoveryContext())) {
      try {
        await runRecovery(repo.recoveryContext(), { mode: 'Full' });
      } catch (err) {
        await repo.close();
        throw err;
      }
    }
    return repo;
  }

  // ── recovery ────────────────────────────────────────────────────────────

  private recoveryContext() {
    return {
      dir: this.dir,
      store: this.store,
      journal: this.journal,
      catalog: this.catalog,
      activeOps: this.activeOps,
      leaseTimeoutMs: this.leaseTimeoutMs,
    };
  }

  /**
   * Runs recovery now (Full by default). With dryRun, only reports each pending
   * operation's observation, classification, decision and planned actions.
   */
  async recover(opts: { dryRun?: boolean; mode?: RecoveryMode } = {}): Promise<RecoveryReport> {
    if (!opts.dryRun) this.assertWritable('recover');
    return runRecovery(this.recoveryContext(), { mode: opts.mode ?? 'Full', dryRun: opts.dryRun });
  }

  /**
   * Catches up with other processes: rolls forward (or cleans up) what crashed
   * writers left, and runs the full decision for operations whose owner is provably
   * dead. Never touches an operation whose owner is alive, including this process's.
   * When nothing is pending it costs one query and one directory listing.
   */
  async refresh(): Promise<RecoveryReport | null> {
    if (this.readOnly || !recoveryPending(this.recoveryContext())) return null;
    return runRecovery(this.recoveryContext(), { mode: 'RollForwardOnly' });
  }

  /** Operations recovery would process (read-only: changes nothing). */
  pendingRecovery(): Array<{
    opId: string;
    kind: string;
    branch: string;
    actor: string | null;
    hasSidecar: boolean;
    published: boolean;
  }> {
    const pending = findPending(this.dir, this.journal);
    return pending.operations
      .filter((o) => !this.activeOps.has(o.opId))
      .map((o) => ({
        opId: o.opId,
        kind: o.kind,
        branch: o.branch,
        actor: o.actor,
        hasSidecar: o.hasSidecar,
        published: o.published,
      }));
  }

  /** The recovery audit, each row with its lancelog:recovery commit. */
  recoveryAudit(): RecoveryAuditEntry[] {
    const commits = new Map(
      this.journal.listCommits({ actor: RECOVERY_ACTOR }).map((c) => [c.opId, c]),
    );
    return this.journal.listRecoveryAudit().map((row) => {
      const commit = commits.get(row.recoveryOpId);
      return { ...row, commitId: commit?.id ?? null, branch: commit?.branch ?? null };
    });
  }

  /** The deterministic JSON form of the catalog. */
  catalogJSON(): string {
    return catalogToJSON(this.catalog);
  }

  /** The type of a table key, or of a type name (`Person`, edge names case-insensitively). */
  typeDef(typeOrKey: string): TypeDef {
    const byKey = this.typesByKey.get(typeOrKey);
    if (byKey) return byKey;
    const def = findType(this.catalog, typeOrKey);
    if (def) return def;
    throw new RepoError('UnknownType', `no node or edge type '${typeOrKey}' in the schema`, {
      type: typeOrKey,
    });
  }

  /**
   * The pin set of a branch at its latest manifest version, a given one, or a commit.
   * Time travel to pins cleanup removed is `VersionCleanedUp`, unless `allowCleaned`
   * (a caller that only lists the pins, e.g. `commit show`).
   */
  snapshot(at: ReadAt = {}, opts: { allowCleaned?: boolean } = {}): Snapshot {
    if (at.commit !== undefined) {
      const snap = this.journal.snapshot({ commitId: at.commit });
      if (at.branch !== undefined && at.branch !== snap.branch)
        this.assertCommitOnBranch(at.commit, at.branch);
      return opts.allowCleaned ? snap : this.assertNotCleanedUp(snap);
    }
    const snap = this.journal.snapshot({
      branch: at.branch ?? 'main',
      ...(at.version !== undefined ? { manifestVersion: at.version } : {}),
    });
    // A branch's latest pins are never cleaned up (docs/maintenance.md); only time travel checks.
    return at.version !== undefined && !opts.allowCleaned ? this.assertNotCleanedUp(snap) : snap;
  }

  /** Time travel to a commit whose table versions cleanup removed is a typed error, not a storage one. */
  private assertNotCleanedUp(snap: Snapshot): Snapshot {
    const cleaned = this.journal.cleanedVersions();
    if (cleaned.size === 0) return snap;
    for (const pin of snap.pins) {
      const opId = cleaned.get(cleanedVersionKey(pin.tableKey, pin.lanceBranch, pin.version));
      if (opId === undefined) continue;
      throw new RepoError(
        'VersionCleanedUp',
        `commit ${snap.commitId} (branch ${snap.branch}, version ${snap.manifestVersion}) can no longer be read: ` +
          `cleanup ${opId} removed version ${pin.version} of ${pin.tableKey}`,
        {
          commit: snap.commitId,
          branch: snap.branch,
          manifest_version: snap.manifestVersion,
          table_key: pin.tableKey,
          version: pin.version,
          cleanup_op_id: opId,
        },
      );
    }
    return snap;
  }

  /** A read-only handle on a table at exactly its pinned version. */
  async openPinned(tableKey: string, pin: TablePin): Promise<TableHandle> {
    const def = this.typeDef(tableKey);
    const cacheKey = `${def.tablePath}\u0000${pin.lanceBranch ?? ''}\u0000${pin.version}`;
    let handle = this.pinnedHandles.get(cacheKey);
    if (!handle) {
      handle = this.store.openTable(def.tableKey, def.tablePath, {
        version: pin.version,
        ...(pin.lanceBranch ? { branch: pin.lanceBranch } : {}),
      });
      this.pinnedHandles.set(cacheKey, handle);
      handle.catch(() => this.pinnedHandles.delete(cacheKey));
    }
    return handle;
  }

  pinOf(snapshot: Snapshot, tableKey: string): TablePin {
    const pin = snapshot.pins.find((p) => p.tableKey === tableKey);
    if (!pin)
      throw new RepoError(
        'TableNotPinned',
        `${tableKey} has no pin on branch ${snapshot.branch} at manifest version ${snapshot.manifestVersion}`,
        { table_key: tableKey, branch: snapshot.branch },
      );
    return pin;
  }

  /** Rows of a type at a snapshot, optionally filtered (SQL) and projected. */
  async scan(type: string, opts: ScanOptions = {}): Promise<Record<string, unknown>[]> {
    const def = this.typeDef(type);
    const snap = this.snapshot(opts);
    const table = await this.openPinned(def.tableKey, this.pinOf(snap, def.tableKey));
    return table.scan({ where: opts.where, columns: opts.columns, limit: opts.limit });
  }

  /** One node or edge by id (the key value for keyed nodes), or null. */
  async get(type: string, id: string, at: ReadAt = {}): Promise<Record<string, unknown> | null> {
    const rows = await this.scan(type, { ...at, where: `id = ${sqlString(id)}`, limit: 1 });
    return rows[0] ?? null;
  }

  /** Every table of a branch snapshot: pinned version, Lance branch and rows. */
  async tables(at: ReadAt = {}): Promise<TableSummary[]> {
    const snap = this.snapshot(at);
    const out: TableSummary[] = [];
    for (const def of allTypes(this.catalog)) {
      const pin = this.pinOf(snap, def.tableKey);
      const table = await this.openPinned(def.tableKey, pin);
      out.push({
        tableKey: def.tableKey,
        tablePath: def.tablePath,
        kind: def.kind,
        name: def.name,
        pinnedVersion: pin.version,
        lanceBranch: pin.lanceBranch,
        rows: await table.countRows(),
      });
    }
    return out;
  }

  // ── writes ──────────────────────────────────────────────────────────────

  /** @internal The context every writer runs in. */
  operationContext(): OperationContext {
    return {
      dir: this.dir,
      store: this.store,
      journal: this.journal,
      catalog: this.catalog,
      activeOps: this.activeOps,
      openPinned: (tableKey, pin) => this.openPinned(tableKey, pin),
      embeddings: () => this.embeddings(),
      onCommitted: (staged, result) => this.deriveIndexes(staged, result),
    };
  }

  /**
   * A pure-insert write to an edge table: the new version's graph index is the cached
   * old one plus the inserted edges (no full rebuild on the next query).
   */
  private deriveIndexes(staged: StagedOperation, result: CommitResult): void {
    for (const move of result.tables) {
      const t = staged.tables.get(move.tableKey);
      if (!t || t.def.kind !== 'edge' || t.deletes.size > 0 || t.upserts.count('upsert') > 0)
        continue;
      applyEdgeInserts(
        this.readCache,
        t.def,
        move.lanceBranch,
        move.from,
        move.to,
        [...t.upserts.column('src')],
        [...t.upserts.column('dst')],
      );
    }
  }

  /**
   * Runs `fn` against a transaction on a branch and commits everything it staged
   * atomically: one Lance commit per touched table and one publish, or nothing.
   */
  async transaction<T>(
    fn: (tx: Transaction) => Promise<T> | T,
    opts: OperationOptions = {},
  ): Promise<OperationOutcome<T>> {
    this.assertWritable('write');
    return runOperation(this.operationContext(), 'Mutation', opts, async (staged, snapshot) =>
      fn(new Transaction(staged, (q) => this.queryWithin(q, snapshot, staged))),
    );
  }

  /**
   * Builds the indexes the schema asks for that a branch's tables lack, or whose
   * tables gained rows since they were built, as one operation (docs/indexes.md).
   */
  async ensureIndexes(
    opts: OperationOptions & {
      /** Only these node types' tables (default: all). */
      types?: string[];
      onProgress?: (p: IndexProgress) => void;
    } = {},
  ): Promise<OperationOutcome<EnsureIndexesResult>> {
    this.assertWritable('build indexes');
    const { onProgress, ...op } = opts;
    return ensureIndexes(this.operationContext(), op, onProgress);
  }

  /** Every index the schema asks for at a snapshot: its state and the version it covers. */
  async indexes(at: ReadAt = {}): Promise<IndexListRow[]> {
    return listIndexes(this.operationContext(), this.snapshot(at));
  }

  // ── maintenance ─────────────────────────────────────────────────────────

  /**
   * Lance compaction of every table of a branch, one journaled operation per table
   * (docs/maintenance.md). Data is unchanged; no version is removed.
   */
  async optimize(opts: OperationOptions = {}): Promise<OptimizeResult> {
    this.assertWritable('optimize');
    return optimizeTables(this.operationContext(), opts);
  }

  /**
   * Lance version GC under a keep / older-than policy (docs/maintenance.md §Which
   * versions are kept); without `confirm` only a preview (a read-only repo may preview).
   */
  async cleanup(opts: CleanupOptions): Promise<CleanupResult> {
    if (opts.confirm) this.assertWritable('clean up');
    const result = await cleanupVersions(this.operationContext(), opts);
    if (result.confirmed) {
      // Handles on removed versions would fail on their next read: forget them (not
      // closed, a query of this process may still be using one).
      this.pinnedHandles.clear();
    }
    return result;
  }

  // ── reads ───────────────────────────────────────────────────────────────

  /** Compiles the named query of a `.gq` source (or file) and checks it is a read. */
  private readPlan(q: QuerySource): { plan: ReadPlan; params: ReturnType<typeof bindParams> } {
    if (q.source === undefined && q.file === undefined)
      throw new RepoError('QuerySourceMissing', 'a query needs its .gq source text or a file', {
        query: q.name,
      });
    const file = q.file ?? '<query>';
    const source = q.source ?? readFileSync(resolve(file), 'utf8');
    // Compiled plans are kept per (file, name, source): a warm query does not re-parse its file.
    const planKey = `${file}\u0000${q.name}\u0000${source}`;
    let plan = this.plans.get(planKey);
    if (!plan) {
      plan = compileQuery(source, file, this.catalog, q.name);
      if (this.plans.size >= 256) this.plans.delete(this.plans.keys().next().value!);
      this.plans.set(planKey, plan);
    }
    if (plan.kind !== 'read') {
      throw new RepoError(
        'QueryNotRead',
        `query ${q.name} in ${file} is a mutation; 'read' runs read queries (match … return …), 'change' runs mutations`,
        { query: q.name, file },
      );
    }
    return { plan, params: bindParams(plan, q.params ?? {}) };
  }

  private readContext(overlay?: ReadContext['overlay']): ReadContext {
    return {
      catalog: this.catalog,
      cache: this.readCache,
      openPinned: (tableKey, pin) => this.openPinned(tableKey, pin),
      embeddings: () => this.embeddingClient(),
      ...(overlay ? { overlay } : {}),
    };
  }

  /**
   * Runs the named read query of a `.gq` source (or file) with JSON parameters at
   * one snapshot: a branch's latest manifest version (default main), one of its
   * versions, or a commit. Every table is read at that manifest version's pins.
   */
  async query(args: QueryArgs): Promise<ReadResult> {
    const startMs = performance.now();
    const { plan, params } = this.readPlan(args);
    const snap = this.snapshot({
      ...(args.branch !== undefined ? { branch: args.branch } : {}),
      ...(args.version !== undefined ? { version: args.version } : {}),
      ...(args.commit !== undefined ? { commit: args.commit } : {}),
    });
    return executeRead(this.readContext(), plan, params, snap, startMs);
  }

  /** tx.query: the transaction's snapshot overlaid with what it has staged. */
  private async queryWithin(
    q: QuerySource,
    snapshot: Snapshot,
    staged: StagedOperation,
  ): Promise<ReadResult> {
    const startMs = performance.now();
    const { plan, params } = this.readPlan(q);
    const overlay = (tableKey: string): TableOverlay | undefined => {
      const t = staged.tables.get(tableKey);
      if (!t || (t.upserts.size === 0 && t.deletes.size === 0)) return undefined;
      return {
        upserts: t.upserts.rows(),
        isUpserted: (id) => t.upserts.has(id),
        deletes: t.deletes,
      };
    };
    return executeRead(this.readContext(overlay), plan, params, snapshot, startMs);
  }

  /**
   * Runs the named mutation of a `.gq` source with JSON parameters (validated against
   * the declared types) as one atomic operation.
   */
  async change(
    args: { source: string; file: string; name: string; params?: unknown } & OperationOptions,
  ): Promise<OperationOutcome<MutationResult>> {
    this.assertWritable('run a mutation');
    const plan = compileQuery(args.source, args.file, this.catalog, args.name);
    if (plan.kind !== 'mutation') {
      throw new RepoError(
        'QueryNotMutation',
        `query ${args.name} in ${args.file} is a read query; 'change' runs mutations (insert/update/delete)`,
        { query: args.name, file: args.file },
      );
    }
    const params = bindParams(plan, args.params ?? {});
    return executeMutation(this.operationContext(), plan, params, {
      branch: args.branch,
      actor: args.actor,
      message: args.message,
    });
  }

  // ── branches ────────────────────────────────────────────────────────────

  /** A new branch starts with the pins of its parent (lazy fork: nothing is copied). */
  createBranch(
    name: string,
    from: { from?: string; version?: number; commit?: string } = {},
  ): Snapshot {
    this.assertWritable('create a branch');
    if (from.commit !== undefined) {
      if (from.from !== undefined) this.assertCommitOnBranch(from.commit, from.from);
      return this.journal.createBranch(name, { commitId: from.commit });
    }
    return this.journal.createBranch(name, {
      fromBranch: from.from ?? 'main',
      ...(from.version !== undefined ? { manifestVersion: from.version } : {}),
    });
  }

  listBranches(): BranchInfo[] {
    return this.journal.listBranches();
  }

  /** The Lance branches a branch forked (lazily, on its first write to each table). */
  listForks(
    branch?: string,
  ): Array<{ branch: string; tableKey: string; lanceBranch: string; fromVersion: number }> {
    return this.journal.listForks(branch).map((f) => ({
      branch: f.branch,
      tableKey: f.tableKey,
      lanceBranch: f.lanceBranch,
      fromVersion: f.fromVersion,
    }));
  }

  /** A commit is readable from a branch when it is in the branch's first-parent history (inherited commits included). */
  private assertCommitOnBranch(commit: string, branch: string): void {
    if (!this.journal.listCommits({ branch }).some((c) => c.id === commit)) {
      const own = this.journal.getCommit(commit).branch;
      throw new RepoError(
        'CommitNotOnBranch',
        `commit ${commit} (on branch ${own}) is not in the history of branch ${branch}`,
        { commit, branch },
      );
    }
  }

  /** Deletes a branch and the Lance branches it forked. */
  async deleteBranch(
    name: string,
  ): Promise<{ deletedLanceBranches: Array<{ tableKey: string; lanceBranch: string }> }> {
    this.assertWritable('delete a branch');
    const owned = this.journal.deleteBranch(name);
    for (const { tableKey, lanceBranch } of owned) {
      const def = this.typeDef(tableKey);
      await this.store.deleteBranch(def.tableKey, def.tablePath, lanceBranch);
    }
    return { deletedLanceBranches: owned };
  }

  // ── diff and entity history ─────────────────────────────────────────────

  /**
   * The snapshot a diff ref names: a commit id, a branch name (its head) or
   * `branch@manifestVersion`. Unknown refs are `BranchNotFound` / `CommitNotFound` /
   * `ManifestVersionNotFound`.
   */
  resolveRef(ref: string): Snapshot {
    const at = /^(.+)@(\d+)$/.exec(ref);
    if (at) return this.snapshot({ branch: at[1], version: Number(at[2]) });
    if (
      /^[0-9A-HJKMNP-TV-Z]{26}$/i.test(ref) &&
      !this.journal.listBranches().some((b) => b.name === ref)
    )
      return this.snapshot({ commit: ref.toUpperCase() });
    return this.snapshot({ branch: ref });
  }

  /** Every row inserted, updated and deleted from one state to another (docs/branches-commits.md "Diff"). */
  async diff(args: {
    from: string;
    to: string;
    filter?: DiffFilter;
  }): Promise<DiffResult & { from: Snapshot; to: Snapshot }> {
    const from = this.resolveRef(args.from);
    const to = this.resolveRef(args.to);
    if (args.filter?.types) for (const t of args.filter.types) this.typeDef(t);
    const result = await diffSnapshots(this.readContext(), from, to, args.filter);
    return { from, to, ...result };
  }

  /** Every commit of a branch's history (oldest first) that changed one node or edge, with its values after. */
  async entityHistory(
    type: string,
    id: string,
    opts: { branch?: string } = {},
  ): Promise<EntityVersion[]> {
    const def = this.typeDef(type);
    const commits = this.journal.listCommits({ branch: opts.branch ?? 'main' }).reverse();
    return entityHistory(
      this.readContext(),
      def,
      id,
      commits.map((c) => ({
        commitId: c.id,
        branch: c.branch,
        manifestVersion: c.manifestVersion,
        timeUs: c.timeUs,
        actor: c.actor,
        message: c.message,
        pin: this.pinOf(this.journal.snapshot({ commitId: c.id }), def.tableKey),
      })),
    );
  }

  /**
   * Merges a branch into another (default main): three-way against the newest common
   * ancestor, one atomic operation of the write protocol (docs/branches-commits.md "Merge").
   * Conflicts throw `MergeConflicts` (all of them) and write nothing.
   */
  async merge(opts: MergeOptions): Promise<MergeResult> {
    this.assertWritable('merge branches');
    return mergeBranches(this.operationContext(), opts);
  }

  // ── history and audit ───────────────────────────────────────────────────

  listCommits(filter: { branch?: string; actor?: string; limit?: number } = {}): CommitRow[] {
    return this.journal.listCommits(filter);
  }

  getCommit(id: string): CommitRow {
    return this.journal.getCommit(id);
  }

  listEvents(filter: EventFilter = {}): JournalEvent[] {
    return this.journal.listEvents(filter);
  }

  getOperation(opId: string): OperationRow {
    return this.journal.getOperation(opId);
  }

  /**
   * `journal verify`: replays every event and compares with the stored projections,
   * runs SQLite's integrity check, and checks I1 (Lance HEAD == pin) for every table
   * on every live branch.
   */
  async verify(): Promise<VerifyResult> {
    const report = this.journal.verify();
    const i1: VerifyResult['i1'] = [];
    for (const branch of this.journal.listBranches()) {
      const owned = new Set(
        this.journal.listForks(branch.name).map((f) => `${f.tableKey}\u0000${f.lanceBranch}`),
      );
      for (const pin of this.journal.latestPins(branch.name)) {
        const def = this.typeDef(pin.tableKey);
        // I1 binds the Lance line a branch writes to: main's own line, or a Lance
        // branch it forked. A pin inherited from a parent (not forked yet) names a
        // version of the parent's line, whose HEAD the parent keeps moving; for it
        // the version only has to exist.
        const inherited =
          pin.lanceBranch === null
            ? branch.name !== 'main'
            : !owned.has(`${pin.tableKey}\u0000${pin.lanceBranch}`);
        let head: number | null = null;
        let versionExists = false;
        try {
          head = await this.store.headVersion(
            def.tableKey,
            def.tablePath,
            pin.lanceBranch ?? undefined,
          );
          versionExists = inherited ? head >= pin.version : head === pin.version;
        } catch {
          head = null;
        }
        i1.push({
          branch: branch.name,
          tableKey: pin.tableKey,
          pin: pin.version,
          head,
          lanceBranch: pin.lanceBranch,
          inherited,
          ok: versionExists,
        });
      }
    }
    const differences = [
      ...report.differences,
      ...i1
        .filter((x) => !x.ok)
        .map((x) =>
          x.inherited
            ? `inherited pin unreadable: ${x.tableKey} on branch ${x.branch}: pin ${x.pin}, Lance HEAD ${x.head ?? 'missing'}`
            : `I1 violated: ${x.tableKey} on branch ${x.branch}: pin ${x.pin}, Lance HEAD ${x.head ?? 'missing'}${x.lanceBranch ? ` (Lance branch ${x.lanceBranch})` : ''}`,
        ),
    ];
    return { ...report, differences, ok: report.ok && differences.length === 0, i1 };
  }

  protected assertWritable(what: string): void {
    if (this.readOnly)
      throw new RepoError('ReadOnlyRepo', `cannot ${what}: the repo was opened read-only`, {
        repo: this.dir,
      });
  }

  async close(): Promise<void> {
    for (const h of this.pinnedHandles.values()) {
      try {
        (await h).close();
      } catch {
        /* a failed open has nothing to close */
      }
    }
    this.pinnedHandles.clear();
    await this.store.close();
    this.journal.close();
  }
}
