/**
 * Semantic analysis and lowering: `.gq` syntax tree + Catalog → typed IR (types.ts).
 * Every rule violation is a QueryError whose code names the rule and whose details
 * name the file, line, column and query (docs/query-language.md lists the codes).
 */
import type { Catalog, EdgeTypeDef, NodeTypeDef, PropType, PropertyDef } from '../schema/types.js';
import type {
  AssignNode,
  ClauseNode,
  CompareOp,
  ExprNode,
  LiteralNode,
  MutationBodyNode,
  Pos,
  QueryDeclNode,
  ReadBodyNode,
  StatementNode,
  TypeRef,
  VarRefNode,
  WherePredNode,
} from './ast.js';
import type { ErrorCode } from '../errors.js';
import { QueryError } from './errors.js';
import { parseQueries } from './parser.js';
import type {
  Assignment,
  IrExpr,
  MutationOp,
  MutationPlan,
  ParamInfo,
  ParamType,
  Predicate,
  QueryMeta,
  QueryPlan,
  QueryValue,
  ReadOp,
  ReadPlan,
  ValueExpr,
  ValueType,
} from './types.js';
import {
  FLOAT_SCALARS,
  INT_SCALARS,
  SCALARS,
  classOf,
  coerceInteger,
  paramAssignable,
  parseDate,
  parseDateTime,
  valueTypeText,
} from './values.js';

const ORDERING: ReadonlySet<string> = new Set(['<', '<=', '>', '>=']);
const AGGREGATES: ReadonlySet<string> = new Set(['count', 'sum', 'avg', 'min', 'max']);
const SEARCH_FNS: ReadonlySet<string> = new Set(['search', 'fuzzy', 'match_text']);
const RANK_FNS: ReadonlySet<string> = new Set(['nearest', 'bm25', 'rrf']);
const STRING: PropType = { kind: 'scalar', name: 'String' };

type ExprCtx = 'match' | 'return' | 'order';

interface VarInfo {
  nodeType: string;
  explicit: boolean;
}

interface LevelResult {
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

function exprVars(e: IrExpr, out: Set<string>): Set<string> {
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

function containsAggregate(e: IrExpr): boolean {
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

const sameExpr = (a: IrExpr, b: IrExpr): boolean =>
  JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)) ===
  JSON.stringify(b, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

class QueryCompiler {
  private readonly nodes = new Map<string, NodeTypeDef>();
  private readonly edges = new Map<string, EdgeTypeDef>();
  // Per-query state.
  private q!: QueryDeclNode;
  private params = new Map<string, ParamInfo & { pos: Pos }>();
  private used = new Set<string>();
  private wildcards = 0;

  constructor(
    private readonly catalog: Catalog,
    private readonly source: string,
    private readonly file: string,
  ) {
    for (const n of catalog.nodes) this.nodes.set(n.name, n);
    for (const e of catalog.edges) this.edges.set(e.name.toLowerCase(), e);
  }

  private error(code: ErrorCode, message: string, pos: Pos): never {
    throw new QueryError(
      code,
      message,
      { file: this.file, line: pos.line, column: pos.column, query: this.q.name },
      this.source,
    );
  }

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

  private unusedParams(): Array<{ name: string; pos: Pos }> {
    return [...this.params.values()]
      .filter((p) => !this.used.has(p.name))
      .map((p) => ({ name: p.name, pos: p.pos }));
  }

  private compile(decl: QueryDeclNode): QueryPlan {
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

  private paramType(t: TypeRef): ParamType {
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

  private compileRead(body: ReadBodyNode, params: ParamInfo[], meta: QueryMeta): ReadPlan {
    const scope = new Map<string, VarInfo>();
    const level = this.checkLevel(body.match, scope);
    const ops = this.lowerLevel(level, new Set());

    // return
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
    const aggregating = items.some((it) => containsAggregate(it.expr));
    for (const it of items) {
      if (containsAggregate(it.expr) && it.expr.kind !== 'aggregate') {
        this.error(
          'AggregateMisuse',
          'an aggregate must be a whole return item (it cannot be nested in another expression)',
          it.node.pos,
        );
      }
    }

    // order
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

    // nearest needs limit
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

  private findCall(exprs: ExprNode[], fn: string): Pos | null {
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

  private defaultName(e: ExprNode): string {
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

  private typeOf(e: IrExpr): ValueType {
    switch (e.kind) {
      case 'var':
        return { kind: 'node', type: e.nodeType };
      case 'compare':
        return { kind: 'scalar', name: 'Bool' };
      default:
        return e.type;
    }
  }

  /** Checks one match level (the match block or a `not { }` block). */
  private checkLevel(clauses: ClauseNode[], scope: Map<string, VarInfo>): LevelResult {
    const outer = new Set(scope.keys());
    const result: LevelResult = { bindings: [], traversals: [], deferred: [], refs: new Set() };
    // Pass 1: explicit bindings declare variables (so clause order does not matter).
    for (const c of clauses) {
      if (c.kind !== 'binding') continue;
      const name = c.var.name;
      if (name === '_')
        this.error(
          'WildcardMisuse',
          "'$_' is the wildcard; it can only be a traversal endpoint",
          c.var.pos,
        );
      if (this.params.has(name))
        this.error(
          'DuplicateBinding',
          `'$${name}' is already a parameter of this query`,
          c.var.pos,
        );
      const node = this.nodes.get(c.type);
      if (!node) this.unknownNodeType(c.type, c.typePos);
      const prior = scope.get(name);
      // Binding a variable again with the same type adds its property matches (the reference accepts it).
      if (prior && prior.nodeType !== node.name)
        this.error(
          'DuplicateBinding',
          `variable '$${name}' is already bound to ${prior.nodeType}${outer.has(name) ? ' outside this not { } block' : ''}; it cannot also be a ${node.name}`,
          c.var.pos,
        );
      if (!prior) scope.set(name, { nodeType: node.name, explicit: true });
    }
    // Pass 2: traversals resolve edges and infer the types of unbound endpoints.
    const resolved = new Map<ClauseNode, { src: string; dst: string; edge: EdgeTypeDef }>();
    for (const c of clauses) {
      if (c.kind !== 'traversal') continue;
      const edge = this.edges.get(c.edge.toLowerCase());
      if (!edge) {
        const asNode = this.nodes.get(c.edge.charAt(0).toUpperCase() + c.edge.slice(1));
        this.error(
          'UnknownEdge',
          `unknown edge '${c.edge}'${asNode ? ` ('${asNode.name}' is a node type)` : ''} (edges: ${this.catalog.edges.map((e) => e.name).join(', ') || 'none'})`,
          c.edgePos,
        );
      }
      const hopPos = c.hopsPos ?? c.edgePos;
      if (c.maxHops !== null && c.maxHops < c.minHops)
        this.error(
          'InvalidHopBounds',
          `hop bounds {${c.minHops},${c.maxHops}}: the maximum is below the minimum`,
          hopPos,
        );
      if (c.maxHops === 0)
        this.error('InvalidHopBounds', 'hop bounds must allow at least one hop', hopPos);
      if ((c.maxHops === null || c.maxHops > 1 || c.minHops === 0) && edge.from !== edge.to) {
        this.error(
          'InvalidHopBounds',
          `variable-length traversal needs an edge from a type to itself; ${edge.name} goes ${edge.from} -> ${edge.to}`,
          hopPos,
        );
      }
      // `$a edge $b` with $a of the edge's To type and $b of its From type follows the edge backwards.
      const reversed = edge.from !== edge.to && this.isReversed(c.src, c.dst, edge, scope);
      const [from, to] = reversed ? [c.dst, c.src] : [c.src, c.dst];
      const src = this.endpoint(from, edge.from, edge, 'starts at', scope);
      const dst = this.endpoint(to, edge.to, edge, 'ends at', scope);
      resolved.set(c, { src, dst, edge });
      result.refs.add(src);
      result.refs.add(dst);
    }
    // Pass 3: property matches, filters and nested negations, in written order.
    for (const c of clauses) {
      switch (c.kind) {
        case 'binding': {
          const node = this.nodes.get(c.type)!;
          const where: IrExpr[] = [];
          const seenProps = new Set<string>();
          for (const pm of c.props) {
            if (seenProps.has(pm.prop))
              this.error('DuplicateAssignment', `property '${pm.prop}' is matched twice`, pm.pos);
            seenProps.add(pm.prop);
            const { type, nullable } = this.nodeColumn(node, pm.prop, pm.pos);
            // A scalar matched against a list property is membership (`tags: "x"`).
            const member = type.kind === 'list' && pm.value.kind !== 'list';
            const valueType = member ? type.element : type;
            const value = this.valueFor(
              pm.value,
              valueType,
              nullable,
              'match',
              `${node.name}.${pm.prop}`,
            );
            where.push({
              kind: 'compare',
              op: member ? 'contains' : '=',
              left: { kind: 'prop', var: c.var.name, prop: pm.prop, type },
              right: this.valueToIr(value, valueType),
            });
          }
          result.bindings.push({ name: c.var.name, node, where });
          result.refs.add(c.var.name);
          break;
        }
        case 'traversal': {
          const r = resolved.get(c)!;
          result.traversals.push({ ...r, minHops: c.minHops, maxHops: c.maxHops });
          break;
        }
        case 'filter': {
          const predicate = this.filter(c, scope);
          const needs = exprVars(predicate, new Set());
          for (const v of needs) result.refs.add(v);
          result.deferred.push({ op: 'filter', needs, predicate });
          break;
        }
        case 'not': {
          const inner = this.checkLevel(c.clauses, new Map(scope));
          const correlated = [...inner.refs].filter((v) => scope.has(v)).sort();
          for (const v of correlated) result.refs.add(v);
          result.deferred.push({ op: 'not', needs: new Set(correlated), level: inner, correlated });
          break;
        }
      }
    }
    return result;
  }

  private unknownNodeType(name: string, pos: Pos): never {
    const edge = this.edges.get(name.toLowerCase());
    this.error(
      'UnknownType',
      `unknown node type '${name}'${edge ? ` ('${edge.name}' is an edge; traverse it with $a ${edge.name.charAt(0).toLowerCase()}${edge.name.slice(1)} $b)` : ''}`,
      pos,
    );
  }

  /** Do the endpoints' known types fit the edge only backwards (To … From)? */
  private isReversed(
    a: VarRefNode,
    b: VarRefNode,
    edge: EdgeTypeDef,
    scope: Map<string, VarInfo>,
  ): boolean {
    const typeOf = (r: VarRefNode): string | undefined =>
      r.name === '_' ? undefined : scope.get(r.name)?.nodeType;
    const fits = (t: string | undefined, want: string): boolean => t === undefined || t === want;
    const ta = typeOf(a);
    const tb = typeOf(b);
    if (fits(ta, edge.from) && fits(tb, edge.to)) return false;
    return fits(ta, edge.to) && fits(tb, edge.from);
  }

  private endpoint(
    ref: VarRefNode,
    type: string,
    edge: EdgeTypeDef,
    verb: string,
    scope: Map<string, VarInfo>,
  ): string {
    if (ref.name === '_') {
      const name = `_${++this.wildcards}`;
      scope.set(name, { nodeType: type, explicit: false });
      return name;
    }
    if (this.params.has(ref.name))
      this.error(
        'TypeMismatch',
        `'$${ref.name}' is a parameter; a traversal endpoint must be a match variable`,
        ref.pos,
      );
    const v = scope.get(ref.name);
    if (v) {
      if (v.nodeType !== type)
        this.error(
          'EndpointMismatch',
          `'$${ref.name}' is a ${v.nodeType}, but edge ${edge.name} ${verb} ${type} (${edge.name}: ${edge.from} -> ${edge.to})`,
          ref.pos,
        );
    } else scope.set(ref.name, { nodeType: type, explicit: false });
    return ref.name;
  }

  private nodeColumn(
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

  private filter(c: Extract<ClauseNode, { kind: 'filter' }>, scope: Map<string, VarInfo>): IrExpr {
    if (c.op === null || c.right === null) {
      if (c.left.kind === 'call' && SEARCH_FNS.has(c.left.fn))
        return this.searchCall(c.left, scope);
      const e = this.expr(c.left, 'match', scope);
      const t = this.typeOf(e);
      if (!(t.kind === 'scalar' && t.name === 'Bool')) {
        this.error(
          'TypeMismatch',
          `a filter needs a comparison (a = b, a < b, a contains b, …) or a boolean; this is ${valueTypeText(t)}`,
          c.pos,
        );
      }
      return e;
    }
    const left = this.expr(c.left, 'match', scope);
    const right = this.expr(c.right, 'match', scope);
    return this.compare(c.op, left, right, c.opPos ?? c.pos);
  }

  /** Type-checks `left op right`, coercing literals to the other side's type. */
  private compare(op: CompareOp, left: IrExpr, right: IrExpr, pos: Pos): IrExpr {
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

  private coerceOperand(e: IrExpr, target: PropType, mismatch: (why: string) => never): IrExpr {
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
  private irLiteralAs(e: IrExpr, target: PropType): IrExpr | string {
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
  private coerceLiteral(lit: LiteralNode, target: PropType): QueryValue | { error: string } {
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
  private expr(
    e: ExprNode,
    ctx: ExprCtx,
    scope: Map<string, VarInfo>,
    inAggregate = false,
  ): IrExpr {
    switch (e.kind) {
      case 'var': {
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
      case 'prop': {
        if (e.var === '_')
          this.error('WildcardMisuse', "'$_' is the wildcard; it has no properties", e.pos);
        const v = scope.get(e.var);
        if (!v) {
          if (this.params.has(e.var))
            this.error('TypeMismatch', `'$${e.var}' is a parameter; it has no properties`, e.pos);
          this.error(
            'UnboundVariable',
            `variable '$${e.var}' is not bound in the match block`,
            e.pos,
          );
        }
        const { type } = this.nodeColumn(this.nodes.get(v.nodeType)!, e.prop, e.propPos);
        return { kind: 'prop', var: e.var, prop: e.prop, type };
      }
      case 'literal':
        return this.literalIr(e.lit);
      case 'list': {
        const items = e.items.map((i) => this.expr(i, ctx, scope, inAggregate));
        if (items.some((i) => i.kind !== 'literal'))
          this.error('InvalidValue', 'list literals may only contain literals', e.pos);
        const types = items.map((i) => this.typeOf(i));
        const el: PropType =
          (types.find((t) => t.kind === 'scalar') as PropType | undefined) ?? STRING;
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

  private literalIr(lit: LiteralNode): IrExpr {
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

  private arity(e: Extract<ExprNode, { kind: 'call' }>, min: number, max = min): void {
    if (e.args.length < min || e.args.length > max) {
      this.error(
        'ArgumentCount',
        `${e.fn}() takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${e.args.length}`,
        e.pos,
      );
    }
  }

  private call(
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
    if (AGGREGATES.has(fn)) {
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
    if (SEARCH_FNS.has(fn))
      this.error(
        'FunctionMisuse',
        `${fn}() is a text-search filter: write it as its own clause in match`,
        e.pos,
      );
    if (RANK_FNS.has(fn)) {
      if (ctx === 'match')
        this.error(
          'FunctionMisuse',
          `${fn}() is a ranking function: use it in order or return, not in match`,
          e.pos,
        );
      if (inAggregate) this.error('AggregateMisuse', `${fn}() cannot be aggregated`, e.pos);
      if (fn === 'rrf') {
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
      this.arity(e, 2);
      const prop = this.propArg(e.args[0], scope, fn);
      const pt = this.typeOf(prop);
      const q = this.expr(e.args[1], ctx, scope);
      const qt = this.typeOf(q);
      if (fn === 'nearest') {
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
    return this.error(
      'UnknownFunction',
      `unknown function '${fn}' (functions: count, sum, avg, min, max, search, fuzzy, match_text, nearest, bm25, rrf, date, datetime, now)`,
      e.pos,
    );
  }

  private propArg(a: ExprNode, scope: Map<string, VarInfo>, fn: string): IrExpr {
    if (a.kind !== 'prop')
      this.error(
        'TypeMismatch',
        `the first argument of ${fn}() must be a property ($var.prop)`,
        a.pos,
      );
    return this.expr(a, 'return', scope);
  }

  private intArg(a: ExprNode, scope: Map<string, VarInfo>, what: string): IrExpr {
    const e = this.expr(a, 'match', scope);
    const t = this.typeOf(e);
    if (!(t.kind === 'scalar' && INT_SCALARS.has(t.name)))
      this.error('TypeMismatch', `${what} must be an integer, got ${valueTypeText(t)}`, a.pos);
    if (e.kind === 'literal' && typeof e.value === 'bigint')
      return { kind: 'literal', value: Number(e.value), type: { kind: 'scalar', name: 'I32' } };
    return e;
  }

  private searchCall(e: Extract<ExprNode, { kind: 'call' }>, scope: Map<string, VarInfo>): IrExpr {
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

  private dateCall(e: Extract<ExprNode, { kind: 'call' }>): IrExpr {
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

  /** The expansion of a traversal from its bound endpoint (`in` when that is the edge's To side). */
  private expandOp(
    t: LevelResult['traversals'][number],
    bound: Set<string>,
  ): Extract<ReadOp, { op: 'expand' }> {
    const out = bound.has(t.src);
    const to = out ? t.dst : t.src;
    const toNode = this.nodes.get(out ? t.edge.to : t.edge.from)!;
    return {
      op: 'expand',
      from: out ? t.src : t.dst,
      to,
      edge: t.edge.name,
      edgeTableKey: t.edge.tableKey,
      direction: out ? 'out' : 'in',
      minHops: t.minHops,
      maxHops: t.maxHops,
      toType: toNode.name,
      toTableKey: toNode.tableKey,
      into: bound.has(to),
    };
  }

  /**
   * Lowers one match level. Start variables are scanned: per connected part of the
   * pattern, the first explicit binding with property matches (else the first
   * explicit binding, else the first traversal's From side). Every other variable is
   * reached by expanding a traversal from a bound endpoint, and its property matches
   * become filters on the expanded rows — never a second scan joined afterwards.
   * Filters and anti-joins are placed as soon as the variables they use are bound.
   */
  private lowerLevel(level: LevelResult, outerBound: Set<string>): ReadOp[] {
    const ops: ReadOp[] = [];
    const bound = new Set(outerBound);
    const pending = [...level.deferred];
    const flush = (): void => {
      for (let i = 0; i < pending.length;) {
        const d = pending[i];
        if ([...d.needs].every((v) => bound.has(v))) {
          pending.splice(i, 1);
          if (d.op === 'filter') ops.push({ op: 'filter', predicate: d.predicate });
          else
            ops.push({
              op: 'anti_join',
              correlated: d.correlated,
              ops: this.lowerLevel(d.level, bound),
            });
        } else i++;
      }
    };
    // Per variable, its type and every property match of its bindings (in written order).
    const vars = new Map<string, { node: NodeTypeDef; where: IrExpr[] }>();
    for (const b of level.bindings) {
      const v = vars.get(b.name);
      if (v) v.where.push(...b.where);
      else vars.set(b.name, { node: b.node, where: [...b.where] });
    }
    const matchesAsFilters = (name: string): void => {
      for (const w of vars.get(name)?.where ?? []) ops.push({ op: 'filter', predicate: w });
    };
    flush();
    for (const name of vars.keys()) if (bound.has(name)) matchesAsFilters(name);
    const todo = [...level.traversals];
    const inTodo = (name: string): boolean => todo.some((t) => t.src === name || t.dst === name);
    for (;;) {
      // Expand every traversal that has a bound endpoint.
      for (let idx = todo.findIndex((t) => bound.has(t.src) || bound.has(t.dst)); idx >= 0;) {
        const op = this.expandOp(todo.splice(idx, 1)[0], bound);
        ops.push(op);
        if (!op.into) {
          bound.add(op.to);
          matchesAsFilters(op.to);
        }
        flush();
        idx = todo.findIndex((x) => bound.has(x.src) || bound.has(x.dst));
      }
      const unbound = [...vars.keys()].filter((n) => !bound.has(n));
      const start =
        unbound.find((n) => vars.get(n)!.where.length > 0) ??
        unbound.find(inTodo) ??
        unbound[0] ??
        todo[0]?.src;
      if (start === undefined) break;
      const node = vars.get(start)?.node ?? this.nodes.get(todo[0].edge.from)!;
      ops.push({
        op: 'scan',
        var: start,
        nodeType: node.name,
        tableKey: node.tableKey,
        where: vars.get(start)?.where ?? [],
      });
      bound.add(start);
      flush();
    }
    // Anything still pending refers only to bound variables by construction.
    for (const d of pending) {
      if (d.op === 'filter') ops.push({ op: 'filter', predicate: d.predicate });
      else
        ops.push({
          op: 'anti_join',
          correlated: d.correlated,
          ops: this.lowerLevel(d.level, bound),
        });
    }
    return ops;
  }

  // ── values (binding matches and mutations) ────────────────────

  /**
   * A value assigned to / compared with a column of type `target`. `mode` 'insert'/'set'
   * forbid null for required columns (including optional parameters).
   */
  private valueFor(
    e: ExprNode,
    target: PropType,
    nullable: boolean,
    mode: 'insert' | 'set' | 'match' | 'where',
    what: string,
  ): ValueExpr {
    const writes = mode === 'insert' || mode === 'set';
    const tt = valueTypeText(target);
    switch (e.kind) {
      case 'var': {
        if (e.name === '_')
          this.error('WildcardMisuse', "'$_' is the wildcard; it is not a value", e.pos);
        const p = this.params.get(e.name);
        if (!p)
          this.error(
            'UnknownParameter',
            `'$${e.name}' is not a declared parameter of query ${this.q.name}`,
            e.pos,
          );
        this.used.add(e.name);
        if (!paramAssignable(p.type, target))
          this.error(
            'TypeMismatch',
            `parameter '$${e.name}: ${valueTypeText(p.type)}' cannot be used as ${what} (${tt})`,
            e.pos,
          );
        if (writes && p.optional && !nullable)
          this.error(
            'TypeMismatch',
            `parameter '$${e.name}' is optional but ${what} is required (not nullable)`,
            e.pos,
          );
        return { kind: 'param', name: e.name };
      }
      case 'literal': {
        if (e.lit.kind === 'null') {
          if (writes && !nullable)
            this.error(
              'TypeMismatch',
              `${what} is required (not nullable) and cannot be null`,
              e.pos,
            );
          if (mode === 'match')
            this.error(
              'TypeMismatch',
              `a property match cannot test for null; use a filter ($v.prop = null)`,
              e.pos,
            );
          return { kind: 'literal', value: null };
        }
        const v = this.coerceLiteral(e.lit, target);
        if (typeof v === 'object' && v !== null && 'error' in v)
          this.error('TypeMismatch', `${what}: ${v.error}`, e.pos);
        return { kind: 'literal', value: v as QueryValue };
      }
      case 'list': {
        if (target.kind !== 'list' && target.kind !== 'vector')
          this.error('TypeMismatch', `a list is not a ${tt} (${what})`, e.pos);
        if (target.kind === 'vector' && e.items.length !== target.dim)
          this.error(
            'TypeMismatch',
            `${what} is ${tt}; the list has ${e.items.length} elements`,
            e.pos,
          );
        const el: PropType =
          target.kind === 'list' ? target.element : { kind: 'scalar', name: 'F32' };
        const values = e.items.map((it) => {
          if (it.kind !== 'literal' || it.lit.kind === 'null')
            this.error('InvalidValue', 'list values may only contain non-null literals', it.pos);
          const v = this.coerceLiteral(it.lit, el);
          if (typeof v === 'object' && v !== null && 'error' in v)
            this.error('TypeMismatch', `${what}: ${v.error}`, it.pos);
          return v as QueryValue;
        });
        return { kind: 'literal', value: values };
      }
      case 'call': {
        if (e.fn === 'now') {
          this.arity(e, 0);
          if (!(target.kind === 'scalar' && (target.name === 'DateTime' || target.name === 'Date')))
            this.error('TypeMismatch', `now() is a DateTime, but ${what} is ${tt}`, e.pos);
          return { kind: 'now' };
        }
        if (e.fn === 'date' || e.fn === 'datetime') {
          const lit = this.dateCall(e) as Extract<IrExpr, { kind: 'literal' }>;
          const name = (lit.type as { name: string }).name;
          if (!(
            target.kind === 'scalar' &&
            (target.name === name || (name === 'Date' && target.name === 'DateTime'))
          )) {
            this.error('TypeMismatch', `${e.fn}(…) is a ${name}, but ${what} is ${tt}`, e.pos);
          }
          return {
            kind: 'literal',
            value:
              target.kind === 'scalar' && target.name === 'DateTime' && name === 'Date'
                ? parseDateTime(lit.value as string)
                : lit.value,
          };
        }
        return this.error(
          'InvalidValue',
          `values here are literals, parameters, date(…)/datetime(…) or now(); ${e.fn}(…) is not allowed`,
          e.pos,
        );
      }
      default:
        return this.error(
          'InvalidValue',
          `values here are literals, parameters, date(…)/datetime(…) or now()${e.kind === 'prop' ? `; '$${e.var}.${e.prop}' refers to a match variable` : ''}`,
          e.pos,
        );
    }
  }

  private valueToIr(v: ValueExpr, type: PropType): IrExpr {
    if (v.kind === 'param')
      return { kind: 'param', name: v.name, type: this.params.get(v.name)!.type };
    if (v.kind === 'now') return { kind: 'now', type: { kind: 'scalar', name: 'DateTime' } };
    return { kind: 'literal', value: v.value, type: v.value === null ? { kind: 'null' } : type };
  }

  // ── mutations ─────────────────────────────────────────────────

  private compileMutation(
    body: MutationBodyNode,
    params: ParamInfo[],
    meta: QueryMeta,
  ): MutationPlan {
    const ops = body.statements.map((s) => this.statement(s));
    return { kind: 'mutation', name: this.q.name, params, meta, ops };
  }

  private target(name: string, pos: Pos): { node?: NodeTypeDef; edge?: EdgeTypeDef } {
    const node = this.nodes.get(name);
    if (node) return { node };
    const edge = this.edges.get(name.toLowerCase());
    if (edge) return { edge };
    const hint = this.catalog.nodes.find((n) => n.name.toLowerCase() === name.toLowerCase());
    return this.error(
      'UnknownType',
      `unknown node or edge type '${name}'${hint ? ` (did you mean '${hint.name}'?)` : ''}`,
      pos,
    );
  }

  private assignments(
    values: AssignNode[],
    props: PropertyDef[],
    owner: string,
    mode: 'insert' | 'set',
    skip: Set<string>,
  ): Assignment[] {
    const seen = new Set<string>();
    const out: Assignment[] = [];
    for (const a of values) {
      if (seen.has(a.prop))
        this.error('DuplicateAssignment', `property '${a.prop}' is assigned twice`, a.pos);
      seen.add(a.prop);
      if (skip.has(a.prop)) continue;
      const p = props.find((x) => x.name === a.prop);
      if (!p) {
        this.error(
          'UnknownProperty',
          `${owner} has no property '${a.prop}'${props.length ? ` (properties: ${props.map((x) => x.name).join(', ')})` : ''}`,
          a.pos,
        );
      }
      out.push({
        property: p.name,
        type: p.type,
        nullable: p.nullable,
        value: this.valueFor(a.value, p.type, p.nullable, mode, `${owner}.${p.name}`),
      });
    }
    return out;
  }

  private statement(s: StatementNode): MutationOp {
    const { node, edge } = this.target(s.type, s.typePos);
    if (s.kind === 'insert') {
      if (node) {
        const values = this.assignments(
          s.values,
          node.properties,
          `node type ${node.name}`,
          'insert',
          new Set(),
        );
        const sets = (name: string) => values.some((v) => v.property === name);
        // An @embed vector the insert leaves out is computed from its source text at
        // write time (docs/writes.md §Embeddings), so only the source must be set.
        const embedSource = (name: string) => node.embed.find((e) => e.property === name)?.source;
        const missing = node.properties
          .filter((p) => !p.nullable && !sets(p.name))
          .filter((p) => {
            const source = embedSource(p.name);
            return source === undefined || !sets(source);
          })
          .map((p) => {
            const source = embedSource(p.name);
            return source === undefined ? p.name : `${p.name} (or its @embed source ${source})`;
          });
        if (missing.length) {
          this.error(
            'MissingRequiredProperty',
            `insert ${node.name} does not set the required propert${missing.length === 1 ? 'y' : 'ies'} ${missing.join(', ')}`,
            s.typePos,
          );
        }
        return { op: 'insert_node', nodeType: node.name, tableKey: node.tableKey, values };
      }
      const e = edge!;
      const fromA = s.values.find((a) => a.prop === 'from');
      const toA = s.values.find((a) => a.prop === 'to');
      if (!fromA || !toA) {
        this.error(
          'EdgeInsertMissingEndpoint',
          `insert ${e.name} needs ${!fromA && !toA ? "'from' and 'to'" : !fromA ? "'from'" : "'to'"} (the key values of its ${e.from} and ${e.to} endpoints)`,
          s.typePos,
        );
      }
      const fromNode = this.nodes.get(e.from)!;
      const toNode = this.nodes.get(e.to)!;
      const values = this.assignments(
        s.values,
        e.properties,
        `edge type ${e.name}`,
        'insert',
        new Set(['from', 'to']),
      );
      const missing = e.properties
        .filter((p) => !p.nullable && !values.some((v) => v.property === p.name))
        .map((p) => p.name);
      if (missing.length)
        this.error(
          'MissingRequiredProperty',
          `insert ${e.name} does not set the required propert${missing.length === 1 ? 'y' : 'ies'} ${missing.join(', ')}`,
          s.typePos,
        );
      return {
        op: 'insert_edge',
        edgeType: e.name,
        tableKey: e.tableKey,
        from: this.valueFor(
          fromA.value,
          nodeKeyType(fromNode),
          false,
          'insert',
          `the 'from' key (${e.from})`,
        ),
        to: this.valueFor(
          toA.value,
          nodeKeyType(toNode),
          false,
          'insert',
          `the 'to' key (${e.to})`,
        ),
        fromType: e.from,
        toType: e.to,
        values,
      };
    }
    const props = node ? node.properties : edge!.properties;
    const owner = node ? `node type ${node.name}` : `edge type ${edge!.name}`;
    const where = s.where.map((w) => this.predicate(w, node, edge));
    const base = {
      target: node ? ('node' as const) : ('edge' as const),
      typeName: node ? node.name : edge!.name,
      tableKey: node ? node.tableKey : edge!.tableKey,
    };
    if (s.kind === 'update') {
      const set = this.assignments(s.set, props, owner, 'set', new Set());
      return { op: 'update', ...base, set, where };
    }
    const cascade = node
      ? this.catalog.edges
          .filter((e) => e.from === node.name || e.to === node.name)
          .map((e) => ({
            edgeType: e.name,
            tableKey: e.tableKey,
            side:
              e.from === e.to
                ? ('both' as const)
                : e.from === node.name
                  ? ('src' as const)
                  : ('dst' as const),
          }))
      : [];
    return { op: 'delete', ...base, where, cascade };
  }

  private predicate(w: WherePredNode, node?: NodeTypeDef, edge?: EdgeTypeDef): Predicate {
    let column = w.prop;
    let type: PropType;
    let nullable = false;
    if (w.prop === 'id') type = STRING;
    else if (
      edge &&
      (w.prop === 'from' || w.prop === 'to' || w.prop === 'src' || w.prop === 'dst')
    ) {
      const isSrc = w.prop === 'from' || w.prop === 'src';
      column = isSrc ? 'src' : 'dst';
      type = nodeKeyType(this.nodes.get(isSrc ? edge.from : edge.to)!);
    } else {
      const props = node ? node.properties : edge!.properties;
      const p = props.find((x) => x.name === w.prop);
      if (!p) {
        const extra = node ? ['id'] : ['id', 'from', 'to'];
        this.error(
          'UnknownProperty',
          `${node ? `node type ${node.name}` : `edge type ${edge!.name}`} has no property '${w.prop}' (columns: ${[...extra, ...props.map((x) => x.name)].join(', ')})`,
          w.pos,
        );
      }
      type = p.type;
      nullable = p.nullable;
    }
    let valueType: PropType = type;
    if (w.op === 'contains') {
      if (type.kind === 'list') valueType = type.element;
      else if (classOf(type) !== 'string')
        this.error(
          'TypeMismatch',
          `contains needs a String or list column; '${w.prop}' is ${valueTypeText(type)}`,
          w.pos,
        );
    } else if (ORDERING.has(w.op) && !['numeric', 'string', 'temporal'].includes(classOf(type))) {
      this.error(
        'TypeMismatch',
        `${w.op} needs a number, string or date column; '${w.prop}' is ${valueTypeText(type)}`,
        w.pos,
      );
    }
    const value = this.valueFor(
      w.value,
      valueType,
      nullable || w.op === '=' || w.op === '!=',
      'where',
      `'${w.prop}'`,
    );
    if (value.kind === 'literal' && value.value === null && w.op !== '=' && w.op !== '!=')
      this.error('TypeMismatch', 'null can only be compared with = or !=', w.value.pos);
    return { column, op: w.op, type, value };
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
