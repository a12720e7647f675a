/**
 * The ops that shape results: aggregate (group by the non-aggregate return
 * expressions), order (asc: nulls first; desc: nulls last; ties broken by the
 * bound nodes' ids, or by the group keys), limit and project.
 */
import type { ReadOp } from '../query/types.js';
import { compileExpr, type EvalEnv, type RowFn } from './eval.js';
import { takeRows, type Frame } from './frame.js';
import type { ResultRow, ResultValue } from './types.js';
import { compareValues, keyOf } from './values.js';
import { classOf } from '../query/values.js';

type AggregateOp = Extract<ReadOp, { op: 'aggregate' }>;
type OrderOp = Extract<ReadOp, { op: 'order' }>;
type ProjectOp = Extract<ReadOp, { op: 'project' }>;

function aggregateValue(
  fn: 'count' | 'sum' | 'avg' | 'min' | 'max',
  countsRows: boolean,
  values: unknown[],
  isFloatSum: boolean,
  temporal: boolean,
): unknown {
  const present = values.filter((v) => v !== null && v !== undefined);
  switch (fn) {
    case 'count':
      return BigInt(countsRows ? values.length : present.length);
    case 'sum':
      if (present.length === 0) return null;
      if (isFloatSum) return present.reduce<number>((s, v) => s + Number(v), 0);
      return present.reduce<bigint>((s, v) => s + BigInt(v as number | bigint), 0n);
    case 'avg':
      if (present.length === 0) return null;
      return present.reduce<number>((s, v) => s + Number(v), 0) / present.length;
    case 'min':
    case 'max': {
      let best: unknown = null;
      for (const v of present) {
        const c = best === null ? null : compareValues(v, best, temporal);
        if (best === null || (c !== null && (fn === 'min' ? c < 0 : c > 0))) best = v;
      }
      return best;
    }
  }
}

export function aggregate(op: AggregateOp, frame: Frame, env: EvalEnv): Frame {
  const keyFns = op.keys.map((k) => compileExpr(k.expr, frame, env));
  const argFns = op.aggregates.map((a) =>
    a.expr.arg.kind === 'var' ? null : compileExpr(a.expr.arg, frame, env),
  );
  const groups = new Map<string, { first: number; rows: number[] }>();
  for (let r = 0; r < frame.n; r++) {
    const k = keyFns.map((f) => keyOf(f(r))).join('\u0001');
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { first: r, rows: [] }));
    g.rows.push(r);
  }
  // An aggregate-only return over no rows is one row (count 0, the others null).
  if (groups.size === 0 && op.keys.length === 0) groups.set('', { first: -1, rows: [] });
  const vals = new Map<string, unknown[]>();
  op.keys.forEach((k, i) =>
    vals.set(
      k.name,
      [...groups.values()].map((g) => keyFns[i](g.first)),
    ),
  );
  op.aggregates.forEach((a, i) => {
    const f = argFns[i];
    const t = a.expr.type;
    const isFloatSum = t.kind === 'scalar' && (t.name === 'F64' || t.name === 'F32');
    const temporal = t.kind !== 'node' && t.kind !== 'rank' && classOf(t) === 'temporal';
    vals.set(
      a.name,
      [...groups.values()].map((g) =>
        aggregateValue(
          a.expr.fn,
          f === null,
          g.rows.map((r) => (f ? f(r) : true)),
          isFloatSum,
          temporal,
        ),
      ),
    );
  });
  return { n: groups.size, vars: new Map(), vals };
}

function cmpNullsFirst(a: unknown, b: unknown, temporal: boolean): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an && bn ? 0 : an ? -1 : 1;
  return compareValues(a, b, temporal) ?? 0;
}

export function order(op: OrderOp, frame: Frame, env: EvalEnv): Frame {
  const keys: Array<{ f: RowFn; sign: number; temporal: boolean }> = op.keys.map((k) => ({
    f: compileExpr(k.expr, frame, env, false),
    sign: k.direction === 'desc' ? -1 : 1,
    temporal:
      k.expr.kind !== 'var' &&
      k.expr.kind !== 'compare' &&
      k.expr.kind !== 'call' &&
      classOf(k.expr.type) === 'temporal',
  }));
  // Total order: then the bound nodes' ids, then the value columns (group keys), ascending.
  const ties: RowFn[] = [
    ...[...frame.vars.values()].map((c) => (r: number) => c.table.ids[c.pos[r]]),
    ...[...frame.vals.values()].map((c) => (r: number) => c[r]),
  ];
  const rows = Array.from({ length: frame.n }, (_, i) => i);
  const cache = keys.map((k) => rows.map((r) => k.f(r)));
  rows.sort((x, y) => {
    for (let i = 0; i < keys.length; i++) {
      // desc reverses the whole comparison, so nulls (first under asc) come last.
      const c = cmpNullsFirst(cache[i][x], cache[i][y], keys[i].temporal) * keys[i].sign;
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
