/**
 * Vectorised aggregates: `count`, `sum`, `avg`, `min`, `max`, with or without
 * grouping, over the typed columns of one bound node variable (typed-columns.ts) —
 * group ids from dictionary codes, accumulators in arrays indexed by group, no
 * per-row JS object or key string. The answers are those of the row-at-a-time
 * `aggregate` (shape.ts): groups in the order of their first row, count as a bigint,
 * an integer sum exact (as a bigint), sum/avg/min/max ignoring nulls.
 */
import type { NodeTypeDef, PropType } from '../schema/types.js';
import type { IrExpr, QueryValue, ReadOp } from '../query/types.js';
import { classOf } from '../query/values.js';
import type { Frame } from './frame.js';
import { compareValues } from './values.js';
import { typedKind, type TypedColumn } from './typed-columns.js';

type AggregateOp = Extract<ReadOp, { op: 'aggregate' }>;
type AggFn = 'count' | 'sum' | 'avg' | 'min' | 'max';

/** What a vectorised aggregate reads: one variable's properties, as keys and arguments. */
export interface VectorPlan {
  keys: string[];
  aggs: Array<{ fn: AggFn; prop: string | null; float: boolean; temporal: boolean }>;
  /** Every property read. */
  props: string[];
}

/** Integer sums stay exact in a float64 while rows · 2^32 < 2^53. */
const MAX_INT_SUM_ROWS = 1 << 20;

function propType(def: NodeTypeDef, prop: string): PropType | undefined {
  return def.properties.find((p) => p.name === prop)?.type;
}

/** The plan when every key is a property of `v` and every aggregate one of `v` (or `v` itself). */
export function vectorPlan(op: AggregateOp, v: string, def: NodeTypeDef): VectorPlan | null {
  const ofV = (e: IrExpr): e is Extract<IrExpr, { kind: 'prop' }> =>
    e.kind === 'prop' && e.var === v && e.prop !== 'id';
  const keys: string[] = [];
  for (const k of op.keys) {
    if (!ofV(k.expr)) return null;
    const t = propType(def, k.expr.prop);
    if (!t || !typedKind(t)) return null;
    keys.push(k.expr.prop);
  }
  const aggs: VectorPlan['aggs'] = [];
  for (const a of op.aggregates) {
    const { fn, arg } = a.expr;
    if (arg.kind === 'var' && arg.var === v && fn === 'count') {
      aggs.push({ fn, prop: null, float: false, temporal: false });
      continue;
    }
    if (!ofV(arg)) return null;
    const t = propType(def, arg.prop);
    const kind = t ? typedKind(t) : null;
    if (!t || !kind || ((fn === 'sum' || fn === 'avg') && kind !== 'numbers')) return null;
    aggs.push({
      fn,
      prop: arg.prop,
      float: t.kind === 'scalar' && (t.name === 'F64' || t.name === 'F32'),
      temporal: t.kind === 'scalar' && classOf(t) === 'temporal',
    });
  }
  const props = [...new Set([...keys, ...aggs.flatMap((a) => (a.prop ? [a.prop] : []))])];
  return { keys, aggs, props };
}

/** Group ids per row (first-seen order) and each group's first row. */
function groupIds(
  keys: TypedColumn[],
  rowAt: (i: number) => number,
  n: number,
): { gid: Int32Array; first: number[] } {
  const gid = new Int32Array(n);
  const first: number[] = [];
  if (keys.length === 0) {
    if (n > 0) first.push(rowAt(0));
    return { gid, first };
  }
  if (keys.length === 1 && keys[0].kind === 'codes') {
    const { codes, dict } = keys[0];
    const byCode = new Int32Array(dict.length + 1).fill(-1);
    for (let i = 0; i < n; i++) {
      const r = rowAt(i);
      let g = byCode[codes[r]];
      if (g < 0) g = byCode[codes[r]] = first.push(r) - 1;
      gid[i] = g;
    }
    return { gid, first };
  }
  // Several keys (or a number key): one number per row when the codes fit, else a string.
  const byKey = new Map<number | string, number>();
  const part = (c: TypedColumn, r: number): number | string =>
    c.kind === 'codes' ? c.codes[r] : c.valid && !c.valid[r] ? 'null' : c.values[r];
  for (let i = 0; i < n; i++) {
    const r = rowAt(i);
    const k = keys.length === 1 ? part(keys[0], r) : keys.map((c) => part(c, r)).join('\u0001');
    let g = byKey.get(k);
    if (g === undefined) byKey.set(k, (g = first.push(r) - 1));
    gid[i] = g;
  }
  return { gid, first };
}

function valueAt(c: TypedColumn, r: number): QueryValue {
  if (c.kind === 'codes') return c.codes[r] === 0 ? null : c.dict[c.codes[r] - 1];
  return c.valid && !c.valid[r] ? null : c.values[r];
}

/** One aggregate's value per group. */
function accumulate(
  spec: VectorPlan['aggs'][number],
  col: TypedColumn | undefined,
  gid: Int32Array,
  rowAt: (i: number) => number,
  groups: number,
): unknown[] {
  const n = new Float64Array(groups);
  if (!col) {
    for (let i = 0; i < gid.length; i++) n[gid[i]]++;
    return Array.from(n, (x) => BigInt(x));
  }
  const sum = new Float64Array(groups);
  const best = new Array<QueryValue>(groups).fill(null);
  for (let i = 0; i < gid.length; i++) {
    const r = rowAt(i);
    const g = gid[i];
    if (col.kind === 'codes') {
      const code = col.codes[r];
      if (code === 0) continue;
      n[g]++;
      if (spec.fn === 'min' || spec.fn === 'max') {
        const v = col.dict[code - 1];
        const c = best[g] === null ? null : compareValues(v, best[g], spec.temporal);
        if (best[g] === null || (c !== null && (spec.fn === 'min' ? c < 0 : c > 0))) best[g] = v;
      }
      continue;
    }
    if (col.valid && !col.valid[r]) continue;
    const v = col.values[r];
    n[g]++;
    sum[g] += v;
    if (
      (spec.fn === 'min' && (best[g] === null || v < (best[g] as number))) ||
      (spec.fn === 'max' && (best[g] === null || v > (best[g] as number)))
    )
      best[g] = v;
  }
  return Array.from({ length: groups }, (_, g) => {
    switch (spec.fn) {
      case 'count':
        return BigInt(n[g]);
      case 'sum':
        return n[g] === 0 ? null : spec.float ? sum[g] : BigInt(sum[g]);
      case 'avg':
        return n[g] === 0 ? null : sum[g] / n[g];
      default:
        return best[g];
    }
  });
}

/**
 * The aggregate over rows `rows` of the columns (null: every row 0 … size − 1). Null
 * when an integer sum over so many rows might not stay exact (the caller then runs
 * the row-at-a-time aggregate).
 */
export function vectorAggregate(
  op: AggregateOp,
  plan: VectorPlan,
  columns: Map<string, TypedColumn>,
  rows: readonly number[] | null,
  size: number,
): Frame | null {
  const n = rows ? rows.length : size;
  if (n > MAX_INT_SUM_ROWS && plan.aggs.some((a) => a.fn === 'sum' && !a.float)) return null;
  const rowAt = rows ? (i: number) => rows[i] : (i: number) => i;
  const keyCols = plan.keys.map((k) => columns.get(k)!);
  const { gid, first } = groupIds(keyCols, rowAt, n);
  // An aggregate-only return over no rows is one row (count 0, the others null).
  const groups = first.length === 0 && plan.keys.length === 0 ? 1 : first.length;
  const vals = new Map<string, unknown[]>();
  op.keys.forEach((k, i) =>
    vals.set(
      k.name,
      first.map((r) => valueAt(keyCols[i], r)),
    ),
  );
  op.aggregates.forEach((a, i) => {
    const spec = plan.aggs[i];
    vals.set(
      a.name,
      accumulate(spec, spec.prop ? columns.get(spec.prop) : undefined, gid, rowAt, groups),
    );
  });
  return { n: groups, vars: new Map(), vals };
}
