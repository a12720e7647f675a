/**
 * DuckDB (`@duckdb/node-api`), the aggregate anchor of the reads bench: the same
 * `Person` node table (the bench's CSV through `COPY`, into a database file) and the
 * same count per city, answered from a prepared statement. Cold = open the database
 * file + connect, then prepare + run, as for Kuzu.
 */
import {
  DuckDBInstance,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
} from '@duckdb/node-api';

export const DUCKDB_PER_CITY = 'SELECT city, count(*) AS n FROM persons GROUP BY city';

/** A DuckDB database file at `path` holding the persons (name, age, city). */
export async function loadDuckDb(path: string, personsCsv: string): Promise<void> {
  const db = await DuckDBInstance.create(path);
  const conn = await db.connect();
  try {
    await conn.run('CREATE TABLE persons (name VARCHAR PRIMARY KEY, age INTEGER, city VARCHAR)');
    await conn.run(`COPY persons FROM '${personsCsv}' (HEADER false)`);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

export class DuckDbSide {
  private db: DuckDBInstance | undefined;
  private conn: DuckDBConnection | undefined;
  private prepared: DuckDBPreparedStatement | undefined;

  constructor(readonly path: string) {}

  async open(): Promise<void> {
    this.db = await DuckDBInstance.create(this.path, { access_mode: 'READ_ONLY' });
    this.conn = await this.db.connect();
    this.prepared = undefined;
  }

  /** The count per city as rows {city, n}. */
  async perCity(): Promise<Array<Record<string, unknown>>> {
    this.prepared ??= await this.conn!.prepare(DUCKDB_PER_CITY);
    return (await this.prepared.runAndReadAll()).getRowObjects();
  }

  close(): void {
    this.prepared = undefined;
    this.conn?.closeSync();
    this.db?.closeSync();
    this.conn = undefined;
    this.db = undefined;
  }
}
