/**
 * `bindParams`: validates and coerces runtime parameters (parsed JSON) against a
 * compiled query's declared parameter types. Pure; the representation of each type is
 * documented on `QueryValue` (types.ts).
 */
import { ParamError } from './errors.js';
import type { ParamInfo, ParamType, QueryPlan, QueryValue } from './types.js';
import {
  FLOAT_SCALARS,
  INT_SCALARS,
  coerceInteger,
  jsonFloat,
  jsonInteger,
  parseDate,
  parseDateTime,
  valueTypeText,
} from './values.js';
import { parseJsonExact } from '../json-exact.js';

type Fail = (why: string) => never;

function coerce(
  value: unknown,
  type: ParamType | { kind: 'scalar'; name: string },
  fail: Fail,
): QueryValue {
  if (type.kind === 'vector') {
    if (!Array.isArray(value)) fail(`expected an array of ${type.dim} numbers`);
    if (value.length !== type.dim) fail(`expected ${type.dim} numbers, got ${value.length}`);
    return value.map((x, i) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) fail(`element ${i} is not a finite number`);
      return x;
    });
  }
  if (type.kind === 'list') {
    if (!Array.isArray(value)) fail('expected a JSON array');
    return value.map((x, i) => {
      if (x === null) fail(`element ${i} is null (list elements cannot be null)`);
      return coerce(x, type.element, (why) => fail(`element ${i}: ${why}`));
    });
  }
  const name = type.name;
  if (INT_SCALARS.has(name)) {
    const big = jsonInteger(value, name);
    if (typeof big === 'string')
      fail(big.startsWith('expected') ? `${big}, got ${describe(value)}` : big);
    const v = coerceInteger(String(big), name);
    if (typeof v === 'string') fail(v);
    return v;
  }
  if (FLOAT_SCALARS.has(name)) {
    const v = jsonFloat(value, name);
    if (typeof v === 'string') fail(v.startsWith('expected') ? `${v}, got ${describe(value)}` : v);
    return v;
  }
  switch (name) {
    case 'String':
      if (typeof value !== 'string') fail(`expected a string, got ${describe(value)}`);
      return value;
    case 'Bool':
      if (typeof value !== 'boolean') fail(`expected true or false, got ${describe(value)}`);
      return value;
    case 'Date': {
      if (typeof value !== 'string')
        fail(`expected a date string "YYYY-MM-DD", got ${describe(value)}`);
      return parseDate(value) ?? fail(`"${value}" is not a valid date (YYYY-MM-DD)`);
    }
    case 'DateTime': {
      if (typeof value !== 'string')
        fail(`expected an ISO-8601 datetime string, got ${describe(value)}`);
      return parseDateTime(value) ?? fail(`"${value}" is not a valid ISO-8601 datetime`);
    }
    case 'Blob': {
      if (
        typeof value !== 'string' ||
        !/^[A-Za-z0-9+/]*={0,2}$/.test(value) ||
        value.length % 4 !== 0
      )
        fail(`expected a base64 string, got ${describe(value)}`);
      return new Uint8Array(Buffer.from(value, 'base64'));
    }
    default:
      return fail(`unsupported type ${name}`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string')
    return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/**
 * The one parser of parameter text, wherever it comes from (`--params`, a params file,
 * `repo.query` with a string; the server parses whole request bodies with the same
 * `parseJsonExact`): JSON with 64-bit integers kept exact. Not JSON is `ParamsInvalid`
 * naming the query and, when given, where the text came from (`--params`, a file).
 */
export function parseParamsJson(text: string, query: string, from?: string): unknown {
  try {
    return parseJsonExact(text);
  } catch (err) {
    throw new ParamError(
      'ParamsInvalid',
      `parameters of query ${query}${from !== undefined ? ` (${from})` : ''} are not valid JSON: ${(err as Error).message}`,
      { query, ...(from !== undefined ? { from } : {}) },
    );
  }
}

/**
 * Validates `params` (a JSON object, or its text) against the plan's declared
 * parameters. Returns every declared parameter: missing optional ones (and explicit
 * nulls for optional ones) map to null. Errors (ParamError): `ParamsInvalid` (not a
 * JSON object), `ParamMissing` (a required parameter is absent or null), `ParamType`
 * (wrong type; details name the param and the expected type), `ParamUnknown` (a
 * parameter the query does not declare).
 */
export function bindParams(
  query: QueryPlan | { name: string; params: ParamInfo[] },
  params: unknown,
): Map<string, QueryValue> {
  let obj = typeof params === 'string' ? parseParamsJson(params, query.name) : params;
  if (obj === undefined || obj === null) obj = {};
  if (typeof obj !== 'object' || Array.isArray(obj)) {
    throw new ParamError(
      'ParamsInvalid',
      `parameters of query ${query.name} must be a JSON object {"name": value, …}`,
      { query: query.name },
    );
  }
  const given = obj as Record<string, unknown>;
  const declared = new Map(query.params.map((p) => [p.name, p]));
  for (const key of Object.keys(given).sort()) {
    const bare = key.startsWith('$') ? key.slice(1) : key;
    if (!declared.has(bare)) {
      throw new ParamError(
        'ParamUnknown',
        `query ${query.name} has no parameter '${bare}' (parameters: ${query.params.map((p) => p.name).join(', ') || 'none'})`,
        { query: query.name, param: bare },
      );
    }
  }
  const out = new Map<string, QueryValue>();
  for (const p of query.params) {
    const value = p.name in given ? given[p.name] : given[`$${p.name}`];
    const expected = `${valueTypeText(p.type)}${p.optional ? '?' : ''}`;
    if (value === undefined || value === null) {
      if (!p.optional) {
        throw new ParamError(
          'ParamMissing',
          `query ${query.name} needs parameter '${p.name}' (${expected})${value === null ? ', got null' : ''}`,
          { query: query.name, param: p.name, expected },
        );
      }
      out.set(p.name, null);
      continue;
    }
    out.set(
      p.name,
      coerce(value, p.type, (why) => {
        throw new ParamError(
          'ParamType',
          `parameter '${p.name}' of query ${query.name} must be ${expected}: ${why}`,
          { query: query.name, param: p.name, expected, reason: why },
        );
      }),
    );
  }
  return out;
}
