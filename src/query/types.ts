/**
 * The typed IR of compiled `.gq` queries (docs/query-language.md "IR"). Plain data:
 * deterministic, printable with `explain`, serializable with `planToJSON`.
 */
import type { PropType, ScalarName } from '../schema/types.js';
import type { CompareOp } from './ast.js';
import type { AggregateFn, PredicateFn, RankFn, SearchFn } from './functions.js';

export type { CompareOp };

/** A declared parameter type. */
export type ParamType =
  | { kind: 'scalar'; name: ScalarName }
  | { kind: 'vector'; dim: number }
  | { kind: 'list'; element: { kind: 'scalar'; name: ScalarName } };

export interface ParamInfo {
  name: string;
  type: ParamType;
  optional: boolean;
}

/**
 * The static type of an expression. `node` is a match variable bound to a node type;
 * `rank` is the score of `nearest`/`bm25`/`rrf`; `null` is the `null` literal.
 */
export type ValueType =
  PropType | { kind: 'node'; type: string } | { kind: 'rank' } | { kind: 'null' };

/**
 * A runtime value: parameters after `bindParams` and literals after compilation use the
 * same representation. I64/U64 → bigint; other numbers → number; Date → 'YYYY-MM-DD';
 * DateTime → ISO-8601 string (`Date#toISOString`); Blob → Uint8Array; Vector → number[].
 */
export type QueryValue = string | number | bigint | boolean | null | Uint8Array | QueryValue[];

export type IrExpr =
  /** A whole node row (projected as an object of its properties plus `id`). */
  | { kind: 'var'; var: string; nodeType: string }
  /** A property of a node variable (or its `id` column), or a declared property of an edge variable. */
  | { kind: 'prop'; var: string; prop: string; type: ValueType }
  | { kind: 'param'; name: string; type: ValueType }
  | { kind: 'literal'; value: QueryValue; type: ValueType }
  | { kind: 'list'; items: IrExpr[]; type: ValueType }
  /** The operation's timestamp (one per operation). */
  | { kind: 'now'; type: ValueType }
  | { kind: 'compare'; op: CompareOp; left: IrExpr; right: IrExpr }
  /**
   * A text-search filter (Bool), a string predicate (Bool) or a ranking (rank) of the
   * function table (functions.ts): search(prop, text) / fuzzy(prop, text, maxEdits) /
   * match_text(prop, text); starts_with(a, b) / contains(a, b) (`a starts_with b`,
   * `a contains b` on strings: positional, a is the haystack);
   * nearest(vectorProp, vectorOrText) / bm25(textProp, text) / rrf(rank, rank[, k]).
   */
  | { kind: 'call'; fn: SearchFn | PredicateFn | RankFn; args: IrExpr[]; type: ValueType }
  | { kind: 'aggregate'; fn: AggregateFn; arg: IrExpr; type: ValueType }
  /** A column produced by an earlier `aggregate` op. */
  | { kind: 'column'; name: string; type: ValueType };

export type ReadOp =
  /**
   * Rows of a node table, bound to `var`, with its predicates pushed down: the binding's
   * property matches and the string predicates (`starts_with`, `contains`) on its
   * properties. If rows already exist, a cross product.
   */
  | { op: 'scan'; var: string; nodeType: string; tableKey: string; where: IrExpr[] }
  /**
   * Follow `edge` from the bound variable `from` to `to`. `direction` 'out' follows
   * src→dst (from is the edge's From side), 'in' follows dst→src, 'both' either way
   * (undirected, an edge from a type to itself). `into` is true when `to` is already
   * bound (the expansion then only keeps rows where the path exists). maxHops null =
   * unbounded. `edgeVar` (one hop only) binds the matched edge: one row per edge.
   */
  | {
      op: 'expand';
      from: string;
      to: string;
      edge: string;
      edgeTableKey: string;
      direction: 'out' | 'in' | 'both';
      minHops: number;
      maxHops: number | null;
      toType: string;
      toTableKey: string;
      into: boolean;
      edgeVar: string | null;
    }
  | { op: 'filter'; predicate: IrExpr }
  /** Keep rows for which the sub-pipeline (evaluated per row, with `correlated` already bound) yields nothing. */
  | { op: 'anti_join'; correlated: string[]; ops: ReadOp[] }
  | {
      op: 'aggregate';
      keys: Array<{ name: string; expr: IrExpr }>;
      aggregates: Array<{ name: string; expr: IrExpr & { kind: 'aggregate' } }>;
    }
  | { op: 'order'; keys: Array<{ expr: IrExpr; direction: 'asc' | 'desc' }> }
  | { op: 'limit'; count: number }
  | { op: 'project'; columns: Array<{ name: string; expr: IrExpr; type: ValueType }> };

export interface QueryMeta {
  description?: string;
  instruction?: string;
  annotations: Array<{ name: string; args: Array<string | number | boolean> }>;
}

export interface ReadPlan {
  kind: 'read';
  name: string;
  params: ParamInfo[];
  meta: QueryMeta;
  ops: ReadOp[];
  /** The result columns, in order. */
  columns: Array<{ name: string; type: ValueType }>;
}

/** A mutation value: literals are already coerced to the property's type. */
export type ValueExpr =
  { kind: 'literal'; value: QueryValue } | { kind: 'param'; name: string } | { kind: 'now' };

export interface Assignment {
  property: string;
  /** The target column's type. */
  type: PropType;
  nullable: boolean;
  value: ValueExpr;
}

/** `column op value`. For nodes `column` is a property or `id`; for edges a property, `id`, `src` or `dst`. */
export interface Predicate {
  column: string;
  op: CompareOp;
  type: PropType;
  value: ValueExpr;
}

export type MutationOp =
  | { op: 'insert_node'; nodeType: string; tableKey: string; values: Assignment[] }
  | {
      op: 'insert_edge';
      edgeType: string;
      tableKey: string;
      /** Key values of the endpoint nodes (types: the endpoint's key property, or String for keyless nodes). */
      from: ValueExpr;
      to: ValueExpr;
      fromType: string;
      toType: string;
      values: Assignment[];
    }
  | {
      op: 'update';
      target: 'node' | 'edge';
      typeName: string;
      tableKey: string;
      set: Assignment[];
      where: Predicate[];
    }
  | {
      op: 'delete';
      target: 'node' | 'edge';
      typeName: string;
      tableKey: string;
      where: Predicate[];
      /** For node deletes: edge types whose rows touching a deleted node are removed too. */
      cascade: Array<{ edgeType: string; tableKey: string; side: 'src' | 'dst' | 'both' }>;
    };

export interface MutationPlan {
  kind: 'mutation';
  name: string;
  params: ParamInfo[];
  meta: QueryMeta;
  /** Executed in order, atomically, with read-your-writes. */
  ops: MutationOp[];
}

export type QueryPlan = ReadPlan | MutationPlan;
