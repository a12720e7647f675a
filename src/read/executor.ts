/**
 * Runs a compiled read plan (src/query/types.ts ReadPlan) at one snapshot: every
 * table is read at the pins of that snapshot's manifest version. Scans read node
 * columns (cached per table version), expansions walk the edge table's graph index
 * from the bound variable — a variable reached by a traversal is never scanned
 * and joined afterwards — and filters apply to the rows they produce.
 */
import { findEdgeType, findNodeType } from '../schema/lookup.js';
import type { EdgeTypeDef, NodeTypeDef } from '../schema/types.js';
import type { IrExpr, QueryValue, ReadOp, ReadPlan } from '../query/types.js';
import type { Snapshot, TablePin } from '../journal/index.js';
import { compileExpr, compilePredicate, rankKey, type EvalEnv } from './eval.js';
import { extend, takeRows, unitFrame, type Frame } from './frame.js';
import { aggregate, limit, order, project } from './shape.js';
import { scanWhereSql } from './pushdown.js';
import { TableReader, type NodeTable, type ReadContext } from './tables.js';
import type { GraphIndex } from './graph-index.js';
import type { ReadResult } from './types.js';
import { embedQueryTexts, isRankCall, withRanks, type RankEnv } from './ranking.js';
import { topKFrame, topKShape } from './topk.js';

const ORIGIN = '\u0000origin';

type ScanOp = Extract<ReadOp, { op: 'scan' }>;
type ExpandOp = Extract<ReadOp, { op: 'expand' }>;

function opExprs(op: ReadOp): IrExpr[] {
  switch (op.op) {
    case 'scan':
      return op.where;
    case 'filter':
      return [op.predicate];
    case 'aggregate':
      return [...op.keys.map((k) => k.expr), ...op.aggregates.map((a) => a.expr)];
    case 'order':
      return op.keys.map((k) => k.expr);
    case 'project':
      return op.columns.map((c) => c.expr);
    default:
      return [];
  }
}

/** Per node table, the properties the plan reads (variables resolved per scope). */
function neededColumns(plan: ReadPlan, catalog: ReadContext['catalog']): Map<string, Set<string>> {
  const needed = new Map<string, Set<string>>();
  const add = (tableKey: string, prop: string): void => {
    let s = needed.get(tableKey);
    if (!s) needed.set(tableKey, (s = new Set()));
    s.add(prop);
  };
  const walkExpr = (e: IrExpr, scope: Map<string, string>): void => {
    switch (e.kind) {
      case 'prop':
        add(scope.get(e.var)!, e.prop);
        break;
      case 'var': {
        const key = scope.get(e.var)!;
        const def = findNodeType(catalog, key)!;
        for (const p of def.properties) add(key, p.name);
        break;
      }
      case 'compare':
        walkExpr(e.left, scope);
        walkExpr(e.right, scope);
        break;
      case 'list':
        e.items.forEach((i) => walkExpr(i, scope));
        break;
      case 'aggregate':
        walkExpr(e.arg, scope);
        break;
      case 'call':
        e.args.forEach((a) => walkExpr(a, scope));
        break;
      default:
        break;
    }
  };
  const walk = (ops: ReadOp[], scope: Map<string, string>): void => {
    for (const op of ops) {
      if (op.op === 'scan') scope.set(op.var, op.tableKey);
      if (op.op === 'expand') scope.set(op.to, op.toTableKey);
      if (op.op === 'anti_join') walk(op.ops, new Map(scope));
      for (const e of opExprs(op)) walkExpr(e, scope);
    }
  };
  walk(plan.ops, new Map());
  return needed;
}

/** Per (graph index end space, node table rows): each dense id's row position, -1 when absent. */
const positionMaps = new WeakMap<readonly string[], WeakMap<readonly string[], Int32Array>>();

function positionsOf(index: GraphIndex, direction: 'out' | 'in', table: NodeTable): Int32Array {
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

class Run {
  rowsScanned = 0;

  constructor(
    private readonly ctx: ReadContext,
    private readonly reader: TableReader,
    private readonly env: EvalEnv,
    private readonly needed: Map<string, Set<string>>,
    private readonly ranks: RankEnv,
  ) {}

  private nodeDef(tableKey: string): NodeTypeDef {
    return findNodeType(this.ctx.catalog, tableKey)!;
  }

  private edgeDef(tableKey: string): EdgeTypeDef {
    return findEdgeType(this.ctx.catalog, tableKey)!;
  }

  private table(tableKey: string): Promise<NodeTable> {
    return this.reader.nodeTable(this.nodeDef(tableKey), this.needed.get(tableKey) ?? []);
  }

  async pipeline(ops: ReadOp[], start: Frame): Promise<Frame> {
    let frame = start;
    for (const op of ops) {
      switch (op.op) {
        case 'scan':
          frame = await this.scan(op, frame);
          break;
        case 'expand':
          frame = await this.expand(op, frame);
          break;
        case 'filter': {
          const keep = compilePredicate(op.predicate, frame, this.env);
          const rows: number[] = [];
          for (let r = 0; r < frame.n; r++) if (keep(r)) rows.push(r);
          if (rows.length !== frame.n) frame = takeRows(frame, rows);
          break;
        }
        case 'anti_join':
          frame = await this.antiJoin(op.correlated, op.ops, frame);
          break;
        case 'aggregate':
          frame = aggregate(op, frame, this.env);
          break;
        case 'order': {
          frame = await withRanks(frame, opExprs(op), this.ranks);
          // A ranking as the first key retrieves: rows it gives no value are not results.
          const first = op.keys[0].expr;
          if (isRankCall(first)) {
            const values = frame.vals.get(rankKey(first))!;
            const rows: number[] = [];
            for (let r = 0; r < frame.n; r++) if (values[r] !== null) rows.push(r);
            if (rows.length !== frame.n) frame = takeRows(frame, rows);
          }
          frame = order(op, frame, this.env);
          break;
        }
        case 'limit':
          frame = limit(op.count, frame);
          break;
        case 'project':
          frame = await withRanks(frame, opExprs(op), this.ranks);
          break;
      }
    }
    return frame;
  }

  /** Candidate positions: by id when the scan matches the id or the key with a string/integer value. */
  private candidates(op: ScanOp, table: NodeTable): number[] | null {
    const key = table.def.constraints.key[0];
    for (const w of op.where) {
      if (w.kind !== 'compare' || w.op !== '=' || w.left.kind !== 'prop') continue;
      if (w.left.prop !== 'id' && w.left.prop !== key) continue;
      const v = compileExpr(w.right, unitFrame(), this.env)(0);
      if (typeof v !== 'string' && typeof v !== 'bigint' && typeof v !== 'number') continue;
      const p = table.positionOf(String(v));
      return p === undefined ? [] : [p];
    }
    return null;
  }

  /** First read of an uncached table version with SQL-expressible predicates: push them down. */
  private async pushed(op: ScanOp): Promise<NodeTable | null> {
    const sql = scanWhereSql(op.where, (e) =>
      e.kind === 'literal' || e.kind === 'param'
        ? (compileExpr(e, unitFrame(), this.env)(0) as QueryValue)
        : undefined,
    );
    if (sql === null) return null;
    return this.reader.pushedNodes(
      this.nodeDef(op.tableKey),
      this.needed.get(op.tableKey) ?? [],
      sql,
    );
  }

  private async scan(op: ScanOp, frame: Frame): Promise<Frame> {
    const table = (await this.pushed(op)) ?? (await this.table(op.tableKey));
    const probe: Frame = { n: 0, vars: new Map(), vals: new Map() };
    const found = this.candidates(op, table);
    const cand = found ?? Array.from({ length: table.size }, (_, i) => i);
    this.rowsScanned += cand.length;
    probe.n = cand.length;
    probe.vars.set(op.var, { table, pos: cand });
    let matched = cand;
    for (const w of op.where) {
      const keep = compilePredicate(w, probe, this.env);
      const next: number[] = [];
      for (let i = 0; i < matched.length; i++) if (keep(i)) next.push(matched[i]);
      matched = next;
      probe.vars.set(op.var, { table, pos: matched });
      probe.n = matched.length;
    }
    if (frame.n === 1 && frame.vars.size === 0 && frame.vals.size === 0)
      return {
        n: matched.length,
        vars: new Map([[op.var, { table, pos: matched }]]),
        vals: new Map(),
      };
    // A second scan in one pipeline is a cross product (the compiler emits it only for unconnected variables).
    const rows: number[] = [];
    const positions: number[] = [];
    for (let r = 0; r < frame.n; r++)
      for (const p of matched) {
        rows.push(r);
        positions.push(p);
      }
    return extend(frame, rows, op.var, table, positions);
  }

  private async expand(op: ExpandOp, frame: Frame): Promise<Frame> {
    // No rows: bind the variable (later ops refer to it) without building the index.
    if (frame.n === 0)
      return op.into ? frame : extend(frame, [], op.to, await this.table(op.toTableKey), []);
    const index = await this.reader.graphIndex(this.edgeDef(op.edgeTableKey));
    const from = frame.vars.get(op.from)!;
    const rows: number[] = [];
    if (op.into) {
      const target = frame.vars.get(op.to)!;
      for (let r = 0; r < frame.n; r++) {
        const t = index.endDense(target.table.ids[target.pos[r]], op.direction);
        if (t === undefined) continue;
        const reached = index.reachDense(
          from.table.ids[from.pos[r]],
          op.direction,
          op.minHops,
          op.maxHops,
        );
        this.rowsScanned += reached.length;
        if (reached.includes(t)) rows.push(r);
      }
      return takeRows(frame, rows);
    }
    const toTable = await this.table(op.toTableKey);
    const toPos = positionsOf(index, op.direction, toTable);
    const positions: number[] = [];
    for (let r = 0; r < frame.n; r++) {
      const reached = index.reachDense(
        from.table.ids[from.pos[r]],
        op.direction,
        op.minHops,
        op.maxHops,
      );
      this.rowsScanned += reached.length;
      for (const d of reached) {
        const p = toPos[d];
        if (p < 0) continue;
        rows.push(r);
        positions.push(p);
      }
    }
    return extend(frame, rows, op.to, toTable, positions);
  }

  /** Runs the inner pipeline once over all rows, tagged by origin; keeps rows no extension satisfied. */
  private async antiJoin(correlated: string[], ops: ReadOp[], frame: Frame): Promise<Frame> {
    const inner: Frame = { n: frame.n, vars: new Map(), vals: new Map() };
    for (const v of correlated) inner.vars.set(v, frame.vars.get(v)!);
    inner.vals.set(
      ORIGIN,
      Array.from({ length: frame.n }, (_, i) => i),
    );
    const out = await this.pipeline(ops, inner);
    const hit = new Set(out.vals.get(ORIGIN) as number[]);
    const rows: number[] = [];
    for (let r = 0; r < frame.n; r++) if (!hit.has(r)) rows.push(r);
    return rows.length === frame.n ? frame : takeRows(frame, rows);
  }
}

/** Top-k through Lance when the plan has that shape and Lance can answer it, else the full pipeline. */
async function runPlan(
  plan: ReadPlan,
  run: Run,
  reader: TableReader,
  needed: Map<string, Set<string>>,
  env: EvalEnv,
  ctx: ReadContext,
): Promise<Frame> {
  const shape = topKShape(plan);
  if (shape) {
    const def = findNodeType(ctx.catalog, shape.scan.tableKey)!;
    const candidates = await topKFrame(plan, reader, def, needed.get(def.tableKey) ?? [], env);
    if (candidates) {
      run.rowsScanned += candidates.n;
      return run.pipeline(plan.ops.slice(1), candidates);
    }
  }
  return run.pipeline(plan.ops, unitFrame());
}

/** Executes a read plan with bound parameters at `snapshot`. */
export async function executeRead(
  ctx: ReadContext,
  plan: ReadPlan,
  params: Map<string, QueryValue>,
  snapshot: Snapshot,
  startMs: number = performance.now(),
): Promise<ReadResult> {
  const pins = new Map<string, TablePin>(snapshot.pins.map((p) => [p.tableKey, p]));
  const reader = new TableReader(ctx, pins);
  const env: EvalEnv = { params, nowIso: new Date().toISOString() };
  await embedQueryTexts(plan, env, ctx.embeddings);
  const limitOp = plan.ops.find((o) => o.op === 'limit');
  const ranks: RankEnv = { reader, env, depth: limitOp?.op === 'limit' ? limitOp.count : null };
  const needed = neededColumns(plan, ctx.catalog);
  const run = new Run(ctx, reader, env, needed, ranks);
  const frame = await runPlan(plan, run, reader, needed, env, ctx);
  const projectOp = plan.ops.find((o) => o.op === 'project');
  const rows = projectOp && projectOp.op === 'project' ? project(projectOp, frame, env) : [];
  return {
    query: plan.name,
    target: {
      branch: snapshot.branch,
      manifestVersion: snapshot.manifestVersion,
      commitId: snapshot.commitId,
    },
    columns: plan.columns,
    rows,
    stats: {
      tablesRead: reader.tablesRead.size,
      rowsScanned: run.rowsScanned,
      ms: performance.now() - startMs,
    },
  };
}
