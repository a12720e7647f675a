/**
 * Node columns as typed arrays, for vectorised aggregates: a column of strings,
 * enums, booleans, dates or datetimes as dictionary codes (`Uint32Array`, 0 = null,
 * code k = dict[k − 1]); a 32-bit integer or float column as a `Float64Array` with a
 * validity mask. Made either from Arrow chunks straight from Lance (a cold read: UTF-8
 * bytes are interned, no JS string per row) or once from a cached column of query
 * values (a warm read), then kept.
 */
import type { PropType } from '../schema/types.js';
import type { QueryValue } from '../query/types.js';
import type { RawChunk } from '../storage/index.js';
import { Interner } from './id-dictionary.js';
import { toQueryValue } from './values.js';

export type TypedColumn =
  | { kind: 'codes'; codes: Uint32Array; dict: QueryValue[] }
  | { kind: 'numbers'; values: Float64Array; valid: Uint8Array | null };

const NUMBERS = new Set(['I32', 'U32', 'F32', 'F64']);
const CODED = new Set(['String', 'Bool', 'Date', 'DateTime']);

/** The typed form a property's type takes, or null (lists, vectors, blobs, 64-bit integers). */
export function typedKind(type: PropType): TypedColumn['kind'] | null {
  if (type.kind === 'enum') return 'codes';
  if (type.kind !== 'scalar') return null;
  if (NUMBERS.has(type.name)) return 'numbers';
  return CODED.has(type.name) ? 'codes' : null;
}

export function typedBytes(c: TypedColumn): number {
  let n = 64;
  if (c.kind === 'numbers') n += c.values.byteLength + (c.valid?.byteLength ?? 0);
  else {
    n += c.codes.byteLength;
    for (const v of c.dict) n += typeof v === 'string' ? 40 + 2 * v.length : 16;
  }
  return n;
}

/** Codes of primitive values (first-seen order), null → 0. */
function codesOf(values: ArrayLike<QueryValue>): TypedColumn {
  const codes = new Uint32Array(values.length);
  const dict: QueryValue[] = [];
  const seen = new Map<unknown, number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) continue;
    let c = seen.get(v);
    if (c === undefined) {
      c = dict.push(v);
      seen.set(v, c);
    }
    codes[i] = c;
  }
  return { kind: 'codes', codes, dict };
}

const cachedFromValues = new WeakMap<QueryValue[], TypedColumn>();

/** The typed form of a column of query values (kept with the array). */
export function typedFromValues(values: QueryValue[], type: PropType): TypedColumn | null {
  const kind = typedKind(type);
  if (!kind) return null;
  let c = cachedFromValues.get(values);
  if (c) return c;
  if (kind === 'codes') c = codesOf(values);
  else {
    const out = new Float64Array(values.length);
    let valid: Uint8Array | null = null;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) (valid ??= new Uint8Array(values.length).fill(1))[i] = 0;
      else out[i] = Number(v);
    }
    c = { kind: 'numbers', values: out, valid };
  }
  cachedFromValues.set(values, c);
  return c;
}

const isValid = (c: { valid: Uint8Array | null; bitOffset: number }, i: number): boolean =>
  c.valid === null || (c.valid[(c.bitOffset + i) >> 3] & (1 << ((c.bitOffset + i) & 7))) !== 0;

/** UTF-8 chunks as codes: the bytes interned, one decode per distinct value. */
function codesOfUtf8(
  chunks: Array<Extract<RawChunk, { kind: 'utf8' }>>,
  rows: number,
): TypedColumn {
  const interner = new Interner();
  const codes = new Uint32Array(rows);
  let at = 0;
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++, at++)
      if (isValid(c, i)) codes[at] = interner.intern(c.bytes, c.offsets[i], c.offsets[i + 1]) + 1;
  }
  return { kind: 'codes', codes, dict: [...interner.ids()] };
}

/** A column read raw from Lance in its typed form, or null when its type has none. */
export function typedFromChunks(
  chunks: RawChunk[],
  type: PropType,
  rows: number,
): TypedColumn | null {
  const kind = typedKind(type);
  if (!kind) return null;
  if (kind === 'codes' && chunks.every((c) => c.kind === 'utf8'))
    return codesOfUtf8(chunks as Array<Extract<RawChunk, { kind: 'utf8' }>>, rows);
  if (kind === 'numbers' && chunks.every((c) => c.kind === 'number')) {
    const values = new Float64Array(rows);
    let valid: Uint8Array | null = null;
    let at = 0;
    for (const c of chunks as Array<Extract<RawChunk, { kind: 'number' }>>) {
      values.set(c.values.subarray(0, c.length), at);
      if (c.valid)
        for (let i = 0; i < c.length; i++)
          if (!isValid(c, i)) (valid ??= new Uint8Array(rows).fill(1))[at + i] = 0;
      at += c.length;
    }
    return { kind: 'numbers', values, valid };
  }
  // Anything else (booleans, dates, datetimes): per value, as the scan would convert it.
  const values: QueryValue[] = [];
  for (const c of chunks) {
    if (c.kind === 'values') for (const v of c.values) values.push(toQueryValue(type, v));
    else return null;
  }
  return typedFromValues(values, type);
}
