/**
 * Values inside the executor: storage forms converted once to the query engine's
 * representation (QueryValue), and the comparison rules of the language (a
 * comparison with null is false; numbers compare across int/float/bigint; dates
 * compare with datetimes as UTC midnight).
 */
import type { PropType } from '../schema/types.js';
import type { QueryValue } from '../query/types.js';

/** A storage value (Date objects, arrays, typed arrays) as a QueryValue of the column's type. */
export function toQueryValue(type: PropType, v: unknown): QueryValue {
  if (v === null || v === undefined) return null;
  switch (type.kind) {
    case 'scalar':
      switch (type.name) {
        case 'Date':
          return v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10);
        case 'DateTime':
          return v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
        case 'I64':
        case 'U64':
          return typeof v === 'bigint' ? v : BigInt(v as number);
        case 'I32':
        case 'U32':
        case 'F32':
        case 'F64':
          return Number(v);
        case 'Blob':
          return v instanceof Uint8Array ? v : new Uint8Array(v as ArrayLike<number>);
        default:
          return v as QueryValue;
      }
    case 'enum':
      return String(v);
    case 'vector':
      return Array.from(v as ArrayLike<number>, Number);
    case 'list':
      return Array.from(v as Iterable<unknown>, (x) => toQueryValue(type.element, x));
  }
}

/** Rough heap bytes of a value, for the cache bound. */
export function valueBytes(v: unknown): number {
  if (v === null || v === undefined) return 8;
  if (typeof v === 'string') return 40 + 2 * v.length;
  if (typeof v === 'number' || typeof v === 'boolean') return 8;
  if (typeof v === 'bigint') return 24;
  if (v instanceof Uint8Array) return 64 + v.byteLength;
  if (Array.isArray(v)) {
    let n = 32;
    for (const x of v) n += valueBytes(x);
    return n;
  }
  return 64;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A temporal string on one scale: a Date as its UTC midnight. */
function temporal(s: string): string {
  return DATE_ONLY.test(s) ? `${s}T00:00:00.000Z` : s;
}

function bytesCompare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * Orders two non-null values of one comparison class: <0, 0, >0, or null when
 * they are not comparable (never for well-typed queries). `temporal` puts dates and
 * datetimes on one scale.
 */
export function compareValues(a: unknown, b: unknown, isTemporal = false): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (typeof a === 'string' && typeof b === 'string') {
    const x = isTemporal ? temporal(a) : a;
    const y = isTemporal ? temporal(b) : b;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (
    (typeof a === 'number' || typeof a === 'bigint') &&
    (typeof b === 'number' || typeof b === 'bigint')
  )
    return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof Uint8Array && b instanceof Uint8Array) return bytesCompare(a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = compareValues(a[i], b[i], isTemporal);
      if (c === null) return null;
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (typeof a === 'object' && typeof b === 'object' && 'id' in a && 'id' in b)
    return compareValues((a as { id: unknown }).id, (b as { id: unknown }).id);
  return null;
}

/** A canonical string of a value, for grouping and membership. */
export function keyOf(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint' || typeof v === 'number') return `n:${v}`;
  if (typeof v === 'string') return `s:${v}`;
  if (typeof v === 'boolean') return `b:${v}`;
  if (v instanceof Uint8Array) return `x:${Buffer.from(v).toString('base64')}`;
  if (Array.isArray(v)) return `[${v.map(keyOf).join(',')}]`;
  if (typeof v === 'object' && 'id' in v) return `node:${String((v as { id: unknown }).id)}`;
  return `?:${String(v)}`;
}
