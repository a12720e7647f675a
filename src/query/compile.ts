/**
 * Semantic analysis and lowering: `.gq` syntax tree + Catalog → typed IR (types.ts).
 * Every rule violation is a QueryError whose code names the rule and whose details
 * name the file, line, column and query (docs/query-language.md lists the codes).
 */
import type { Catalog } from '../schema/types.js';
import type { ExprNode, Pos, QueryDeclNode, ReadBodyNode, TypeRef } from './ast.js';
import { QueryError } from './errors.js';
import { parseQueries } from './parser.js';
import type { IrExpr, ParamInfo, ParamType, QueryMeta, QueryPlan, ReadPlan } from './types.js';
import { SCALARS } from './values.js';
import { type VarInfo, type CheckedQuery, containsAggregate, sameExpr } from './compile-base.js';
import { MutationCompiler } from './compile-mutation.js';

/** One item of a read's return block, checked. */
interface ReturnItem {
  node: ReadBodyNode['returns'][number];
  expr: IrExpr;
  name: string;
}

export { nodeKeyType, type CheckedQuery } from './compile-base.js';

class QueryCompiler extends MutationCompiler {
  checkAll(decls: QueryDeclNode[]): CheckedQuery[] {
    const seen = new Map<string, QueryDeclNode>();
    return decls.map((decl) => {
      const kind = decl.body.kind;
      try {
        this.q = decl;
        const prior = seen.get(decl.name);
        if (prior)
          this.error(
            'DuplicateQuery',
            `query '${decl.name}' is already declared at line ${prior.pos.line}`,
            decl.namePos,
          );
        seen.set(decl.name, decl);
        const plan = this.compile(decl);
        return { name: decl.name, kind, decl, plan, unusedParams: this.unusedParams() };
      } catch (err) {
        if (err instanceof QueryError)
          return { name: decl.name, kind, decl, error: err, unusedParams: [] };
        throw err;
      }
    });
  }

  protected unusedParams(): Array<{ name: string; pos: Pos }> {
    return [...this.params.values()]
      .filter((p) => !this.used.has(p.name))
      .map((p) => ({ name: p.name, pos: p.pos }));
  }

  protected compile(decl: QueryDeclNode): QueryPlan {
    this.params = new Map();
    this.used = new Set();
    this.wildcards = 0;
    for (const p of decl.params) {
      if (this.params.has(p.name))
        this.error('DuplicateParameter', `parameter '$${p.name}' is declared twice`, p.pos);
      this.params.set(p.name, {
        name: p.name,
        type: this.paramType(p.type),
        optional: p.optional,
        pos: p.pos,
      });
    }
    const meta: QueryMeta = {
      annotations: decl.annotations.map((a) => ({ name: a.name, args: a.args })),
    };
    for (const a of decl.annotations) {
      if ((a.name === 'description' || a.name === 'instruction') && typeof a.args[0] === 'string')
        meta[a.name] = a.args[0];
    }
    const params: ParamInfo[] = [...this.params.values()].map(({ name, type, optional }) => ({
      name,
      type,
      optional,
    }));
    if (decl.body.kind === 'read') return this.compileRead(decl.body, params, meta);
    return this.compileMutation(decl.body, params, meta);
  }

  protected paramType(t: TypeRef): ParamType {
    if (t.kind === 'vector') {
      if (t.dim < 1)
        this.error('UnknownType', `Vector dimension must be at least 1, got ${t.dim}`, t.pos);
      return { kind: 'vector', dim: t.dim };
    }
    if (t.kind === 'list') {
      const el = this.paramType(t.element);
      if (el.kind !== 'scalar')
        this.error('UnknownType', 'list parameters hold scalars only', t.element.pos);
      return { kind: 'list', element: el };
    }
    if (!SCALARS.has(t.name)) {
      this.error(
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

  protected compileRead(body: ReadBodyNode, params: ParamInfo[], meta: QueryMeta): ReadPlan {
    const scope = new Map<string, VarInfo>();
    const level = this.checkLevel(body.match, scope);
    const ops = this.lowerLevel(level, new Set());
    const items = this.returnItems(body, scope);
    const aggregating = items.some((it) => containsAggregate(it.expr));
    const orderKeys = this.orderKeys(body, items, aggregating, scope);
    this.checkLimit(body);
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
      const type = this.typeOf(it.expr);
      return {
        name: it.name,
        type,
        expr: aggregating ? ({ kind: 'column', name: it.name, type } as IrExpr) : it.expr,
      };
    });
    ops.push({ op: 'project', columns });
    return {
      kind: 'read',
      name: this.q.name,
      params,
      meta,
      ops,
      columns: columns.map(({ name, type }) => ({ name, type })),
    };
  }

  /** The return block: each item's expression and column name (unique); aggregates whole items only. */
  private returnItems(body: ReadBodyNode, scope: Map<string, VarInfo>): ReturnItem[] {
    const items = body.returns.map((r) => {
      const expr = this.expr(r.expr, 'return', scope);
      const name = r.alias ?? this.defaultName(r.expr);
      return { node: r, expr, name };
    });
    const names = new Map<string, Pos>();
    for (const it of items) {
      const prior = names.get(it.name);
      if (prior)
        this.error(
          'DuplicateColumn',
          `two return columns are named '${it.name}' (the first at line ${prior.line}); give one an alias with 'as'`,
          it.node.aliasPos ?? it.node.pos,
        );
      names.set(it.name, it.node.aliasPos ?? it.node.pos);
    }
    for (const it of items) {
      if (containsAggregate(it.expr) && it.expr.kind !== 'aggregate') {
        this.error(
          'AggregateMisuse',
          'an aggregate must be a whole return item (it cannot be nested in another expression)',
          it.node.pos,
        );
      }
    }
    return items;
  }

  /** The order block: return aliases or expressions (with aggregates: group keys, aggregates or aliases). */
  private orderKeys(
    body: ReadBodyNode,
    items: ReturnItem[],
    aggregating: boolean,
    scope: Map<string, VarInfo>,
  ): Array<{ expr: IrExpr; direction: 'asc' | 'desc' }> {
    const orderKeys: Array<{ expr: IrExpr; direction: 'asc' | 'desc' }> = [];
    for (const o of body.order) {
      let expr: IrExpr;
      if (o.expr.kind === 'alias') {
        const it = items.find((x) => x.name === (o.expr as { name: string }).name);
        if (!it)
          this.error(
            'UnknownAlias',
            `'${o.expr.name}' is not a return column (return columns: ${items.map((x) => x.name).join(', ')})`,
            o.expr.pos,
          );
        expr = aggregating
          ? { kind: 'column', name: it.name, type: this.typeOf(it.expr) }
          : it.expr;
      } else {
        expr = this.expr(o.expr, 'order', scope);
        if (aggregating) {
          const it = items.find((x) => sameExpr(x.expr, expr));
          if (!it)
            this.error(
              'AggregateMisuse',
              'in a query with aggregates, order by a group key, an aggregate, or a return alias',
              o.expr.pos,
            );
          expr = { kind: 'column', name: it.name, type: this.typeOf(it.expr) };
        } else if (containsAggregate(expr)) {
          this.error(
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
  private checkLimit(body: ReadBodyNode): void {
    if (!body.limit) {
      const nearest = this.findCall(
        [...body.returns.map((r) => r.expr), ...body.order.map((o) => o.expr)],
        'nearest',
      );
      if (nearest)
        this.error(
          'NearestWithoutLimit',
          'nearest(…) is a k-nearest-neighbour search: the query needs a limit (limit k)',
          nearest,
        );
    } else if (body.limit.value < 1) {
      this.error(
        'InvalidLimit',
        `limit must be a positive integer, got ${body.limit.text}`,
        body.limit.pos,
      );
    }
  }

  protected findCall(exprs: ExprNode[], fn: string): Pos | null {
    for (const e of exprs) {
      if (e.kind === 'call') {
        if (e.fn === fn) return e.pos;
        const inner = this.findCall(e.args, fn);
        if (inner) return inner;
      }
      if (e.kind === 'list') {
        const inner = this.findCall(e.items, fn);
        if (inner) return inner;
      }
    }
    return null;
  }

  protected defaultName(e: ExprNode): string {
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
        return `[${e.items.map((i) => this.defaultName(i)).join(', ')}]`;
      case 'call':
        return `${e.fn}(${e.args.map((a) => this.defaultName(a)).join(', ')})`;
    }
  }
}

/** Parses and checks every query of a file; a query's semantic error is reported on it (a syntax error throws). */
export function checkQueries(source: string, file: string, catalog: Catalog): CheckedQuery[] {
  const ast = parseQueries(source, file);
  return new QueryCompiler(catalog, source, file).checkAll(ast.queries);
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
