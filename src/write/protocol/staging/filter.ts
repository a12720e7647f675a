/**
 * Structured row filters: a conjunction of `column op value`. The same filter is
 * run as SQL against committed data (Lance) and in memory against pending rows, so
 * reads inside an operation see committed ∪ pending with one semantics.
 */
import { sqlIdent, sqlString } from '../../../storage/index.js';
import type { PropType, TypeDef } from '../../../schema/types.js';
import { canonicalValue, coerceType, type StoredValue } from './values.js';
import { RepoError } from '../../../errors.js';
import { unknownPropertyError } from '../../../query/errors.js';

export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'contains';
export interface Condition {
  column: string;
  op: FilterOp;
  value: unknown;
}
export type Filter = Condition[];

const ID_TYPE: PropType = { kind: 'scalar', name: 'String' };

/** The type of a column of a table (`id`, `src`, `dst` are Utf8). */
export function columnType(def: TypeDef, column: string): PropType {
  if (column === 'id' || (def.kind === 'edge' && (column === 'src' || column === 'dst')))
    return ID_TYPE;
  const p = def.properties.find((x) => x.name === column);
  if (!p) throw unknownPropertyError(def.tableKey, column);
  return p.type;
}

/** Coerces each condition's value to its column type (`contains` on a list takes an element). */
export function normalizeFilter(
  def: TypeDef,
  filter: Filter,
): Array<Condition & { value: StoredValue; type: PropType }> {
  return filter.map((c) => {
    const type = columnType(def, c.column);
    const valueType = c.op === 'contains' && type.kind === 'list' ? type.element : type;
    if (c.value === null) return { ...c, value: null, type };
    try {
      return {
        ...c,
        value:
          c.op === 'contains' && type.kind !== 'list'
            ? String(c.value)
            : coerceType(valueType, c.value),
        type,
      };
    } catch (err) {
      throw new RepoError(
        'InvalidFilter',
        `filter on ${def.tableKey}.${c.column}: ${(err as Error).message}`,
        { table: def.tableKey, column: c.column },
      );
    }
  });
}

function sqlLiteral(type: PropType, v: StoredValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'string') return sqlString(v);
  if (typeof v === 'bigint' || typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) {
    return type.kind === 'scalar' && type.name === 'Date'
      ? `DATE '${v.toISOString().slice(0, 10)}'`
      : `TIMESTAMP '${v.toISOString().replace('T', ' ').replace('Z', '')}'`;
  }
  throw new RepoError('InvalidFilter', 'this value type cannot be used in a filter', {});
}

export function filterToSql(def: TypeDef, filter: Filter): string | undefined {
  const conds = normalizeFilter(def, filter);
  if (conds.length === 0) return undefined;
  return conds
    .map((c) => {
      const col = sqlIdent(c.column);
      if (c.op === 'contains') {
        if (c.type.kind === 'list')
          return `array_has(${col}, ${sqlLiteral(c.type.element, c.value)})`;
        const escaped = String(c.value).replace(/[\\%_]/g, (m) => `\\${m}`);
        return `${col} LIKE ${sqlString(`%${escaped}%`)}`;
      }
      if (c.value === null) {
        if (c.op === '=') return `${col} IS NULL`;
        if (c.op === '!=') return `${col} IS NOT NULL`;
        return 'FALSE';
      }
      return `${col} ${c.op === '!=' ? '<>' : c.op} ${sqlLiteral(c.type, c.value)}`;
    })
    .join(' AND ');
}

function compare(a: unknown, b: unknown): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (
    (typeof a === 'number' || typeof a === 'bigint') &&
    (typeof b === 'number' || typeof b === 'bigint')
  ) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return canonicalValue(a) === canonicalValue(b) ? 0 : null;
}

/** In-memory evaluation with SQL's null semantics (a comparison with null is false). */
export function rowMatches(def: TypeDef, row: Record<string, unknown>, filter: Filter): boolean {
  for (const c of normalizeFilter(def, filter)) {
    const v = row[c.column];
    if (c.op === 'contains') {
      if (Array.isArray(v)) {
        if (!v.some((x) => canonicalValue(x) === canonicalValue(c.value))) return false;
        continue;
      }
      if (typeof v !== 'string' || !v.includes(String(c.value))) return false;
      continue;
    }
    if (c.value === null) {
      if (
        c.op === '='
          ? v !== null && v !== undefined
          : c.op === '!='
            ? v === null || v === undefined
            : true
      )
        return false;
      continue;
    }
    const cmp = compare(v, c.value);
    if (cmp === null) return false;
    const ok =
      c.op === '='
        ? cmp === 0
        : c.op === '!='
          ? cmp !== 0
          : c.op === '<'
            ? cmp < 0
            : c.op === '<='
              ? cmp <= 0
              : c.op === '>'
                ? cmp > 0
                : cmp >= 0;
    if (!ok) return false;
  }
  return true;
}
