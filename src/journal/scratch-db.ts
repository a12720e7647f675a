/**
 * A scratch SQLite database (the chunked load's key index, the export's external
 * sort): no journal, no fsync, temporary b-trees on disk, a bounded page cache.
 * Nothing in it survives a crash or needs to; `closeScratchDb` deletes the file.
 */
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';

export function openScratchDb(path: string, cacheKib: number): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma(`cache_size = -${cacheKib}`);
  db.pragma('temp_store = FILE');
  return db;
}

/** Commits what is pending (so the close does not fail), closes and deletes the file. */
export function closeScratchDb(db: Database.Database, path: string): void {
  try {
    if (db.inTransaction) db.exec('COMMIT');
  } finally {
    db.close();
    rmSync(path, { force: true });
  }
}
