/** Match clauses: bindings, traversals, filters and negation, checked (lower.ts lowers them to read ops). */
import type { EdgeTypeDef } from '../schema/types.js';
import type { ClauseNode, VarRefNode } from './ast.js';
import {
  exprVars,
  nodeColumn,
  typeOf,
  unknownNodeType,
  type CheckContext,
  type LevelResult,
  type VarScope,
} from './compile-context.js';
import { checkExpr, checkSearchFilter, checkStringPredicate, compare } from './compile-expr.js';
import { valueFor, valueToIr } from './compile-value.js';
import { isSearchFn } from './functions.js';
import type { IrExpr } from './types.js';
import { valueTypeText } from './values.js';

/** Checks one match level (the match block or a `not { }` block). */
export function checkLevel(cx: CheckContext, clauses: ClauseNode[], scope: VarScope): LevelResult {
  const result: LevelResult = { bindings: [], traversals: [], deferred: [], refs: new Set() };
  // Pass 1: explicit bindings declare variables (so clause order does not matter).
  declareBindings(cx, clauses, scope);
  // Pass 2: traversals resolve edges and infer the types of unbound endpoints.
  const resolved = resolveTraversals(cx, clauses, scope, result);
  // Pass 3: property matches, filters and nested negations, in written order.
  for (const c of clauses) {
    switch (c.kind) {
      case 'binding':
        result.bindings.push(bindingMatch(cx, c));
        result.refs.add(c.var.name);
        break;
      case 'traversal': {
        const r = resolved.get(c)!;
        result.traversals.push({
          ...r,
          minHops: c.minHops,
          maxHops: c.maxHops,
          undirected: c.undirected,
        });
        break;
      }
      case 'filter': {
        const predicate = filter(cx, c, scope);
        const needs = exprVars(predicate, new Set());
        for (const v of needs) result.refs.add(v);
        result.deferred.push({ op: 'filter', needs, predicate });
        break;
      }
      case 'not': {
        const innerScope = new Map(scope);
        const inner = checkLevel(cx, c.clauses, innerScope);
        for (const v of innerScope.keys()) if (!scope.has(v)) cx.notLocals.add(v);
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
function declareBindings(cx: CheckContext, clauses: ClauseNode[], scope: VarScope): void {
  const outer = new Set(scope.keys());
  for (const c of clauses) {
    if (c.kind !== 'binding') continue;
    const name = c.var.name;
    if (name === '_')
      cx.diag.fail(
        'WildcardMisuse',
        "'$_' is the wildcard; it can only be a traversal endpoint",
        c.var.pos,
      );
    if (cx.params.has(name))
      cx.diag.fail(
        'DuplicateBinding',
        `'$${name}' is already a parameter of this query`,
        c.var.pos,
      );
    const node = cx.types.nodeNamed(c.type);
    if (!node) unknownNodeType(cx, c.type, c.typePos);
    const prior = scope.get(name);
    const priorType = prior?.kind === 'edge' ? `a ${prior.edge.name} edge` : prior?.nodeType;
    // Binding a variable again with the same type adds its property matches (the reference accepts it).
    if (prior && priorType !== node.name)
      cx.diag.fail(
        'DuplicateBinding',
        `variable '$${name}' is already bound to ${priorType}${outer.has(name) ? ' outside this not { } block' : ''}; it cannot also be a ${node.name}`,
        c.var.pos,
      );
    if (!prior) scope.set(name, { kind: 'node', nodeType: node.name, explicit: true });
  }
}

/** Pass 2 of a level: each traversal's edge, direction and endpoint variables. */
function resolveTraversals(
  cx: CheckContext,
  clauses: ClauseNode[],
  scope: VarScope,
  result: LevelResult,
): Map<ClauseNode, Resolved> {
  const resolved = new Map<ClauseNode, Resolved>();
  for (const c of clauses) {
    if (c.kind !== 'traversal') continue;
    const edge = cx.types.edgeNamed(c.edge);
    if (!edge) {
      const asNode = cx.types.nodeNamed(c.edge.charAt(0).toUpperCase() + c.edge.slice(1));
      cx.diag.fail(
        'UnknownEdge',
        `unknown edge '${c.edge}'${asNode ? ` ('${asNode.name}' is a node type)` : ''} (edges: ${cx.types.catalog.edges.map((e) => e.name).join(', ') || 'none'})`,
        c.edgePos,
      );
    }
    checkHops(cx, c, edge);
    if (c.undirected && edge.from !== edge.to)
      cx.diag.fail(
        'AsymmetricUndirectedEdge',
        `<${c.edge}> matches either direction, so it needs an edge from a type to itself; ${edge.name} goes ${edge.from} -> ${edge.to} (write $a ${c.edge} $b)`,
        c.edgePos,
      );
    // `$a edge $b` with $a of the edge's To type and $b of its From type follows the edge backwards.
    const reversed = edge.from !== edge.to && isReversed(c.src, c.dst, edge, scope);
    const [from, to] = reversed ? [c.dst, c.src] : [c.src, c.dst];
    const src = endpoint(cx, from, edge.from, edge, 'starts at', scope);
    const dst = endpoint(cx, to, edge.to, edge, 'ends at', scope);
    const edgeVar = c.edgeVar && bindEdge(cx, c, edge, scope);
    resolved.set(c, { src, dst, edge, edgeVar });
    for (const v of [src, dst, edgeVar]) if (v !== null) result.refs.add(v);
  }
  return resolved;
}

type Resolved = { src: string; dst: string; edge: EdgeTypeDef; edgeVar: string | null };

/** `$w` of `$a $w:edge $b`: a new name, on a single hop (a path has no one edge to bind). */
function bindEdge(
  cx: CheckContext,
  c: Extract<ClauseNode, { kind: 'traversal' }>,
  edge: EdgeTypeDef,
  scope: VarScope,
): string {
  const ref = c.edgeVar!;
  if (c.minHops !== 1 || c.maxHops !== 1)
    cx.diag.fail(
      'EdgeBindingMisuse',
      `'$${ref.name}' binds one edge, but {${c.minHops},${c.maxHops ?? ''}} matches paths of several edges; bind the edge of a single hop`,
      c.hopsPos ?? ref.pos,
    );
  if (ref.name === '_')
    cx.diag.fail('WildcardMisuse', "'$_' is the wildcard; it cannot bind an edge", ref.pos);
  const prior = scope.get(ref.name);
  if (prior || cx.params.has(ref.name))
    cx.diag.fail(
      'DuplicateBinding',
      `'$${ref.name}' is already ${prior ? `bound to ${prior.kind === 'edge' ? `a ${prior.edge.name} edge` : prior.nodeType}` : 'a parameter of this query'}; an edge binding needs a new name`,
      ref.pos,
    );
  scope.set(ref.name, { kind: 'edge', edge });
  return ref.name;
}

/** Hop bounds `{min,max}`: at least one hop, and more than one only along an edge from a type to itself. */
function checkHops(
  cx: CheckContext,
  c: Extract<ClauseNode, { kind: 'traversal' }>,
  edge: EdgeTypeDef,
): void {
  const hopPos = c.hopsPos ?? c.edgePos;
  if (c.maxHops !== null && c.maxHops < c.minHops)
    cx.diag.fail(
      'InvalidHopBounds',
      `hop bounds {${c.minHops},${c.maxHops}}: the maximum is below the minimum`,
      hopPos,
    );
  if (c.maxHops === 0)
    cx.diag.fail('InvalidHopBounds', 'hop bounds must allow at least one hop', hopPos);
  if ((c.maxHops === null || c.maxHops > 1 || c.minHops === 0) && edge.from !== edge.to) {
    cx.diag.fail(
      'InvalidHopBounds',
      `variable-length traversal needs an edge from a type to itself; ${edge.name} goes ${edge.from} -> ${edge.to}`,
      hopPos,
    );
  }
}

/** Pass 3 for `$x: Type { prop: value, … }`: each property match as a comparison. */
function bindingMatch(
  cx: CheckContext,
  c: Extract<ClauseNode, { kind: 'binding' }>,
): LevelResult['bindings'][number] {
  const node = cx.types.nodeNamed(c.type)!;
  const where: IrExpr[] = [];
  const seenProps = new Set<string>();
  for (const pm of c.props) {
    if (seenProps.has(pm.prop))
      cx.diag.fail('DuplicateAssignment', `property '${pm.prop}' is matched twice`, pm.pos);
    seenProps.add(pm.prop);
    const { type, nullable } = nodeColumn(cx, node, pm.prop, pm.pos);
    // A scalar matched against a list property is membership (`tags: "x"`).
    const member = type.kind === 'list' && pm.value.kind !== 'list';
    const valueType = member ? type.element : type;
    const value = valueFor(cx, pm.value, valueType, nullable, 'match', `${node.name}.${pm.prop}`);
    where.push({
      kind: 'compare',
      op: member ? 'contains' : '=',
      left: { kind: 'prop', var: c.var.name, prop: pm.prop, type },
      right: valueToIr(cx, value, valueType),
    });
  }
  return { name: c.var.name, node, where };
}

/** Do the endpoints' known types fit the edge only backwards (To … From)? */
function isReversed(a: VarRefNode, b: VarRefNode, edge: EdgeTypeDef, scope: VarScope): boolean {
  const typeOf = (r: VarRefNode): string | undefined => {
    const v = r.name === '_' ? undefined : scope.get(r.name);
    return v?.kind === 'node' ? v.nodeType : undefined;
  };
  const fits = (t: string | undefined, want: string): boolean => t === undefined || t === want;
  const ta = typeOf(a);
  const tb = typeOf(b);
  if (fits(ta, edge.from) && fits(tb, edge.to)) return false;
  return fits(ta, edge.to) && fits(tb, edge.from);
}

/** A traversal endpoint: `$_` (a fresh variable), a bound variable of the edge's type, or a new one. */
function endpoint(
  cx: CheckContext,
  ref: VarRefNode,
  type: string,
  edge: EdgeTypeDef,
  verb: string,
  scope: VarScope,
): string {
  if (ref.name === '_') {
    const name = cx.wildcard();
    scope.set(name, { kind: 'node', nodeType: type, explicit: false });
    return name;
  }
  if (cx.params.has(ref.name))
    cx.diag.fail(
      'TypeMismatch',
      `'$${ref.name}' is a parameter; a traversal endpoint must be a match variable`,
      ref.pos,
    );
  const v = scope.get(ref.name);
  if (v?.kind === 'edge')
    cx.diag.fail(
      'EdgeBindingMisuse',
      `'$${ref.name}' is bound to a ${v.edge.name} edge; a traversal endpoint must be a node`,
      ref.pos,
    );
  if (v) {
    if (v.nodeType !== type)
      cx.diag.fail(
        'EndpointMismatch',
        `'$${ref.name}' is a ${v.nodeType}, but edge ${edge.name} ${verb} ${type} (${edge.name}: ${edge.from} -> ${edge.to})`,
        ref.pos,
      );
  } else scope.set(ref.name, { kind: 'node', nodeType: type, explicit: false });
  return ref.name;
}

/** A filter clause: a comparison, a text-search call or a Bool expression. */
function filter(
  cx: CheckContext,
  c: Extract<ClauseNode, { kind: 'filter' }>,
  scope: VarScope,
): IrExpr {
  if (c.op === null || c.right === null) {
    const left = c.left;
    if (left.kind === 'call' && isSearchFn(left.fn))
      return checkSearchFilter(cx, { ...left, fn: left.fn }, scope);
    const e = checkExpr(cx, c.left, 'match', scope);
    const t = typeOf(e);
    if (!(t.kind === 'scalar' && t.name === 'Bool')) {
      cx.diag.fail(
        'TypeMismatch',
        `a filter needs a comparison (a = b, a < b, a contains b, …) or a boolean; this is ${valueTypeText(t)}`,
        c.pos,
      );
    }
    return e;
  }
  const pos = c.opPos ?? c.pos;
  if (c.op === 'starts_with') return checkStringPredicate(cx, c.op, c.left, c.right, pos, scope);
  const left = checkExpr(cx, c.left, 'match', scope);
  // `contains` is membership with a list on the left, else the String predicate.
  if (c.op === 'contains' && typeOf(left).kind !== 'list')
    return checkStringPredicate(cx, c.op, c.left, c.right, pos, scope);
  const right = checkExpr(cx, c.right, 'match', scope);
  return compare(cx, c.op, left, right, pos);
}
