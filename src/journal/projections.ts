/**
 * Projection tables ↔ JournalState, driven by the layout in layout.ts:
 *  - writePatches: write the rows an event changed, found from the reducer's immer
 *    patches (so the SQL mirrors evolve() by construction, not by a hand-written twin),
 *  - readProjections: read every table back into a JournalState,
 *  - diffStates: compare two states row by row (verify).
 */
import type Database from 'better-sqlite3';
import type { Patch } from 'immer';
import {
  allRows,
  getIn,
  keysOf,
  leafDepth,
  leaves,
  PROJECTIONS,
  putRow,
  SPEC,
  type ColType,
  type ProjectionSpec,
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

/** Maps one SQL row of a projection table to its state row. */
export function mapRow<T>(field: keyof JournalState, raw: Record<string, unknown>): T {
  const row: Record<string, unknown> = {};
  for (const col of SPEC[field].columns) row[col.field] = fromSql(raw[col.col], col.type);
  return row as T;
}

const rowId = (spec: ProjectionSpec, row: Record<string, unknown>) =>
  JSON.stringify(keysOf(spec, row));

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
 * Writes to SQL the rows that `patches` touched: for each patched subtree, every
 * row `next` has there is upserted and every row only `prev` had is deleted.
 */
export function writePatches(
  db: Database.Database,
  prev: JournalState,
  next: JournalState,
  patches: Patch[],
): void {
  const upserts = new Map<string, { spec: ProjectionSpec; row: Record<string, unknown> }>();
  const deletes = new Map<string, { spec: ProjectionSpec; row: Record<string, unknown> }>();
  for (const patch of patches) {
    const [field, ...rest] = patch.path.map(String);
    const spec = SPEC[field as keyof JournalState];
    if (!spec) throw new Error(`journal state field ${field} has no projection table`);
    const depth = leafDepth(spec);
    const path = rest.slice(0, depth);
    const below = depth - path.length;
    const nextRows = leaves<Record<string, unknown>>(getIn(next[spec.field], path), below);
    const nextIds = new Set(nextRows.map((r) => rowId(spec, r)));
    for (const row of nextRows) upserts.set(`${spec.table}${rowId(spec, row)}`, { spec, row });
    for (const row of leaves<Record<string, unknown>>(getIn(prev[spec.field], path), below)) {
      if (!nextIds.has(rowId(spec, row)))
        deletes.set(`${spec.table}${rowId(spec, row)}`, { spec, row });
    }
  }
  for (const [id, { spec, row }] of deletes) {
    if (upserts.has(id)) continue;
    prepared(
      db,
      `DELETE FROM ${spec.table} WHERE ${spec.keys.map((k) => `${k} = ?`).join(' AND ')}`,
    ).run(...keysOf(spec, row));
  }
  for (const { spec, row } of upserts.values()) {
    prepared(
      db,
      `INSERT OR REPLACE INTO ${spec.table} (${spec.columns.map((col) => col.col).join(', ')}) VALUES (${spec.columns.map(() => '?').join(', ')})`,
    ).run(...spec.columns.map((col) => toSql(row[col.field], col.type)));
  }
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
