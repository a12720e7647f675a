/**
 * Scan predicates as Lance SQL (DataFusion dialect), for the first read of a node
 * table version: equality and ordering of a property (or `id`) with a string,
 * number or boolean value, and the string predicates on a String or enum property
 * with a string value — `starts_with` as a range (a BTREE on the column serves it),
 * `contains` as DataFusion's `contains` (a scan filter: docs/indexes.md says why no
 * index serves it). Each is exact, and every predicate is evaluated again in memory
 * anyway, so SQL and the executor never disagree on a row.
 */
import type { IrExpr, QueryValue } from '../query/types.js';
import type { PropType } from '../schema/types.js';
import type { PerFunction } from '../query/functions.js';
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

/** The least string greater than every string that starts with `prefix`, if any (code-point order). */
export function prefixUpperBound(prefix: string): string | null {
  const cps = [...prefix];
  while (cps.length > 0) {
    let next = cps.pop()!.codePointAt(0)! + 1;
    if (next > 0x10ffff) continue;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    cps.push(String.fromCodePoint(next));
    return cps.join('');
  }
  return null;
}

/** Each string predicate as exact SQL over a column and a needle (UTF-8 order is code-point order). */
export const PREDICATE_SQL: PerFunction<'predicate', (col: string, needle: string) => string> = {
  starts_with: (col, needle) => {
    const upper = prefixUpperBound(needle);
    return needle === ''
      ? `${col} IS NOT NULL`
      : `${col} >= ${sqlString(needle)}${upper === null ? '' : ` AND ${col} < ${sqlString(upper)}`}`;
  },
  // `contains(col, '')` finds nothing through an FM-index (lancedb 0.37.1): never send it.
  contains: (col, needle) =>
    needle === '' ? `${col} IS NOT NULL` : `contains(${col}, ${sqlString(needle)})`,
};

type Value = (e: IrExpr) => QueryValue | undefined;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** One predicate as SQL: a string, 'FALSE' (a null value), or null when SQL cannot express it. */
function predicateSql(w: IrExpr, value: Value): string | null {
  if (w.kind === 'call' && (w.fn === 'starts_with' || w.fn === 'contains')) {
    const [haystack, needle] = w.args;
    if (haystack.kind !== 'prop') return null;
    const v = value(needle);
    if (v === undefined) return null;
    if (v === null) return 'FALSE';
    // A string that is not well-formed UTF-16 would reach Lance altered: not exact.
    if (typeof v !== 'string' || LONE_SURROGATE.test(v)) return null;
    return PREDICATE_SQL[w.fn](sqlIdent(haystack.prop), v);
  }
  if (w.kind !== 'compare' || !(w.op in SQL_OPS) || w.left.kind !== 'prop') return null;
  if (w.left.type.kind === 'node' || w.left.type.kind === 'rank' || w.left.type.kind === 'null')
    return null;
  const v = value(w.right);
  if (v === undefined) return null;
  // A comparison with null is false: the scan is empty.
  if (v === null) return 'FALSE';
  const lit = literalSql(w.left.type, v);
  return lit === null ? null : `${sqlIdent(w.left.prop)} ${SQL_OPS[w.op]} ${lit}`;
}

/**
 * The SQL conjunction of the predicates of a scan that SQL can express, or null
 * when none can (`exact`: null unless every one can — a prefilter that must select
 * exactly the scan's rows). `value` resolves a literal or parameter operand
 * (undefined for anything else).
 */
export function scanWhereSql(where: IrExpr[], value: Value, exact = false): string | null {
  const parts: string[] = [];
  for (const w of where) {
    const sql = predicateSql(w, value);
    if (sql === 'FALSE') return sql;
    if (sql !== null) parts.push(sql);
    else if (exact) return null;
  }
  return parts.length ? parts.join(' AND ') : null;
}
