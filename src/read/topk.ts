/**
 * Top-k through Lance: a read whose pipeline is `scan $v → order { ranking(…) } →
 * limit n → project` — the ranking a `nearest` or `bm25` of `$v` (or an `rrf` of
 * two such arms) — asks Lance for the best rows of each ranking (its vector or
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
  // A ranking orders best first under asc and desc alike (src/read/shape.ts `order`).
  if (!isRankCall(first)) return null;
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
  const where = prefilter(shape.scan, env);
  if (where === null && shape.scan.where.length > 0) return null;
  const arms =
    shape.ranking.fn === 'rrf'
      ? [shape.ranking.args[0] as RankCall, shape.ranking.args[1] as RankCall]
      : [shape.ranking];
  // A vector read only to rank by is not fetched: Lance's distance ranks (as for rrf).
  const rankedOnly = new Set(
    arms
      .filter((a) => a.fn === 'nearest' && onlyRanked(plan, a))
      .map((a) => (a.args[0] as PropExpr).prop),
  );
  let columns = ['id', ...new Set([...props].filter((p) => p !== 'id' && !rankedOnly.has(p)))];
  const fetchAll = (cols: string[]): Promise<Fetched[] | null> =>
    fetchArms(arms, shape.limit, (arm, count) =>
      fetchArm(
        arm,
        () => reader.handle(def),
        reader,
        def,
        { where: where ?? undefined, columns: cols, count },
        env,
      ),
    );
  let fetched = await fetchAll(columns);
  // Lance's float32 distances cannot order rows closer than their rounding: then the
  // vectors are read after all and the distances computed as the full path does.
  if (
    fetched &&
    shape.ranking.fn === 'nearest' &&
    rankedOnly.size > 0 &&
    nearlyTied(fetched[0].values)
  ) {
    rankedOnly.clear();
    columns = ['id', ...new Set([...props].filter((p) => p !== 'id'))];
    fetched = await fetchAll(columns);
  }
  if (!fetched) return null;
  const table = reader.nodesFromColumns(def, columns, unionOf(fetched, columns));
  const frame: Frame = {
    n: table.size,
    vars: new Map([[shape.scan.var, { table, pos: table.ids.map((_, i) => i) }]]),
    vals: new Map(),
  };
  if (shape.ranking.fn === 'bm25' || (shape.ranking.fn === 'nearest' && rankedOnly.size > 0)) {
    frame.vals.set(rankKey(shape.ranking), fetched[0].values);
  } else if (shape.ranking.fn === 'rrf') {
    frame.vals.set(
      rankKey(shape.ranking),
      fuse(shape.ranking, arms, fetched, table.ids, env, shape.limit),
    );
  }
  return frame;
}

/**
 * Each arm's best rows: 8n + 1 up front for bm25 (it ranks many rows equal, and one
 * round trip for 8n + 1 rows is as cheap as for n + 1), n + 1 for nearest; while the
 * last row fetched ties the n-th, eight times as many (every row tied with the n-th
 * must be there for the tie-break by id). Null when Lance cannot answer an arm.
 */
async function fetchArms(
  arms: RankCall[],
  limit: number,
  fetch: (arm: RankCall, count: number) => Promise<Fetched | null>,
): Promise<Fetched[] | null> {
  const out: Fetched[] = [];
  for (const arm of arms)
    for (let count = initialCount(arm, limit); ; count *= 8) {
      const f = await fetch(arm, count);
      if (f === null) return null;
      if (!tiedAtBoundary(f.values, limit, count)) {
        out.push(f);
        break;
      }
    }
  return out;
}

/**
 * The scan's predicates as Lance SQL. The prefilter must select exactly the scan's rows
 * (a superset could leave fewer than n after the in-memory recheck): every predicate in
 * SQL, or null (then the full path runs when there are predicates).
 */
function prefilter(scan: ScanOp, env: EvalEnv): string | null {
  return scanWhereSql(
    scan.where,
    (e) =>
      e.kind === 'literal' || e.kind === 'param'
        ? (compileExpr(e, unitFrame(), env)(0) as QueryValue)
        : undefined,
    true,
  );
}

/** The union of the arms' rows, each id once. */
function unionOf(fetched: Fetched[], columns: string[]): Map<string, unknown[]> {
  const union = new Set<string>();
  const merged = new Map<string, unknown[]>(columns.map((c) => [c, []]));
  for (const f of fetched) {
    const ids = f.raw.get('id') as string[];
    ids.forEach((id, i) => {
      if (union.has(id)) return;
      union.add(id);
      for (const c of columns) merged.get(c)!.push(f.raw.get(c)![i]);
    });
  }
  return merged;
}

/** Cosine distances in float32 (Lance) are good to about 1e-6: closer ones may order wrongly. */
const DISTANCE_RESOLUTION = 1e-5;

function nearlyTied(sortedDistances: number[]): boolean {
  for (let i = 1; i < sortedDistances.length; i++)
    if (sortedDistances[i] - sortedDistances[i - 1] < DISTANCE_RESOLUTION) return true;
  return false;
}

function initialCount(arm: RankCall, limit: number): number {
  return arm.fn === 'bm25' ? 8 * limit + 1 : limit + 1;
}

/**
 * Is the vector of a `nearest` arm used only to rank by — the query neither returns
 * the ranking's value nor reads the property anywhere else? Then Lance's own distance
 * orders the rows and the vectors are not read.
 */
function onlyRanked(plan: ReadPlan, arm: RankCall): boolean {
  const prop = arm.args[0] as PropExpr;
  const key = rankKey(arm);
  let used = false;
  const visit = (e: unknown, projected: boolean): void => {
    if (used || typeof e !== 'object' || e === null) return;
    const x = e as { kind?: string; var?: string; prop?: string };
    if (x.kind === 'call' && isRankCall(x as IrExpr) && rankKey(x as RankCall) === key) {
      if (projected) used = true;
      return;
    }
    if (x.kind === 'prop' && x.var === prop.var && x.prop === prop.prop) used = true;
    for (const v of Object.values(e)) visit(v, projected);
  };
  for (const op of plan.ops) visit(op, op.op === 'project');
  return !used;
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
