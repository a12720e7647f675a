/**
 * Scan predicates as Lance SQL (DataFusion dialect), for the first read of a node
 * table version: equality and ordering of a property (or `id`) with a string,
 * number or boolean value. Only a superset filter is sent — every predicate is
 * evaluated again in memory — so SQL and the executor never disagree on a row.
 */
import type { IrExpr, QueryValue } from '../query/types.js';
import type { PropType } from '../schema/types.js';
import { sqlIdent, sqlString } from '../storage/index.js';

const SQL_OPS: Record<string, string> = {
  '=': '=',
  '!=': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

const NUMERIC = new Set(['I32', 'I64', 'U32', 'U64', 'F32', 'F64']);

function literalSql(type: PropType, v: QueryValue): string | null {
  if (type.kind === 'enum' || (type.kind === 'scalar' && type.name === 'String'))
    return typeof v === 'string' ? sqlString(v) : null;
  if (type.kind !== 'scalar') return null;
  if (NUMERIC.has(type.name))
    return (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'bigint'
      ? String(v)
      : null;
  if (type.name === 'Bool') return typeof v === 'boolean' ? String(v).toUpperCase() : null;
  return null;
}

/**
 * The SQL conjunction of the predicates of a scan that SQL can express, or null
 * when none can. `value` resolves a literal or parameter operand (undefined for
 * anything else).
 */
export function scanWhereSql(
  where: IrExpr[],
  value: (e: IrExpr) => QueryValue | undefined,
): string | null {
  const parts: string[] = [];
  for (const w of where) {
    if (w.kind !== 'compare' || !(w.op in SQL_OPS) || w.left.kind !== 'prop') continue;
    if (w.left.type.kind === 'node' || w.left.type.kind === 'rank' || w.left.type.kind === 'null')
      continue;
    const v = value(w.right);
    if (v === undefined) continue;
    // A comparison with null is false: the scan is empty.
    if (v === null) return 'FALSE';
    const lit = literalSql(w.left.type, v);
    if (lit !== null) parts.push(`${sqlIdent(w.left.prop)} ${SQL_OPS[w.op]} ${lit}`);
  }
  return parts.length ? parts.join(' AND ') : null;
}
