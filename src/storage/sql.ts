/**
 * SQL text for Lance filter predicates (DataFusion SQL dialect): the one way to quote
 * a string literal and the one way to quote a column name. Every predicate Lancelog
 * builds (scan pushdown, top-k, write filters, id lists) goes through these.
 */

/**
 * A column name as a backtick-quoted SQL identifier; an embedded backtick is doubled.
 * Quoted, a name keeps its case and may be a keyword (`order`) or hold any character.
 */
export function sqlIdent(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

/**
 * The column a Lance field path names: Lance reports an indexed column by its path,
 * backtick-quoted (like sqlIdent) when the name is not a plain identifier. A top-level
 * column's path has one segment (Lance refuses a `.` in a top-level name).
 */
export function columnOfFieldPath(path: string): string {
  const quoted = /^`(.*)`$/s.exec(path);
  return quoted ? quoted[1].replaceAll('``', '`') : path;
}

/** A string as a single-quoted SQL literal; embedded single quotes are doubled. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * `id IN ('a','b',...)` as ONE predicate, however many ids. Chunking into several
 * statements would create several Lance versions, breaking the one-commit-per-primitive
 * contract; lance evaluates a 20k-element IN list in well under a second.
 */
export function idInPredicate(ids: readonly string[], column = 'id'): string {
  return `${sqlIdent(column)} IN (${ids.map(sqlString).join(', ')})`;
}
