/**
 * The journal's check at open is bounded: `quick_check` (which reads every page) runs
 * only on a journal of at most QUICK_CHECK_MAX_BYTES, so an open does not pay for the
 * history a long-lived journal keeps; a larger journal is checked in full by
 * `integrity_check` (doctor, journal verify), which still finds the damage.
 */
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { QUICK_CHECK_MAX_BYTES, quickCheck } from '../../src/journal/health.js';
import { generateHistory } from '../../scripts/bench/gen-history.js';
import { newJournal, tempRepo } from './helpers.js';

const P = 'node:Person';

/** A closed journal with `commits` generated commits; its file path. */
function journalWith(commits: number): string {
  const dir = tempRepo();
  const j = newJournal(dir);
  generateHistory(j, commits, { tableKey: P, batchOps: 500 });
  j.close();
  return join(dir, '_lancelog.db');
}

/** quickCheck's findings and how many pragmas it ran, on a real database handle. */
function checked(path: string): { findings: string[]; pragmas: number } {
  const db = new Database(path);
  let pragmas = 0;
  const pragma = db.pragma.bind(db);
  db.pragma = ((source: string, options?: Database.PragmaOptions) => {
    pragmas++;
    return pragma(source, options);
  }) as typeof db.pragma;
  try {
    return { findings: quickCheck(path, db), pragmas };
  } finally {
    db.close();
  }
}

/** True when `check` reports findings or SQLite refuses the damaged file as malformed. */
function damageFound(check: () => string[]): boolean {
  try {
    const findings = check();
    return findings.length > 0 && findings.join() !== 'ok';
  } catch (err) {
    return String((err as { code?: unknown }).code).startsWith('SQLITE_CORRUPT');
  }
}

/** Scribbles over two pages in the middle of the file, leaving the header page intact. */
function damage(path: string): void {
  const pages = statSync(path).size / 4096;
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(4096 * 2, 0xa5), 0, 4096 * 2, 4096 * Math.floor(pages / 2));
  closeSync(fd);
}

describe('the journal check at open', () => {
  it('runs quick_check on a small journal and finds a damaged page', () => {
    const path = journalWith(60);
    expect(statSync(path).size).toBeLessThanOrEqual(QUICK_CHECK_MAX_BYTES);
    expect(checked(path)).toEqual({ findings: [], pragmas: 1 });
    damage(path);
    expect(damageFound(() => checked(path).findings)).toBe(true);
  });

  it('skips quick_check past the bound; integrity_check (doctor, verify) still reads every page', () => {
    const path = journalWith(700);
    expect(statSync(path).size).toBeGreaterThan(QUICK_CHECK_MAX_BYTES);
    expect(checked(path)).toEqual({ findings: [], pragmas: 0 });
    damage(path);
    const db = new Database(path, { readonly: true });
    try {
      const integrity = () =>
        (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map(
          (r) => r.integrity_check,
        );
      expect(damageFound(integrity)).toBe(true);
    } finally {
      db.close();
    }
  });
});
