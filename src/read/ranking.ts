/**
 * Rankings of a read (docs/query-language.md "Search and ranking"): `nearest`,
 * `bm25` and `rrf` evaluated per row of a frame and kept as value columns, so `order`,
 * `limit` and `project` carry them like any other column. `nearest` is the cosine
 * distance (smaller is better), `bm25` the BM25 score and `rrf` the fused reciprocal-
 * rank score (larger is better); a row with no value (no vector, no matching token,
 * in neither fused ranking) has null.
 */
import type { EmbeddingClient } from '../embed/index.js';
import type { IrExpr, QueryValue } from '../query/types.js';
import { isRankFn, unhandledFunction, type PerFunction, type RankFn } from '../query/functions.js';
import type { NodeTypeDef } from '../schema/types.js';
import { compileExpr, rankKey, type EvalEnv } from './eval.js';
import { ReadError } from './errors.js';
import { unitFrame, type Frame } from './frame.js';
import type { TableReader } from './tables.js';
import { bm25Scores } from './text.js';

export type RankCall = Extract<IrExpr, { kind: 'call' }> & { fn: RankFn };
type PropExpr = Extract<IrExpr, { kind: 'prop' }>;

export const RRF_DEFAULT_K = 60;

export function isRankCall(e: IrExpr): e is RankCall {
  return e.kind === 'call' && isRankFn(e.fn);
}

/** bm25 and rrf are scores (larger first); nearest is a distance (smaller first). */
export const LARGER_IS_BETTER: PerFunction<'ranking', boolean> = {
  nearest: false,
  bm25: true,
  rrf: true,
};

export function largerIsBetter(call: RankCall): boolean {
  return LARGER_IS_BETTER[call.fn];
}

/** The rank calls of expressions (top level: an rrf computes its own arms). */
export function rankCallsOf(exprs: IrExpr[]): RankCall[] {
  const out: RankCall[] = [];
  const walk = (e: IrExpr): void => {
    if (isRankCall(e)) out.push(e);
    else if (e.kind === 'compare') {
      walk(e.left);
      walk(e.right);
    } else if (e.kind === 'list') e.items.forEach(walk);
  };
  exprs.forEach(walk);
  return out;
}

export interface RankEnv {
  reader: TableReader;
  env: EvalEnv;
  /** The query's limit: how many entities each arm of an rrf contributes (all when null). */
  depth: number | null;
}

function constant(e: IrExpr, env: EvalEnv): QueryValue {
  return compileExpr(e, unitFrame(), env)(0) as QueryValue;
}

/** The query vector of `nearest(prop, q)`, checked against the property's dimension. */
export function queryVector(call: RankCall, env: EvalEnv): number[] | null {
  const prop = call.args[0] as PropExpr;
  const dim = prop.type.kind === 'vector' ? prop.type.dim : 0;
  const q = constant(call.args[1], env);
  if (q === null) return null;
  if (typeof q === 'string') {
    const embedded = env.embedded?.get(embedKey(dim, q));
    // embedQueryTexts embeds every String query before the plan runs: a miss is a bug.
    if (!embedded) throw new Error(`nearest: the query text was not embedded before execution`);
    return embedded;
  }
  const vector = (q as QueryValue[]).map(Number);
  if (vector.length !== dim || vector.some((x) => !Number.isFinite(x)))
    throw new ReadError(
      'VectorDimensionMismatch',
      `nearest($${prop.var}.${prop.prop}, …): the query vector has ${vector.length} finite numbers, the property is a Vector(${dim})`,
      { property: prop.prop, expected: dim, got: vector.length },
    );
  return vector;
}

function embedKey(dim: number, text: string): string {
  return `${dim}\u0000${text}`;
}

/**
 * Embeds the String query of every `nearest` in `plan` (once per text and dimension),
 * before any table is read, with the client `@embed` stores vectors with: equal texts
 * give equal vectors, so `nearest($d.embedding, $d_text)` of a stored text finds it.
 * A provider failure fails the read with the provider's typed error.
 */
export async function embedQueryTexts(
  plan: unknown,
  env: EvalEnv,
  client: (() => EmbeddingClient) | undefined,
): Promise<void> {
  const wanted = new Map<number, Set<string>>();
  const visit = (x: unknown): void => {
    if (Array.isArray(x)) return x.forEach(visit);
    if (x === null || typeof x !== 'object') return;
    const o = x as Record<string, unknown>;
    if (o.kind === 'call' && o.fn === 'nearest') {
      const call = o as unknown as RankCall;
      const prop = call.args[0] as PropExpr;
      const q = constant(call.args[1], env);
      if (typeof q === 'string' && prop.type.kind === 'vector') {
        const texts = wanted.get(prop.type.dim) ?? new Set<string>();
        wanted.set(prop.type.dim, texts.add(q));
      }
    }
    Object.values(o).forEach(visit);
  };
  visit(plan);
  if (wanted.size === 0) return;
  if (!client)
    throw new ReadError(
      'UnsupportedQueryFeature',
      'nearest with a String query needs an embedding client, and this read has none; pass a vector parameter',
      { feature: 'nearest', reason: 'string-query' },
    );
  const embedded = new Map<string, number[]>();
  for (const [dim, texts] of wanted) {
    const list = [...texts];
    const vectors = await client().embed(list, dim);
    list.forEach((t, i) => embedded.set(embedKey(dim, t), Array.from(vectors[i])));
  }
  env.embedded = embedded;
}

/** 1 − cosine similarity; null when either vector is missing or all zeros. */
export function cosineDistance(a: ArrayLike<number> | null, b: ArrayLike<number>): number | null {
  if (a === null || a.length !== b.length) return null;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < b.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (na === 0 || nb === 0) return null;
  return 1 - dot / Math.sqrt(na * nb);
}

function defOf(frame: Frame, prop: PropExpr): NodeTypeDef {
  const def = frame.vars.get(prop.var)!.table.def;
  // The checker gives rankings node properties only.
  if (def.kind !== 'node') throw new Error(`internal: $${prop.var} ranks an edge property`);
  return def;
}

/**
 * BM25 scores by node id over the whole table at its pin: Lance's, through the
 * column's inverted index (unindexed rows included), when there is one and no
 * transaction overlay; otherwise Lancelog's own over the same tokens (src/read/text.ts).
 */
export async function bm25ById(
  reader: TableReader,
  def: NodeTypeDef,
  column: string,
  text: string,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!reader.hasOverlay(def.tableKey) && (await hasFtsIndex(reader, def, column))) {
    const handle = await reader.handle(def);
    const raw = await handle.textSearch(column, text, { columns: ['id'] });
    const ids = raw.get('id') as string[];
    const scores = raw.get('_score') as number[];
    ids.forEach((id, i) => out.set(id, scores[i]));
    return out;
  }
  const table = await reader.nodeTable(def, [column]);
  const scores = bm25Scores(table.column(column) as Array<string | null>, text);
  scores.forEach((s, i) => {
    if (s !== null) out.set(table.ids[i], s);
  });
  return out;
}

export async function hasFtsIndex(
  reader: TableReader,
  def: NodeTypeDef,
  column: string,
): Promise<boolean> {
  return (await reader.indexes(def)).some((i) => i.column === column && i.indexType === 'FTS');
}

async function rankValues(call: RankCall, frame: Frame, renv: RankEnv): Promise<(number | null)[]> {
  const fn = call.fn;
  switch (fn) {
    case 'rrf':
      return rrfValues(call, frame, renv);
    case 'nearest':
      return nearestValues(call, frame, renv);
    case 'bm25':
      return bm25Values(call, frame, renv);
    default:
      return unhandledFunction(fn);
  }
}

function nearestValues(call: RankCall, frame: Frame, renv: RankEnv): (number | null)[] {
  const prop = call.args[0] as PropExpr;
  const col = frame.vars.get(prop.var)!;
  const q = queryVector(call, renv.env);
  const values = col.table.column(prop.prop) as Array<number[] | null>;
  return col.pos.map((p) => (q === null ? null : cosineDistance(values[p], q)));
}

async function bm25Values(call: RankCall, frame: Frame, renv: RankEnv): Promise<(number | null)[]> {
  const prop = call.args[0] as PropExpr;
  const col = frame.vars.get(prop.var)!;
  const text = constant(call.args[1], renv.env);
  if (typeof text !== 'string') return col.pos.map(() => null);
  const scores = await bm25ById(renv.reader, defOf(frame, prop), prop.prop, text);
  return col.pos.map((p) => scores.get(col.table.ids[p]) ?? null);
}

/** The variable an arm ranks (an rrf arm: its first arm's). */
function armVar(call: RankCall): string {
  return call.fn === 'rrf' ? armVar(call.args[0] as RankCall) : (call.args[0] as PropExpr).var;
}

/**
 * Reciprocal rank fusion: each arm ranks the distinct nodes of its variable best
 * first (ties by id) and contributes its first `depth` of them; a row scores
 * Σ 1/(k + rank) over the arms that ranked its node (rank from 1), null when none did.
 */
async function rrfValues(call: RankCall, frame: Frame, renv: RankEnv): Promise<(number | null)[]> {
  const k = call.args[2] ? Number(constant(call.args[2], renv.env)) : RRF_DEFAULT_K;
  const fused: Array<number | null> = new Array<number | null>(frame.n).fill(null);
  for (const arm of [call.args[0], call.args[1]] as RankCall[]) {
    const values = await rankValues(arm, frame, renv);
    const col = frame.vars.get(armVar(arm))!;
    const best = new Map<string, number>();
    for (let r = 0; r < frame.n; r++) {
      const v = values[r];
      if (v !== null) best.set(col.table.ids[col.pos[r]], v);
    }
    const ranks = armRanks(best, largerIsBetter(arm), renv.depth);
    for (let r = 0; r < frame.n; r++) {
      const rank = ranks.get(col.table.ids[col.pos[r]]);
      if (rank !== undefined) fused[r] = (fused[r] ?? 0) + 1 / (k + rank);
    }
  }
  return fused;
}

/** Rank (from 1) of each of the best `depth` ids by value, ties by id. */
export function armRanks(
  values: Map<string, number>,
  larger: boolean,
  depth: number | null,
): Map<string, number> {
  const ids = [...values.keys()].sort((a, b) => {
    const d = values.get(a)! - values.get(b)!;
    if (d !== 0) return larger ? -d : d;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const out = new Map<string, number>();
  ids.slice(0, depth ?? ids.length).forEach((id, i) => out.set(id, i + 1));
  return out;
}

/** The frame with a value column for each ranking it does not have yet. */
export async function withRanks(frame: Frame, exprs: IrExpr[], renv: RankEnv): Promise<Frame> {
  let out = frame;
  for (const call of rankCallsOf(exprs)) {
    const key = rankKey(call);
    if (out.vals.has(key)) continue;
    const values = await rankValues(call, out, renv);
    if (out === frame) out = { n: frame.n, vars: frame.vars, vals: new Map(frame.vals) };
    out.vals.set(key, values);
  }
  return out;
}
