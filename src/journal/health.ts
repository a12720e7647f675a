/**
 * The cheap consistency check a journal gets when it is opened (issue 16): the file
 * starts with SQLite's header, and — when the file is small enough for it to be
 * quick — `PRAGMA quick_check` passes. A read-write open of a journal that fails
 * refuses (`JournalCorrupt`), so no write lands on a damaged log; `lancelog doctor`
 * reads it to say what is wrong.
 */
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { asSystemError, LancelogError } from '../errors.js';

const SQLITE_HEADER = 'SQLite format 3\u0000';

/**
 * Journals up to this size get `quick_check` at open. It reads every page (measured
 * ~2–3 ms per MiB), so a larger bound would make every open pay for the history the
 * journal keeps — 21 ms at 5,000 commits (11 MiB) against a ~30 ms open and write —
 * which is what the working-set journal exists to avoid. Past it, SQLite still
 * reports a damaged page the open or a write touches (JournalCorrupt), and
 * `lancelog doctor` / `journal verify` check every page.
 */
export const QUICK_CHECK_MAX_BYTES = 1024 * 1024;

function corrupt(path: string, reason: string, extra: Record<string, unknown> = {}): LancelogError {
  return new LancelogError(
    'JournalCorrupt',
    `the journal ${path} is damaged: ${reason}. Nothing was written. Run 'lancelog doctor <repo>' to see what is wrong; restore the journal from a backup if it cannot be repaired`,
    { path, reason, ...extra },
  );
}

/** Refuses a file that does not start with SQLite's header (an empty file is SQLite's to create). */
export function checkHeader(path: string): void {
  const size = statSync(path).size;
  if (size === 0) return;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(SQLITE_HEADER.length);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n < buf.length || buf.toString('latin1') !== SQLITE_HEADER)
      throw corrupt(path, 'it does not start with the SQLite header', { check: 'header' });
  } finally {
    closeSync(fd);
  }
}

/** `PRAGMA quick_check` when the file is small; returns its findings ([] when ok or skipped). */
export function quickCheck(path: string, db: Database.Database): string[] {
  if (statSync(path).size > QUICK_CHECK_MAX_BYTES) return [];
  const rows = db.pragma('quick_check') as Array<{ quick_check: string }>;
  const findings = rows.map((r) => r.quick_check);
  return findings.length === 1 && findings[0] === 'ok' ? [] : findings;
}

/**
 * SQLite says only SQLITE_CANTOPEN when it cannot create the journal's `-wal`/`-shm`
 * files; the directory's own writability says why (EROFS: a read-only file system).
 */
function cantOpenCause(path: string, err: unknown): unknown {
  if ((err as { code?: unknown }).code !== 'SQLITE_CANTOPEN') return err;
  try {
    accessSync(dirname(path), constants.W_OK);
    accessSync(path, constants.W_OK);
    return err;
  } catch (probe) {
    return probe;
  }
}

/** Runs checkHeader and (read-write) quickCheck; any SQLite corruption error becomes JournalCorrupt. */
export function checkJournalOnOpen(
  path: string,
  open: () => Database.Database,
  readOnly: boolean,
): Database.Database {
  checkHeader(path);
  let db: Database.Database | undefined;
  try {
    db = open();
    if (!readOnly) {
      const findings = quickCheck(path, db);
      if (findings.length > 0)
        throw corrupt(path, `quick_check: ${findings.slice(0, 3).join('; ')}`, {
          check: 'quick_check',
          findings,
        });
    }
    return db;
  } catch (err) {
    if (db?.open) db.close();
    const typed = asSystemError(cantOpenCause(path, err), `cannot open the journal ${path}`, {
      path,
    });
    if (typed instanceof LancelogError && typed.code === 'JournalCorrupt')
      throw corrupt(path, String(typed.details.cause), { check: 'sqlite' });
    throw typed;
  }
}
