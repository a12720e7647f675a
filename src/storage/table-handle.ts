/**
 * A handle on one Lance table, on main or a Lance branch, either tracking HEAD or
 * pinned at one version. Each handle owns its own lancedb Table object because
 * lancedb's checkout() is in-place: sharing one object would let a pin leak between
 * readers.
 */
import type * as arrow from 'apache-arrow';
import type { Table as LanceTable } from '@lancedb/lancedb';
import {
  batchFromLance,
  batchToRows,
  rowsToLance,
  tableColumnToJs,
  tableToRaw,
  schemaFromLance,
  tableToLance,
} from './arrow-bridge.js';
import { errorMessage, guard, storageError, type TableRef } from './errors.js';
import { columnOfFieldPath, idInPredicate } from './sql.js';
import { lanceDb } from './lancedb.js';
import { compactTable, pruneTable } from './table-maintenance.js';
import {
  FTS_TOKENIZER,
  type CompactResult,
  type FragmentStats,
  type IndexSpec,
  type MergeInsertArgs,
  type MergeInsertResult,
  type PruneResult,
  type RawScan,
  type RawScanOptions,
  type ScanOptions,
  type SearchOptions,
  type TableIndexInfo,
  type TableVersionInfo,
} from './table-types.js';

export type {
  ScanOptions,
  MergeInsertArgs,
  MergeInsertResult,
  TableVersionInfo,
  IndexSpec,
  TableIndexInfo,
  SearchOptions,
  FragmentStats,
  CompactResult,
  PruneResult,
  RawChunk,
  RawScan,
  RawScanOptions,
  NumberArray,
} from './table-types.js';
export { FTS_TOKENIZER } from './table-types.js';

export interface TableHandle {
  readonly tableKey: string;
  readonly tablePath: string;
  /** Lance branch name, undefined for main. */
  readonly branch: string | undefined;
  /** Set when the handle was opened at a version; such a handle is read-only. */
  readonly pinnedVersion: number | undefined;
  /** The version this handle reads: the pin, or the current HEAD (reloaded each call). */
  version(): Promise<number>;
  countRows(where?: string): Promise<number>;
  /**
   * Rows as plain JS objects. Utf8 -> string, Bool -> boolean, 8..32-bit ints and
   * floats -> number, Int64/UInt64 -> bigint, Date32/Timestamp -> Date (ms precision),
   * (Large)Binary -> Uint8Array, List/FixedSizeList -> array, null -> null.
   */
  scan(opts?: ScanOptions): Promise<Record<string, unknown>[]>;
  /** The same rows as apache-arrow RecordBatches (the project's arrow instance). */
  scanBatches(opts?: ScanOptions): AsyncIterable<arrow.RecordBatch>;
  /**
   * The named columns of the matching rows, one array per column, in one row order
   * (values as in `scan`). One lancedb call, no per-batch conversion: the fast path
   * for reading whole columns (the read executor's caches).
   */
  scanColumns(opts: ScanOptions & { columns: string[] }): Promise<Map<string, unknown[]>>;
  /** The same as raw Arrow chunks (typed arrays, no JS value per cell), with `_rowid` on request. */
  scanRaw(opts: RawScanOptions): Promise<RawScan>;
  schema(): Promise<arrow.Schema>;
  /**
   * The rows this version wrote after `sinceVersion` (`_row_last_updated_at_version >
   * sinceVersion`; meaningful only on a table with stable row ids), each with its
   * stable `_rowid` (bigint) and `_row_created_at_version` (bigint).
   */
  rowsWrittenAfter(sinceVersion: number): Promise<Record<string, unknown>[]>;
  /** The rows with these stable row ids at this version (missing ids are left out), with `_rowid`. */
  rowsByRowId(rowIds: readonly bigint[]): Promise<Record<string, unknown>[]>;
  /** Appends rows as exactly one new version; returns it. */
  append(rows: Record<string, unknown>[] | arrow.Table): Promise<number>;
  /** Upserts by `id` and deletes `deleteIds` as exactly one new version. */
  mergeInsert(args: MergeInsertArgs): Promise<MergeInsertResult>;
  /** Makes `version`'s content the new HEAD as exactly one new version; returns it. */
  restore(version: number): Promise<number>;
  listVersions(): Promise<TableVersionInfo[]>;
  /** Builds (or rebuilds, replacing) one index as exactly one new version; returns it. */
  createIndex(spec: IndexSpec): Promise<number>;
  /** The indexes of the version this handle reads. */
  listIndexes(): Promise<TableIndexInfo[]>;
  /**
   * BM25 full-text search of `column` (any query token, Lance's MatchQuery) — through
   * its inverted index, unindexed rows included. Best first; `_score` is the score.
   */
  textSearch(column: string, text: string, opts: SearchOptions): Promise<Map<string, unknown[]>>;
  /** Cosine k-nearest neighbours of `vector` in `column`; `_distance` is the cosine distance. */
  vectorSearch(
    column: string,
    vector: number[],
    opts: SearchOptions & { limit: number },
  ): Promise<Map<string, unknown[]>>;
  fragmentStats(): Promise<FragmentStats>;
  /**
   * Lance compaction (and index optimisation) only: zero or more new versions, and
   * no version is ever removed (lancedb's optimize prunes versions older than 7 days
   * unless told a cut-off; we pass one before any Lance table existed).
   */
  compact(): Promise<CompactResult>;
  /**
   * Lance version GC: lancedb's optimize with a cut-off, i.e. compaction first (maybe a
   * new version), then every version whose timestamp is before `olderThan` is removed
   * except the latest. Lance 0.37.1 exposes no per-version deletion.
   * `guardVersions` are tagged for the call (Lance refuses to remove a tagged version,
   * and the call then fails removing nothing): lancedb turns the date into a duration
   * that Lance subtracts from its own clock later, so the effective cut-off drifts
   * past `olderThan` by the call's latency. Tags left by a crash are dropped first.
   */
  pruneOlderThan(olderThan: Date, guardVersions: number[]): Promise<PruneResult>;
  close(): void;
}

function isArrowTable(x: unknown): x is arrow.Table {
  // Duck-typed: the table may come from either apache-arrow instance (see arrow-bridge).
  return (
    typeof x === 'object' && x !== null && !Array.isArray(x) && 'batches' in x && 'schema' in x
  );
}

export class LanceTableHandle implements TableHandle {
  private closed = false;
  /**
   * The table's schema (lancedb's instance) for converting rows, read once per handle:
   * asking lancedb costs ~0.3 ms, on every write through a kept writer. Lancelog never
   * alters a table's columns; reload() and restore() forget it anyway.
   */
  private writeSchema: arrow.Schema | undefined;

  constructor(
    readonly tableKey: string,
    readonly tablePath: string,
    readonly branch: string | undefined,
    readonly pinnedVersion: number | undefined,
    private readonly table: LanceTable,
    /** A store-owned writer (TableStore.writerAt): close() leaves it open for the next operation. */
    private readonly borrowed = false,
  ) {}

  private get ref(): TableRef {
    return { tableKey: this.tableKey, tablePath: this.tablePath };
  }

  private ctx(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { branch: this.branch ?? null, pinnedVersion: this.pinnedVersion ?? null, ...extra };
  }

  private assertOpen(): void {
    if (this.closed) {
      throw storageError(
        'HandleClosed',
        `handle on ${this.tableKey} is closed`,
        this.ref,
        this.ctx(),
      );
    }
  }

  private assertWritable(action: string): void {
    this.assertOpen();
    if (this.pinnedVersion !== undefined) {
      throw storageError(
        'ReadOnlyHandle',
        `cannot ${action} ${this.tableKey}: handle is pinned at version ${this.pinnedVersion}`,
        this.ref,
        this.ctx({ action }),
      );
    }
  }

  async version(): Promise<number> {
    this.assertOpen();
    // The connection uses readConsistencyInterval 0, so an unpinned table re-reads
    // the latest manifest here; a pinned (checked-out) one stays at its version.
    return guard(this.ref, 'version', () => this.table.version(), undefined, this.ctx());
  }

  async countRows(where?: string): Promise<number> {
    this.assertOpen();
    return guard(
      this.ref,
      'countRows',
      () => this.table.countRows(where),
      undefined,
      this.ctx({ where }),
    );
  }

  async schema(): Promise<arrow.Schema> {
    this.assertOpen();
    const s = await guard(this.ref, 'schema', () => this.table.schema(), undefined, this.ctx());
    return schemaFromLance(s);
  }

  async rowsWrittenAfter(sinceVersion: number): Promise<Record<string, unknown>[]> {
    this.assertOpen();
    const columns = (await this.schema()).fields.map((f) => f.name);
    const select = [...columns, '_rowid', '_row_created_at_version'];
    const where = `_row_last_updated_at_version > ${Math.trunc(sinceVersion)}`;
    const t = await guard(
      this.ref,
      'rowsWrittenAfter',
      () => this.table.query().where(where).select(select).toArrow(),
      undefined,
      this.ctx({ sinceVersion }),
    );
    return t.batches.flatMap((b) => batchToRows(b));
  }

  async rowsByRowId(rowIds: readonly bigint[]): Promise<Record<string, unknown>[]> {
    this.assertOpen();
    if (rowIds.length === 0) return [];
    const t = await guard(
      this.ref,
      'rowsByRowId',
      () => this.table.takeRowIds(rowIds).withRowId().toArrow(),
      undefined,
      this.ctx({ rowIds: rowIds.length }),
    );
    return t.batches.flatMap((b) => batchToRows(b));
  }

  private query(opts: ScanOptions) {
    const q = this.table.query();
    if (opts.where !== undefined) q.where(opts.where);
    if (opts.columns !== undefined) q.select(opts.columns);
    if (opts.limit !== undefined) q.limit(opts.limit);
    return q;
  }

  async scan(opts: ScanOptions = {}): Promise<Record<string, unknown>[]> {
    this.assertOpen();
    const t = await guard(
      this.ref,
      'scan',
      () => this.query(opts).toArrow(),
      undefined,
      this.ctx({ ...opts }),
    );
    // Rows are built straight from lancedb's batches: cell access works on either arrow instance.
    return t.batches.flatMap((b) => batchToRows(b));
  }

  async scanColumns(opts: ScanOptions & { columns: string[] }): Promise<Map<string, unknown[]>> {
    this.assertOpen();
    const t = await guard(
      this.ref,
      'scanColumns',
      () => this.query(opts).toArrow(),
      undefined,
      this.ctx({ ...opts }),
    );
    // An empty result may come without the columns (no batches): every column is empty.
    if (t.numRows === 0) return new Map(opts.columns.map((c) => [c, []]));
    return new Map(opts.columns.map((c) => [c, tableColumnToJs(t, c)]));
  }

  async scanRaw(opts: RawScanOptions): Promise<RawScan> {
    this.assertOpen();
    const t = await guard(
      this.ref,
      'scanRaw',
      () =>
        this.query({
          ...opts,
          columns: opts.withRowAddr ? [...opts.columns, '_rowaddr'] : opts.columns,
        }).toArrow(),
      undefined,
      this.ctx({ ...opts }),
    );
    if (t.numRows === 0)
      return {
        rows: 0,
        columns: new Map(opts.columns.map((c) => [c, []])),
        rowAddrs: opts.withRowAddr ? new BigUint64Array(0) : null,
      };
    return tableToRaw(t, opts.columns);
  }

  async *scanBatches(opts: ScanOptions = {}): AsyncIterable<arrow.RecordBatch> {
    this.assertOpen();
    const q = this.query(opts);
    const it = q[Symbol.asyncIterator]();
    for (;;) {
      const next = await guard(
        this.ref,
        'scanBatches',
        () => it.next(),
        undefined,
        this.ctx({ ...opts }),
      );
      if (next.done) return;
      yield batchFromLance(next.value);
    }
  }

  /** Converts caller data to a lancedb-instance arrow table with this table's schema. */
  private async toLanceData(
    data: Record<string, unknown>[] | arrow.Table,
    action: string,
  ): Promise<arrow.Table> {
    if (isArrowTable(data)) return tableToLance(data);
    const schema = (this.writeSchema ??= await guard(
      this.ref,
      'schema',
      () => this.table.schema(),
      undefined,
      this.ctx(),
    ));
    try {
      return rowsToLance(data, schema);
    } catch (err) {
      throw storageError(
        'InvalidRows',
        `${action} on ${this.tableKey}: rows do not fit the schema: ${errorMessage(err)}`,
        this.ref,
        this.ctx({ action, cause: errorMessage(err) }),
      );
    }
  }

  private emptyCommit(action: string): never {
    // A zero-row commit would either create an empty version or none at all
    // depending on the lance operation; neither is a meaningful journal step.
    throw storageError(
      'EmptyCommit',
      `${action} on ${this.tableKey} has nothing to commit`,
      this.ref,
      this.ctx({ action }),
    );
  }

  async append(rows: Record<string, unknown>[] | arrow.Table): Promise<number> {
    this.assertWritable('append');
    const n = isArrowTable(rows) ? rows.numRows : rows.length;
    if (n === 0) this.emptyCommit('append');
    const data = await this.toLanceData(rows, 'append');
    const res = await guard(
      this.ref,
      'append',
      () => this.table.add(data, { mode: 'append' }),
      undefined,
      this.ctx({ rows: n }),
    );
    return res.version;
  }

  async mergeInsert(args: MergeInsertArgs): Promise<MergeInsertResult> {
    this.assertWritable('mergeInsert');
    const nUpserts = isArrowTable(args.upserts) ? args.upserts.numRows : args.upserts.length;
    const nDeletes = args.deleteIds.length;
    if (nUpserts === 0 && nDeletes === 0) this.emptyCommit('mergeInsert');
    const extra = this.ctx({ upserts: nUpserts, deleteIds: nDeletes });

    if (nUpserts === 0) {
      // Delete-only: lance's delete() is one commit and commits a new version even
      // when nothing matches (verified on 0.37.1), so HEAD always advances by one.
      const res = await guard(
        this.ref,
        'mergeInsert(delete)',
        () => this.table.delete(idInPredicate(args.deleteIds)),
        undefined,
        extra,
      );
      return { version: res.version, inserted: 0, updated: 0, deleted: res.numDeletedRows };
    }

    this.assertUniqueIds(args.upserts);
    const data = await this.toLanceData(args.upserts, 'mergeInsert');
    let builder = this.table.mergeInsert('id').whenMatchedUpdateAll().whenNotMatchedInsertAll();
    if (nDeletes > 0) {
      // "Not matched by source" rows are target rows absent from the upserts; the
      // predicate narrows that to the ids we were asked to delete. An id that is both
      // upserted and deleted is matched, hence updated, not deleted.
      builder = builder.whenNotMatchedBySourceDelete({ where: idInPredicate(args.deleteIds) });
    }
    const res = await guard(this.ref, 'mergeInsert', () => builder.execute(data), undefined, extra);
    return {
      version: res.version,
      inserted: res.numInsertedRows,
      updated: res.numUpdatedRows,
      deleted: res.numDeletedRows,
    };
  }

  /**
   * Lance does not enforce key uniqueness: two upserts of a *new* id are both
   * inserted (a duplicate row forever), while two of an *existing* id fail as an
   * "ambiguous merge insert". Reject both up front with one clear error.
   */
  private assertUniqueIds(upserts: Record<string, unknown>[] | arrow.Table): void {
    const idsOf = isArrowTable(upserts)
      ? Array.from((upserts.getChild('id') ?? []) as Iterable<unknown>)
      : upserts.map((r) => r.id);
    const seen = new Set<unknown>();
    const dups = new Set<unknown>();
    for (const id of idsOf) (seen.has(id) ? dups : seen).add(id);
    if (dups.size > 0) {
      const sample = [...dups].slice(0, 10).map(String);
      throw storageError(
        'DuplicateIds',
        `mergeInsert on ${this.tableKey}: upserts repeat id(s) ${sample.join(', ')}`,
        this.ref,
        this.ctx({ duplicateIds: sample }),
      );
    }
  }

  async restore(version: number): Promise<number> {
    this.assertWritable('restore');
    const extra = this.ctx({ version });
    this.writeSchema = undefined;
    await guard(this.ref, 'restore', () => this.table.checkout(version), 'VersionNotFound', extra);
    try {
      // restore() writes the checked-out version's manifest as a new HEAD (one
      // commit) and leaves this object tracking latest again.
      await guard(this.ref, 'restore', () => this.table.restore(), undefined, extra);
    } catch (err) {
      // Never leave a HEAD handle detached at an old version after a failure.
      await this.table.checkoutLatest().catch(() => undefined);
      throw err;
    }
    return guard(this.ref, 'restore', () => this.table.version(), undefined, extra);
  }

  async listVersions(): Promise<TableVersionInfo[]> {
    this.assertOpen();
    const vs = await guard(
      this.ref,
      'listVersions',
      () => this.table.listVersions(),
      undefined,
      this.ctx(),
    );
    return vs
      .map((v) => ({ version: v.version, timestamp: v.timestamp }))
      .sort((a, b) => a.version - b.version);
  }

  async createIndex(spec: IndexSpec): Promise<number> {
    this.assertWritable('createIndex');
    const { Index } = lanceDb();
    const config =
      spec.kind === 'btree'
        ? Index.btree()
        : spec.kind === 'fts'
          ? Index.fts({ ...FTS_TOKENIZER })
          : Index.ivfFlat({ numPartitions: spec.partitions, distanceType: 'cosine' });
    const extra = this.ctx({ index: spec.kind, column: spec.column });
    // createIndex builds the index and commits it as one new version (verified on 0.37.1).
    await guard(
      this.ref,
      'createIndex',
      () => this.table.createIndex(spec.column, { config, replace: true, name: spec.name }),
      undefined,
      extra,
    );
    return guard(this.ref, 'createIndex', () => this.table.version(), undefined, extra);
  }

  async listIndexes(): Promise<TableIndexInfo[]> {
    this.assertOpen();
    const list = await guard(
      this.ref,
      'listIndexes',
      () => this.table.listIndices(),
      undefined,
      this.ctx(),
    );
    return list.map((i) => ({
      name: i.name,
      column: columnOfFieldPath(i.columns[0] ?? ''),
      indexType: i.indexType,
      indexedRows: i.numIndexedRows ?? null,
      unindexedRows: i.numUnindexedRows ?? null,
      createdAt: i.createdAt ?? null,
    }));
  }

  private async searchColumns(
    action: string,
    build: () => { toArrow(): Promise<arrow.Table> },
    columns: string[],
    extra: Record<string, unknown>,
  ): Promise<Map<string, unknown[]>> {
    this.assertOpen();
    const t = await guard(this.ref, action, () => build().toArrow(), undefined, this.ctx(extra));
    if (t.numRows === 0) return new Map(columns.map((c) => [c, []]));
    return new Map(columns.map((c) => [c, tableColumnToJs(t, c)]));
  }

  textSearch(column: string, text: string, opts: SearchOptions): Promise<Map<string, unknown[]>> {
    const columns = [...opts.columns, '_score'];
    return this.searchColumns(
      'textSearch',
      () => {
        const q = this.table
          .query()
          .fullTextSearch(new (lanceDb().MatchQuery)(text, column))
          .select(columns);
        if (opts.where !== undefined) q.where(opts.where);
        if (opts.limit !== undefined) q.limit(opts.limit);
        return q as unknown as { toArrow(): Promise<arrow.Table> };
      },
      columns,
      { column, limit: opts.limit ?? null },
    );
  }

  vectorSearch(
    column: string,
    vector: number[],
    opts: SearchOptions & { limit: number },
  ): Promise<Map<string, unknown[]>> {
    const columns = [...opts.columns, '_distance'];
    return this.searchColumns(
      'vectorSearch',
      () => {
        const q = this.table
          .query()
          .nearestTo(vector)
          .column(column)
          .distanceType('cosine')
          .select(columns)
          .limit(opts.limit);
        if (opts.where !== undefined) q.where(opts.where);
        return q as unknown as { toArrow(): Promise<arrow.Table> };
      },
      columns,
      { column, limit: opts.limit },
    );
  }

  async fragmentStats(): Promise<FragmentStats> {
    this.assertOpen();
    const s = await guard(this.ref, 'stats', () => this.table.stats(), undefined, this.ctx());
    return {
      fragments: s.fragmentStats.numFragments,
      smallFragments: s.fragmentStats.numSmallFragments,
      rows: s.numRows,
      totalBytes: s.totalBytes,
    };
  }

  async compact(): Promise<CompactResult> {
    this.assertWritable('compact');
    this.writeSchema = undefined;
    return compactTable(this.table, this.ref, this.ctx());
  }

  async pruneOlderThan(olderThan: Date, guardVersions: number[]): Promise<PruneResult> {
    this.assertWritable('prune');
    this.writeSchema = undefined;
    const extra = this.ctx({ olderThan: olderThan.toISOString(), guardVersions });
    return pruneTable(this.table, this.ref, olderThan, guardVersions, extra);
  }

  /**
   * Re-reads the latest version (a `_versions/` listing). Only store-owned writers
   * need it: their connection does not refresh by itself.
   */
  async reload(): Promise<void> {
    this.assertOpen();
    this.writeSchema = undefined;
    await guard(this.ref, 'reload', () => this.table.checkoutLatest(), undefined, this.ctx());
  }

  close(): void {
    if (this.borrowed) return;
    this.dispose();
  }

  /** Closes the handle even when it is a store-owned writer. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.table.close();
  }
}
