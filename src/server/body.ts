/**
 * Request bodies (`application/json`), parsed as the CLI parses its files: the bytes
 * must be UTF-8 (`load`'s `DataFileError`, rule `encoding`, instead of U+FFFD stored
 * in their place), and the JSON is parsed with `parseJsonExact`, so a 64-bit integer in
 * `/change` params arrives to the last digit. Keys that would reach an object's
 * prototype are refused, as fastify's own parser refuses them.
 */
import { isUtf8 } from 'node:buffer';
import { DataFileError, parseJsonExact } from '../index.js';
import { HttpError } from './errors.js';

export const REQUEST_FILE = '<request>';
const NEWLINE = 0x0a;

/** The 1-based line of the first invalid UTF-8 byte (the body is known to have one). */
function invalidLine(body: Buffer): number {
  let line = 1;
  for (let start = 0; start < body.length; line++) {
    const end = body.indexOf(NEWLINE, start);
    const stop = end === -1 ? body.length : end;
    if (!isUtf8(body.subarray(start, stop))) return line;
    start = stop + 1;
  }
  return line;
}

/** `__proto__` anywhere, or `constructor.prototype`: what prototype poisoning needs. */
function poisoningKey(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (const v of value as unknown[]) {
      const found = poisoningKey(v);
      if (found) return found;
    }
    return null;
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (key === '__proto__') return key;
    const v = obj[key];
    if (key === 'constructor' && typeof v === 'object' && v !== null && 'prototype' in v)
      return 'constructor.prototype';
    const found = poisoningKey(v);
    if (found) return found;
  }
  return null;
}

/** A JSON request body → its value; a typed 400 when it is not UTF-8 JSON. */
export function parseJsonBody(body: Buffer): unknown {
  if (!isUtf8(body))
    throw new DataFileError('is not valid UTF-8 text', {
      file: REQUEST_FILE,
      line: invalidLine(body),
      field: '$',
      rule: 'encoding',
    });
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '')
    throw new HttpError('InvalidRequest', 'body: empty, but content-type is application/json', {
      field: 'body',
    });
  let value: unknown;
  try {
    value = parseJsonExact(text);
  } catch (err) {
    throw new HttpError('InvalidRequest', `body: not valid JSON: ${(err as Error).message}`, {
      field: 'body',
    });
  }
  // Only texts that name such a key are walked.
  const poisoned =
    text.includes('__proto__') || text.includes('constructor') ? poisoningKey(value) : null;
  if (poisoned !== null)
    throw new HttpError('InvalidRequest', `body: the key '${poisoned}' is not allowed`, {
      field: 'body',
    });
  return value;
}
