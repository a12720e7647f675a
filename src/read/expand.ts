/**
 * The `expand` op (docs/query-language.md §Semantics): from each row's bound node,
 * the nodes a traversal reaches — breadth-first over the graph index, each node once
 * per source at its shortest distance, in one direction (CSR out, CSC in) or in both
 * (undirected: both arrays, one visited set, so a pair linked both ways counts once)
 * — or, with an edge binding, one row per matching edge of the edge table.
 */
import type { ReadOp } from '../query/types.js';
import type { EdgeTable } from './edge-table.js';
import { extend, takeRows, type Frame } from './frame.js';
import type { GraphIndex } from './graph-index.js';
import type { NodeTable } from './tables.js';

type ExpandOp = Extract<ReadOp, { op: 'expand' }>;

/** Per (graph index end space, node table rows): each dense id's row position, -1 when absent. */
const positionMaps = new WeakMap<readonly string[], WeakMap<readonly string[], Int32Array>>();

export function positionsOf(
  index: GraphIndex,
  direction: 'out' | 'in',
  table: NodeTable,
): Int32Array {
  const ends = index.endIds(direction);
  let byTable = positionMaps.get(ends);
  if (!byTable) positionMaps.set(ends, (byTable = new WeakMap()));
  let map = byTable.get(table.ids);
  if (!map) {
    map = new Int32Array(ends.length);
    for (let d = 0; d < ends.length; d++) map[d] = table.positionOf(ends[d]) ?? -1;
    byTable.set(table.ids, map);
  }
  return map;
}

function reach(index: GraphIndex, op: ExpandOp, id: string): number[] {
  return op.direction === 'both'
    ? index.reachUndirected(id, op.minHops, op.maxHops)
    : index.reachDense(id, op.direction, op.minHops, op.maxHops);
}

/** The graph index's end space of an expansion ('both': the shared space, as 'out'). */
export const endOf = (op: ExpandOp): 'out' | 'in' => (op.direction === 'in' ? 'in' : 'out');

/** The node table an expansion lands in, and each reached dense id's row in it (-1: none). */
export type Destination = (
  reached: number[][],
  total: number,
) => Promise<{ table: NodeTable; toPos: (d: number) => number }>;

/**
 * An expansion over the graph index; `counted` receives the nodes each source reached.
 * `destination` gives the node table of a new variable once the reached nodes are known
 * (so a first read can fetch only those).
 */
export async function expandNodes(
  op: ExpandOp,
  frame: Frame,
  index: GraphIndex,
  destination: Destination,
  counted: (n: number) => void,
): Promise<Frame> {
  const from = frame.vars.get(op.from)!;
  const rows: number[] = [];
  if (op.into) {
    const target = frame.vars.get(op.to)!;
    for (let r = 0; r < frame.n; r++) {
      const t = index.endDense(target.table.ids[target.pos[r]], endOf(op));
      if (t === undefined) continue;
      const reached = reach(index, op, from.table.ids[from.pos[r]]);
      counted(reached.length);
      if (reached.includes(t)) rows.push(r);
    }
    return takeRows(frame, rows);
  }
  const reached: number[][] = new Array(frame.n);
  let total = 0;
  for (let r = 0; r < frame.n; r++) {
    reached[r] = reach(index, op, from.table.ids[from.pos[r]]);
    counted(reached[r].length);
    total += reached[r].length;
  }
  const { table, toPos } = await destination(reached, total);
  const positions: number[] = [];
  for (let r = 0; r < frame.n; r++)
    for (const d of reached[r]) {
      const p = toPos(d);
      if (p < 0) continue;
      rows.push(r);
      positions.push(p);
    }
  return extend(frame, rows, op.to, table, positions);
}

/** The edges of node `id` an expansion follows ('both': each edge once, a self-loop too). */
function edgesOf(edges: EdgeTable, direction: ExpandOp['direction'], id: string): number[] {
  if (direction === 'out') return [...edges.from(id)];
  if (direction === 'in') return [...edges.to(id)];
  return [...edges.from(id), ...edges.to(id).filter((e) => edges.src[e] !== edges.dst[e])];
}

/**
 * An edge-bound expansion (`$a $w:edge $b`, one hop): one row per matching edge, so
 * parallel edges are separate rows; `op.edgeVar` is bound to the edge. A self-loop
 * matches with the node at both ends.
 */
export function expandEdges(
  op: ExpandOp,
  frame: Frame,
  edges: EdgeTable,
  toTable: NodeTable | null,
  counted: (n: number) => void,
): Frame {
  const from = frame.vars.get(op.from)!;
  const target = op.into ? frame.vars.get(op.to)! : null;
  const rows: number[] = [];
  const edgePos: number[] = [];
  const toPos: number[] = [];
  for (let r = 0; r < frame.n; r++) {
    const id = from.table.ids[from.pos[r]];
    const list = edgesOf(edges, op.direction, id);
    counted(list.length);
    for (const e of list) {
      const other =
        op.direction === 'in' || (op.direction === 'both' && edges.src[e] !== id)
          ? edges.src[e]
          : edges.dst[e];
      if (target) {
        if (other !== target.table.ids[target.pos[r]]) continue;
      } else {
        const p = toTable!.positionOf(other);
        if (p === undefined) continue;
        toPos.push(p);
      }
      rows.push(r);
      edgePos.push(e);
    }
  }
  const out = extend(frame, rows, op.edgeVar!, edges, edgePos);
  if (!target) out.vars.set(op.to, { table: toTable!, pos: toPos });
  return out;
}
