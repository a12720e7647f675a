/**
 * Literals: a source literal as IR, and a literal coerced to a column's type. Pure
 * functions of the literal and the target type; a failure is returned as a message
 * for the caller to raise where it points.
 */
import type { PropType } from '../schema/types.js';
import type { LiteralNode } from './ast.js';
import { STRING } from './compile-context.js';
import type { IrExpr, QueryValue } from './types.js';
import {
  FLOAT_SCALARS,
  INT_SCALARS,
  coerceInteger,
  parseDate,
  parseDateTime,
  valueTypeText,
} from './values.js';

/** A literal as IR, typed by its form: an integer is I64 (F64 when it does not fit), a decimal F64. */
export function literalIr(lit: LiteralNode): IrExpr {
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

/** Re-coerces a literal IR expression to `target`; returns an error message on failure. */
export function irLiteralAs(e: IrExpr, target: PropType): IrExpr | string {
  if (e.kind === 'list') return listLiteralAs(e, target);
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
  const v = coerceLiteral(lit, target);
  if (typeof v === 'object' && v !== null && 'error' in v) return v.error;
  return { kind: 'literal', value: v as QueryValue, type: target };
}

/** A list literal as a list or Vector of `target`'s element type. */
function listLiteralAs(e: Extract<IrExpr, { kind: 'list' }>, target: PropType): IrExpr | string {
  if (target.kind !== 'list' && target.kind !== 'vector')
    return `a list literal is not a ${valueTypeText(target)}`;
  const el: PropType = target.kind === 'list' ? target.element : { kind: 'scalar', name: 'F32' };
  if (target.kind === 'vector' && e.items.length !== target.dim)
    return `the vector literal has ${e.items.length} elements, ${valueTypeText(target)} needs ${target.dim}`;
  const items: IrExpr[] = [];
  for (const it of e.items) {
    const c = irLiteralAs(it, el);
    if (typeof c === 'string') return c;
    items.push(c);
  }
  return {
    kind: 'literal',
    value: items.map((i) => (i as { value: QueryValue }).value),
    type: target,
  };
}

/** A literal source value as a value of `target`, or {error}. */
export function coerceLiteral(lit: LiteralNode, target: PropType): QueryValue | { error: string } {
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
    case 'string':
      return coerceString(lit.value, target);
  }
}

function coerceString(value: string, target: PropType): QueryValue | { error: string } {
  const tt = valueTypeText(target);
  if (target.kind === 'enum') {
    return target.values.includes(value) ? value : { error: `"${value}" is not one of ${tt}` };
  }
  if (target.kind !== 'scalar') return { error: `a string is not a ${tt}` };
  if (target.name === 'String') return value;
  if (target.name === 'Date')
    return parseDate(value) ?? { error: `"${value}" is not a Date (YYYY-MM-DD)` };
  if (target.name === 'DateTime')
    return parseDateTime(value) ?? { error: `"${value}" is not an ISO-8601 DateTime` };
  return { error: `a string is not a ${tt}` };
}
