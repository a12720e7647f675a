/**
 * The one SQLite connection of a journal, shared by its reader (queries.ts) and its
 * writer (writer.ts). The facade (journal.ts) opens it, hands it to both and closes it.
 */
import type Database from 'better-sqlite3';

export interface JournalHandle {
  /** The journal file, for messages. */
  readonly path: string;
  readonly db: Database.Database;
  /** Opened read-only: every write is refused (JournalReadOnly) before it touches the file. */
  readonly readOnly: boolean;
}
