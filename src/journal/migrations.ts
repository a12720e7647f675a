/**
 * Opening the SQLite file and migrating its schema.
 *
 * Policy: migrations are numbered SQL files in `<package>/journal/migrations`,
 * forward-only. `meta.schema_version` stamps the highest applied number. Opening
 * a DB stamped newer than this code refuses (JournalTooNew) before writing a
 * single byte — not even the WAL pragma — because an older binary cannot know
 * what a newer schema means.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LancelogError } from '../errors.js';
import { packageRoot } from '../version.js';

/** The schema version this code reads and writes. Must equal the highest migration number. */
export const JOURNAL_SCHEMA_VERSION = 1;

/** Several processes share one DB file; a writer waits this long for the write lock. */
export const BUSY_TIMEOUT_MS = 10_000;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function migrationsDir(): string {
  return join(packageRoot(), 'journal', 'migrations');
}

/** Every migration file, ordered by number. */
export function loadMigrations(dir = migrationsDir()): Migration[] {
  const migrations = readdirSync(dir)
    .map((name) => ({ name, m: /^(\d{4})_[a-z0-9_]+\.sql$/.exec(name) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null)
    .map(({ name, m }) => ({
      version: Number(m[1]),
      name,
      sql: readFileSync(join(dir, name), 'utf8'),
    }))
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(
        `journal migrations must be numbered 1..n without gaps; found ${m.name} at position ${i + 1}`,
      );
  });
  const newest = migrations.at(-1)?.version ?? 0;
  if (newest !== JOURNAL_SCHEMA_VERSION) {
    throw new Error(
      `journal migrations go up to ${newest} but the code expects schema version ${JOURNAL_SCHEMA_VERSION}`,
    );
  }
  return migrations;
}

/** The stamped schema version; 0 for a DB with no meta table yet. Read-only. */
export function stampedVersion(db: Database.Database): number {
  const hasMeta = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
    .get();
  if (!hasMeta) return 0;
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
    { value: string } | undefined;
  return row ? Number(row.value) : 0;
}

function refuseTooNew(db: Database.Database, path: string, stamped: number): void {
  if (stamped > JOURNAL_SCHEMA_VERSION) {
    db.close();
    throw new LancelogError(
      'JournalTooNew',
      `${path} has journal schema version ${stamped} but this lancelog understands up to ${JOURNAL_SCHEMA_VERSION}: upgrade lancelog first`,
      { path, stamped, supported: JOURNAL_SCHEMA_VERSION },
    );
  }
}

/** Applies pending migrations in one IMMEDIATE transaction; a no-op when up to date. Returns the versions applied. */
export function migrate(db: Database.Database, path: string): number[] {
  const migrations = loadMigrations();
  const run = db.transaction(() => {
    // Re-read under the write lock: another process may have migrated meanwhile.
    const stamped = stampedVersion(db);
    if (stamped > JOURNAL_SCHEMA_VERSION) return { tooNew: stamped, applied: [] as number[] };
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= stamped) continue;
      db.exec(m.sql);
      applied.push(m.version);
    }
    if (applied.length > 0) {
      db.prepare(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ).run(String(applied.at(-1)));
    }
    return { tooNew: 0, applied };
  });
  const result = run.immediate();
  if (result.tooNew) refuseTooNew(db, path, result.tooNew);
  return result.applied;
}

export interface OpenDbOptions {
  readOnly?: boolean;
  create?: boolean;
}

/**
 * Opens the DB file: refuses newer stamps first, then sets WAL + synchronous=FULL
 * (durability of every committed event survives power loss) and the busy timeout,
 * then migrates. A read-only handle never migrates; it refuses a DB that needs it.
 */
export function openDatabase(path: string, opts: OpenDbOptions = {}): Database.Database {
  const db = new Database(path, {
    readonly: opts.readOnly ?? false,
    fileMustExist: !opts.create,
    timeout: BUSY_TIMEOUT_MS,
  });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    refuseTooNew(db, path, stampedVersion(db));
    if (opts.readOnly) {
      const stamped = stampedVersion(db);
      if (stamped < JOURNAL_SCHEMA_VERSION) {
        throw new LancelogError(
          'JournalNeedsMigration',
          `${path} has journal schema version ${stamped}; open it read-write once to migrate it to ${JOURNAL_SCHEMA_VERSION}`,
          { path, stamped },
        );
      }
      return db;
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // Already current (the common case): no write transaction on open.
    if (stampedVersion(db) !== JOURNAL_SCHEMA_VERSION) migrate(db, path);
    return db;
  } catch (err) {
    if (db.open) db.close();
    throw err;
  }
}
