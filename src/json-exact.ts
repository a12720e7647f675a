/**
 * JSON that keeps every number exact (data files, params, export).
 *
 * `JSON.parse` turns 9223372036854775807 into 9223372036854775808: a 64-bit integer
 * beyond 2^53 loses digits before any type is known. Lines are parsed with
 * `JSON.parse` (fast, and its error messages) and parsed again with `lossless-json`
 * only when they hold a run of 16+ digits, where integers beyond 2^53 become
 * bigints; every other number stays a JS number. `lossless-json` (not `json-bigint`):
 * maintained, typed, ESM, with a number hook and a duplicate-key hook (kept as
 * `JSON.parse` does: the last wins).
 */
import { isInteger, isSafeNumber, parse, stringify } from 'lossless-json';

const LONG_DIGITS = /\d{16}/;

function parseNumber(text: string): number | bigint {
  return !isSafeNumber(text) && isInteger(text) ? BigInt(text) : Number(text);
}

/** Parses JSON text; integers beyond 2^53 come back as bigints. Throws JSON.parse's SyntaxError. */
export function parseJsonExact(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (!LONG_DIGITS.test(text)) return value;
  return parse(text, null, {
    parseNumber,
    onDuplicateKey: ({ newValue }) => newValue,
  });
}

function needsExact(v: unknown): boolean {
  if (typeof v === 'bigint') return true;
  if (typeof v === 'number') return Object.is(v, -0);
  if (Array.isArray(v)) return v.some(needsExact);
  if (typeof v === 'object' && v !== null)
    return Object.values(v as Record<string, unknown>).some(needsExact);
  return false;
}

const NEGATIVE_ZERO = [
  { test: (v: unknown) => typeof v === 'number' && Object.is(v, -0), stringify: () => '-0' },
];

/**
 * JSON text of a value in which bigints are written as JSON numbers (all digits) and
 * -0 as `-0`, which `JSON.stringify` refuses and writes as `0` respectively.
 */
export function stringifyJsonExact(value: unknown): string {
  if (!needsExact(value)) return JSON.stringify(value);
  return stringify(value, null, undefined, NEGATIVE_ZERO) ?? 'null';
}

/**
 * The shortest decimal that reads back as the same float32: 0.9 stored in an F32
 * column reads as 0.8999999761581421 (the float32 nearest 0.9, widened); this gives
 * back 0.9. Non-finite values pass through.
 */
export function shortestFloat32(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const f = Math.fround(v);
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return Number(f.toPrecision(9));
}
