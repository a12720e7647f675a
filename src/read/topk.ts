/**
 * Top-k through Lance: a read whose pipeline is `scan $v → order { ranking(…) } →
 * limit n → project` — the ranking a `nearest` or `bm25` of `$v` (or an `rrf` of
 * two such arms) — asks Lance for the best n + 1 rows of each ranking (its vector or
 * inverted index, unindexed rows included, the scan's property matches as a
 * prefilter) instead of reading the whole table and sorting it. The rows it returns
 * then go through the same order, limit and project ops as the full path, so the
 * answer is the full path's: when the last row Lance returned ties the n-th (the
 * tie-break by id could pick a row Lance left out) it asks for eight times as many;
 * when anything else does not fit (a transaction's staged rows, no inverted index for
 * bm25) it returns null and the full path runs.
 */
import type { IrExpr, QueryValue, ReadOp, ReadPlan } from '../query/types.js';
import { unhandledFunction } from '../query/functions.js';
import type { NodeTypeDef } from '../schema/types.js';
import { sqlIdent } from '../storage/index.js';
import { compileExpr, rankKey, type EvalEnv } from './eval.js';
import type { Frame } from './frame.js';
import { unitFrame } from './frame.js';
import { scanWhereSql } from './pushdown.js';
import {
  armRanks,
  hasFtsIndex,
  isRankCall,
  largerIsBetter,
  queryVector,
  RRF_DEFAULT_K,
  type RankCall,
} from './ranking.js';
import type { TableReader } from './tables.js';

type ScanOp = Extract<ReadOp, { op: 'scan' }>;
type PropExpr = Extract<IrExpr, { kind: 'prop' }>;

/** The scan, ranking and limit of a plan of the top-k shape, else null. */
export function topKShape(
  plan: ReadPlan,
): { scan: ScanOp; ranking: RankCall; limit: number } | null {
  const [scan, order, limit, project] = plan.ops;
  if (plan.ops.length !== 4 || scan.op !== 'scan' || order.op !== 'order') return null;
  if (limit.op !== 'limit' || project.op !== 'project') return null;
  const first = order.keys[0].expr;
  if (!isRankCall(first) || order.keys[0].direction !== 'asc') return null;
  const arms = first.fn === 'rrf' ? [first.args[0], first.args[1]] : [first];
  const onScan = arms.every(
    (a) =>
      isRankCall(a) &&
      a.fn !== 'rrf' &&
      a.args[0].kind === 'prop' &&
      (a.args[0] as PropExpr).var === scan.var,
  );
  return onScan ? { scan, ranking: first, limit: limit.count } : null;
}

interface Fetched {
  raw: Map<string, unknown[]>;
  /** Score (bm25) or distance (nearest) per fetched row. */
  values: number[];
}

/** One arm's best `count` rows from Lance; null when Lance cannot answer it exactly. */
async function fetchArm(
  arm: RankCall,
  handleOf: () => ReturnType<TableReader['handle']>,
  reader: TableReader,
  def: NodeTypeDef,
  opts: { where?: string; columns: string[]; count: number },
  env: EvalEnv,
): Promise<Fetched | null> {
  const prop = arm.args[0] as PropExpr;
  const handle = await handleOf();
  const fn = arm.fn;
  switch (fn) {
    case 'nearest': {
      const q = queryVector(arm, env);
      if (q === null) return null;
      // Rows without a vector have no distance: never among the results.
      const nullable = def.properties.find((p) => p.name === prop.prop)?.nullable ?? true;
      const notNull = nullable ? `${sqlIdent(prop.prop)} IS NOT NULL` : undefined;
      const where = [opts.where, notNull].filter(Boolean).join(' AND ') || undefined;
      const raw = await handle.vectorSearch(prop.prop, q, { ...opts, where, limit: opts.count });
      return { raw, values: raw.get('_distance') as number[] };
    }
    case 'bm25': {
      const text = compileExpr(arm.args[1], unitFrame(), env)(0);
      if (typeof text !== 'string' || !(await hasFtsIndex(reader, def, prop.prop))) return null;
      const raw = await handle.textSearch(prop.prop, text, { ...opts, limit: opts.count });
      return { raw, values: raw.get('_score') as number[] };
    }
    case 'rrf':
      // topKShape passes only nearest and bm25 arms.
      return null;
    default:
      return unhandledFunction(fn);
  }
}

/** Could Lance have cut a tie with the n-th row: it returned all `count` rows asked for, the last equal to the n-th? */
function tiedAtBoundary(values: number[], n: number, count: number): boolean {
  return values.length === count && values[count - 1] === values[n - 1];
}

/**
 * The candidate rows of a top-k plan as a frame (the ranking's column filled for
 * bm25 and rrf; nearest is recomputed from the vectors like on the full path), or
 * null to run the full path.
 */
export async function topKFrame(
  plan: ReadPlan,
  reader: TableReader,
  def: NodeTypeDef,
  props: Iterable<string>,
  env: EvalEnv,
): Promise<Frame | null> {
  const shape = topKShape(plan);
  if (!shape || reader.hasOverlay(def.tableKey)) return null;
  const where = scanWhereSql(shape.scan.where, (e) =>
    e.kind === 'literal' || e.kind === 'param'
      ? (compileExpr(e, unitFrame(), env)(0) as QueryValue)
      : undefined,
  );
  if (where === null && shape.scan.where.length > 0) return null;
  const columns = ['id', ...new Set([...props].filter((p) => p !== 'id'))];
  const arms =
    shape.ranking.fn === 'rrf'
      ? [shape.ranking.args[0] as RankCall, shape.ranking.args[1] as RankCall]
      : [shape.ranking];
  const fetched: Fetched[] = [];
  for (const arm of arms) {
    // n + 1 rows; while the last fetched row ties the n-th, eight times as many (every
    // row tied with the n-th must be there for the tie-break by id).
    for (let count = shape.limit + 1; ; count *= 8) {
      const opts = { where: where ?? undefined, columns, count };
      const f = await fetchArm(arm, () => reader.handle(def), reader, def, opts, env);
      if (f === null) return null;
      if (!tiedAtBoundary(f.values, shape.limit, count)) {
        fetched.push(f);
        break;
      }
    }
  }
  // The union of the arms' rows, each id once.
  const union = new Map<string, number>();
  const merged = new Map<string, unknown[]>(columns.map((c) => [c, []]));
  for (const f of fetched) {
    const ids = f.raw.get('id') as string[];
    ids.forEach((id, i) => {
      if (union.has(id)) return;
      union.set(id, union.size);
      for (const c of columns) merged.get(c)!.push(f.raw.get(c)![i]);
    });
  }
  const table = reader.nodesFromColumns(def, columns, merged);
  const frame: Frame = {
    n: table.size,
    vars: new Map([[shape.scan.var, { table, pos: table.ids.map((_, i) => i) }]]),
    vals: new Map(),
  };
  if (shape.ranking.fn === 'bm25') {
    frame.vals.set(rankKey(shape.ranking), fetched[0].values);
  } else if (shape.ranking.fn === 'rrf') {
    frame.vals.set(
      rankKey(shape.ranking),
      fuse(shape.ranking, arms, fetched, table.ids, env, shape.limit),
    );
  }
  return frame;
}

/** rrf over the arms' fetched rows (the first `depth` of each, ties by id), per row of `ids`. */
function fuse(
  call: RankCall,
  arms: RankCall[],
  fetched: Fetched[],
  ids: string[],
  env: EvalEnv,
  depth: number,
): Array<number | null> {
  const k = call.args[2] ? Number(compileExpr(call.args[2], unitFrame(), env)(0)) : RRF_DEFAULT_K;
  const out: Array<number | null> = ids.map(() => null);
  arms.forEach((arm, a) => {
    const byId = new Map<string, number>();
    (fetched[a].raw.get('id') as string[]).forEach((id, i) => byId.set(id, fetched[a].values[i]));
    const ranks = armRanks(byId, largerIsBetter(arm), depth);
    ids.forEach((id, r) => {
      const rank = ranks.get(id);
      if (rank !== undefined) out[r] = (out[r] ?? 0) + 1 / (k + rank);
    });
  });
  return out;
}
