/**
 * Raw LanceDB, for the benchmarks' baseline side (scripts/bench/, docs/performance.md).
 *
 * Deliberately as close to plain `@lancedb/lancedb` as possible: one `connect`, one
 * `createEmptyTable`/`openTable`, `mergeInsert(...).execute(rows)` and `add(data)`,
 * with lancedb's default connection options. No journal, no sidecar, no lease, no
 * checks — what an application writing Lance tables directly would do. Only
 * storage/ may import lancedb (docs/architecture.md §Layers), hence this module lives here. It is
 * not part of the public API.
 */
import type * as arrow from 'apache-arrow';
import type { Connection, Table } from '@lancedb/lancedb';
import { lanceDb } from './lancedb.js';
import { schemaToLance, tableToLance } from './arrow-bridge.js';

export type RawRows = Record<string, unknown>[];

/** One lancedb table opened directly (tracks HEAD). */
export class RawLanceTable {
  constructor(
    readonly name: string,
    private readonly table: Table,
  ) {}

  version(): Promise<number> {
    return this.table.version();
  }

  countRows(): Promise<number> {
    return this.table.countRows();
  }

  /** Upsert by `id` (when matched update all, else insert all): one Lance commit. */
  async mergeInsert(rows: RawRows | arrow.Table): Promise<number> {
    const data = Array.isArray(rows) ? rows : tableToLance(rows);
    const res = await this.table
      .mergeInsert('id')
      .whenMatchedUpdateAll()
      .whenNotMatchedInsertAll()
      .execute(data);
    return res.version;
  }

  /** Append: one Lance commit. */
  async add(rows: RawRows | arrow.Table): Promise<number> {
    const data = Array.isArray(rows) ? rows : tableToLance(rows);
    const res = await this.table.add(data, { mode: 'append' });
    return res.version;
  }

  /** BM25 top-k of `text` in `column` (its inverted index): the rows, as lancedb returns them. */
  async searchText(
    column: string,
    text: string,
    limit: number,
    columns: string[],
  ): Promise<unknown[]> {
    const { MatchQuery } = lanceDb();
    return this.table
      .query()
      .fullTextSearch(new MatchQuery(text, column))
      .select([...columns, '_score'])
      .limit(limit)
      .toArray();
  }

  /** Cosine k-nearest neighbours of `vector` in `column`: the rows, as lancedb returns them. */
  async searchVector(
    column: string,
    vector: number[],
    limit: number,
    columns: string[],
  ): Promise<unknown[]> {
    return this.table
      .query()
      .nearestTo(vector)
      .column(column)
      .distanceType('cosine')
      .select([...columns, '_distance'])
      .limit(limit)
      .toArray();
  }

  /**
   * Builds an index on `column`: a BTREE, Lance's FM-index (exact substrings), or an
   * inverted index with a trigram tokenizer (no lowercasing, stemming or stop words),
   * named `<column>_<kind>`.
   */
  async createIndex(column: string, kind: 'btree' | 'fm' | 'ngram'): Promise<void> {
    const { Index } = lanceDb();
    const config =
      kind === 'btree'
        ? Index.btree()
        : kind === 'fm'
          ? Index.fm()
          : Index.fts({
              baseTokenizer: 'ngram',
              ngramMinLength: 3,
              ngramMaxLength: 3,
              lowercase: false,
              stem: false,
              removeStopWords: false,
              asciiFolding: false,
              withPosition: false,
            });
    await this.table.createIndex(column, { config, replace: true, name: `${column}_${kind}` });
  }

  /** The ids of the rows matching a SQL filter. */
  async idsWhere(where: string): Promise<string[]> {
    const rows = await this.table.query().where(where).select(['id']).toArray();
    return rows.map((r: { id: string }) => r.id);
  }

  /** Full-text search requiring every token of `text` (all rows it finds: no limit). */
  async searchAllTokens(column: string, text: string, columns: string[]): Promise<unknown[]> {
    const { MatchQuery, Operator } = lanceDb();
    return this.table
      .query()
      .fullTextSearch(new MatchQuery(text, column, { operator: Operator.And }))
      .select(columns)
      .limit(await this.table.countRows())
      .toArray();
  }

  close(): void {
    this.table.close();
  }
}

/** A lancedb connection on one directory (tables are `<dir>/<name>.lance`). */
export class RawLance {
  private constructor(
    readonly dir: string,
    private readonly conn: Connection,
  ) {}

  /** `dir`: a directory, or an `s3://` URI with lancedb's `storageOptions` (s3-location.ts). */
  static async connect(dir: string, storageOptions?: Record<string, string>): Promise<RawLance> {
    return new RawLance(
      dir,
      await lanceDb().connect(dir, storageOptions === undefined ? {} : { storageOptions }),
    );
  }

  /**
   * An empty table with exactly `schema` (the project's arrow instance is accepted), made
   * as Lancelog makes its tables (stable row ids), so the two sides write the same table.
   */
  async createEmptyTable(name: string, schema: arrow.Schema): Promise<RawLanceTable> {
    return new RawLanceTable(
      name,
      await this.conn.createEmptyTable(name, schemaToLance(schema), {
        mode: 'create',
        storageOptions: { new_table_enable_stable_row_ids: 'true' },
      }),
    );
  }

  async openTable(name: string): Promise<RawLanceTable> {
    return new RawLanceTable(name, await this.conn.openTable(name));
  }

  close(): void {
    this.conn.close();
  }
}

/**
 * Plain rows -> an Arrow table of `schema` in lancedb's own arrow instance, built the
 * way lancedb builds it (`makeArrowTable`): the "same Arrow batches" a load commits.
 */
export function rawArrowTable(rows: RawRows, schema: arrow.Schema): arrow.Table {
  return lanceDb().makeArrowTable(rows, {
    schema: schemaToLance(schema),
  }) as unknown as arrow.Table;
}
