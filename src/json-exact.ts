/**
 * JSON that keeps every number exact (data files, params, request bodies, export).
 *
 * `JSON.parse` turns 9223372036854775807 into 9223372036854775808: a 64-bit integer
 * beyond 2^53 loses digits before any type is known. `parseJsonExact` keeps
 * `JSON.parse`'s speed and its error messages and changes only those integers, which
 * come back as bigints; every other number stays a JS number:
 *
 * 1. One regex pass finds the integer tokens of 16+ digits that stand where a JSON
 *    value can (after `[`, `,`, `:` or whitespace; before `,`, `]`, `}` or whitespace).
 *    Floats (`0.12345678901234567`, what every embedding vector holds), exponents
 *    and integers up to 2^53 − 1 are not candidates: most texts stop here and are
 *    parsed by `JSON.parse` alone.
 * 2. A candidate inside a string (`"+1 4155550000000000"`) is dropped: the quotes
 *    before it are counted, only up to the last candidate.
 * 3. The remaining tokens are rewritten as marked strings, the text is parsed by
 *    `JSON.parse`, and one walk turns the marked strings back into bigints. A mark
 *    that lands on an object key means the text was not JSON (a number is not a key):
 *    the original text's `JSON.parse` error is thrown.
 *
 * Before, a single run of 16 digits anywhere sent the whole text through
 * `lossless-json`: 3–10× the time of `JSON.parse` on a 50 MB line (docs/performance.md
 * "Exact JSON"). Duplicate keys: the last wins, as in `JSON.parse`.
 */
import { stringify } from 'lossless-json';

/**
 * An integer of 16+ digits (group 1) not right after a digit, a '.' or a '-' (group 0
 * includes that one character before it): the fraction of a float, what every
 * embedding vector holds, is skipped by the regex itself. Whether the integer stands
 * where a JSON value can is checked on the characters around it.
 */
const LONG_INTEGER = /(?:^|[^.\d-])(-?[1-9]\d{15,})/g;
const MAX_SAFE_DIGITS = String(Number.MAX_SAFE_INTEGER);
const QUOTE = '"';
const BACKSLASH = 92;
/** What may come before a value (`[`, `,`, `:`, JSON whitespace) and after one (`,`, `]`, `}`, whitespace). */
const BEFORE_VALUE = new Set([0x5b, 0x2c, 0x3a, 0x20, 0x09, 0x0a, 0x0d]);
const AFTER_VALUE = new Set([0x2c, 0x5d, 0x7d, 0x20, 0x09, 0x0a, 0x0d]);

function beyondSafe(token: string): boolean {
  const digits = token.charCodeAt(0) === 45 ? token.slice(1) : token;
  return (
    digits.length > MAX_SAFE_DIGITS.length ||
    (digits.length === MAX_SAFE_DIGITS.length && digits > MAX_SAFE_DIGITS)
  );
}

/** The start offsets and texts of the integer tokens beyond 2^53 − 1 in value position. */
function unsafeIntegers(text: string): Array<{ at: number; token: string }> {
  const out: Array<{ at: number; token: string }> = [];
  LONG_INTEGER.lastIndex = 0;
  for (let m = LONG_INTEGER.exec(text); m !== null; m = LONG_INTEGER.exec(text)) {
    const token = m[1];
    const end = m.index + m[0].length;
    const at = end - token.length;
    // After a letter (an exponent) or inside a word, or followed by more than a delimiter: not a token.
    if (at > 0 && !BEFORE_VALUE.has(text.charCodeAt(at - 1))) continue;
    if (end < text.length && !AFTER_VALUE.has(text.charCodeAt(end))) continue;
    if (beyondSafe(token)) out.push({ at, token });
  }
  return out;
}

/** The tokens that are not inside a string, counting the unescaped quotes before each. */
function outsideStrings<T extends { at: number }>(text: string, tokens: T[]): T[] {
  const out: T[] = [];
  let inString = false;
  let from = 0;
  for (const t of tokens) {
    for (let q = text.indexOf(QUOTE, from); q !== -1 && q < t.at; q = text.indexOf(QUOTE, q + 1)) {
      if (inString) {
        let backslashes = 0;
        for (let b = q - 1; text.charCodeAt(b) === BACKSLASH; b--) backslashes++;
        if (backslashes % 2 === 0) inString = false;
      } else inString = true;
      from = q + 1;
    }
    if (!inString) out.push(t);
  }
  return out;
}

/** A prefix no string of `text` can start with once parsed: a NUL (escaped in JSON) and a tag. */
function markFor(text: string): { json: string; parsed: string } {
  for (let n = 0; ; n++) {
    const tag = `lancelog${n}:`;
    if (!text.includes(`u0000${tag}`)) return { json: `\\u0000${tag}`, parsed: `\u0000${tag}` };
  }
}

/** The walk that turns marked strings back into bigints; `found` counts them. */
interface Revival {
  mark: string;
  found: number;
}

/** `v` with every marked string in it (in place) replaced by its bigint. */
function revive(v: unknown, r: Revival): unknown {
  if (typeof v === 'string') {
    if (!v.startsWith(r.mark)) return v;
    r.found++;
    return BigInt(v.slice(r.mark.length));
  }
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === 'object' || typeof x === 'string') v[i] = revive(x, r);
    }
    return v;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) {
    const x = o[k];
    if (typeof x !== 'object' && typeof x !== 'string') continue;
    const y = revive(x, r);
    if (y === x) continue;
    // An own "__proto__" key (JSON.parse makes one) must stay a key, not a prototype.
    if (k === '__proto__')
      Object.defineProperty(o, k, {
        value: y,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else o[k] = y;
  }
  return o;
}

/** Parses JSON text; integers beyond 2^53 come back as bigints. Throws JSON.parse's SyntaxError. */
export function parseJsonExact(text: string): unknown {
  const tokens = outsideStrings(text, unsafeIntegers(text));
  if (tokens.length === 0) return JSON.parse(text);
  const mark = markFor(text);
  const parts: string[] = [];
  let at = 0;
  for (const t of tokens) {
    parts.push(text.slice(at, t.at), QUOTE, mark.json, t.token, QUOTE);
    at = t.at + t.token.length;
  }
  parts.push(text.slice(at));
  let parsed: unknown;
  try {
    parsed = JSON.parse(parts.join(''));
  } catch {
    return JSON.parse(text); // throws the error of the text as given
  }
  const revival: Revival = { mark: mark.parsed, found: 0 };
  const value = revive(parsed, revival);
  if (revival.found !== tokens.length) return JSON.parse(text); // a number as a key: not JSON
  return value;
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
