/**
 * An external sort of text lines by a tuple of string keys, on a scratch SQLite
 * database, so an export orders a table larger than memory (docs/writes.md §JSONL
 * export): lines go in as they come out of a Lance scan, and come back ordered by
 * their keys one at a time.
 *
 * Why SQLite: its sorter is an external merge sort (runs bounded by the page cache,
 * merged from temporary files), and it is the scratch store this code base already
 * has (journal/key-spill.ts); it lives here because only src/journal/ may import
 * better-sqlite3. Keys are stored as UTF-16BE blobs, which SQLite compares with
 * memcmp: that is the UTF-16 code-unit order of JavaScript's `<` on strings (a
 * TEXT column would compare UTF-8 bytes, which orders astral characters differently).
 * The database is scratch: no journal, no fsync; `close()` deletes it.
 */
import type Database from 'better-sqlite3';
import { closeScratchDb, openScratchDb } from './scratch-db.js';
import { join } from 'node:path';

/** Rows inserted per SQLite transaction. */
const ROWS_PER_TRANSACTION = 8192;
/** Page cache of the scratch database (also the sorter's in-memory run), in KiB. */
const CACHE_KIB = 16 * 1024;

/** A string as bytes whose memcmp order is the string's UTF-16 code-unit order. */
function keyBytes(s: string): Buffer {
  return Buffer.from(s, 'utf16le').swap16();
}

export class SortSpill {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private pendingRows = 0;
  private seq = 0;
  /** Lines added. */
  rows = 0;

  private constructor(
    private readonly path: string,
    private readonly keyCount: number,
  ) {
    this.db = openScratchDb(path, CACHE_KIB);
    const keys = Array.from({ length: keyCount }, (_, i) => `k${i} BLOB`).join(', ');
    this.db.exec(`CREATE TABLE lines (${keys}, seq INTEGER, line TEXT)`);
    const marks = Array.from({ length: keyCount + 2 }, () => '?').join(', ');
    this.insert = this.db.prepare(`INSERT INTO lines VALUES (${marks})`);
    this.db.exec('BEGIN');
  }

  /** A new scratch sort in `dir` (a directory of the caller's, removed by the caller). */
  static open(dir: string, keyCount: number, name = 'sort'): SortSpill {
    return new SortSpill(join(dir, `${name}.sqlite`), keyCount);
  }

  /** Adds a line with its sort keys (exactly `keyCount` of them). */
  add(keys: readonly string[], line: string): void {
    if (keys.length !== this.keyCount)
      throw new TypeError(`SortSpill: ${keys.length} keys, expected ${this.keyCount}`);
    this.insert.run(...keys.map(keyBytes), this.seq++, line);
    this.rows++;
    if (++this.pendingRows < ROWS_PER_TRANSACTION) return;
    this.db.exec('COMMIT; BEGIN');
    this.pendingRows = 0;
  }

  /** Every line, ordered by its keys (ties in the order added), read one at a time. */
  *sorted(): IterableIterator<string> {
    if (this.db.inTransaction) this.db.exec('COMMIT');
    this.pendingRows = 0;
    const order = Array.from({ length: this.keyCount }, (_, i) => `k${i}`).join(', ');
    const stmt = this.db.prepare(`SELECT line FROM lines ORDER BY ${order}, seq`).pluck();
    for (const line of stmt.iterate()) yield line as string;
  }

  /** Closes and deletes the scratch database. */
  close(): void {
    closeScratchDb(this.db, this.path);
  }
}
