import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { JOURNAL_FILE, JOURNAL_SCHEMA_VERSION, Journal } from '../../src/journal/index.js';
import { loadMigrations } from '../../src/journal/migrations.js';
import { codeOf, newJournal, tempRepo, track } from './helpers.js';

const hash = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function raw(repo: string): Database.Database {
  return new Database(join(repo, JOURNAL_FILE));
}

describe('journal migrations', () => {
  it("the migration files run 1..n and end at the code's schema version", () => {
    const ms = loadMigrations();
    expect(ms.map((m) => m.version)).toEqual(
      Array.from({ length: JOURNAL_SCHEMA_VERSION }, (_, i) => i + 1),
    );
  });

  it('a fresh DB is migrated, stamped, in WAL mode', () => {
    const repo = tempRepo();
    newJournal(repo).close();
    const db = raw(repo);
    try {
      expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()).toEqual({
        value: String(JOURNAL_SCHEMA_VERSION),
      });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = (
        db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
          .all() as Array<{ name: string }>
      ).map((r) => r.name);
      expect(tables).toEqual(
        expect.arrayContaining([
          'meta',
          'events',
          'pins',
          'branches',
          'manifests',
          'commits',
          'operations',
          'leases',
          'forks',
          'recovery_audit',
        ]),
      );
    } finally {
      db.close();
    }
  });

  it('re-opening applies nothing twice (idempotent) and keeps the data', () => {
    const repo = tempRepo();
    newJournal(repo).close();
    for (let i = 0; i < 3; i++) track(Journal.open(repo)).close();
    const j = track(Journal.open(repo));
    expect(j.listEvents()).toHaveLength(1);
    expect(j.verify().ok).toBe(true);
    const db = raw(repo);
    try {
      expect(db.prepare('SELECT COUNT(*) AS n FROM meta').get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });

  it('a DB stamped at 0 with only meta (an interrupted first open) migrates forward', () => {
    const repo = tempRepo();
    const db = raw(repo);
    db.exec(
      "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '0');",
    );
    db.close();
    const j = track(Journal.open(repo));
    expect(j.listBranches()).toEqual([]);
  });

  it('a DB stamped newer than the code is refused with JournalTooNew and left byte-identical', () => {
    const repo = tempRepo();
    newJournal(repo).close();
    const db = raw(repo);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(
      String(JOURNAL_SCHEMA_VERSION + 1),
    );
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const path = join(repo, JOURNAL_FILE);
    const before = hash(path);
    let error: { code?: string; message?: string } = {};
    try {
      Journal.open(repo);
    } catch (err) {
      error = err as typeof error;
    }
    expect(error.code).toBe('JournalTooNew');
    expect(error.message).toContain('upgrade lancelog first');
    expect(codeOf(() => Journal.open(repo, { readOnly: true }))).toBe('JournalTooNew');
    expect(hash(path)).toBe(before);
  });

  it('JournalMissing without a DB; JournalExists when creating twice', () => {
    const repo = tempRepo();
    expect(codeOf(() => Journal.open(repo))).toBe('JournalMissing');
    newJournal(repo);
    expect(codeOf(() => Journal.create(repo, { tables: [], actor: 'x' }))).toBe('JournalExists');
  });

  it('a read-only handle reads and refuses writes', () => {
    const repo = tempRepo();
    newJournal(repo).close();
    const j = track(Journal.open(repo, { readOnly: true }));
    expect(j.latestPins('main')).toHaveLength(3);
    expect(j.verify()).toMatchObject({ ok: true, integrity: 'ok' });
    expect(codeOf(() => j.beginOperation({ kind: 'Mutation', branch: 'main', actor: 'x' }))).toBe(
      'JournalReadOnly',
    );
  });
});
