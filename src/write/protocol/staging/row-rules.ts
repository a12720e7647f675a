/**
 * Per-row rules of staging (docs/writes.md §Staging and validation): a row is coerced to its
 * type's properties (unknown fields, types, required, enums) and checked against
 * @range and @check as it is staged, before any other row is looked at. Shared by
 * staging (putNode/putEdge/updateRow) and, through it, a chunked load.
 */
import type { TypeDef } from '../../../schema/types.js';
import { ValidationError } from '../errors.js';
import { coerceProperty, CoercionFailure } from './values.js';
import type { Row } from './pending-rows.js';
import type { RowOrigin } from './staged-tables.js';

/** Per type, its property names (the unknown-field check runs once per staged row). */
const propertyNames = new WeakMap<TypeDef, Set<string>>();
function propertyNamesOf(def: TypeDef): Set<string> {
  let names = propertyNames.get(def);
  if (!names) propertyNames.set(def, (names = new Set(def.properties.map((p) => p.name))));
  return names;
}

/** @check patterns compiled once, not once per row. */
const checkPatterns = new Map<string, RegExp>();
function checkPattern(pattern: string): RegExp {
  let re = checkPatterns.get(pattern);
  if (!re) checkPatterns.set(pattern, (re = new RegExp(pattern, 'u')));
  return re;
}

/** A rule violation of `def`'s row `id` (field and rule named), with the row's origin. */
export function validationError(
  def: TypeDef,
  id: string | undefined,
  field: string | undefined,
  rule: string,
  message: string,
  origin: RowOrigin = {},
): ValidationError {
  return new ValidationError(message, {
    table: def.tableKey,
    ...(id !== undefined ? { id } : {}),
    ...(field ? { field } : {}),
    rule,
    ...origin,
  });
}

/**
 * Coerces `data` into `row` (every property of `def` present, null when absent) and
 * returns it; `skip` names a field of `data` that is not a property (a node's `id`).
 */
export function coerceRow(
  def: TypeDef,
  data: Record<string, unknown>,
  id: string | undefined,
  origin: RowOrigin,
  row: Row = {},
  skip?: string,
): Row {
  const names = propertyNamesOf(def);
  for (const key in data) {
    if (!names.has(key) && key !== skip) {
      throw validationError(
        def,
        id,
        key,
        'unknown_field',
        `'${key}' is not a property of ${def.name} (properties: ${def.properties.map((p) => p.name).join(', ') || 'none'})`,
        origin,
      );
    }
  }
  for (const p of def.properties) {
    try {
      row[p.name] = coerceProperty(p, data[p.name]);
    } catch (err) {
      if (err instanceof CoercionFailure)
        throw validationError(def, id, p.name, err.rule, err.message, origin);
      throw err;
    }
  }
  checkRowRules(def, row, id, origin);
  return row;
}

function checkRowRules(def: TypeDef, row: Row, id: string | undefined, origin: RowOrigin): void {
  for (const r of def.constraints.range) {
    const v = row[r.property];
    if (v === null || v === undefined) continue;
    const n = Number(v as number | bigint);
    if ((r.min !== null && n < r.min) || (r.max !== null && n > r.max)) {
      throw validationError(
        def,
        id,
        r.property,
        'range',
        `${String(v)} is outside @range(${r.min ?? ''}..${r.max ?? ''})`,
        origin,
      );
    }
  }
  for (const c of def.constraints.check) {
    const v = row[c.property];
    if (v === null || v === undefined) continue;
    const re = checkPattern(c.pattern);
    for (const s of Array.isArray(v) ? v : [v]) {
      if (typeof s === 'string' && !re.test(s))
        throw validationError(
          def,
          id,
          c.property,
          'check',
          `${JSON.stringify(s)} does not match @check("${c.pattern}")`,
          origin,
        );
    }
  }
}
