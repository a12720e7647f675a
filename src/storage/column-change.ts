/**
 * In-place column changes of one table's main line, for `lancelog schema apply`
 * (docs/schema-language.md §Evolution): add columns (all null), fill a default into
 * them, widen numeric columns, drop columns. Each kind of change is one Lance commit,
 * in a fixed order (add, fill, widen and make nullable, drop); a change list with nothing in it makes
 * no commit. The caller holds the table's lease and runs this inside the write
 * protocol's Phase B (a multi-commit table action): Lancelog's kept-open writers cache
 * a table's schema, so the caller drops the table's writer afterwards.
 */
import path from 'node:path';
import type * as arrow from 'apache-arrow';
import type { Table as LanceTable } from '@lancedb/lancedb';
import { lanceDb } from './lancedb.js';
import { schemaToLance } from './arrow-bridge.js';
import { storageError, guard, errorMessage } from './errors.js';

export interface ColumnChanges {
  /** New columns, filled with null: a schema of their (nullable) fields, or null. */
  add: arrow.Schema | null;
  /** SQL literals written into every row of a just-added column (`@default`). */
  fill: Array<{ column: string; valueSql: string }>;
  /** Numeric widenings Lance casts in place (I32→I64, U32→U64, F32→F64): the widened fields. */
  widen: arrow.Schema | null;
  /** Columns that become nullable (in the same commit as the widenings). */
  nullable: string[];
  drop: string[];
}

export function noColumnChanges(c: ColumnChanges): boolean {
  return (
    (c.add?.fields.length ?? 0) +
      c.fill.length +
      (c.widen?.fields.length ?? 0) +
      c.nullable.length +
      c.drop.length ===
    0
  );
}

/** Opens the table's main line at HEAD through a connection of its own. */
async function openMainLine(repoDir: string, tableKey: string, tablePath: string) {
  const ref = { tableKey, tablePath };
  const parts = tablePath.split('/');
  const dir = path.join(repoDir, ...parts.slice(0, -1));
  const name = parts[parts.length - 1];
  const conn = await guard(ref, 'connect', () =>
    lanceDb().connect(dir, { readConsistencyInterval: 0 }),
  );
  return guard(ref, 'openTable', () => conn.openTable(name), 'TableNotFound');
}

async function step(
  ref: { tableKey: string; tablePath: string },
  action: string,
  run: () => Promise<unknown>,
  table: LanceTable,
): Promise<number> {
  try {
    await run();
  } catch (err) {
    throw storageError(
      'StorageFailure',
      `${action} on ${ref.tableKey} failed: ${errorMessage(err)}`,
      ref,
      { action, cause: errorMessage(err) },
    );
  }
  return table.version();
}

/**
 * Applies `changes` to the table's main line, which must be at `expectedHead`;
 * `onCommit` hears every Lance version made but the last. Returns the final HEAD
 * (`expectedHead` when there was nothing to change).
 */
export async function changeColumns(
  repoDir: string,
  table: { tableKey: string; tablePath: string },
  expectedHead: number,
  changes: ColumnChanges,
  onCommit: (version: number) => void,
): Promise<number> {
  if (noColumnChanges(changes)) return expectedHead;
  const lance = await openMainLine(repoDir, table.tableKey, table.tablePath);
  try {
    const head = await lance.version();
    if (head !== expectedHead)
      throw storageError(
        'StorageFailure',
        `${table.tableKey}: HEAD is ${head}, expected ${expectedHead} before the column change`,
        table,
        { action: 'changeColumns', cause: `HEAD ${head}, expected ${expectedHead}` },
      );
    const versions: number[] = [];
    const commit = async (action: string, run: () => Promise<unknown>) => {
      if (versions.length > 0) onCommit(versions[versions.length - 1]);
      versions.push(await step(table, action, run, lance));
    };
    const add = changes.add;
    if (add && add.fields.length > 0)
      await commit('addColumns', () => lance.addColumns(schemaToLance(add)));
    if (changes.fill.length > 0)
      await commit('fillDefaults', () =>
        lance.update({
          valuesSql: Object.fromEntries(changes.fill.map((f) => [f.column, f.valueSql])),
        }),
      );
    const alter = [
      ...(changes.widen ? schemaToLance(changes.widen).fields : []).map((f) => ({
        path: f.name,
        dataType: f.type,
      })),
      ...changes.nullable.map((path) => ({ path, nullable: true })),
    ];
    if (alter.length > 0) await commit('alterColumns', () => lance.alterColumns(alter));
    if (changes.drop.length > 0) await commit('dropColumns', () => lance.dropColumns(changes.drop));
    return versions[versions.length - 1];
  } finally {
    lance.close();
  }
}
