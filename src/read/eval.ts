/**
 * Expressions compiled against a frame into row functions `(row) => value`.
 * Semantics (docs/query-language.md "Semantics"): a comparison with null is
 * false; `contains` is membership on a list (a comparison) and, on a String, the
 * string predicate (a call, like `starts_with`); dates and datetimes compare on one
 * scale; node variables compare by id.
 */
import type { IrExpr, QueryValue } from '../query/types.js';
import { unhandledFunction, type PerFunction, type SearchFn } from '../query/functions.js';
import { classOf } from '../query/values.js';
import { ReadError } from './errors.js';
import type { Frame } from './frame.js';
import { compareValues, keyOf } from './values.js';
import { fuzzyMatcher, phraseMatcher, searchMatcher, type TextMatcher } from './text.js';

export type RowFn = (row: number) => unknown;

export interface EvalEnv {
  params: Map<string, QueryValue>;
  /** The query's timestamp (ISO-8601), one per query. */
  nowIso: string;
  /** The embeddings of the String queries of `nearest`, by `embedKey(dim, text)` (ranking.ts). */
  embedded?: Map<string, number[]>;
}

/** A node-variable reference in a comparison: equal when the ids are. */
export interface NodeRef {
  id: string;
}

function isTemporal(e: IrExpr): boolean {
  if (e.kind === 'var' || e.kind === 'compare' || e.kind === 'call') return false;
  return classOf(e.type) === 'temporal';
}

export function compileExpr(e: IrExpr, frame: Frame, env: EvalEnv, whole = true): RowFn {
  switch (e.kind) {
    case 'var': {
      const col = frame.vars.get(e.var);
      if (!col) throw new Error(`internal: $${e.var} is not bound`);
      const { table, pos } = col;
      return whole ? (r) => table.object(pos[r]) : (r) => ({ id: table.ids[pos[r]] });
    }
    case 'prop': {
      const col = frame.vars.get(e.var);
      if (!col) throw new Error(`internal: $${e.var} is not bound`);
      const values = col.table.column(e.prop);
      const { pos } = col;
      return (r) => values[pos[r]];
    }
    case 'param': {
      const v = env.params.get(e.name) ?? null;
      return () => v;
    }
    case 'literal': {
      const v = e.value;
      return () => v;
    }
    case 'list': {
      const items = e.items.map((i) => compileExpr(i, frame, env));
      return (r) => items.map((f) => f(r));
    }
    case 'now':
      return () => env.nowIso;
    case 'compare':
      return compileCompare(e, frame, env);
    case 'column': {
      const values = frame.vals.get(e.name);
      if (!values) throw new Error(`internal: no column ${e.name}`);
      return (r) => values[r];
    }
    case 'aggregate':
      throw new Error('internal: aggregate outside an aggregate op');
    case 'call':
      return compileCall(e, frame, env);
  }
}

/** The frame column holding a ranking's values (src/read/ranking.ts): one per distinct call. */
export function rankKey(e: IrExpr): string {
  return `\u0000rank:${JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
}

/** The default `max_edits` of fuzzy(). */
export const FUZZY_DEFAULT_EDITS = 2;

/** Each text-search function's matcher for a query text (`edits`: fuzzy's max edits). */
export const TEXT_MATCHERS: PerFunction<'search', (text: string, edits: number) => TextMatcher> = {
  search: (text) => searchMatcher(text),
  fuzzy: (text, edits) => fuzzyMatcher(text, edits),
  match_text: (text) => phraseMatcher(text),
};

/**
 * A text-search filter (search, fuzzy, match_text) evaluated in memory over the
 * row's property; a ranking reads the value column the executor computed for it.
 */
function compileCall(e: Extract<IrExpr, { kind: 'call' }>, frame: Frame, env: EvalEnv): RowFn {
  const fn = e.fn;
  switch (fn) {
    case 'nearest':
    case 'bm25':
    case 'rrf': {
      const values = frame.vals.get(rankKey(e));
      if (!values) throw new Error(`internal: ranking ${fn}() was not computed`);
      return (r) => values[r];
    }
    case 'search':
    case 'fuzzy':
    case 'match_text':
      return compileSearch(e, fn, frame, env);
    case 'starts_with':
    case 'contains':
      return compileStringPredicate(e, STRING_PREDICATES[fn], frame, env);
    default:
      return unhandledFunction(fn);
  }
}

/** Each string predicate on a haystack and a needle, both strings (exact, case-sensitive). */
export const STRING_PREDICATES: PerFunction<
  'predicate',
  (haystack: string, needle: string) => boolean
> = {
  starts_with: (h, n) => h.startsWith(n),
  contains: (h, n) => h.includes(n),
};

/** `a starts_with b`, `a contains b`: positional; a null (or absent) operand never matches. */
function compileStringPredicate(
  e: Extract<IrExpr, { kind: 'call' }>,
  test: (haystack: string, needle: string) => boolean,
  frame: Frame,
  env: EvalEnv,
): RowFn {
  const haystack = compileExpr(e.args[0], frame, env);
  const needle = compileExpr(e.args[1], frame, env);
  return (r) => {
    const h = haystack(r);
    const n = needle(r);
    return typeof h === 'string' && typeof n === 'string' && test(h, n);
  };
}

function compileSearch(
  e: Extract<IrExpr, { kind: 'call' }>,
  fn: SearchFn,
  frame: Frame,
  env: EvalEnv,
): RowFn {
  const edits = e.args[2] ? Number(compileExpr(e.args[2], frame, env)(0)) : FUZZY_DEFAULT_EDITS;
  if (fn === 'fuzzy' && (!Number.isInteger(edits) || edits < 0))
    throw new ReadError('InvalidSearchArgument', `fuzzy() max_edits must be ≥ 0, got ${edits}`, {
      feature: 'fuzzy',
      max_edits: edits,
    });
  const make = (text: string): TextMatcher => TEXT_MATCHERS[fn](text, edits);
  const query = compileExpr(e.args[1], frame, env);
  const prop = compileExpr(e.args[0], frame, env);
  if (e.args[1].kind === 'param' || e.args[1].kind === 'literal') {
    const text = query(0);
    if (typeof text !== 'string') return () => false;
    const matcher = make(text);
    return (r) => matcher(prop(r) as string | null);
  }
  // The query text is a column of the row (another property): one matcher per row.
  return (r) => {
    const text = query(r);
    return typeof text === 'string' && make(text)(prop(r) as string | null);
  };
}

function compileCompare(
  e: Extract<IrExpr, { kind: 'compare' }>,
  frame: Frame,
  env: EvalEnv,
): RowFn {
  const left = compileExpr(e.left, frame, env, false);
  const right = compileExpr(e.right, frame, env, false);
  if (e.op === 'contains') {
    return (r) => {
      const a = left(r);
      const b = right(r);
      // Membership only: `contains` on a String is the string predicate (a call).
      if (!Array.isArray(a) || b === null || b === undefined) return false;
      const k = keyOf(b);
      return a.some((x) => keyOf(x) === k);
    };
  }
  const temporal = isTemporal(e.left) || isTemporal(e.right);
  const test = TESTS[e.op];
  return (r) => {
    const c = compareValues(left(r), right(r), temporal);
    return c !== null && test(c);
  };
}

const TESTS: Record<string, (c: number) => boolean> = {
  '=': (c) => c === 0,
  '!=': (c) => c !== 0,
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
};

/** A filter predicate: true keeps the row (a Bool expression keeps only `true`). */
export function compilePredicate(e: IrExpr, frame: Frame, env: EvalEnv): (row: number) => boolean {
  const f = compileExpr(e, frame, env, false);
  return (r) => f(r) === true;
}
