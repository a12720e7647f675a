/**
 * Projection tables ↔ JournalState, driven by the layout in layout.ts:
 *  - writeChangedRows: write the rows a write's events changed in its working set,
 *    found by comparing the rows before and after evolve's recipe ran (so the SQL
 *    mirrors evolve() by construction, not by a hand-written twin),
 *  - readProjections: read every table back into a JournalState,
 *  - diffStates: compare two states row by row (verify).
 */
import type Database from 'better-sqlite3';
import {
  allRows,
  getRow,
  keysOf,
  PROJECTIONS,
  putRow,
  SPEC,
  type ColType,
  type Column,
  type Key,
} from './layout.js';
import { emptyState, type JournalState } from './state.js';

function toSql(value: unknown, type: ColType): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'bool') return value ? 1 : 0;
  if (type === 'json') return JSON.stringify(value);
  return value;
}

function fromSql(value: unknown, type: ColType): unknown {
  if (value === null) return null;
  if (type === 'bool') return value === 1;
  if (type === 'json') return JSON.parse(value as string);
  if (type === 'int') return Number(value);
  return value;
}

/** A state row's column values, in column order, as SQL values (one array per row written). */
function sqlValues(columns: readonly Column[], row: Record<string, unknown>): unknown[] {
  const values = new Array<unknown>(columns.length);
  for (let i = 0; i < columns.length; i++)
    values[i] = toSql(row[columns[i].field], columns[i].type);
  return values;
}

/** Maps one SQL row of a projection table to its state row. */
export function mapRow<T>(field: keyof JournalState, raw: Record<string, unknown>): T {
  const row: Record<string, unknown> = {};
  for (const col of SPEC[field].columns) row[col.field] = fromSql(raw[col.col], col.type);
  return row as T;
}

/**
 * Prepared statements, one per (database, SQL text): writes run the same few
 * statements for every event and patch, and preparing them each time was 5–8% of a
 * journal write's CPU.
 */
const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();
export function prepared(db: Database.Database, sql: string): Database.Statement {
  let byText = statements.get(db);
  if (!byText) statements.set(db, (byText = new Map()));
  let st = byText.get(sql);
  if (!st) byText.set(sql, (st = db.prepare(sql)));
  return st;
}

/**
 * The rows of a working set before its events were applied, one map per projection
 * (in PROJECTIONS order): row object → its JSON and key values at that moment.
 * Keyed by identity because evolve's recipe runs in place (evolveInPlace): a row it
 * left alone is the same object afterwards, a row it put is a new one.
 */
export type RowImage = Array<Map<object, { json: string; keys: Key[] }>>;

export function rowImage(state: JournalState): RowImage {
  return PROJECTIONS.map((spec) => {
    const rows = new Map<object, { json: string; keys: Key[] }>();
    for (const row of allRows<Record<string, unknown>>(state, spec.field))
      rows.set(row, { json: JSON.stringify(row), keys: keysOf(spec, row) });
    return rows;
  });
}

const UPSERT_SQL = new Map(
  PROJECTIONS.map((spec) => [
    spec,
    `INSERT OR REPLACE INTO ${spec.table} (${spec.columns.map((col) => col.col).join(', ')}) VALUES (${spec.columns.map(() => '?').join(', ')})`,
  ]),
);
const DELETE_SQL = new Map(
  PROJECTIONS.map((spec) => [
    spec,
    `DELETE FROM ${spec.table} WHERE ${spec.keys.map((k) => `${k} = ?`).join(' AND ')}`,
  ]),
);

/**
 * Writes to SQL every row of `after` that `before` (the image of the same working set
 * before its events were applied in place) lacks or holds differently, and deletes
 * every row `before` had whose key `after` no longer holds. Rows never loaded are
 * never touched. Each row is written once per transaction, however many of its
 * events changed it (its last value wins); a row new to the working set is written
 * without being serialised for comparison.
 */
export function writeChangedRows(
  db: Database.Database,
  before: RowImage,
  after: JournalState,
): void {
  PROJECTIONS.forEach((spec, i) => {
    const was = before[i];
    let upsert: Database.Statement | undefined;
    for (const row of allRows<Record<string, unknown>>(after, spec.field)) {
      // Rows keep their field order through in-place updates, so JSON compares them.
      const old = was.get(row);
      if (old !== undefined && old.json === JSON.stringify(row)) continue;
      upsert ??= prepared(db, UPSERT_SQL.get(spec)!);
      upsert.run(sqlValues(spec.columns, row));
    }
    for (const old of was.values())
      if (getRow(after, spec.field, old.keys) === undefined)
        prepared(db, DELETE_SQL.get(spec)!).run(...old.keys);
  });
}

/** Reads every projection table into a JournalState (to compare with replay, or to seed the writer's cache). */
export function readProjections(db: Database.Database): JournalState {
  const state = emptyState();
  for (const spec of PROJECTIONS) {
    for (const raw of db
      .prepare(`SELECT ${spec.columns.map((col) => col.col).join(', ')} FROM ${spec.table}`)
      .iterate() as Iterable<Record<string, unknown>>) {
      putRow(state, spec.field, mapRow(spec.field, raw));
    }
  }
  return state;
}

/** Stable JSON (sorted keys) so row comparison ignores property order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : v,
  );
}

/** Row-by-row differences between two states, as readable lines. Empty = equal. */
export function diffStates(
  expected: JournalState,
  actual: JournalState,
  labels = { expected: 'replayed', actual: 'stored' },
): string[] {
  const out: string[] = [];
  for (const spec of PROJECTIONS) {
    const index = (s: JournalState) =>
      new Map(
        allRows<Record<string, unknown>>(s, spec.field).map((r) => [
          keysOf(spec, r).join(', '),
          canonical(r),
        ]),
      );
    const e = index(expected);
    const a = index(actual);
    for (const key of [...new Set([...e.keys(), ...a.keys()])].sort()) {
      const ev = e.get(key);
      const av = a.get(key);
      if (ev === undefined) out.push(`${spec.table}[${key}]: only ${labels.actual}: ${av}`);
      else if (av === undefined) out.push(`${spec.table}[${key}]: only ${labels.expected}: ${ev}`);
      else if (ev !== av)
        out.push(`${spec.table}[${key}]: ${labels.expected} ${ev} ≠ ${labels.actual} ${av}`);
    }
  }
  return out;
}
