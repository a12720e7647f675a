/**
 * SQL literal helpers for lance filter predicates (DataFusion SQL dialect).
 */

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
  return `${column} IN (${ids.map(sqlString).join(', ')})`;
}
