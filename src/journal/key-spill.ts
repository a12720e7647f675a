/**
 * A temporary, on-disk index of the ids, @unique tuples and edge ends a chunked load
 * has read (docs/writes.md §Chunked loads), so its cross-row rules — key uniqueness,
 * @unique, endpoints, @card — are checked for the whole file in bounded memory.
 *
 * Why SQLite: the checks are lookups by id and set differences (ends without a node,
 * sources and their edge counts), which an indexed B-tree answers with a bounded page
 * cache; a temporary Lance table has no index to look up by and no join, and every
 * insert would be a commit. It lives here because only src/journal/ may import
 * better-sqlite3. The database is scratch: no journal, no fsync; `close()` deletes it.
 */
import type Database from 'better-sqlite3';
import { closeScratchDb, openScratchDb } from './scratch-db.js';
import { join } from 'node:path';

/** Rows inserted per SQLite transaction. */
const ROWS_PER_TRANSACTION = 8192;
/** Page cache of the scratch database, in KiB (negative: SQLite's KiB unit). */
const CACHE_KIB = 32 * 1024;

export interface SpilledRow {
  id: string;
  line: number;
}

export class KeySpill {
  private readonly db: Database.Database;
  private readonly tableIds = new Map<string, number>();
  private pendingRows = 0;
  private readonly stmt: Record<string, Database.Statement>;

  private constructor(private readonly path: string) {
    this.db = openScratchDb(path, CACHE_KIB);
    this.db.exec(`
      CREATE TABLE keys (t INTEGER, id TEXT, line INTEGER, PRIMARY KEY (t, id)) WITHOUT ROWID;
      CREATE TABLE edges (t INTEGER, id TEXT, src TEXT, dst TEXT, line INTEGER, PRIMARY KEY (t, id)) WITHOUT ROWID;
      CREATE TABLE pairs (t INTEGER, src TEXT, dst TEXT, id TEXT, PRIMARY KEY (t, src, dst)) WITHOUT ROWID;
      CREATE TABLE tuples (t INTEGER, c INTEGER, id TEXT, tuple TEXT, line INTEGER, PRIMARY KEY (t, c, id)) WITHOUT ROWID;
    `);
    const p = (sql: string): Database.Statement => this.db.prepare(sql);
    this.stmt = {
      keyLine: p('SELECT line FROM keys WHERE t = ? AND id = ?'),
      keyInsert: p('INSERT OR IGNORE INTO keys (t, id, line) VALUES (?, ?, ?)'),
      keyReplace: p('INSERT OR REPLACE INTO keys (t, id, line) VALUES (?, ?, ?)'),
      edgeReplace: p('INSERT OR REPLACE INTO edges (t, id, src, dst, line) VALUES (?, ?, ?, ?, ?)'),
      edgeHas: p('SELECT 1 FROM edges WHERE t = ? AND id = ?'),
      pairGet: p('SELECT id FROM pairs WHERE t = ? AND src = ? AND dst = ?'),
      pairPut: p('INSERT OR REPLACE INTO pairs (t, src, dst, id) VALUES (?, ?, ?, ?)'),
      tuplePut: p('INSERT OR REPLACE INTO tuples (t, c, id, tuple, line) VALUES (?, ?, ?, ?, ?)'),
      tupleOwner: p('SELECT id, line FROM tuples WHERE t = ? AND c = ? AND tuple = ? LIMIT 1'),
    };
    this.db.exec('BEGIN');
  }

  /** A new scratch index in `dir` (a directory of the caller's, removed by the caller). */
  static open(dir: string): KeySpill {
    return new KeySpill(join(dir, 'keys.sqlite'));
  }

  private t(table: string): number {
    let id = this.tableIds.get(table);
    if (id === undefined) this.tableIds.set(table, (id = this.tableIds.size));
    return id;
  }

  /** Inserts are batched into transactions; every read first commits what is pending. */
  private wrote(): void {
    if (++this.pendingRows < ROWS_PER_TRANSACTION) return;
    this.db.exec('COMMIT; BEGIN');
    this.pendingRows = 0;
  }

  /**
   * Records a caller-given id (a node key). With `replace` false the id must be new:
   * the line of the earlier row is returned when it is not (and nothing changes).
   */
  putKey(table: string, id: string, line: number, replace: boolean): number | undefined {
    const t = this.t(table);
    if (!replace) {
      // One statement for the common case (a new id); the earlier line only on a clash.
      if (this.stmt.keyInsert.run(t, id, line).changes === 0)
        return (this.stmt.keyLine.get(t, id) as { line: number }).line;
    } else this.stmt.keyReplace.run(t, id, line);
    this.wrote();
    return undefined;
  }

  /** The line of a recorded key, or undefined. */
  keyLine(table: string, id: string): number | undefined {
    return (this.stmt.keyLine.get(this.t(table), id) as { line: number } | undefined)?.line;
  }

  /** Records an edge (the last write of an id wins). */
  putEdge(table: string, id: string, src: string, dst: string, line: number): void {
    this.stmt.edgeReplace.run(this.t(table), id, src, dst, line);
    this.wrote();
  }

  hasEdge(table: string, id: string): boolean {
    return this.stmt.edgeHas.get(this.t(table), id) !== undefined;
  }

  /** Merge identity of edges: the id of (src, dst), or undefined. */
  pairId(table: string, src: string, dst: string): string | undefined {
    return (this.stmt.pairGet.get(this.t(table), src, dst) as { id: string } | undefined)?.id;
  }

  putPair(table: string, src: string, dst: string, id: string): void {
    this.stmt.pairPut.run(this.t(table), src, dst, id);
    this.wrote();
  }

  /** Records the @unique tuple (constraint `c`) of row `id`; a later write of the id replaces it. */
  putTuple(table: string, c: number, id: string, tuple: string, line: number): void {
    this.stmt.tuplePut.run(this.t(table), c, id, tuple, line);
    this.wrote();
  }

  /** Some row holding `tuple`, or undefined. */
  tupleOwner(table: string, c: number, tuple: string): SpilledRow | undefined {
    return this.stmt.tupleOwner.get(this.t(table), c, tuple) as SpilledRow | undefined;
  }

  /** Two rows sharing a tuple of constraint `c` (the later one by line), or undefined. */
  duplicateTuple(table: string, c: number): { first: string; second: SpilledRow } | undefined {
    this.flush();
    const row = this.db
      .prepare(
        `SELECT a.id AS first, b.id AS id, b.line AS line FROM tuples a JOIN tuples b
           ON b.t = a.t AND b.c = a.c AND b.tuple = a.tuple AND b.id <> a.id AND b.line > a.line
         WHERE a.t = ? AND a.c = ? ORDER BY b.line LIMIT 1`,
      )
      .get(this.t(table), c) as { first: string; id: string; line: number } | undefined;
    return row && { first: row.first, second: { id: row.id, line: row.line } };
  }

  /** Commits pending inserts and builds the indexes the checks below need (once). */
  private flush(): void {
    this.db.exec('COMMIT; BEGIN');
    this.pendingRows = 0;
    if (this.indexed) return;
    this.db.exec(`
      CREATE INDEX IF NOT EXISTS tuples_by_value ON tuples (t, c, tuple, line);
      CREATE INDEX IF NOT EXISTS edges_by_src ON edges (t, src);
      CREATE INDEX IF NOT EXISTS edges_by_dst ON edges (t, dst);
    `);
    this.indexed = true;
  }
  private indexed = false;

  /**
   * Distinct `side` ends of `edgeTable` that are not keys of `nodeTable`, in order,
   * after `after`, at most `limit` (a page: the caller looks them up in committed data).
   */
  danglingEnds(
    edgeTable: string,
    side: 'src' | 'dst',
    nodeTable: string,
    after: string,
    limit: number,
  ): string[] {
    this.flush();
    const rows = this.db
      .prepare(
        `SELECT DISTINCT e.${side} AS v FROM edges e
         WHERE e.t = ? AND e.${side} > ?
           AND NOT EXISTS (SELECT 1 FROM keys k WHERE k.t = ? AND k.id = e.${side})
         ORDER BY e.${side} LIMIT ?`,
      )
      .all(this.t(edgeTable), after, this.t(nodeTable), limit) as Array<{ v: string }>;
    return rows.map((r) => r.v);
  }

  /** The first edge (by line) of `edgeTable` whose `side` is `value`. */
  edgeWithEnd(edgeTable: string, side: 'src' | 'dst', value: string): SpilledRow | undefined {
    this.flush();
    return this.db
      .prepare(`SELECT id, line FROM edges WHERE t = ? AND ${side} = ? ORDER BY line LIMIT 1`)
      .get(this.t(edgeTable), value) as SpilledRow | undefined;
  }

  /** Sources of `edgeTable` with their edge counts, in order, after `after`, at most `limit`. */
  sourceCounts(edgeTable: string, after: string, limit: number): Array<{ src: string; n: number }> {
    this.flush();
    return this.db
      .prepare(
        `SELECT src, count(*) AS n FROM edges WHERE t = ? AND src > ?
         GROUP BY src ORDER BY src LIMIT ?`,
      )
      .all(this.t(edgeTable), after, limit) as Array<{ src: string; n: number }>;
  }

  /** Keys of `nodeTable` that are the source of no edge of `edgeTable`, in order, after `after`. */
  keysWithoutEdges(nodeTable: string, edgeTable: string, after: string, limit: number): string[] {
    this.flush();
    const rows = this.db
      .prepare(
        `SELECT id FROM keys k WHERE k.t = ? AND k.id > ?
           AND NOT EXISTS (SELECT 1 FROM edges e WHERE e.t = ? AND e.src = k.id)
         ORDER BY id LIMIT ?`,
      )
      .all(this.t(nodeTable), after, this.t(edgeTable), limit) as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }

  /** Closes and deletes the scratch database. */
  close(): void {
    closeScratchDb(this.db, this.path);
  }
}
