/**
 * The public Repo: a directory holding `_schema.pg`, one Lance table per type and
 * the journal `_lancelog.db` (docs/architecture.md §What a repo is). Readers only ever open tables at
 * the versions the journal pins for a branch (a snapshot); writers go through the
 * write protocol (src/write/).
 */
import { resolve } from 'node:path';
import { catalogToJSON, findType } from './schema/index.js';
import type { Catalog, TypeDef } from './schema/types.js';
import { sqlIdent, sqlString, type TableStore, type TableHandle } from './storage/index.js';
import type {
  Journal,
  Snapshot,
  TablePin,
  CommitRow,
  BranchInfo,
  EventFilter,
  JournalEvent,
  OperationRow,
} from './journal/index.js';
import { RepoError } from './errors.js';
import { unknownTypeError } from './query/errors.js';
import {
  lazyEmbeddingClient,
  type OperationContext,
  type OperationOptions,
  type OperationOutcome,
  type StagedOperation,
} from './write/protocol/index.js';
import { runTransaction, type Transaction } from './write/transaction.js';
import { loadJsonl, type LoadInput, type LoadOptions, type LoadResult } from './write/load/load.js';
import { DEFAULT_BRANCH } from './defaults.js';
import {
  applySchemaChange,
  type SchemaApplyOptions,
  type SchemaApplyResult,
} from './write/schema-apply/schema-apply.js';
import {
  ensureIndexes,
  listIndexes,
  type EnsureIndexesResult,
  type IndexListRow,
  type IndexProgress,
} from './write/indexes.js';
import { executeMutation, type MutationResult } from './write/mutation.js';
import {
  executeRead,
  ReadCache,
  type QueryArgs,
  type QuerySource,
  type ReadContext,
  type ReadResult,
} from './read/index.js';
import {
  runRecovery,
  recoveryPending,
  type RecoveryMode,
  type RecoveryReport,
} from './recovery/sweep.js';
import { pendingOperations, recoveryAuditEntries } from './repo/recovery-view.js';
import type { EmbeddingClient } from './embed/index.js';
import {
  cleanupVersions,
  optimizeTables,
  type CleanupOptions,
  type CleanupResult,
  type OptimizeResult,
} from './write/maintenance/maintenance.js';
import { mergeBranches, type MergeOptions, type MergeResult } from './write/merge/merge.js';
import {
  diffSnapshots,
  entityHistory,
  type DiffFilter,
  type DiffResult,
  type EntityVersion,
} from './read/index.js';
import { allTypes, initRepo, openRepoParts } from './repo/create.js';
import { initTarget, openTarget } from './repo/storage-claim.js';
import { newerCatalog } from './repo/schema-sync.js';
import { PlanCache, stagedOverlay } from './repo/plans.js';
import { PinnedHandles, tableSummaries } from './repo/pinned.js';
import {
  RepoGraph,
  type GraphFileCheck,
  type GraphIndexListRow,
  type GraphIndexReport,
} from './repo/graph.js';
import { commitsWithPin, pinOf, refToReadAt, resolveSnapshot } from './repo/snapshots.js';
import { createBranchAt, forksOf, type BranchStart, type ForkRow } from './repo/branches.js';
import { verifyRepo } from './repo/verify.js';
import type {
  InitOptions,
  InitResult,
  OpenOptions,
  PendingRecoveryRow,
  ReadAt,
  RecoveryAuditEntry,
  ScanOptions,
  TableSummary,
  VerifyResult,
} from './repo/types.js';

export { SCHEMA_FILE, DEFAULT_ACTOR, schemaHash, allTypes } from './repo/create.js';
export type {
  InitOptions,
  InitResult,
  OpenOptions,
  RecoveryAuditEntry,
  ReadAt,
  ScanOptions,
  TableSummary,
  VerifyResult,
} from './repo/types.js';

export class Repo {
  /** Pinned handles never change, so they are cached by path, Lance branch and version. */
  private readonly pinned: PinnedHandles;
  private typesByKey: Map<string, TypeDef>;
  /** Operations this process is running (recovery never touches them). */
  protected readonly activeOps = new Set<string>();
  /** Node columns and graph indexes by table version, shared by every query of this repo. */
  private readonly readCache: ReadCache;
  /** Graph indexes and their `.graph` files (src/repo/graph.ts). */
  private readonly graph: RepoGraph;
  private plans: PlanCache;

  protected constructor(
    readonly dir: string,
    private current: Catalog,
    /** @internal */ readonly store: TableStore,
    /** @internal */ readonly journal: Journal,
    readonly readOnly: boolean,
    private readonly leaseTimeoutMs: number | undefined,
    readCacheBytes?: number,
  ) {
    this.typesByKey = new Map(allTypes(current).map((d) => [d.tableKey, d]));
    this.readCache = new ReadCache(readCacheBytes);
    this.pinned = new PinnedHandles(store);
    this.graph = new RepoGraph(dir, this.readCache, store, (k, p) => this.openPinned(k, p));
    this.plans = new PlanCache(current);
  }

  /** The schema the repo's data is written under (replaced by `applySchema`). */
  get catalog(): Catalog {
    return this.current;
  }

  private adoptCatalog(next: Catalog): void {
    this.current = next;
    this.typesByKey = new Map(allTypes(next).map((d) => [d.tableKey, d]));
    this.plans = new PlanCache(next);
  }

  /** Another process changed the schema (`schema apply`): adopt it before staging. */
  private syncCatalog(): void {
    const next = newerCatalog(this.dir, this.journal, this.current);
    if (next) this.adoptCatalog(next);
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
    const target = initTarget(repoDir, opts);
    return initRepo(resolve(target.dir), target.opts);
  }

  /** Opens an existing repo. */
  static async open(repoDir: string, opts: OpenOptions = {}): Promise<Repo> {
    const dir = resolve(openTarget(repoDir, opts.journal));
    const readOnly = opts.readOnly ?? false;
    const { catalog, journal, store } = await openRepoParts(dir, readOnly);
    const repo = new Repo(
      dir,
      catalog,
      store,
      journal,
      readOnly,
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
  pendingRecovery(): PendingRecoveryRow[] {
    return pendingOperations(this.dir, this.journal, this.activeOps);
  }

  /** The recovery audit, each row with its lancelog:recovery commit. */
  recoveryAudit(): RecoveryAuditEntry[] {
    return recoveryAuditEntries(this.journal);
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
    throw unknownTypeError(typeOrKey);
  }

  /**
   * The pin set of a branch at its latest manifest version, a given one, or a commit.
   * Time travel to pins cleanup removed is `VersionCleanedUp`, unless `allowCleaned`
   * (a caller that only lists the pins, e.g. `commit show`).
   */
  snapshot(at: ReadAt = {}, opts: { allowCleaned?: boolean } = {}): Snapshot {
    return resolveSnapshot(this.journal, at, opts);
  }

  /** A read-only handle on a table at exactly its pinned version. */
  async openPinned(tableKey: string, pin: TablePin): Promise<TableHandle> {
    return this.pinned.open(this.typeDef(tableKey), pin);
  }

  pinOf(snapshot: Snapshot, tableKey: string): TablePin {
    return pinOf(snapshot, tableKey);
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
    const rows = await this.scan(type, {
      ...at,
      where: `${sqlIdent('id')} = ${sqlString(id)}`,
      limit: 1,
    });
    return rows[0] ?? null;
  }

  /** Every table of a branch snapshot: pinned version, Lance branch and rows. */
  async tables(at: ReadAt = {}): Promise<TableSummary[]> {
    return tableSummaries(this.catalog, this.snapshot(at), (k, p) => this.openPinned(k, p));
  }

  // ── writes ──────────────────────────────────────────────────────────────

  /** @internal The context every writer runs in. */
  operationContext(): OperationContext {
    this.syncCatalog();
    return {
      dir: this.dir,
      store: this.store,
      journal: this.journal,
      catalog: this.catalog,
      activeOps: this.activeOps,
      openPinned: (tableKey, pin) => this.openPinned(tableKey, pin),
      embeddings: () => this.embeddings(),
    };
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
    return runTransaction(
      this.operationContext(),
      fn,
      opts,
      (snapshot, staged) => (q) => this.queryWithin(q, snapshot, staged),
    );
  }

  /**
   * Loads a JSONL data file (or text) into a branch as one operation (docs/writes.md
   * §JSONL load): every line is checked, then everything commits atomically or nothing
   * does. Large inputs load in chunks (docs/writes.md §Chunked loads).
   */
  async load(input: LoadInput, opts: LoadOptions): Promise<LoadResult> {
    this.assertWritable('load data');
    return loadJsonl(this.operationContext(), input, opts);
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
  ): Promise<OperationOutcome<EnsureIndexesResult & { graphs: GraphIndexReport[] }>> {
    this.assertWritable('build indexes');
    const { onProgress, ...op } = opts;
    const out = await ensureIndexes(this.operationContext(), op, onProgress);
    // Then the graph index files at the branch's pins (derived data: no publish).
    const graphs = await this.graph.persist(this.catalog, this.snapshot({ branch: op.branch }));
    return { ...out, value: { ...out.value, graphs } };
  }

  /** Every index the schema asks for at a snapshot (graph indexes last): state, version covered. */
  async indexes(at: ReadAt = {}): Promise<Array<IndexListRow | GraphIndexListRow>> {
    const snap = this.snapshot(at);
    const lance = await listIndexes(this.operationContext(), snap);
    return [...lance, ...(await this.graph.list(this.catalog, snap))];
  }

  // ── schema ──────────────────────────────────────────────────────────────

  /**
   * Changes the repo's schema in place (docs/schema-language.md §Evolution): validates
   * the data against the new rules, migrates it as one SchemaApply operation, records
   * the new schema and replaces `_schema.pg`. Repo-wide: refused while a branch other
   * than main exists. This Repo uses the new schema from then on.
   */
  async applySchema(
    source: string,
    file: string,
    opts: SchemaApplyOptions = {},
  ): Promise<Omit<SchemaApplyResult, 'catalog'>> {
    this.assertWritable('apply a schema');
    const { catalog, ...result } = await applySchemaChange(
      this.operationContext(),
      source,
      file,
      opts,
    );
    if (result.applied) this.adoptCatalog(catalog);
    return result;
  }

  // ── maintenance ─────────────────────────────────────────────────────────

  /**
   * Lance compaction of every table of a branch, one journaled operation per table
   * (docs/maintenance.md). Data is unchanged; no version is removed.
   */
  async optimize(
    opts: OperationOptions = {},
  ): Promise<OptimizeResult & { graphs: GraphIndexReport[] }> {
    this.assertWritable('optimize');
    const result = await optimizeTables(this.operationContext(), opts);
    // Compaction rewrites fragments: no later version patches from an older file.
    const graphs = await this.graph.persist(this.catalog, this.snapshot({ branch: result.branch }));
    return { ...result, graphs };
  }

  /**
   * Lance version GC under a keep / older-than policy (docs/maintenance.md §Which
   * versions are kept); without `confirm` only a preview (a read-only repo may preview).
   */
  async cleanup(opts: CleanupOptions): Promise<CleanupResult> {
    if (opts.confirm) this.assertWritable('clean up');
    const result = await cleanupVersions(this.operationContext(), opts);
    if (result.confirmed) {
      // Handles on removed versions would fail on their next read: forget them.
      this.pinned.clear();
      const head = this.snapshot({ branch: DEFAULT_BRANCH });
      await this.graph.removeCleaned(this.catalog.edges, (d) =>
        this.openPinned(d.tableKey, this.pinOf(head, d.tableKey)),
      );
    }
    return result;
  }

  /** Every graph index file checked whole; `remove` deletes the bad ones (docs/indexes.md). */
  async checkGraphIndexFiles(opts: { remove?: boolean } = {}): Promise<GraphFileCheck[]> {
    if (opts.remove) this.assertWritable('remove graph index files');
    return this.graph.check(this.catalog.edges, opts);
  }

  // ── reads ───────────────────────────────────────────────────────────────

  private readContext(overlay?: ReadContext['overlay']): ReadContext {
    return {
      catalog: this.catalog,
      cache: this.readCache,
      graphs: this.graph.indexes,
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
    const { plan, params } = this.plans.readPlan(args);
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
    const { plan, params } = this.plans.readPlan(q);
    return executeRead(this.readContext(stagedOverlay(staged)), plan, params, snapshot, startMs);
  }

  /**
   * Runs the named mutation of a `.gq` source with JSON parameters (validated against
   * the declared types) as one atomic operation.
   */
  async change(
    args: { source: string; file: string; name: string; params?: unknown } & OperationOptions,
  ): Promise<OperationOutcome<MutationResult>> {
    this.assertWritable('run a mutation');
    const { plan, params } = this.plans.mutationPlan(args);
    return executeMutation(this.operationContext(), plan, params, {
      branch: args.branch,
      actor: args.actor,
      message: args.message,
      ifCommit: args.ifCommit,
    });
  }

  // ── branches ────────────────────────────────────────────────────────────

  /** A new branch starts with the pins of its parent (lazy fork: nothing is copied). */
  createBranch(name: string, from: BranchStart = {}): Snapshot {
    this.assertWritable('create a branch');
    return createBranchAt(this.journal, name, from);
  }

  listBranches(): BranchInfo[] {
    return this.journal.listBranches();
  }

  /** The Lance branches a branch forked (lazily, on its first write to each table). */
  listForks(branch?: string): ForkRow[] {
    return forksOf(this.journal, branch);
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
    return this.snapshot(refToReadAt(this.journal, ref));
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
    const ctx = { ...this.readContext(), store: this.store };
    const result = await diffSnapshots(ctx, from, to, args.filter);
    return { from, to, ...result };
  }

  /** Every commit of a branch's history (oldest first) that changed one node or edge, with its values after. */
  async entityHistory(
    type: string,
    id: string,
    opts: { branch?: string } = {},
  ): Promise<EntityVersion[]> {
    const def = this.typeDef(type);
    const commits = commitsWithPin(this.journal, opts.branch ?? DEFAULT_BRANCH, def.tableKey);
    return entityHistory(this.readContext(), def, id, commits);
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
    return verifyRepo(this.journal, this.store, (tableKey) => this.typeDef(tableKey));
  }

  protected assertWritable(what: string): void {
    if (this.readOnly)
      throw new RepoError('ReadOnlyRepo', `cannot ${what}: the repo was opened read-only`, {
        repo: this.dir,
      });
  }

  async close(): Promise<void> {
    await this.pinned.closeAll();
    await this.store.close();
    this.journal.close();
  }
}
