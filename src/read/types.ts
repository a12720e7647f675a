/**
 * The public shapes of read queries (docs/query-language.md "Executing reads").
 * Values use the query engine's representation (`QueryValue`, src/query/types.ts);
 * a whole node (`return { $p }`) is an object of its `id` and properties.
 */
import type { QueryValue, ValueType } from '../query/types.js';

/** One result cell: a QueryValue, or a node as `{ id, ...properties }`. */
export type ResultValue = QueryValue | { [property: string]: QueryValue };

/** One result row; keys in return order. */
export type ResultRow = Record<string, ResultValue>;

/** Which published state a read saw: one manifest version of one branch. */
export interface ReadTarget {
  branch: string;
  manifestVersion: number;
  commitId: string;
}

export interface ReadStats {
  /** Distinct tables the query read (node and edge tables). */
  tablesRead: number;
  /** Node rows matched by scans plus rows produced by expansions, before filters. */
  rowsScanned: number;
  /** Wall time of the query, compile to last row, in milliseconds. */
  ms: number;
}

export interface ReadResult {
  /** The query's name. */
  query: string;
  target: ReadTarget;
  columns: Array<{ name: string; type: ValueType }>;
  rows: ResultRow[];
  stats: ReadStats;
}

/** What to run: the `.gq` text (or a file to read it from) and the query name. */
export interface QuerySource {
  /** The `.gq` source text. When absent, `file` is read. */
  source?: string;
  /** The file the source came from (named in errors), or the file to read. */
  file?: string;
  name: string;
  /** Parameters as a JSON object (or its text); validated by `bindParams`. */
  params?: unknown;
}

/** `repo.query` arguments: the query and at most one of branch/version/commit targets (version with branch). */
export interface QueryArgs extends QuerySource {
  branch?: string;
  version?: number;
  commit?: string;
}
