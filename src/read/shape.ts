/**
 * The ops that shape results: aggregate (group by the non-aggregate return
 * expressions), order (asc: nulls first; desc: nulls last; a ranking best first and
 * unranked last whatever the direction; ties broken by the bound nodes' ids, then the
 * bound edges' ids, or by the group keys), limit and project.
 */
import type { ReadOp } from '../query/types.js';
import { unhandledFunction, type AggregateFn } from '../query/functions.js';
import { compileExpr, type EvalEnv, type RowFn } from './eval.js';
import { takeRows, type Frame } from './frame.js';
import type { ResultRow, ResultValue } from './types.js';
import { compareValues, keyOf } from './values.js';
import { classOf } from '../query/values.js';
import { isRankCall, largerIsBetter } from './ranking.js';

type AggregateOp = Extract<ReadOp, { op: 'aggregate' }>;
type OrderOp = Extract<ReadOp, { op: 'order' }>;
type ProjectOp = Extract<ReadOp, { op: 'project' }>;

/** A running aggregate: sum/avg/min/max ignore nulls; count($v) counts rows, count($v.p) non-null values. */
class Accumulator {
  private n = 0;
  private sum: number | bigint = 0;
  private best: unknown = null;

  constructor(
    private readonly fn: AggregateFn,
    private readonly countsRows: boolean,
    private readonly floatSum: boolean,
    private readonly temporal: boolean,
  ) {
    if (fn === 'sum' && !floatSum) this.sum = 0n;
  }

  add(v: unknown): void {
    if (this.countsRows) {
      this.n++;
      return;
    }
    if (v === null || v === undefined) return;
    this.n++;
    switch (this.fn) {
      case 'sum':
        if (this.floatSum) (this.sum as number) += Number(v);
        else (this.sum as bigint) += BigInt(v as number | bigint);
        break;
      case 'avg':
        (this.sum as number) += Number(v);
        break;
      case 'min':
      case 'max': {
        const c = this.best === null ? null : compareValues(v, this.best, this.temporal);
        if (this.best === null || (c !== null && (this.fn === 'min' ? c < 0 : c > 0)))
          this.best = v;
        break;
      }
      default:
        break;
    }
  }

  value(): unknown {
    const fn = this.fn;
    switch (fn) {
      case 'count':
        return BigInt(this.n);
      case 'sum':
        return this.n === 0 ? null : this.sum;
      case 'avg':
        return this.n === 0 ? null : (this.sum as number) / this.n;
      case 'min':
      case 'max':
        return this.best;
      default:
        return unhandledFunction(fn);
    }
  }
}

export function aggregate(op: AggregateOp, frame: Frame, env: EvalEnv): Frame {
  const keyFns = op.keys.map((k) => compileExpr(k.expr, frame, env));
  const specs = op.aggregates.map((a) => {
    const t = a.expr.type;
    return {
      f: a.expr.arg.kind === 'var' ? null : compileExpr(a.expr.arg, frame, env),
      make: () =>
        new Accumulator(
          a.expr.fn,
          a.expr.arg.kind === 'var',
          t.kind === 'scalar' && (t.name === 'F64' || t.name === 'F32'),
          t.kind !== 'node' && t.kind !== 'rank' && classOf(t) === 'temporal',
        ),
    };
  });
  const groups = new Map<unknown, { first: number; accs: Accumulator[] }>();
  // One key of a primitive value groups by the value itself (no key string per row).
  const single = keyFns.length === 1 ? keyFns[0] : null;
  for (let r = 0; r < frame.n; r++) {
    let k: unknown;
    if (single) {
      k = single(r);
      if (typeof k === 'object' && k !== null) k = keyOf(k);
      else if (typeof k === 'number' || typeof k === 'bigint') k = `n:${k}`;
    } else k = keyFns.map((f) => keyOf(f(r))).join('\u0001');
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { first: r, accs: specs.map((s) => s.make()) }));
    for (let i = 0; i < specs.length; i++) g.accs[i].add(specs[i].f ? specs[i].f!(r) : true);
  }
  // An aggregate-only return over no rows is one row (count 0, the others null).
  if (groups.size === 0 && op.keys.length === 0)
    groups.set('', { first: -1, accs: specs.map((s) => s.make()) });
  const vals = new Map<string, unknown[]>();
  const all = [...groups.values()];
  op.keys.forEach((k, i) =>
    vals.set(
      k.name,
      all.map((g) => keyFns[i](g.first)),
    ),
  );
  op.aggregates.forEach((a, i) =>
    vals.set(
      a.name,
      all.map((g) => g.accs[i].value()),
    ),
  );
  return { n: groups.size, vars: new Map(), vals };
}

function cmpNullsFirst(a: unknown, b: unknown, temporal: boolean): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : an ? -1 : 1;
  return compareValues(a, b, temporal) ?? 0;
}

/**
 * How one order key compares two rows. A value key: nulls first under asc, and desc
 * reverses the whole comparison (so nulls come last). A ranking key sorts best first
 * whatever asc/desc says, as the reference keeps its search order: scores (bm25, rrf)
 * descending, distances (nearest) ascending, and the rows it gives no value last.
 */
type KeyOrder = { kind: 'value'; sign: 1 | -1 } | { kind: 'rank'; largerFirst: boolean };

function compareKey(a: unknown, b: unknown, how: KeyOrder, temporal: boolean): number {
  if (how.kind === 'value') return cmpNullsFirst(a, b, temporal) * how.sign;
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : an ? 1 : -1;
  return cmpNullsFirst(a, b, false) * (how.largerFirst ? -1 : 1);
}

export function order(op: OrderOp, frame: Frame, env: EvalEnv): Frame {
  const keys: Array<{ f: RowFn; how: KeyOrder; temporal: boolean }> = op.keys.map((k) => ({
    f: compileExpr(k.expr, frame, env, false),
    how: isRankCall(k.expr)
      ? { kind: 'rank', largerFirst: largerIsBetter(k.expr) }
      : { kind: 'value', sign: k.direction === 'desc' ? -1 : 1 },
    temporal:
      k.expr.kind !== 'var' &&
      k.expr.kind !== 'compare' &&
      k.expr.kind !== 'call' &&
      classOf(k.expr.type) === 'temporal',
  }));
  // Total order: then the bound nodes' ids, then the bound edges' internal ids, then the
  // value columns (group keys), ascending.
  const vars = [...frame.vars.values()];
  const ties: RowFn[] = [
    ...[
      ...vars.filter((c) => c.table.def.kind === 'node'),
      ...vars.filter((c) => c.table.def.kind === 'edge'),
    ].map((c) => (r: number) => c.table.ids[c.pos[r]]),
    ...[...frame.vals.values()].map((c) => (r: number) => c[r]),
  ];
  const rows = Array.from({ length: frame.n }, (_, i) => i);
  const cache = keys.map((k) => rows.map((r) => k.f(r)));
  rows.sort((x, y) => {
    for (let i = 0; i < keys.length; i++) {
      const c = compareKey(cache[i][x], cache[i][y], keys[i].how, keys[i].temporal);
      if (c !== 0) return c;
    }
    for (const t of ties) {
      const c = cmpNullsFirst(t(x), t(y), false);
      if (c !== 0) return c;
    }
    return x - y;
  });
  return takeRows(frame, rows);
}

export function limit(count: number, frame: Frame): Frame {
  if (frame.n <= count) return frame;
  return takeRows(
    frame,
    Array.from({ length: count }, (_, i) => i),
  );
}

export function project(op: ProjectOp, frame: Frame, env: EvalEnv): ResultRow[] {
  const cols = op.columns.map((c) => ({ name: c.name, f: compileExpr(c.expr, frame, env) }));
  const rows: ResultRow[] = new Array(frame.n);
  for (let r = 0; r < frame.n; r++) {
    const row: ResultRow = {};
    for (const c of cols) row[c.name] = (c.f(r) ?? null) as ResultValue;
    rows[r] = row;
  }
  return rows;
}
