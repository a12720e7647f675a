/** Expressions: typing of literals, properties, comparisons and function calls (search, ranking, dates). */
import type { NodeTypeDef, PropType } from '../schema/types.js';
import type { CompareOp, ExprNode, LiteralNode, Pos } from './ast.js';
import type { IrExpr, QueryValue, ValueType } from './types.js';
import {
  FLOAT_SCALARS,
  INT_SCALARS,
  classOf,
  coerceInteger,
  parseDate,
  parseDateTime,
  valueTypeText,
} from './values.js';
import {
  CompilerBase,
  AGGREGATES,
  SEARCH_FNS,
  RANK_FNS,
  STRING,
  ORDERING,
  type ExprCtx,
  type VarInfo,
} from './compile-base.js';

export abstract class ExprCompiler extends CompilerBase {
  /** Type-checks `left op right`, coercing literals to the other side's type. */
  protected compare(op: CompareOp, left: IrExpr, right: IrExpr, pos: Pos): IrExpr {
    const lt = this.typeOf(left);
    const rt = this.typeOf(right);
    const mismatch = (why: string): never =>
      this.error(
        'TypeMismatch',
        `cannot compare ${valueTypeText(lt)} ${op} ${valueTypeText(rt)}: ${why}`,
        pos,
      );
    const lc = classOf(lt);
    const rc = classOf(rt);
    if (lc === 'rank' || rc === 'rank') mismatch('ranking functions belong in order or return');
    if (lc === 'null' || rc === 'null') {
      if (op !== '=' && op !== '!=') mismatch('null can only be compared with = or !=');
      return { kind: 'compare', op, left, right };
    }
    if (op === 'contains') {
      if (lt.kind === 'list') {
        const el = lt.element;
        return { kind: 'compare', op, left, right: this.coerceOperand(right, el, mismatch) };
      }
      if (lc === 'string' && rc === 'string') return { kind: 'compare', op, left, right };
      return mismatch(
        'contains needs a String (substring) or a list (membership) on the left and a matching value on the right',
      );
    }
    if (lc === 'node' || rc === 'node') {
      if (lt.kind !== 'node' || rt.kind !== 'node' || lt.type !== rt.type)
        mismatch('a node variable can only be compared with a variable of the same type');
      if (op !== '=' && op !== '!=') mismatch('node variables can only be compared with = or !=');
      return { kind: 'compare', op, left, right };
    }
    // Literals take the other side's type.
    if (left.kind === 'literal' && right.kind !== 'literal' && lt.kind !== 'node') {
      left = this.coerceOperand(left, rt as PropType, mismatch);
    } else if (right.kind === 'literal' && left.kind !== 'literal') {
      right = this.coerceOperand(right, lt as PropType, mismatch);
    } else if (lc !== rc) {
      mismatch('the operand types are incompatible');
    }
    if (
      ORDERING.has(op) &&
      !['numeric', 'string', 'temporal'].includes(classOf(this.typeOf(left)))
    ) {
      mismatch(`${op} needs numbers, strings or dates`);
    }
    return { kind: 'compare', op, left, right };
  }

  protected coerceOperand(e: IrExpr, target: PropType, mismatch: (why: string) => never): IrExpr {
    if (e.kind === 'literal' || e.kind === 'list') {
      const lit = this.irLiteralAs(e, target);
      if (typeof lit === 'string') mismatch(lit);
      return lit;
    }
    const t = this.typeOf(e);
    if (classOf(t) !== classOf(target)) mismatch('the operand types are incompatible');
    return e;
  }

  /** Re-coerces a literal IR expression to `target`; returns an error message on failure. */
  protected irLiteralAs(e: IrExpr, target: PropType): IrExpr | string {
    if (e.kind === 'list') {
      if (target.kind !== 'list' && target.kind !== 'vector')
        return `a list literal is not a ${valueTypeText(target)}`;
      const el: PropType =
        target.kind === 'list' ? target.element : { kind: 'scalar', name: 'F32' };
      if (target.kind === 'vector' && e.items.length !== target.dim)
        return `the vector literal has ${e.items.length} elements, ${valueTypeText(target)} needs ${target.dim}`;
      const items: IrExpr[] = [];
      for (const it of e.items) {
        const c = this.irLiteralAs(it, el);
        if (typeof c === 'string') return c;
        items.push(c);
      }
      return {
        kind: 'literal',
        value: items.map((i) => (i as { value: QueryValue }).value),
        type: target,
      };
    }
    if (e.kind !== 'literal') return 'not a literal';
    const raw = e.value;
    const t = e.type;
    if (t.kind === 'null') return e;
    let text: string;
    if (t.kind === 'scalar' && (INT_SCALARS.has(t.name) || FLOAT_SCALARS.has(t.name)))
      text = String(raw);
    else if (typeof raw === 'string') text = raw;
    else if (typeof raw === 'boolean') text = String(raw);
    else return `cannot use this literal as ${valueTypeText(target)}`;
    const lit: LiteralNode =
      t.kind === 'scalar' && INT_SCALARS.has(t.name)
        ? { kind: 'int', text }
        : t.kind === 'scalar' && FLOAT_SCALARS.has(t.name)
          ? { kind: 'float', text }
          : typeof raw === 'boolean'
            ? { kind: 'bool', value: raw }
            : { kind: 'string', value: text };
    // A date literal (date("…")) stays a date; a plain string may become a date.
    if (
      t.kind === 'scalar' &&
      (t.name === 'Date' || t.name === 'DateTime') &&
      target.kind === 'scalar' &&
      (target.name === 'Date' || target.name === 'DateTime')
    ) {
      return { kind: 'literal', value: raw, type: t };
    }
    if (t.kind === 'scalar' && (t.name === 'Date' || t.name === 'DateTime'))
      return `a ${t.name} is not a ${valueTypeText(target)}`;
    const v = this.coerceLiteral(lit, target);
    if (typeof v === 'object' && v !== null && 'error' in v) return v.error;
    return { kind: 'literal', value: v as QueryValue, type: target };
  }

  /** A literal source value as a value of `target`, or {error}. */
  protected coerceLiteral(lit: LiteralNode, target: PropType): QueryValue | { error: string } {
    const tt = valueTypeText(target);
    switch (lit.kind) {
      case 'null':
        return null;
      case 'bool':
        return target.kind === 'scalar' && target.name === 'Bool'
          ? lit.value
          : { error: `${lit.value} is not a ${tt}` };
      case 'int':
      case 'float': {
        if (
          target.kind !== 'scalar' ||
          !(INT_SCALARS.has(target.name) || FLOAT_SCALARS.has(target.name))
        )
          return { error: `the number ${lit.text} is not a ${tt}` };
        if (lit.kind === 'float') {
          if (!FLOAT_SCALARS.has(target.name))
            return { error: `${lit.text} is not an integer (${tt})` };
          return Number(lit.text);
        }
        const v = coerceInteger(lit.text, target.name);
        return typeof v === 'string' ? { error: v } : v;
      }
      case 'string': {
        if (target.kind === 'enum') {
          return target.values.includes(lit.value)
            ? lit.value
            : { error: `"${lit.value}" is not one of ${tt}` };
        }
        if (target.kind !== 'scalar') return { error: `a string is not a ${tt}` };
        if (target.name === 'String') return lit.value;
        if (target.name === 'Date')
          return parseDate(lit.value) ?? { error: `"${lit.value}" is not a Date (YYYY-MM-DD)` };
        if (target.name === 'DateTime')
          return (
            parseDateTime(lit.value) ?? { error: `"${lit.value}" is not an ISO-8601 DateTime` }
          );
        return { error: `a string is not a ${tt}` };
      }
    }
  }

  /** Expressions in filters, return and order. */
  protected expr(
    e: ExprNode,
    ctx: ExprCtx,
    scope: Map<string, VarInfo>,
    inAggregate = false,
  ): IrExpr {
    switch (e.kind) {
      case 'var':
        return this.varExpr(e, ctx, scope);
      case 'prop':
        return this.propExpr(e, scope);
      case 'literal':
        return this.literalIr(e.lit);
      case 'list':
        return this.listExpr(e, ctx, scope, inAggregate);
      case 'alias':
        return this.error(
          ctx === 'order' ? 'UnknownAlias' : 'UnboundVariable',
          `'${e.name}' is not a variable (write $${e.name}) or a return alias`,
          e.pos,
        );
      case 'call':
        return this.call(e, ctx, scope, inAggregate);
    }
  }

  /** `$name`: a bound variable or a declared parameter. */
  private varExpr(
    e: Extract<ExprNode, { kind: 'var' }>,
    ctx: ExprCtx,
    scope: Map<string, VarInfo>,
  ): IrExpr {
    if (e.name === '_')
      this.error(
        'WildcardMisuse',
        "'$_' is the wildcard; it can only be a traversal endpoint",
        e.pos,
      );
    const v = scope.get(e.name);
    if (v) return { kind: 'var', var: e.name, nodeType: v.nodeType };
    const p = this.params.get(e.name);
    if (p) {
      this.used.add(e.name);
      return { kind: 'param', name: e.name, type: p.type };
    }
    if (ctx === 'match')
      this.error(
        'UnknownParameter',
        `'$${e.name}' is neither a declared parameter nor a bound variable`,
        e.pos,
      );
    return this.error(
      'UnboundVariable',
      `variable '$${e.name}' is not bound in the match block`,
      e.pos,
    );
  }

  /** `$var.prop`: a property of a bound node variable. */
  private propExpr(e: Extract<ExprNode, { kind: 'prop' }>, scope: Map<string, VarInfo>): IrExpr {
    if (e.var === '_')
      this.error('WildcardMisuse', "'$_' is the wildcard; it has no properties", e.pos);
    const v = scope.get(e.var);
    if (!v) {
      if (this.params.has(e.var))
        this.error('TypeMismatch', `'$${e.var}' is a parameter; it has no properties`, e.pos);
      this.error('UnboundVariable', `variable '$${e.var}' is not bound in the match block`, e.pos);
    }
    const { type } = this.nodeColumn(this.nodes.get(v.nodeType)!, e.prop, e.propPos);
    return { kind: 'prop', var: e.var, prop: e.prop, type };
  }

  /** `[a, b, …]`: a list of literals sharing one type. */
  private listExpr(
    e: Extract<ExprNode, { kind: 'list' }>,
    ctx: ExprCtx,
    scope: Map<string, VarInfo>,
    inAggregate: boolean,
  ): IrExpr {
    const items = e.items.map((i) => this.expr(i, ctx, scope, inAggregate));
    if (items.some((i) => i.kind !== 'literal'))
      this.error('InvalidValue', 'list literals may only contain literals', e.pos);
    const types = items.map((i) => this.typeOf(i));
    const el: PropType = (types.find((t) => t.kind === 'scalar') as PropType | undefined) ?? STRING;
    const coerced = items.map((i) => this.irLiteralAs(i, el));
    const bad = coerced.findIndex((c) => typeof c === 'string');
    if (bad >= 0)
      this.error(
        'TypeMismatch',
        `list elements must share one type: ${coerced[bad] as string}`,
        e.items[bad].pos,
      );
    return {
      kind: 'list',
      items: coerced as IrExpr[],
      type: { kind: 'list', element: el as Extract<PropType, { kind: 'list' }>['element'] },
    };
  }

  protected literalIr(lit: LiteralNode): IrExpr {
    switch (lit.kind) {
      case 'null':
        return { kind: 'literal', value: null, type: { kind: 'null' } };
      case 'bool':
        return { kind: 'literal', value: lit.value, type: { kind: 'scalar', name: 'Bool' } };
      case 'string':
        return { kind: 'literal', value: lit.value, type: STRING };
      case 'float':
        return { kind: 'literal', value: Number(lit.text), type: { kind: 'scalar', name: 'F64' } };
      case 'int': {
        const v = coerceInteger(lit.text, 'I64');
        return {
          kind: 'literal',
          value: typeof v === 'string' ? Number(lit.text) : v,
          type: { kind: 'scalar', name: typeof v === 'string' ? 'F64' : 'I64' },
        };
      }
    }
  }

  protected call(
    e: Extract<ExprNode, { kind: 'call' }>,
    ctx: ExprCtx,
    scope: Map<string, VarInfo>,
    inAggregate: boolean,
  ): IrExpr {
    const fn = e.fn;
    if (fn === 'now') {
      this.arity(e, 0);
      return { kind: 'now', type: { kind: 'scalar', name: 'DateTime' } };
    }
    if (fn === 'date' || fn === 'datetime') return this.dateCall(e);
    if (AGGREGATES.has(fn)) return this.aggregateCall(e, ctx, scope, inAggregate);
    if (SEARCH_FNS.has(fn))
      this.error(
        'FunctionMisuse',
        `${fn}() is a text-search filter: write it as its own clause in match`,
        e.pos,
      );
    if (RANK_FNS.has(fn)) return this.rankCall(e, ctx, scope, inAggregate);
    return this.error(
      'UnknownFunction',
      `unknown function '${fn}' (functions: count, sum, avg, min, max, search, fuzzy, match_text, nearest, bm25, rrf, date, datetime, now)`,
      e.pos,
    );
  }

  /** `count`, `sum`, `avg`, `min`, `max`: in return (or order), never nested. */
  private aggregateCall(
    e: Extract<ExprNode, { kind: 'call' }>,
    ctx: ExprCtx,
    scope: Map<string, VarInfo>,
    inAggregate: boolean,
  ): IrExpr {
    const fn = e.fn;
    if (ctx === 'match')
      this.error(
        'AggregateMisuse',
        `${fn}() is an aggregate: use it in return (or order), not in match`,
        e.pos,
      );
    if (inAggregate)
      this.error(
        'AggregateMisuse',
        `aggregates cannot be nested (${fn}() inside another aggregate)`,
        e.pos,
      );
    this.arity(e, 1);
    const arg = this.expr(e.args[0], ctx, scope, true);
    const at = this.typeOf(arg);
    let type: ValueType;
    if (fn === 'count') type = { kind: 'scalar', name: 'I64' };
    else if (fn === 'sum' || fn === 'avg') {
      if (classOf(at) !== 'numeric')
        this.error(
          'TypeMismatch',
          `${fn}() needs a number, got ${valueTypeText(at)}`,
          e.args[0].pos,
        );
      type =
        fn === 'avg' || (at.kind === 'scalar' && FLOAT_SCALARS.has(at.name))
          ? { kind: 'scalar', name: 'F64' }
          : { kind: 'scalar', name: 'I64' };
    } else {
      if (!['numeric', 'string', 'temporal'].includes(classOf(at)))
        this.error(
          'TypeMismatch',
          `${fn}() needs numbers, strings or dates, got ${valueTypeText(at)}`,
          e.args[0].pos,
        );
      type = at;
    }
    return { kind: 'aggregate', fn: fn as 'count', arg, type };
  }

  /** `nearest`, `bm25`, `rrf`: rankings, in order or return, never aggregated. */
  private rankCall(
    e: Extract<ExprNode, { kind: 'call' }>,
    ctx: ExprCtx,
    scope: Map<string, VarInfo>,
    inAggregate: boolean,
  ): IrExpr {
    const fn = e.fn;
    if (ctx === 'match')
      this.error(
        'FunctionMisuse',
        `${fn}() is a ranking function: use it in order or return, not in match`,
        e.pos,
      );
    if (inAggregate) this.error('AggregateMisuse', `${fn}() cannot be aggregated`, e.pos);
    if (fn === 'rrf') return this.rrfCall(e, ctx, scope);
    this.arity(e, 2);
    const prop = this.propArg(e.args[0], scope, fn);
    const q = this.expr(e.args[1], ctx, scope);
    if (fn === 'nearest') return this.nearestCall(e, prop, q);
    const pt = this.typeOf(prop);
    const qt = this.typeOf(q);
    if (classOf(pt) !== 'string')
      this.error(
        'TypeMismatch',
        `bm25() needs a String property first, got ${valueTypeText(pt)}`,
        e.args[0].pos,
      );
    if (classOf(qt) !== 'string')
      this.error(
        'TypeMismatch',
        `bm25() needs a String query, got ${valueTypeText(qt)}`,
        e.args[1].pos,
      );
    return { kind: 'call', fn: 'bm25', args: [prop, q], type: { kind: 'rank' } };
  }

  /** `rrf(ranking, ranking[, k])`: reciprocal rank fusion of two rankings. */
  private rrfCall(
    e: Extract<ExprNode, { kind: 'call' }>,
    ctx: ExprCtx,
    scope: Map<string, VarInfo>,
  ): IrExpr {
    this.arity(e, 2, 3);
    const args = e.args.map((a, i) => {
      if (i < 2) {
        if (a.kind !== 'call' || (a.fn !== 'nearest' && a.fn !== 'bm25' && a.fn !== 'rrf'))
          this.error(
            'TypeMismatch',
            'rrf() fuses rankings: its first two arguments must be nearest(…), bm25(…) or rrf(…)',
            a.pos,
          );
        return this.expr(a, ctx, scope);
      }
      return this.intArg(a, scope, 'rrf() k');
    });
    return { kind: 'call', fn: 'rrf', args, type: { kind: 'rank' } };
  }

  /** `nearest($x.vec, query)`: the query a vector literal, a vector, a list of numbers or a String to embed. */
  private nearestCall(e: Extract<ExprNode, { kind: 'call' }>, prop: IrExpr, q: IrExpr): IrExpr {
    const pt = this.typeOf(prop);
    const qt = this.typeOf(q);
    if (pt.kind !== 'vector')
      this.error(
        'TypeMismatch',
        `nearest() needs a Vector property first, got ${valueTypeText(pt)}`,
        e.args[0].pos,
      );
    let query = q;
    if (q.kind === 'list' || q.kind === 'literal') {
      const c = this.irLiteralAs(q, pt);
      if (typeof c === 'string')
        this.error('TypeMismatch', `nearest() query vector: ${c}`, e.args[1].pos);
      query = c;
    } else if (
      !(qt.kind === 'vector' && qt.dim === pt.dim) &&
      !(qt.kind === 'scalar' && qt.name === 'String') &&
      !(qt.kind === 'list' && classOf(qt.element) === 'numeric')
    ) {
      this.error(
        'TypeMismatch',
        `nearest() compares with a ${valueTypeText(pt)} (or a String embedded at query time), got ${valueTypeText(qt)}`,
        e.args[1].pos,
      );
    }
    return { kind: 'call', fn: 'nearest', args: [prop, query], type: { kind: 'rank' } };
  }

  protected propArg(a: ExprNode, scope: Map<string, VarInfo>, fn: string): IrExpr {
    if (a.kind !== 'prop')
      this.error(
        'TypeMismatch',
        `the first argument of ${fn}() must be a property ($var.prop)`,
        a.pos,
      );
    return this.expr(a, 'return', scope);
  }

  protected intArg(a: ExprNode, scope: Map<string, VarInfo>, what: string): IrExpr {
    const e = this.expr(a, 'match', scope);
    const t = this.typeOf(e);
    if (!(t.kind === 'scalar' && INT_SCALARS.has(t.name)))
      this.error('TypeMismatch', `${what} must be an integer, got ${valueTypeText(t)}`, a.pos);
    if (e.kind === 'literal' && typeof e.value === 'bigint')
      return { kind: 'literal', value: Number(e.value), type: { kind: 'scalar', name: 'I32' } };
    return e;
  }

  protected searchCall(
    e: Extract<ExprNode, { kind: 'call' }>,
    scope: Map<string, VarInfo>,
  ): IrExpr {
    if (e.fn === 'fuzzy') this.arity(e, 2, 3);
    else this.arity(e, 2);
    const prop = this.propArg(e.args[0], scope, e.fn);
    const pt = this.typeOf(prop);
    if (classOf(pt) !== 'string')
      this.error(
        'TypeMismatch',
        `${e.fn}() searches text: the property must be a String, got ${valueTypeText(pt)}`,
        e.args[0].pos,
      );
    const q = this.expr(e.args[1], 'match', scope);
    if (classOf(this.typeOf(q)) !== 'string')
      this.error(
        'TypeMismatch',
        `${e.fn}() needs a String query, got ${valueTypeText(this.typeOf(q))}`,
        e.args[1].pos,
      );
    const args = [prop, q];
    if (e.args[2]) args.push(this.intArg(e.args[2], scope, 'fuzzy() max edits'));
    return { kind: 'call', fn: e.fn as 'search', args, type: { kind: 'scalar', name: 'Bool' } };
  }

  protected dateCall(e: Extract<ExprNode, { kind: 'call' }>): IrExpr {
    this.arity(e, 1);
    const a = e.args[0];
    if (a.kind !== 'literal' || a.lit.kind !== 'string')
      this.error('InvalidValue', `${e.fn}() takes a string literal`, a.pos);
    const text = (a.lit as { value: string }).value;
    const v = e.fn === 'date' ? parseDate(text) : parseDateTime(text);
    if (v === null)
      this.error(
        'InvalidValue',
        `"${text}" is not a valid ${e.fn === 'date' ? 'date (YYYY-MM-DD)' : 'ISO-8601 datetime'}`,
        a.pos,
      );
    return {
      kind: 'literal',
      value: v,
      type: { kind: 'scalar', name: e.fn === 'date' ? 'Date' : 'DateTime' },
    };
  }

  // ── lowering of match levels ──────────────────────────────────

  protected nodeColumn(
    node: NodeTypeDef,
    prop: string,
    pos: Pos,
  ): { type: PropType; nullable: boolean } {
    if (prop === 'id') return { type: STRING, nullable: false };
    const p = node.properties.find((x) => x.name === prop);
    if (!p)
      this.error(
        'UnknownProperty',
        `node type ${node.name} has no property '${prop}' (properties: ${['id', ...node.properties.map((x) => x.name)].join(', ')})`,
        pos,
      );
    return { type: p.type, nullable: p.nullable };
  }
}
