/**
 * The `.gq` functions: one row per function (docs/query-language.md "Functions").
 * The checker (compile-expr.ts, compile-value.ts), the IR's types (types.ts) and the
 * executor (src/read/) are typed from this table: a new row makes tsc report every
 * record and switch that has no case for it. Adding a function is its row, its
 * checker (`CALL_CHECKS`) and its evaluation.
 *
 * - `kind`: `aggregate` (in return or order, never nested: an `aggregate` IR node),
 *   `search` (a text filter, only as its own match clause: a Bool `call`), `predicate`
 *   (an infix string test in a match filter, `a starts_with b`: a Bool `call`), `ranking`
 *   (a score or distance in order or return, never in match: a `rank` `call`), or
 *   `value` (a constant: a literal or `now` in the IR, also a mutation's value).
 * - `args`: what each argument must be, in order; `?` marks an optional one (the
 *   arity follows from the list).
 * - `result`: the result type — a scalar name, `rank`, `argument` (the argument's
 *   type) or `sum` (I64, F64 over floats).
 */

export type FnKind = 'aggregate' | 'search' | 'predicate' | 'ranking' | 'value';

export type ArgKind =
  /** any expression (a node variable counts rows) */
  | 'any'
  | 'number'
  /** a number, string or date: what orders */
  | 'ordered'
  /** `$v.prop` of a String (or enum) property */
  | 'text-property'
  /** `$v.prop` of a Vector property */
  | 'vector-property'
  | 'text'
  /** a vector (literal, parameter, list of numbers) or a String to embed */
  | 'vector-or-text'
  /** a ranking call */
  | 'ranking'
  | 'integer'
  | 'string-literal';

export type FnResult = 'I64' | 'F64' | 'Bool' | 'Date' | 'DateTime' | 'rank' | 'argument' | 'sum';

export interface FnRow {
  readonly kind: FnKind;
  readonly args: readonly (ArgKind | `${ArgKind}?`)[];
  readonly result: FnResult;
}

/** In the order the docs and the UnknownFunction message list them. */
export const GQ_FUNCTIONS = {
  count: { kind: 'aggregate', args: ['any'], result: 'I64' },
  sum: { kind: 'aggregate', args: ['number'], result: 'sum' },
  avg: { kind: 'aggregate', args: ['number'], result: 'F64' },
  min: { kind: 'aggregate', args: ['ordered'], result: 'argument' },
  max: { kind: 'aggregate', args: ['ordered'], result: 'argument' },
  search: { kind: 'search', args: ['text-property', 'text'], result: 'Bool' },
  fuzzy: { kind: 'search', args: ['text-property', 'text', 'integer?'], result: 'Bool' },
  match_text: { kind: 'search', args: ['text-property', 'text'], result: 'Bool' },
  starts_with: { kind: 'predicate', args: ['text', 'text'], result: 'Bool' },
  contains: { kind: 'predicate', args: ['text', 'text'], result: 'Bool' },
  nearest: { kind: 'ranking', args: ['vector-property', 'vector-or-text'], result: 'rank' },
  bm25: { kind: 'ranking', args: ['text-property', 'text'], result: 'rank' },
  rrf: { kind: 'ranking', args: ['ranking', 'ranking', 'integer?'], result: 'rank' },
  date: { kind: 'value', args: ['string-literal'], result: 'Date' },
  datetime: { kind: 'value', args: ['string-literal'], result: 'DateTime' },
  now: { kind: 'value', args: [], result: 'DateTime' },
} as const satisfies Record<string, FnRow>;

/** A table of functions: `GQ_FUNCTIONS`, or (in the type tests) it with a planted row. */
export type FnTable = Record<string, FnRow>;

export type FnName<T extends FnTable = typeof GQ_FUNCTIONS> = keyof T & string;

/** The names of the functions of one kind. */
export type FnOfKind<K extends FnKind, T extends FnTable = typeof GQ_FUNCTIONS> = {
  [F in FnName<T>]: T[F]['kind'] extends K ? F : never;
}[FnName<T>];

export type AggregateFn = FnOfKind<'aggregate'>;
export type SearchFn = FnOfKind<'search'>;
export type PredicateFn = FnOfKind<'predicate'>;
export type RankFn = FnOfKind<'ranking'>;
export type ValueFn = FnOfKind<'value'>;

/**
 * One entry per function of a kind (`K`: a kind, or a union of kinds): the type of
 * every per-function record, so a function without its entry does not compile.
 */
export type PerFunction<K extends FnKind, V, T extends FnTable = typeof GQ_FUNCTIONS> = {
  readonly [F in FnOfKind<K, T>]: V;
};

/** The table row of a name, when it is a function (own rows only: never `toString`). */
export function functionNamed(name: string): FnName | undefined {
  return Object.hasOwn(GQ_FUNCTIONS, name) ? (name as FnName) : undefined;
}

export function kindOf(name: string): FnKind | undefined {
  const fn = functionNamed(name);
  return fn === undefined ? undefined : GQ_FUNCTIONS[fn].kind;
}

/** The least and most arguments a function takes. */
export function arityOf(fn: FnName): { min: number; max: number } {
  const args: readonly string[] = GQ_FUNCTIONS[fn].args;
  return { min: args.filter((a) => !a.endsWith('?')).length, max: args.length };
}

/** Every function's name, in table order. */
export const FUNCTION_NAMES = Object.keys(GQ_FUNCTIONS) as FnName[];

/** The functions of a kind, in table order. */
export function functionsOfKind<K extends FnKind>(kind: K): Array<FnOfKind<K>> {
  return FUNCTION_NAMES.filter((f) => GQ_FUNCTIONS[f].kind === kind) as Array<FnOfKind<K>>;
}

/** Is `name` a function of `kind`? */
export function isFnOfKind<K extends FnKind>(name: string, kind: K): name is FnOfKind<K> {
  return kindOf(name) === kind;
}

export function isRankFn(name: string): name is RankFn {
  return isFnOfKind(name, 'ranking');
}

export function isSearchFn(name: string): name is SearchFn {
  return isFnOfKind(name, 'search');
}

/** Fails to compile when a switch leaves a function out (its default case). */
export function unhandledFunction(fn: never): never {
  throw new Error(`internal: no case for the function ${String(fn)}`);
}
