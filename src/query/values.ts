/** Value helpers shared by the compiler and `bindParams`: type text, literal coercion. */
import type { PropType, ScalarName } from '../schema/types.js';
import type { ParamType, QueryValue, ValueType } from './types.js';

export const SCALARS: ReadonlySet<string> = new Set<ScalarName>([
  'String',
  'Blob',
  'Bool',
  'I32',
  'I64',
  'U32',
  'U64',
  'F32',
  'F64',
  'Date',
  'DateTime',
]);
export const INT_SCALARS: ReadonlySet<string> = new Set(['I32', 'I64', 'U32', 'U64']);
export const FLOAT_SCALARS: ReadonlySet<string> = new Set(['F32', 'F64']);

export type TypeClass =
  | 'numeric'
  | 'string'
  | 'temporal'
  | 'bool'
  | 'blob'
  | 'vector'
  | 'list'
  | 'node'
  | 'rank'
  | 'null';

export function classOf(t: ValueType): TypeClass {
  switch (t.kind) {
    case 'scalar':
      if (INT_SCALARS.has(t.name) || FLOAT_SCALARS.has(t.name)) return 'numeric';
      if (t.name === 'String') return 'string';
      if (t.name === 'Date' || t.name === 'DateTime') return 'temporal';
      if (t.name === 'Bool') return 'bool';
      return 'blob';
    case 'enum':
      return 'string';
    case 'vector':
      return 'vector';
    case 'list':
      return 'list';
    case 'node':
      return 'node';
    case 'rank':
      return 'rank';
    case 'null':
      return 'null';
  }
}

export function valueTypeText(t: ValueType | ParamType): string {
  switch (t.kind) {
    case 'scalar':
      return t.name;
    case 'vector':
      return `Vector(${t.dim})`;
    case 'enum':
      return `enum(${t.values.join(', ')})`;
    case 'list':
      return `[${valueTypeText(t.element)}]`;
    case 'node':
      return `node ${t.type}`;
    case 'rank':
      return 'rank';
    case 'null':
      return 'null';
  }
}

const INT_RANGES: Record<string, [bigint, bigint]> = {
  I32: [-(2n ** 31n), 2n ** 31n - 1n],
  U32: [0n, 2n ** 32n - 1n],
  I64: [-(2n ** 63n), 2n ** 63n - 1n],
  U64: [0n, 2n ** 64n - 1n],
};

/** Integer text → value of the scalar type, or an error message. */
export function coerceInteger(text: string, name: string): QueryValue | string {
  if (!/^-?\d+$/.test(text)) return `'${text}' is not an integer`;
  const big = BigInt(text);
  if (FLOAT_SCALARS.has(name)) return Number(text);
  const range = INT_RANGES[name];
  if (!range) return `an integer is not a ${name}`;
  if (big < range[0] || big > range[1])
    return `${text} is out of range for ${name} (${range[0]}..${range[1]})`;
  return name === 'I64' || name === 'U64' ? big : Number(big);
}

/**
 * The one coercion rule for integer types, shared by data files, params and the API
 * (docs/writes.md "Coercion"): an integral JSON number (parsed exactly, so 64-bit
 * values beyond 2^53 arrive as bigints) or a bigint; for I64/U64 also a string of
 * decimal digits (what JSON producers without 64-bit numbers write). A string is
 * refused for I32/U32, as the reference engine refuses it. Returns the integer, or
 * why not.
 */
export function jsonInteger(value: unknown, name: string): bigint | string {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return `${value} is not an integer`;
    if (!Number.isSafeInteger(value))
      return `${value} is beyond 2^53 and may have lost digits; write all of the integer's digits`;
    return BigInt(value);
  }
  if (typeof value === 'string' && (name === 'I64' || name === 'U64')) {
    const text = value.trim();
    return /^-?\d+$/.test(text) ? BigInt(text) : `'${value}' is not an integer`;
  }
  return `expected an integer${name === 'I64' || name === 'U64' ? ' (a JSON number or a string of digits)' : ' (a JSON number)'}`;
}

/** The coercion rule for F32/F64: a finite JSON number (an exact big integer too); F32 must fit a float32. */
export function jsonFloat(value: unknown, name: string): number | string {
  const v = typeof value === 'bigint' ? Number(value) : value;
  if (typeof v !== 'number' || !Number.isFinite(v)) return 'expected a finite number';
  if (name === 'F32') {
    const f = Math.fround(v);
    return Number.isFinite(f) ? f : `${v} is out of range for F32`;
  }
  return v;
}

export function parseDate(text: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const d = new Date(`${text}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== text) return null;
  return text;
}

const DATE_TIME =
  /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|([+-])(\d{2}):?(\d{2}))?)?$/;

/**
 * An ISO-8601 date-time (a date, optionally a time `HH:MM[:SS[.fff…]]` after `T` or a
 * space, optionally an offset `Z`/`±HH:MM`/`±HHMM`) → its instant as
 * `Date#toISOString` (milliseconds, UTC); null when it is not one. Every field is
 * checked against the calendar and the clock, as `parseDate` checks a Date: Date.parse
 * alone would roll 2024-02-30 over to March 1st. A value without an offset is UTC, as
 * in the reference engine (Arrow's string → Date64 cast reads it in UTC), never the
 * host's time zone (docs/schema-language.md §Types).
 */
export function parseDateTime(text: string): string | null {
  const m = DATE_TIME.exec(text);
  if (!m || parseDate(m[1]) === null) return null;
  const [, date, hh = '00', mm = '00', ss = '00', fraction = '', , sign, offH, offM] = m;
  if (Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59) return null;
  if (offH !== undefined && (Number(offH) > 23 || Number(offM) > 59)) return null;
  // Canonical ISO text with an explicit offset: Date.parse reads it the same on every host.
  const zone = sign === undefined ? 'Z' : `${sign}${offH}:${offM}`;
  const ms = Date.parse(`${date}T${hh}:${mm}:${ss}${fraction}${zone}`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** Is a parameter of type `p` assignable to a column of type `t`? */
export function paramAssignable(p: ParamType | ValueType, t: PropType): boolean {
  if (t.kind === 'scalar') {
    if (p.kind !== 'scalar') return false;
    if (p.name === t.name) return true;
    if (INT_SCALARS.has(p.name) && (INT_SCALARS.has(t.name) || FLOAT_SCALARS.has(t.name)))
      return true;
    if (FLOAT_SCALARS.has(p.name) && FLOAT_SCALARS.has(t.name)) return true;
    if (p.name === 'Date' && t.name === 'DateTime') return true;
    return false;
  }
  if (t.kind === 'enum')
    return (
      (p.kind === 'scalar' && p.name === 'String') ||
      (p.kind === 'enum' && p.values.every((v) => t.values.includes(v)))
    );
  if (t.kind === 'vector') {
    if (p.kind === 'vector') return p.dim === t.dim;
    return (
      p.kind === 'list' &&
      p.element.kind === 'scalar' &&
      (FLOAT_SCALARS.has(p.element.name) || INT_SCALARS.has(p.element.name))
    );
  }
  // list
  return p.kind === 'list' && paramAssignable(p.element, t.element);
}
