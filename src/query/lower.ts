/**
 * Lowering: a checked match level (compile-match.ts) as read ops — scans, expansions,
 * filters and anti-joins in an order where each op's variables are bound. Needs only
 * the catalog's types.
 */
import type { TypeIndex } from '../schema/lookup.js';
import type { NodeTypeDef } from '../schema/types.js';
import type { LevelResult } from './compile-context.js';
import type { IrExpr, ReadOp } from './types.js';

/**
 * The expansion of a traversal from its bound endpoint (`in` when that is the edge's
 * To side; `both` for an undirected one, which is symmetric).
 */
function expandOp(
  types: TypeIndex,
  t: LevelResult['traversals'][number],
  bound: Set<string>,
): Extract<ReadOp, { op: 'expand' }> {
  const out = bound.has(t.src);
  const to = out ? t.dst : t.src;
  const toNode = types.nodeNamed(out ? t.edge.to : t.edge.from)!;
  return {
    op: 'expand',
    from: out ? t.src : t.dst,
    to,
    edge: t.edge.name,
    edgeTableKey: t.edge.tableKey,
    direction: t.undirected ? 'both' : out ? 'out' : 'in',
    minHops: t.minHops,
    maxHops: t.maxHops,
    toType: toNode.name,
    toTableKey: toNode.tableKey,
    into: bound.has(to),
    edgeVar: t.edgeVar,
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
export function lowerLevel(
  types: TypeIndex,
  level: LevelResult,
  outerBound: Set<string>,
): ReadOp[] {
  const ops: ReadOp[] = [];
  const bound = new Set(outerBound);
  const pending = [...level.deferred];
  const flush = (): void => {
    for (let i = 0; i < pending.length;) {
      const d = pending[i];
      if ([...d.needs].every((v) => bound.has(v))) {
        pending.splice(i, 1);
        ops.push(lowerDeferred(types, d, bound));
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
      const op = expandOp(types, todo.splice(idx, 1)[0], bound);
      ops.push(op);
      if (op.edgeVar !== null) bound.add(op.edgeVar);
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
    const node = vars.get(start)?.node ?? types.nodeNamed(todo[0].edge.from)!;
    ops.push({
      op: 'scan',
      var: start,
      nodeType: node.name,
      tableKey: node.tableKey,
      where: [...(vars.get(start)?.where ?? []), ...takeScanPredicates(pending, start)],
    });
    bound.add(start);
    flush();
  }
  // Anything still pending refers only to bound variables by construction.
  for (const d of pending) ops.push(lowerDeferred(types, d, bound));
  return ops;
}

/**
 * Removes from `pending` the string predicates the scan of `v` can push down to Lance
 * (as the reference does): `$v.p starts_with x`, `$v.p contains x` with x a literal
 * or a parameter. The scan evaluates them like its property matches.
 */
function takeScanPredicates(pending: LevelResult['deferred'], v: string): IrExpr[] {
  const taken: IrExpr[] = [];
  for (let i = 0; i < pending.length;) {
    const d = pending[i];
    if (d.op === 'filter' && d.needs.size === 1 && isScanPredicate(d.predicate, v)) {
      taken.push(d.predicate);
      pending.splice(i, 1);
    } else i++;
  }
  return taken;
}

function isScanPredicate(e: IrExpr, v: string): boolean {
  if (e.kind !== 'call' || (e.fn !== 'starts_with' && e.fn !== 'contains')) return false;
  const [haystack, needle] = e.args;
  return (
    haystack.kind === 'prop' &&
    haystack.var === v &&
    (needle.kind === 'literal' || needle.kind === 'param')
  );
}

/** A deferred filter or negation, once the variables it needs are bound. */
function lowerDeferred(
  types: TypeIndex,
  d: LevelResult['deferred'][number],
  bound: Set<string>,
): ReadOp {
  if (d.op === 'filter') return { op: 'filter', predicate: d.predicate };
  return { op: 'anti_join', correlated: d.correlated, ops: lowerLevel(types, d.level, bound) };
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
