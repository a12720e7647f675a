/** Match clauses: bindings, traversals, filters and negation, checked and lowered to read ops. */
import type { EdgeTypeDef, NodeTypeDef } from '../schema/types.js';
import type { ClauseNode, VarRefNode } from './ast.js';
import type { IrExpr, ReadOp } from './types.js';
import { valueTypeText } from './values.js';
import { SEARCH_FNS, type VarInfo, type LevelResult, exprVars } from './compile-base.js';
import { ValueCompiler } from './compile-value.js';

export abstract class MatchCompiler extends ValueCompiler {
  /** Checks one match level (the match block or a `not { }` block). */
  protected checkLevel(clauses: ClauseNode[], scope: Map<string, VarInfo>): LevelResult {
    const result: LevelResult = { bindings: [], traversals: [], deferred: [], refs: new Set() };
    // Pass 1: explicit bindings declare variables (so clause order does not matter).
    this.declareBindings(clauses, scope);
    // Pass 2: traversals resolve edges and infer the types of unbound endpoints.
    const resolved = this.resolveTraversals(clauses, scope, result);
    // Pass 3: property matches, filters and nested negations, in written order.
    for (const c of clauses) {
      switch (c.kind) {
        case 'binding':
          result.bindings.push(this.bindingMatch(c));
          result.refs.add(c.var.name);
          break;
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

  /** Pass 1 of a level: `$x: Type` declares `$x` in `scope`. */
  private declareBindings(clauses: ClauseNode[], scope: Map<string, VarInfo>): void {
    const outer = new Set(scope.keys());
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
  }

  /** Pass 2 of a level: each traversal's edge, direction and endpoint variables. */
  private resolveTraversals(
    clauses: ClauseNode[],
    scope: Map<string, VarInfo>,
    result: LevelResult,
  ): Map<ClauseNode, { src: string; dst: string; edge: EdgeTypeDef }> {
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
      this.checkHops(c, edge);
      // `$a edge $b` with $a of the edge's To type and $b of its From type follows the edge backwards.
      const reversed = edge.from !== edge.to && this.isReversed(c.src, c.dst, edge, scope);
      const [from, to] = reversed ? [c.dst, c.src] : [c.src, c.dst];
      const src = this.endpoint(from, edge.from, edge, 'starts at', scope);
      const dst = this.endpoint(to, edge.to, edge, 'ends at', scope);
      resolved.set(c, { src, dst, edge });
      result.refs.add(src);
      result.refs.add(dst);
    }
    return resolved;
  }

  /** Hop bounds `{min,max}`: at least one hop, and more than one only along an edge from a type to itself. */
  private checkHops(c: Extract<ClauseNode, { kind: 'traversal' }>, edge: EdgeTypeDef): void {
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
  }

  /** Pass 3 for `$x: Type { prop: value, … }`: each property match as a comparison. */
  private bindingMatch(
    c: Extract<ClauseNode, { kind: 'binding' }>,
  ): LevelResult['bindings'][number] {
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
    return { name: c.var.name, node, where };
  }

  /** Do the endpoints' known types fit the edge only backwards (To … From)? */
  protected isReversed(
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

  protected endpoint(
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

  protected filter(
    c: Extract<ClauseNode, { kind: 'filter' }>,
    scope: Map<string, VarInfo>,
  ): IrExpr {
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

  /** The expansion of a traversal from its bound endpoint (`in` when that is the edge's To side). */
  protected expandOp(
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
  protected lowerLevel(level: LevelResult, outerBound: Set<string>): ReadOp[] {
    const ops: ReadOp[] = [];
    const bound = new Set(outerBound);
    const pending = [...level.deferred];
    const flush = (): void => {
      for (let i = 0; i < pending.length;) {
        const d = pending[i];
        if ([...d.needs].every((v) => bound.has(v))) {
          pending.splice(i, 1);
          ops.push(this.lowerDeferred(d, bound));
        } else i++;
      }
    };
    const vars = bindingsByVar(level);
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
    for (const d of pending) ops.push(this.lowerDeferred(d, bound));
    return ops;
  }

  /** A deferred filter or negation, once the variables it needs are bound. */
  private lowerDeferred(d: LevelResult['deferred'][number], bound: Set<string>): ReadOp {
    if (d.op === 'filter') return { op: 'filter', predicate: d.predicate };
    return { op: 'anti_join', correlated: d.correlated, ops: this.lowerLevel(d.level, bound) };
  }

  // ── values (binding matches and mutations) ────────────────────
}

/** Per variable of a level, its type and every property match of its bindings (in written order). */
function bindingsByVar(level: LevelResult): Map<string, { node: NodeTypeDef; where: IrExpr[] }> {
  const vars = new Map<string, { node: NodeTypeDef; where: IrExpr[] }>();
  for (const b of level.bindings) {
    const v = vars.get(b.name);
    if (v) v.where.push(...b.where);
    else vars.set(b.name, { node: b.node, where: [...b.where] });
  }
  return vars;
}
