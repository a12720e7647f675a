/**
 * The query compiler's shared state and helpers: the catalog's types by name, the query
 * being compiled, its parameters, and the typed error every check raises. The compiler is
 * one class split by responsibility into a chain: base → expressions (compile-expr.ts) →
 * match clauses and their lowering (compile-match.ts) → mutations (compile-mutation.ts)
 * → whole queries (compile.ts).
 */
import type { Catalog, EdgeTypeDef, NodeTypeDef, PropType } from '../schema/types.js';
import type { ExprNode, Pos, QueryDeclNode } from './ast.js';
import type { ErrorCode } from '../errors.js';
import { QueryError } from './errors.js';
import type { IrExpr, ParamInfo, QueryPlan, ValueType } from './types.js';

export const ORDERING: ReadonlySet<string> = new Set(['<', '<=', '>', '>=']);
export const AGGREGATES: ReadonlySet<string> = new Set(['count', 'sum', 'avg', 'min', 'max']);
export const SEARCH_FNS: ReadonlySet<string> = new Set(['search', 'fuzzy', 'match_text']);
export const RANK_FNS: ReadonlySet<string> = new Set(['nearest', 'bm25', 'rrf']);
export const STRING: PropType = { kind: 'scalar', name: 'String' };

export type ExprCtx = 'match' | 'return' | 'order';

export interface VarInfo {
  nodeType: string;
  explicit: boolean;
}

export interface LevelResult {
  bindings: Array<{ name: string; node: NodeTypeDef; where: IrExpr[] }>;
  traversals: Array<{
    src: string;
    dst: string;
    edge: EdgeTypeDef;
    minHops: number;
    maxHops: number | null;
  }>;
  /** Filters and anti-joins in written order, each with the variables it needs bound. */
  deferred: Array<
    | { needs: Set<string>; op: 'filter'; predicate: IrExpr }
    | { needs: Set<string>; op: 'not'; level: LevelResult; correlated: string[] }
  >;
  /** Variables this level refers to (for correlation). */
  refs: Set<string>;
}

/** One query's compilation outcome. */
export interface CheckedQuery {
  name: string;
  kind: 'read' | 'mutation';
  decl: QueryDeclNode;
  plan?: QueryPlan;
  error?: QueryError;
  /** Declared parameters the query never references (only when it compiled). */
  unusedParams: Array<{ name: string; pos: Pos }>;
}

export function nodeKeyType(node: NodeTypeDef): PropType {
  const key = node.constraints.key[0];
  const prop = key === undefined ? undefined : node.properties.find((p) => p.name === key);
  return prop ? prop.type : STRING;
}

export function exprVars(e: IrExpr, out: Set<string>): Set<string> {
  switch (e.kind) {
    case 'var':
    case 'prop':
      out.add(e.var);
      break;
    case 'compare':
      exprVars(e.left, out);
      exprVars(e.right, out);
      break;
    case 'call':
      for (const a of e.args) exprVars(a, out);
      break;
    case 'list':
      for (const a of e.items) exprVars(a, out);
      break;
    case 'aggregate':
      exprVars(e.arg, out);
      break;
    default:
      break;
  }
  return out;
}

export function containsAggregate(e: IrExpr): boolean {
  switch (e.kind) {
    case 'aggregate':
      return true;
    case 'compare':
      return containsAggregate(e.left) || containsAggregate(e.right);
    case 'call':
      return e.args.some(containsAggregate);
    case 'list':
      return e.items.some(containsAggregate);
    default:
      return false;
  }
}

export const sameExpr = (a: IrExpr, b: IrExpr): boolean =>
  JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) ===
  JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

export abstract class CompilerBase {
  protected readonly nodes = new Map<string, NodeTypeDef>();
  protected readonly edges = new Map<string, EdgeTypeDef>();
  // Per-query state.
  protected q!: QueryDeclNode;
  protected params = new Map<string, ParamInfo & { pos: Pos }>();
  protected used = new Set<string>();
  protected wildcards = 0;

  constructor(
    protected readonly catalog: Catalog,
    protected readonly source: string,
    protected readonly file: string,
  ) {
    for (const n of catalog.nodes) this.nodes.set(n.name, n);
    for (const e of catalog.edges) this.edges.set(e.name.toLowerCase(), e);
  }

  protected error(code: ErrorCode, message: string, pos: Pos): never {
    throw new QueryError(
      code,
      message,
      { file: this.file, line: pos.line, column: pos.column, query: this.q.name },
      this.source,
    );
  }

  protected typeOf(e: IrExpr): ValueType {
    switch (e.kind) {
      case 'var':
        return { kind: 'node', type: e.nodeType };
      case 'compare':
        return { kind: 'scalar', name: 'Bool' };
      default:
        return e.type;
    }
  }

  protected unknownNodeType(name: string, pos: Pos): never {
    const edge = this.edges.get(name.toLowerCase());
    this.error(
      'UnknownType',
      `unknown node type '${name}'${edge ? ` ('${edge.name}' is an edge; traverse it with $a ${edge.name.charAt(0).toLowerCase()}${edge.name.slice(1)} $b)` : ''}`,
      pos,
    );
  }

  protected arity(e: Extract<ExprNode, { kind: 'call' }>, min: number, max = min): void {
    if (e.args.length < min || e.args.length > max) {
      this.error(
        'ArgumentCount',
        `${e.fn}() takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${e.args.length}`,
        e.pos,
      );
    }
  }
}
