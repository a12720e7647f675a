/** Values written by mutations and matched by key: a literal, parameter or expression typed against a property. */
import type { PropType } from '../schema/types.js';
import type { ExprNode } from './ast.js';
import type { IrExpr, QueryValue, ValueExpr } from './types.js';
import { paramAssignable, parseDateTime, valueTypeText } from './values.js';
import { ExprCompiler } from './compile-expr.js';

type ValueMode = 'insert' | 'set' | 'match' | 'where';

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

export abstract class ValueCompiler extends ExprCompiler {
  /**
   * A value assigned to / compared with a column of type `target`. `mode` 'insert'/'set'
   * forbid null for required columns (including optional parameters).
   */
  protected valueFor(
    e: ExprNode,
    target: PropType,
    nullable: boolean,
    mode: ValueMode,
    what: string,
  ): ValueExpr {
    const slot: ValueSlot = { target, nullable, mode, what };
    switch (e.kind) {
      case 'var':
        return this.paramValue(e, slot);
      case 'literal':
        return this.literalValue(e, slot);
      case 'list':
        return this.listValue(e, slot);
      case 'call':
        return this.callValue(e, slot);
      default:
        return this.error(
          'InvalidValue',
          `values here are literals, parameters, date(…)/datetime(…) or now()${e.kind === 'prop' ? `; '$${e.var}.${e.prop}' refers to a match variable` : ''}`,
          e.pos,
        );
    }
  }

  /** `$param`: declared, of an assignable type, and not optional where a value is required. */
  private paramValue(e: Extract<ExprNode, { kind: 'var' }>, slot: ValueSlot): ValueExpr {
    const { target, nullable, what } = slot;
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
        `parameter '$${e.name}: ${valueTypeText(p.type)}' cannot be used as ${what} (${valueTypeText(target)})`,
        e.pos,
      );
    if (writes(slot) && p.optional && !nullable)
      this.error(
        'TypeMismatch',
        `parameter '$${e.name}' is optional but ${what} is required (not nullable)`,
        e.pos,
      );
    return { kind: 'param', name: e.name };
  }

  /** A literal coerced to the target type; null only where the column is nullable (and never in a match). */
  private literalValue(e: Extract<ExprNode, { kind: 'literal' }>, slot: ValueSlot): ValueExpr {
    const { target, nullable, mode, what } = slot;
    if (e.lit.kind === 'null') {
      if (writes(slot) && !nullable)
        this.error('TypeMismatch', `${what} is required (not nullable) and cannot be null`, e.pos);
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

  /** `[…]` of non-null literals for a list or Vector column (a Vector's length is its dimension). */
  private listValue(e: Extract<ExprNode, { kind: 'list' }>, slot: ValueSlot): ValueExpr {
    const { target, what } = slot;
    const tt = valueTypeText(target);
    if (target.kind !== 'list' && target.kind !== 'vector')
      this.error('TypeMismatch', `a list is not a ${tt} (${what})`, e.pos);
    if (target.kind === 'vector' && e.items.length !== target.dim)
      this.error(
        'TypeMismatch',
        `${what} is ${tt}; the list has ${e.items.length} elements`,
        e.pos,
      );
    const el: PropType = target.kind === 'list' ? target.element : { kind: 'scalar', name: 'F32' };
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

  /** `now()`, `date(…)`, `datetime(…)` for a temporal column; no other call is a value. */
  private callValue(e: Extract<ExprNode, { kind: 'call' }>, slot: ValueSlot): ValueExpr {
    const { target, what } = slot;
    const tt = valueTypeText(target);
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

  protected valueToIr(v: ValueExpr, type: PropType): IrExpr {
    if (v.kind === 'param')
      return { kind: 'param', name: v.name, type: this.params.get(v.name)!.type };
    if (v.kind === 'now') return { kind: 'now', type: { kind: 'scalar', name: 'DateTime' } };
    return { kind: 'literal', value: v.value, type: v.value === null ? { kind: 'null' } : type };
  }
}
