/** Values written by mutations and matched by key: a literal, parameter or expression typed against a property. */
import type { PropType } from '../schema/types.js';
import type { ExprNode } from './ast.js';
import { checkArity, type CheckContext } from './compile-context.js';
import { dateLiteral } from './compile-expr.js';
import { coerceLiteral } from './compile-literals.js';
import { isFnOfKind, unhandledFunction } from './functions.js';
import type { IrExpr, QueryValue, ValueExpr } from './types.js';
import { paramAssignable, parseDateTime, valueTypeText } from './values.js';

export type ValueMode = 'insert' | 'set' | 'match' | 'where';

/** Where a value goes: the column's type and nullability, the clause, and its name for messages. */
interface ValueSlot {
  target: PropType;
  nullable: boolean;
  mode: ValueMode;
  what: string;
}

/** Inserts and sets write the value: null must fit the column. */
function writes(slot: ValueSlot): boolean {
  return slot.mode === 'insert' || slot.mode === 'set';
}

/**
 * A value assigned to / compared with a column of type `target`. `mode` 'insert'/'set'
 * forbid null for required columns (including optional parameters).
 */
export function valueFor(
  cx: CheckContext,
  e: ExprNode,
  target: PropType,
  nullable: boolean,
  mode: ValueMode,
  what: string,
): ValueExpr {
  const slot: ValueSlot = { target, nullable, mode, what };
  switch (e.kind) {
    case 'var':
      return paramValue(cx, e, slot);
    case 'literal':
      return literalValue(cx, e, slot);
    case 'list':
      return listValue(cx, e, slot);
    case 'call':
      return callValue(cx, e, slot);
    default:
      return cx.diag.fail(
        'InvalidValue',
        `values here are literals, parameters, date(…)/datetime(…) or now()${e.kind === 'prop' ? `; '$${e.var}.${e.prop}' refers to a match variable` : ''}`,
        e.pos,
      );
  }
}

/** `$param`: declared, of an assignable type, and not optional where a value is required. */
function paramValue(
  cx: CheckContext,
  e: Extract<ExprNode, { kind: 'var' }>,
  slot: ValueSlot,
): ValueExpr {
  const { target, nullable, what } = slot;
  if (e.name === '_')
    cx.diag.fail('WildcardMisuse', "'$_' is the wildcard; it is not a value", e.pos);
  const p = cx.params.use(e.name);
  if (!p)
    cx.diag.fail(
      'UnknownParameter',
      `'$${e.name}' is not a declared parameter of query ${cx.diag.query}`,
      e.pos,
    );
  if (!paramAssignable(p.type, target))
    cx.diag.fail(
      'TypeMismatch',
      `parameter '$${e.name}: ${valueTypeText(p.type)}' cannot be used as ${what} (${valueTypeText(target)})`,
      e.pos,
    );
  if (writes(slot) && p.optional && !nullable)
    cx.diag.fail(
      'TypeMismatch',
      `parameter '$${e.name}' is optional but ${what} is required (not nullable)`,
      e.pos,
    );
  return { kind: 'param', name: e.name };
}

/** A literal coerced to the target type; null only where the column is nullable (and never in a match). */
function literalValue(
  cx: CheckContext,
  e: Extract<ExprNode, { kind: 'literal' }>,
  slot: ValueSlot,
): ValueExpr {
  const { target, nullable, mode, what } = slot;
  if (e.lit.kind === 'null') {
    if (writes(slot) && !nullable)
      cx.diag.fail('TypeMismatch', `${what} is required (not nullable) and cannot be null`, e.pos);
    if (mode === 'match')
      cx.diag.fail(
        'TypeMismatch',
        `a property match cannot test for null; use a filter ($v.prop = null)`,
        e.pos,
      );
    return { kind: 'literal', value: null };
  }
  const v = coerceLiteral(e.lit, target);
  if (typeof v === 'object' && v !== null && 'error' in v)
    cx.diag.fail('TypeMismatch', `${what}: ${v.error}`, e.pos);
  return { kind: 'literal', value: v as QueryValue };
}

/** `[…]` of non-null literals for a list or Vector column (a Vector's length is its dimension). */
function listValue(
  cx: CheckContext,
  e: Extract<ExprNode, { kind: 'list' }>,
  slot: ValueSlot,
): ValueExpr {
  const { target, what } = slot;
  const tt = valueTypeText(target);
  if (target.kind !== 'list' && target.kind !== 'vector')
    cx.diag.fail('TypeMismatch', `a list is not a ${tt} (${what})`, e.pos);
  if (target.kind === 'vector' && e.items.length !== target.dim)
    cx.diag.fail(
      'TypeMismatch',
      `${what} is ${tt}; the list has ${e.items.length} elements`,
      e.pos,
    );
  const el: PropType = target.kind === 'list' ? target.element : { kind: 'scalar', name: 'F32' };
  const values = e.items.map((it) => {
    if (it.kind !== 'literal' || it.lit.kind === 'null')
      cx.diag.fail('InvalidValue', 'list values may only contain non-null literals', it.pos);
    const v = coerceLiteral(it.lit, el);
    if (typeof v === 'object' && v !== null && 'error' in v)
      cx.diag.fail('TypeMismatch', `${what}: ${v.error}`, it.pos);
    return v as QueryValue;
  });
  return { kind: 'literal', value: values };
}

/** A `value` function (functions.ts) for a temporal column: `now()`, `date(…)`, `datetime(…)`. */
function callValue(
  cx: CheckContext,
  e: Extract<ExprNode, { kind: 'call' }>,
  slot: ValueSlot,
): ValueExpr {
  const { target, what } = slot;
  const tt = valueTypeText(target);
  const fn = e.fn;
  if (!isFnOfKind(fn, 'value'))
    return cx.diag.fail(
      'InvalidValue',
      `values here are literals, parameters, date(…)/datetime(…) or now(); ${fn}(…) is not allowed`,
      e.pos,
    );
  checkArity(cx, e, fn);
  switch (fn) {
    case 'now':
      if (!(target.kind === 'scalar' && (target.name === 'DateTime' || target.name === 'Date')))
        cx.diag.fail('TypeMismatch', `now() is a DateTime, but ${what} is ${tt}`, e.pos);
      return { kind: 'now' };
    case 'date':
    case 'datetime': {
      const lit = dateLiteral(cx, e, fn);
      const name = (lit.type as { name: string }).name;
      if (!(
        target.kind === 'scalar' &&
        (target.name === name || (name === 'Date' && target.name === 'DateTime'))
      )) {
        cx.diag.fail('TypeMismatch', `${fn}(…) is a ${name}, but ${what} is ${tt}`, e.pos);
      }
      return {
        kind: 'literal',
        value:
          target.kind === 'scalar' && target.name === 'DateTime' && name === 'Date'
            ? parseDateTime(lit.value as string)
            : lit.value,
      };
    }
    default:
      return unhandledFunction(fn);
  }
}

/** A checked value as an IR expression of the column's type (a parameter keeps its declared type). */
export function valueToIr(cx: CheckContext, v: ValueExpr, type: PropType): IrExpr {
  if (v.kind === 'param') return { kind: 'param', name: v.name, type: cx.params.use(v.name)!.type };
  if (v.kind === 'now') return { kind: 'now', type: { kind: 'scalar', name: 'DateTime' } };
  return { kind: 'literal', value: v.value, type: v.value === null ? { kind: 'null' } : type };
}
