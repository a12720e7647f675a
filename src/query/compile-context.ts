/**
 * What the passes of the `.gq` checker take as arguments. Per query, a CheckContext
 * bundles the catalog's types (a TypeIndex, src/schema/lookup.ts), the query's
 * parameters (QueryParams) and where errors go (Diagnostics); a match level adds its
 * scope of bound variables (VarScope). The passes are plain functions over these:
 * expressions and calls (compile-expr.ts), values (compile-value.ts), match levels
 * (compile-match.ts), their lowering to read ops (lower.ts), mutations
 * (compile-mutation.ts) and whole queries (compile.ts).
 */
import type { TypeIndex } from '../schema/lookup.js';
import type { EdgeTypeDef, NodeTypeDef, PropType } from '../schema/types.js';
import type { ExprNode, Pos, QueryDeclNode } from './ast.js';
import type { ErrorCode } from '../errors.js';
import { QueryError } from './errors.js';
import { arityOf, type FnName } from './functions.js';
import type { IrExpr, ParamInfo, QueryPlan, ValueType } from './types.js';

export const ORDERING: ReadonlySet<string> = new Set(['<', '<=', '>', '>=']);
export const STRING: PropType = { kind: 'scalar', name: 'String' };

/** The clause an expression is in: what it may contain depends on it. */
export type Clause = 'match' | 'return' | 'order';

/** A match variable: bound to a node type (explicitly, or as a traversal endpoint), or to an edge (`$a $w:edge $b`). */
export type VarInfo =
  { kind: 'node'; nodeType: string; explicit: boolean } | { kind: 'edge'; edge: EdgeTypeDef };

/** The match variables bound so far, by name (a `not { }` block checks in a copy). */
export type VarScope = Map<string, VarInfo>;

export interface LevelResult {
  bindings: Array<{ name: string; node: NodeTypeDef; where: IrExpr[] }>;
  traversals: Array<{
    src: string;
    dst: string;
    edge: EdgeTypeDef;
    minHops: number;
    maxHops: number | null;
    /** `$a <edge> $b`: either direction. */
    undirected: boolean;
    /** `$a $w:edge $b`: the variable bound to the matched edge. */
    edgeVar: string | null;
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

/** Where one query's errors go: a QueryError naming the file, the position and the query. */
export class Diagnostics {
  constructor(
    private readonly source: string,
    private readonly file: string,
    readonly query: string,
  ) {}

  fail(code: ErrorCode, message: string, pos: Pos): never {
    throw new QueryError(
      code,
      message,
      { file: this.file, line: pos.line, column: pos.column, query: this.query },
      this.source,
    );
  }
}

type DeclaredParam = ParamInfo & { pos: Pos };

/** A query's declared parameters, in order, and the ones its body uses. */
export class QueryParams {
  private readonly declared = new Map<string, DeclaredParam>();
  private readonly used = new Set<string>();

  add(p: DeclaredParam): void {
    this.declared.set(p.name, p);
  }

  has(name: string): boolean {
    return this.declared.has(name);
  }

  /** The parameter `name` refers to, marked used; undefined when none is declared. */
  use(name: string): DeclaredParam | undefined {
    const p = this.declared.get(name);
    if (p) this.used.add(name);
    return p;
  }

  list(): ParamInfo[] {
    return [...this.declared.values()].map(({ name, type, optional }) => ({
      name,
      type,
      optional,
    }));
  }

  unused(): Array<{ name: string; pos: Pos }> {
    return [...this.declared.values()]
      .filter((p) => !this.used.has(p.name))
      .map((p) => ({ name: p.name, pos: p.pos }));
  }
}

/** Everything a pass needs of the query it checks, besides the scope. */
export interface CheckContext {
  readonly types: TypeIndex;
  readonly diag: Diagnostics;
  readonly params: QueryParams;
  /** A fresh variable for a `$_` endpoint, unique in the query (`_1`, `_2`, …). */
  wildcard(): string;
  /** Variables bound only inside a `not { }` block (local to it): named when used outside. */
  readonly notLocals: Set<string>;
}

export function checkContext(types: TypeIndex, diag: Diagnostics): CheckContext {
  let wildcards = 0;
  return {
    types,
    diag,
    params: new QueryParams(),
    wildcard: () => `_${++wildcards}`,
    notLocals: new Set(),
  };
}

/** UnboundVariable for `$name`, saying so when it is bound only inside a `not { }` block. */
export function unboundVariable(cx: CheckContext, name: string, pos: Pos): never {
  cx.diag.fail(
    'UnboundVariable',
    cx.notLocals.has(name)
      ? `variable '$${name}' is bound inside a not { } block, which keeps its variables local; it cannot be used outside it`
      : `variable '$${name}' is not bound in the match block`,
    pos,
  );
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

export function typeOf(e: IrExpr): ValueType {
  switch (e.kind) {
    case 'var':
      return { kind: 'node', type: e.nodeType };
    case 'compare':
      return { kind: 'scalar', name: 'Bool' };
    default:
      return e.type;
  }
}

export function unknownNodeType(cx: CheckContext, name: string, pos: Pos): never {
  const edge = cx.types.edgeNamed(name);
  cx.diag.fail(
    'UnknownType',
    `unknown node type '${name}'${edge ? ` ('${edge.name}' is an edge; traverse it with $a ${edge.name.charAt(0).toLowerCase()}${edge.name.slice(1)} $b)` : ''}`,
    pos,
  );
}

/** A declared property of an edge type (its internal id and endpoints are not properties). */
export function edgeColumn(
  cx: CheckContext,
  edge: EdgeTypeDef,
  prop: string,
  pos: Pos,
): { type: PropType; nullable: boolean } {
  const p = edge.properties.find((x) => x.name === prop);
  if (!p)
    cx.diag.fail(
      'UnknownProperty',
      `edge ${edge.name} has no property '${prop}' (properties: ${edge.properties.map((x) => x.name).join(', ') || 'none'})`,
      pos,
    );
  return { type: p.type, nullable: p.nullable };
}

/** A property (or `id`) of a node type: its type and nullability. */
export function nodeColumn(
  cx: CheckContext,
  node: NodeTypeDef,
  prop: string,
  pos: Pos,
): { type: PropType; nullable: boolean } {
  if (prop === 'id') return { type: STRING, nullable: false };
  const p = node.properties.find((x) => x.name === prop);
  if (!p)
    cx.diag.fail(
      'UnknownProperty',
      `node type ${node.name} has no property '${prop}' (properties: ${['id', ...node.properties.map((x) => x.name)].join(', ')})`,
      pos,
    );
  return { type: p.type, nullable: p.nullable };
}

/** ArgumentCount unless the call has as many arguments as its row in the function table allows. */
export function checkArity(
  cx: CheckContext,
  e: Extract<ExprNode, { kind: 'call' }>,
  fn: FnName,
): void {
  const { min, max } = arityOf(fn);
  if (e.args.length < min || e.args.length > max) {
    cx.diag.fail(
      'ArgumentCount',
      `${e.fn}() takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${e.args.length}`,
      e.pos,
    );
  }
}
