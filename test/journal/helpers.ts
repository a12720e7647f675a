import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Journal } from '../../src/journal/index.js';

const dirs: string[] = [];
const journals: Journal[] = [];

afterEach(() => {
  for (const j of journals.splice(0)) j.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh temp repo dir, removed after the test. */
export function tempRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lancelog-journal-'));
  dirs.push(dir);
  return dir;
}

/** Closed automatically after the test. */
export function track(j: Journal): Journal {
  journals.push(j);
  return j;
}

export const TABLES = [
  { tableKey: 'node:Person', version: 1 },
  { tableKey: 'node:Company', version: 1 },
  { tableKey: 'edge:WorksAt', version: 1 },
];

export function newJournal(dir = tempRepo()): Journal {
  return track(Journal.create(dir, { tables: TABLES, actor: 'tester' }));
}

/** Runs fn and returns the LancelogError code it threw (fails if it did not throw). */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code ?? `non-lancelog error: ${(err as Error).message}`;
  }
  throw new Error('expected an error');
}
