/** Values written by mutations and matched by key: a literal, parameter or expression typed against a property. */
import type { PropType } from '../schema/types.js';
import type { ExprNode } from './ast.js';
import type { IrExpr, QueryValue, ValueExpr } from './types.js';
import { paramAssignable, parseDateTime, valueTypeText } from './values.js';
import { ExprCompiler } from './compile-expr.js';

export abstract class ValueCompiler extends ExprCompiler {
  /**
   * A value assigned to / compared with a column of type `target`. `mode` 'insert'/'set'
   * forbid null for required columns (including optional parameters).
   */
  protected valueFor(
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

  protected valueToIr(v: ValueExpr, type: PropType): IrExpr {
    if (v.kind === 'param')
      return { kind: 'param', name: v.name, type: this.params.get(v.name)!.type };
    if (v.kind === 'now') return { kind: 'now', type: { kind: 'scalar', name: 'DateTime' } };
    return { kind: 'literal', value: v.value, type: v.value === null ? { kind: 'null' } : type };
  }
}
