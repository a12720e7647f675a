/**
 * Semantic analysis and lowering: `.gq` syntax tree + Catalog → typed IR (types.ts).
 * Every rule violation is a QueryError whose code names the rule and whose details
 * name the file, line, column and query (docs/query-language.md lists the codes).
 */
import { typeIndex, type TypeIndex } from '../schema/lookup.js';
import type { Catalog } from '../schema/types.js';
import type { ExprNode, Pos, QueryDeclNode, ReadBodyNode, TypeRef } from './ast.js';
import {
  Diagnostics,
  checkContext,
  containsAggregate,
  sameExpr,
  typeOf,
  type CheckContext,
  type CheckedQuery,
  type VarScope,
} from './compile-context.js';
import { checkExpr } from './compile-expr.js';
import { checkLevel } from './compile-match.js';
import { compileMutation } from './compile-mutation.js';
import { QueryError } from './errors.js';
import type { FnName } from './functions.js';
import { lowerLevel } from './lower.js';
import { parseQueries } from './parser.js';
import type { IrExpr, ParamInfo, ParamType, QueryMeta, QueryPlan, ReadPlan } from './types.js';
import { SCALARS } from './values.js';

/** One item of a read's return block, checked. */
interface ReturnItem {
  node: ReadBodyNode['returns'][number];
  expr: IrExpr;
  name: string;
}

export { nodeKeyType, type CheckedQuery } from './compile-context.js';

/** Checks every query of a file: each one compiled, or the QueryError it stopped at. */
function checkAll(
  types: TypeIndex,
  source: string,
  file: string,
  decls: QueryDeclNode[],
): CheckedQuery[] {
  const seen = new Map<string, QueryDeclNode>();
  return decls.map((decl) => {
    const kind = decl.body.kind;
    const cx = checkContext(types, new Diagnostics(source, file, decl.name));
    try {
      const prior = seen.get(decl.name);
      if (prior)
        cx.diag.fail(
          'DuplicateQuery',
          `query '${decl.name}' is already declared at line ${prior.pos.line}`,
          decl.namePos,
        );
      seen.set(decl.name, decl);
      const plan = compileDecl(cx, decl);
      return { name: decl.name, kind, decl, plan, unusedParams: cx.params.unused() };
    } catch (err) {
      if (err instanceof QueryError)
        return { name: decl.name, kind, decl, error: err, unusedParams: [] };
      throw err;
    }
  });
}

/** One query: its parameters, its annotations, then its read or mutation body. */
function compileDecl(cx: CheckContext, decl: QueryDeclNode): QueryPlan {
  for (const p of decl.params) {
    if (cx.params.has(p.name))
      cx.diag.fail('DuplicateParameter', `parameter '$${p.name}' is declared twice`, p.pos);
    cx.params.add({ name: p.name, type: paramType(cx, p.type), optional: p.optional, pos: p.pos });
  }
  const meta: QueryMeta = {
    annotations: decl.annotations.map((a) => ({ name: a.name, args: a.args })),
  };
  for (const a of decl.annotations) {
    if ((a.name === 'description' || a.name === 'instruction') && typeof a.args[0] === 'string')
      meta[a.name] = a.args[0];
  }
  const params = cx.params.list();
  if (decl.body.kind === 'read') return compileRead(cx, decl.body, params, meta);
  return compileMutation(cx, decl.body, params, meta);
}

function paramType(cx: CheckContext, t: TypeRef): ParamType {
  if (t.kind === 'vector') {
    if (t.dim < 1)
      cx.diag.fail('UnknownType', `Vector dimension must be at least 1, got ${t.dim}`, t.pos);
    return { kind: 'vector', dim: t.dim };
  }
  if (t.kind === 'list') {
    const el = paramType(cx, t.element);
    if (el.kind !== 'scalar')
      cx.diag.fail('UnknownType', 'list parameters hold scalars only', t.element.pos);
    return { kind: 'list', element: el };
  }
  if (!SCALARS.has(t.name)) {
    cx.diag.fail(
      'UnknownType',
      `unknown parameter type '${t.name}' (expected one of ${[...SCALARS].join(', ')}, Vector(n) or [T])`,
      t.pos,
    );
  }
  return {
    kind: 'scalar',
    name: t.name as ParamType extends { kind: 'scalar'; name: infer N } ? N : never,
  };
}

// ── read queries ──────────────────────────────────────────────

function compileRead(
  cx: CheckContext,
  body: ReadBodyNode,
  params: ParamInfo[],
  meta: QueryMeta,
): ReadPlan {
  const scope: VarScope = new Map();
  const level = checkLevel(cx, body.match, scope);
  const ops = lowerLevel(cx.types, level, new Set());
  const items = returnItems(cx, body, scope);
  const aggregating = items.some((it) => containsAggregate(it.expr));
  const orderKeys = orderKeysOf(cx, body, items, aggregating, scope);
  checkLimit(cx, body);
  if (aggregating) {
    const keys = items
      .filter((it) => it.expr.kind !== 'aggregate')
      .map((it) => ({ name: it.name, expr: it.expr }));
    const aggregates = items
      .filter((it) => it.expr.kind === 'aggregate')
      .map((it) => ({ name: it.name, expr: it.expr as IrExpr & { kind: 'aggregate' } }));
    ops.push({ op: 'aggregate', keys, aggregates });
  }
  if (orderKeys.length) ops.push({ op: 'order', keys: orderKeys });
  if (body.limit) ops.push({ op: 'limit', count: body.limit.value });
  const columns = items.map((it) => {
    const type = typeOf(it.expr);
    return {
      name: it.name,
      type,
      expr: aggregating ? ({ kind: 'column', name: it.name, type } as IrExpr) : it.expr,
    };
  });
  ops.push({ op: 'project', columns });
  return {
    kind: 'read',
    name: cx.diag.query,
    params,
    meta,
    ops,
    columns: columns.map(({ name, type }) => ({ name, type })),
  };
}

/** The return block: each item's expression and column name (unique); aggregates whole items only. */
function returnItems(cx: CheckContext, body: ReadBodyNode, scope: VarScope): ReturnItem[] {
  const items = body.returns.map((r) => {
    const expr = checkExpr(cx, r.expr, 'return', scope);
    const name = r.alias ?? defaultName(r.expr);
    return { node: r, expr, name };
  });
  const names = new Map<string, Pos>();
  for (const it of items) {
    const prior = names.get(it.name);
    if (prior)
      cx.diag.fail(
        'DuplicateColumn',
        `two return columns are named '${it.name}' (the first at line ${prior.line}); give one an alias with 'as'`,
        it.node.aliasPos ?? it.node.pos,
      );
    names.set(it.name, it.node.aliasPos ?? it.node.pos);
  }
  for (const it of items) {
    if (containsAggregate(it.expr) && it.expr.kind !== 'aggregate') {
      cx.diag.fail(
        'AggregateMisuse',
        'an aggregate must be a whole return item (it cannot be nested in another expression)',
        it.node.pos,
      );
    }
  }
  return items;
}

/** The order block: return aliases or expressions (with aggregates: group keys, aggregates or aliases). */
function orderKeysOf(
  cx: CheckContext,
  body: ReadBodyNode,
  items: ReturnItem[],
  aggregating: boolean,
  scope: VarScope,
): Array<{ expr: IrExpr; direction: 'asc' | 'desc' }> {
  const orderKeys: Array<{ expr: IrExpr; direction: 'asc' | 'desc' }> = [];
  for (const o of body.order) {
    let expr: IrExpr;
    if (o.expr.kind === 'alias') {
      const it = items.find((x) => x.name === (o.expr as { name: string }).name);
      if (!it)
        cx.diag.fail(
          'UnknownAlias',
          `'${o.expr.name}' is not a return column (return columns: ${items.map((x) => x.name).join(', ')})`,
          o.expr.pos,
        );
      expr = aggregating ? { kind: 'column', name: it.name, type: typeOf(it.expr) } : it.expr;
    } else {
      expr = checkExpr(cx, o.expr, 'order', scope);
      if (aggregating) {
        const it = items.find((x) => sameExpr(x.expr, expr));
        if (!it)
          cx.diag.fail(
            'AggregateMisuse',
            'in a query with aggregates, order by a group key, an aggregate, or a return alias',
            o.expr.pos,
          );
        expr = { kind: 'column', name: it.name, type: typeOf(it.expr) };
      } else if (containsAggregate(expr)) {
        cx.diag.fail(
          'AggregateMisuse',
          'order uses an aggregate but the return block has none',
          o.expr.pos,
        );
      }
    }
    orderKeys.push({ expr, direction: o.direction });
  }
  return orderKeys;
}

/** `limit k`: positive, and required by nearest(…). */
function checkLimit(cx: CheckContext, body: ReadBodyNode): void {
  if (!body.limit) {
    const nearest = findCall(
      [...body.returns.map((r) => r.expr), ...body.order.map((o) => o.expr)],
      'nearest',
    );
    if (nearest)
      cx.diag.fail(
        'NearestWithoutLimit',
        'nearest(…) is a k-nearest-neighbour search: the query needs a limit (limit k)',
        nearest,
      );
  } else if (body.limit.value < 1) {
    cx.diag.fail(
      'InvalidLimit',
      `limit must be a positive integer, got ${body.limit.text}`,
      body.limit.pos,
    );
  }
}

function findCall(exprs: ExprNode[], fn: FnName): Pos | null {
  for (const e of exprs) {
    if (e.kind === 'call') {
      if (e.fn === fn) return e.pos;
      const inner = findCall(e.args, fn);
      if (inner) return inner;
    }
    if (e.kind === 'list') {
      const inner = findCall(e.items, fn);
      if (inner) return inner;
    }
  }
  return null;
}

/** A return item's column name when it has no alias: its source text, normalised. */
function defaultName(e: ExprNode): string {
  switch (e.kind) {
    case 'prop':
      return `${e.var}.${e.prop}`;
    case 'var':
      return e.name;
    case 'alias':
      return e.name;
    case 'literal':
      return e.lit.kind === 'string'
        ? JSON.stringify(e.lit.value)
        : e.lit.kind === 'bool'
          ? String(e.lit.value)
          : e.lit.kind === 'null'
            ? 'null'
            : e.lit.text;
    case 'list':
      return `[${e.items.map((i) => defaultName(i)).join(', ')}]`;
    case 'call':
      return `${e.fn}(${e.args.map((a) => defaultName(a)).join(', ')})`;
  }
}

/** Parses and checks every query of a file; a query's semantic error is reported on it (a syntax error throws). */
export function checkQueries(source: string, file: string, catalog: Catalog): CheckedQuery[] {
  const ast = parseQueries(source, file);
  return checkAll(typeIndex(catalog), source, file, ast.queries);
}

/** Compiles every query of a file; throws the first ParseError or QueryError. */
export function compileQueries(source: string, file: string, catalog: Catalog): QueryPlan[] {
  return checkQueries(source, file, catalog).map((r) => {
    if (r.error) throw r.error;
    return r.plan!;
  });
}

/** Compiles the file and returns the plan of the named query (QueryNotFound if absent). */
export function compileQuery(
  source: string,
  file: string,
  catalog: Catalog,
  name: string,
): QueryPlan {
  const checked = checkQueries(source, file, catalog);
  const r = checked.find((c) => c.name === name);
  if (!r) {
    throw new QueryError(
      'QueryNotFound',
      `no query named '${name}' (queries: ${checked.map((c) => c.name).join(', ') || 'none'})`,
      { file, line: 1, column: 1, query: name },
    );
  }
  if (r.error) throw r.error;
  return r.plan!;
}
