/**
 * The executor's intermediate result: `n` rows of variable assignments, stored by
 * column — per variable, the row positions of its nodes (or, for an edge variable,
 * its edges) in their table — plus named value columns (aggregate outputs).
 */
import type { EdgeTable } from './edge-table.js';
import type { NodeTable } from './tables.js';

export type VarColumn = { table: NodeTable; pos: number[] } | { table: EdgeTable; pos: number[] };

export interface Frame {
  n: number;
  vars: Map<string, VarColumn>;
  vals: Map<string, unknown[]>;
}

/** The frame with one row and nothing bound: where every pipeline starts. */
export function unitFrame(): Frame {
  return { n: 1, vars: new Map(), vals: new Map() };
}

/** The rows `rows` of `frame` (in that order, repeats allowed). */
export function takeRows(frame: Frame, rows: number[]): Frame {
  const vars = new Map<string, VarColumn>();
  for (const [v, c] of frame.vars) vars.set(v, { ...c, pos: rows.map((r) => c.pos[r]) });
  const vals = new Map<string, unknown[]>();
  for (const [k, c] of frame.vals)
    vals.set(
      k,
      rows.map((r) => c[r]),
    );
  return { n: rows.length, vars, vals };
}

/** `takeRows(frame, rows)` plus a new variable bound to `positions` (parallel to `rows`). */
export function extend(
  frame: Frame,
  rows: number[],
  name: string,
  table: NodeTable | EdgeTable,
  positions: number[],
): Frame {
  const out = takeRows(frame, rows);
  out.vars.set(name, { table, pos: positions } as VarColumn);
  return out;
}
