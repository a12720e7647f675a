/**
 * Expressions: typing of variables, properties, lists, comparisons and function calls.
 * A call is checked against its row of the function table (functions.ts): where its
 * kind may appear, its arity, then its own argument rules (`CALL_CHECKS`).
 */
import type { PropType } from '../schema/types.js';
import type { CompareOp, ExprNode, Pos } from './ast.js';
import {
  ORDERING,
  STRING,
  checkArity,
  edgeColumn,
  nodeColumn,
  typeOf,
  unboundVariable,
  type CheckContext,
  type Clause,
  type VarScope,
} from './compile-context.js';
import { irLiteralAs, literalIr } from './compile-literals.js';
import {
  FUNCTION_NAMES,
  GQ_FUNCTIONS,
  functionNamed,
  functionsOfKind,
  isRankFn,
  unhandledFunction,
  type AggregateFn,
  type FnKind,
  type FnName,
  type PerFunction,
  type PredicateFn,
  type SearchFn,
} from './functions.js';
import type { IrExpr, ValueType } from './types.js';
import {
  FLOAT_SCALARS,
  INT_SCALARS,
  classOf,
  parseDate,
  parseDateTime,
  valueTypeText,
} from './values.js';

type CallNode = Extract<ExprNode, { kind: 'call' }>;

/** Expressions in filters, return and order. */
export function checkExpr(
  cx: CheckContext,
  e: ExprNode,
  clause: Clause,
  scope: VarScope,
  inAggregate = false,
): IrExpr {
  switch (e.kind) {
    case 'var':
      return varExpr(cx, e, clause, scope);
    case 'prop':
      return propExpr(cx, e, scope);
    case 'literal':
      return literalIr(e.lit);
    case 'list':
      return listExpr(cx, e, clause, scope, inAggregate);
    case 'alias':
      return cx.diag.fail(
        clause === 'order' ? 'UnknownAlias' : 'UnboundVariable',
        `'${e.name}' is not a variable (write $${e.name}) or a return alias`,
        e.pos,
      );
    case 'call':
      return checkCall(cx, e, clause, scope, inAggregate);
  }
}

/** `$name`: a bound variable or a declared parameter. */
function varExpr(
  cx: CheckContext,
  e: Extract<ExprNode, { kind: 'var' }>,
  clause: Clause,
  scope: VarScope,
): IrExpr {
  if (e.name === '_')
    cx.diag.fail(
      'WildcardMisuse',
      "'$_' is the wildcard; it can only be a traversal endpoint",
      e.pos,
    );
  const v = scope.get(e.name);
  if (v?.kind === 'edge')
    cx.diag.fail(
      'EdgeBindingMisuse',
      `'$${e.name}' is bound to a ${v.edge.name} edge: use its properties ($${e.name}.prop), not the edge itself`,
      e.pos,
    );
  if (v) return { kind: 'var', var: e.name, nodeType: v.nodeType };
  const p = cx.params.use(e.name);
  if (p) return { kind: 'param', name: e.name, type: p.type };
  if (clause === 'match' && !cx.notLocals.has(e.name))
    cx.diag.fail(
      'UnknownParameter',
      `'$${e.name}' is neither a declared parameter nor a bound variable`,
      e.pos,
    );
  return unboundVariable(cx, e.name, e.pos);
}

/** `$var.prop`: a property of a bound node variable. */
function propExpr(
  cx: CheckContext,
  e: Extract<ExprNode, { kind: 'prop' }>,
  scope: VarScope,
): IrExpr {
  if (e.var === '_')
    cx.diag.fail('WildcardMisuse', "'$_' is the wildcard; it has no properties", e.pos);
  const v = scope.get(e.var);
  if (!v) {
    if (cx.params.has(e.var))
      cx.diag.fail('TypeMismatch', `'$${e.var}' is a parameter; it has no properties`, e.pos);
    return unboundVariable(cx, e.var, e.pos);
  }
  const { type } =
    v.kind === 'edge'
      ? edgeColumn(cx, v.edge, e.prop, e.propPos)
      : nodeColumn(cx, cx.types.nodeNamed(v.nodeType)!, e.prop, e.propPos);
  return { kind: 'prop', var: e.var, prop: e.prop, type };
}

/** `[a, b, …]`: a list of literals sharing one type. */
function listExpr(
  cx: CheckContext,
  e: Extract<ExprNode, { kind: 'list' }>,
  clause: Clause,
  scope: VarScope,
  inAggregate: boolean,
): IrExpr {
  const items = e.items.map((i) => checkExpr(cx, i, clause, scope, inAggregate));
  if (items.some((i) => i.kind !== 'literal'))
    cx.diag.fail('InvalidValue', 'list literals may only contain literals', e.pos);
  const types = items.map((i) => typeOf(i));
  const el: PropType = (types.find((t) => t.kind === 'scalar') as PropType | undefined) ?? STRING;
  const coerced = items.map((i) => irLiteralAs(i, el));
  const bad = coerced.findIndex((c) => typeof c === 'string');
  if (bad >= 0)
    cx.diag.fail(
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

/** Type-checks `left op right`, coercing literals to the other side's type. */
export function compare(
  cx: CheckContext,
  op: CompareOp,
  left: IrExpr,
  right: IrExpr,
  pos: Pos,
): IrExpr {
  const lt = typeOf(left);
  const rt = typeOf(right);
  const mismatch = (why: string): never =>
    cx.diag.fail(
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
      return { kind: 'compare', op, left, right: coerceOperand(right, el, mismatch) };
    }
    // A String on the left is the string predicate (checkStringPredicate), not a comparison.
    return mismatch('contains needs a list on the left (membership) and an element on the right');
  }
  if (lc === 'node' || rc === 'node') {
    if (lt.kind !== 'node' || rt.kind !== 'node' || lt.type !== rt.type)
      mismatch('a node variable can only be compared with a variable of the same type');
    if (op !== '=' && op !== '!=') mismatch('node variables can only be compared with = or !=');
    return { kind: 'compare', op, left, right };
  }
  // Literals take the other side's type.
  if (left.kind === 'literal' && right.kind !== 'literal' && lt.kind !== 'node') {
    left = coerceOperand(left, rt as PropType, mismatch);
  } else if (right.kind === 'literal' && left.kind !== 'literal') {
    right = coerceOperand(right, lt as PropType, mismatch);
  } else if (lc !== rc) {
    mismatch('the operand types are incompatible');
  }
  if (ORDERING.has(op) && !ORDERED.includes(classOf(typeOf(left)))) {
    mismatch(`${op} needs numbers, strings or dates`);
  }
  return { kind: 'compare', op, left, right };
}

/** The value classes that order (`<`, min, max). */
const ORDERED = ['numeric', 'string', 'temporal'];

function coerceOperand(e: IrExpr, target: PropType, mismatch: (why: string) => never): IrExpr {
  if (e.kind === 'literal' || e.kind === 'list') {
    const lit = irLiteralAs(e, target);
    if (typeof lit === 'string') mismatch(lit);
    return lit;
  }
  const t = typeOf(e);
  if (classOf(t) !== classOf(target)) mismatch('the operand types are incompatible');
  return e;
}

// ── function calls ────────────────────────────────────────────

/** A function call in an expression: known, in a clause its kind allows, with its arity. */
function checkCall(
  cx: CheckContext,
  e: CallNode,
  clause: Clause,
  scope: VarScope,
  inAggregate: boolean,
): IrExpr {
  const fn = functionNamed(e.fn);
  if (fn === undefined)
    return cx.diag.fail(
      'UnknownFunction',
      `unknown function '${e.fn}' (functions: ${FUNCTION_NAMES.join(', ')})`,
      e.pos,
    );
  checkPlacement(cx, e, GQ_FUNCTIONS[fn].kind, clause, inAggregate);
  checkArity(cx, e, fn);
  return CALL_CHECKS[fn](cx, e, clause, scope);
}

/** A text-search filter written as its own match clause (the only place it may be). */
export function checkSearchFilter(
  cx: CheckContext,
  e: CallNode & { fn: SearchFn },
  scope: VarScope,
): IrExpr {
  checkArity(cx, e, e.fn);
  return CALL_CHECKS[e.fn](cx, e, 'match', scope);
}

/** Where a function's kind may appear: aggregates and rankings not in match, nor in an aggregate. */
function checkPlacement(
  cx: CheckContext,
  e: CallNode,
  kind: FnKind,
  clause: Clause,
  inAggregate: boolean,
): void {
  const fn = e.fn;
  switch (kind) {
    case 'aggregate':
      if (clause === 'match')
        cx.diag.fail(
          'AggregateMisuse',
          `${fn}() is an aggregate: use it in return (or order), not in match`,
          e.pos,
        );
      if (inAggregate)
        cx.diag.fail(
          'AggregateMisuse',
          `aggregates cannot be nested (${fn}() inside another aggregate)`,
          e.pos,
        );
      return;
    case 'search':
      return cx.diag.fail(
        'FunctionMisuse',
        `${fn}() is a text-search filter: write it as its own clause in match`,
        e.pos,
      );
    case 'predicate':
      return cx.diag.fail(
        'FunctionMisuse',
        `${fn} is an infix filter: write it in match as a ${fn} b`,
        e.pos,
      );
    case 'ranking':
      if (clause === 'match')
        cx.diag.fail(
          'FunctionMisuse',
          `${fn}() is a ranking function: use it in order or return, not in match`,
          e.pos,
        );
      if (inAggregate) cx.diag.fail('AggregateMisuse', `${fn}() cannot be aggregated`, e.pos);
      return;
    case 'value':
      return;
    default:
      return unhandledFunction(kind);
  }
}

/** The type a function returns (its table row's `result`), given its first argument's type. */
function resultType(fn: FnName, arg?: ValueType): ValueType {
  const result = GQ_FUNCTIONS[fn].result;
  switch (result) {
    case 'rank':
      return { kind: 'rank' };
    case 'argument':
      return arg!;
    case 'sum':
      return arg?.kind === 'scalar' && FLOAT_SCALARS.has(arg.name)
        ? { kind: 'scalar', name: 'F64' }
        : { kind: 'scalar', name: 'I64' };
    default:
      return { kind: 'scalar', name: result };
  }
}

/** A function's own argument rules, once its placement and arity are checked. */
type CallCheck = (cx: CheckContext, e: CallNode, clause: Clause, scope: VarScope) => IrExpr;

/** `count`, `sum`, `avg`, `min`, `max`: the argument of the kind the table names. */
function aggregateCheck(fn: AggregateFn): CallCheck {
  return (cx: CheckContext, e: CallNode, clause: Clause, scope: VarScope) => {
    const arg = checkExpr(cx, e.args[0], clause, scope, true);
    const at = typeOf(arg);
    const want = GQ_FUNCTIONS[fn].args[0];
    if (want === 'number' && classOf(at) !== 'numeric')
      cx.diag.fail(
        'TypeMismatch',
        `${fn}() needs a number, got ${valueTypeText(at)}`,
        e.args[0].pos,
      );
    if (want === 'ordered' && !ORDERED.includes(classOf(at)))
      cx.diag.fail(
        'TypeMismatch',
        `${fn}() needs numbers, strings or dates, got ${valueTypeText(at)}`,
        e.args[0].pos,
      );
    return { kind: 'aggregate', fn, arg, type: resultType(fn, at) };
  };
}

/** `search`, `fuzzy`, `match_text`: a String property, a String query (fuzzy: max edits). */
function searchCheck(fn: SearchFn): CallCheck {
  return (cx: CheckContext, e: CallNode, _clause: Clause, scope: VarScope) => {
    const prop = propArg(cx, e.args[0], scope, fn);
    const pt = typeOf(prop);
    if (classOf(pt) !== 'string')
      cx.diag.fail(
        'TypeMismatch',
        `${fn}() searches text: the property must be a String, got ${valueTypeText(pt)}`,
        e.args[0].pos,
      );
    const q = checkExpr(cx, e.args[1], 'match', scope);
    if (classOf(typeOf(q)) !== 'string')
      cx.diag.fail(
        'TypeMismatch',
        `${fn}() needs a String query, got ${valueTypeText(typeOf(q))}`,
        e.args[1].pos,
      );
    const args = [prop, q];
    if (e.args[2]) args.push(intArg(cx, e.args[2], scope, `${fn}() max edits`));
    return { kind: 'call', fn, args, type: resultType(fn) };
  };
}

/** `a starts_with b`, `a contains b`: two Strings (or enums), positional (a is the haystack). */
function predicateCheck(fn: PredicateFn): CallCheck {
  return (cx: CheckContext, e: CallNode, clause: Clause, scope: VarScope) => {
    const args = e.args.map((a) => checkExpr(cx, a, clause, scope));
    args.forEach((a, i) => {
      const t = typeOf(a);
      if (classOf(t) !== 'string')
        cx.diag.fail(
          'TypeMismatch',
          `${fn} compares strings: its ${i === 0 ? 'left' : 'right'} operand must be a String, got ${valueTypeText(t)}`,
          e.args[i].pos,
        );
    });
    return { kind: 'call', fn, args, type: resultType(fn) };
  };
}

/**
 * A match filter `left starts_with right` or `left contains right` with a String on
 * the left (a list on the left makes `contains` membership: `compare`).
 */
export function checkStringPredicate(
  cx: CheckContext,
  fn: PredicateFn,
  left: ExprNode,
  right: ExprNode,
  pos: Pos,
  scope: VarScope,
): IrExpr {
  return CALL_CHECKS[fn](cx, { kind: 'call', fn, args: [left, right], pos }, 'match', scope);
}

/** `bm25($x.text, query)`: a String property and a String query. */
function bm25Check(cx: CheckContext, e: CallNode, clause: Clause, scope: VarScope): IrExpr {
  const prop = propArg(cx, e.args[0], scope, 'bm25');
  const q = checkExpr(cx, e.args[1], clause, scope);
  const pt = typeOf(prop);
  const qt = typeOf(q);
  if (classOf(pt) !== 'string')
    cx.diag.fail(
      'TypeMismatch',
      `bm25() needs a String property first, got ${valueTypeText(pt)}`,
      e.args[0].pos,
    );
  if (classOf(qt) !== 'string')
    cx.diag.fail(
      'TypeMismatch',
      `bm25() needs a String query, got ${valueTypeText(qt)}`,
      e.args[1].pos,
    );
  return { kind: 'call', fn: 'bm25', args: [prop, q], type: resultType('bm25') };
}

/** `nearest($x.vec, query)`: the query a vector literal, a vector, a list of numbers or a String to embed. */
function nearestCheck(cx: CheckContext, e: CallNode, clause: Clause, scope: VarScope): IrExpr {
  const prop = propArg(cx, e.args[0], scope, 'nearest');
  const q = checkExpr(cx, e.args[1], clause, scope);
  const pt = typeOf(prop);
  const qt = typeOf(q);
  if (pt.kind !== 'vector')
    cx.diag.fail(
      'TypeMismatch',
      `nearest() needs a Vector property first, got ${valueTypeText(pt)}`,
      e.args[0].pos,
    );
  let query = q;
  if (q.kind === 'list' || q.kind === 'literal') {
    const c = irLiteralAs(q, pt);
    if (typeof c === 'string')
      cx.diag.fail('TypeMismatch', `nearest() query vector: ${c}`, e.args[1].pos);
    query = c;
  } else if (
    !(qt.kind === 'vector' && qt.dim === pt.dim) &&
    !(qt.kind === 'scalar' && qt.name === 'String') &&
    !(qt.kind === 'list' && classOf(qt.element) === 'numeric')
  ) {
    cx.diag.fail(
      'TypeMismatch',
      `nearest() compares with a ${valueTypeText(pt)} (or a String embedded at query time), got ${valueTypeText(qt)}`,
      e.args[1].pos,
    );
  }
  return { kind: 'call', fn: 'nearest', args: [prop, query], type: resultType('nearest') };
}

/** `rrf(ranking, ranking[, k])`: reciprocal rank fusion of two rankings. */
function rrfCheck(cx: CheckContext, e: CallNode, clause: Clause, scope: VarScope): IrExpr {
  const rankings = functionsOfKind('ranking').map((f) => `${f}(…)`);
  const args = e.args.map((a, i) => {
    if (i < 2) {
      if (a.kind !== 'call' || !isRankFn(a.fn))
        cx.diag.fail(
          'TypeMismatch',
          `rrf() fuses rankings: its first two arguments must be ${rankings.slice(0, -1).join(', ')} or ${rankings.at(-1)}`,
          a.pos,
        );
      return checkExpr(cx, a, clause, scope);
    }
    return intArg(cx, a, scope, 'rrf() k');
  });
  return { kind: 'call', fn: 'rrf', args, type: resultType('rrf') };
}

/** `date("…")`, `datetime("…")`: a string literal that parses, as a literal of the function's type. */
export function dateLiteral(
  cx: CheckContext,
  e: CallNode,
  fn: 'date' | 'datetime',
): Extract<IrExpr, { kind: 'literal' }> {
  const a = e.args[0];
  if (a.kind !== 'literal' || a.lit.kind !== 'string')
    cx.diag.fail('InvalidValue', `${fn}() takes a string literal`, a.pos);
  const text = (a.lit as { value: string }).value;
  const v = fn === 'date' ? parseDate(text) : parseDateTime(text);
  if (v === null)
    cx.diag.fail(
      'InvalidValue',
      `"${text}" is not a valid ${fn === 'date' ? 'date (YYYY-MM-DD)' : 'ISO-8601 datetime'}`,
      a.pos,
    );
  return { kind: 'literal', value: v, type: resultType(fn) };
}

/** Every function's argument rules: a function without an entry does not compile. */
export const CALL_CHECKS: PerFunction<FnKind, CallCheck> = {
  count: aggregateCheck('count'),
  sum: aggregateCheck('sum'),
  avg: aggregateCheck('avg'),
  min: aggregateCheck('min'),
  max: aggregateCheck('max'),
  search: searchCheck('search'),
  fuzzy: searchCheck('fuzzy'),
  match_text: searchCheck('match_text'),
  starts_with: predicateCheck('starts_with'),
  contains: predicateCheck('contains'),
  nearest: nearestCheck,
  bm25: bm25Check,
  rrf: rrfCheck,
  date: (cx, e) => dateLiteral(cx, e, 'date'),
  datetime: (cx, e) => dateLiteral(cx, e, 'datetime'),
  now: () => ({ kind: 'now', type: resultType('now') }),
};

/** The first argument of a search or ranking: a property `$var.prop`. */
function propArg(cx: CheckContext, a: ExprNode, scope: VarScope, fn: string): IrExpr {
  if (a.kind !== 'prop')
    cx.diag.fail(
      'TypeMismatch',
      `the first argument of ${fn}() must be a property ($var.prop)`,
      a.pos,
    );
  // A ranking ranks nodes (its scores are per node of a table): not an edge's property.
  if (isRankFn(fn) && scope.get(a.var)?.kind === 'edge')
    cx.diag.fail(
      'EdgeBindingMisuse',
      `${fn}() ranks nodes: its property must be a node's, and '$${a.var}' is bound to an edge`,
      a.pos,
    );
  return checkExpr(cx, a, 'return', scope);
}

/** An integer argument (fuzzy's max edits, rrf's k); a literal becomes an I32. */
function intArg(cx: CheckContext, a: ExprNode, scope: VarScope, what: string): IrExpr {
  const e = checkExpr(cx, a, 'match', scope);
  const t = typeOf(e);
  if (!(t.kind === 'scalar' && INT_SCALARS.has(t.name)))
    cx.diag.fail('TypeMismatch', `${what} must be an integer, got ${valueTypeText(t)}`, a.pos);
  if (e.kind === 'literal' && typeof e.value === 'bigint')
    return { kind: 'literal', value: Number(e.value), type: { kind: 'scalar', name: 'I32' } };
  return e;
}
