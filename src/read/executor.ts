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
import { endOf, expandEdges, expandNodes, positionsOf } from './expand.js';
import type { GraphIndex } from './graph-index.js';
import type { ReadResult } from './types.js';
import { embedQueryTexts, isRankCall, withRanks, type RankEnv } from './ranking.js';
import { topKFrame, topKShape } from './topk.js';
import { vectorAggregate, vectorPlan } from './aggregate-vector.js';
import { typedFromValues, type TypedColumn } from './typed-columns.js';

const typeOfProp = (def: NodeTypeDef, prop: string) =>
  def.properties.find((p) => p.name === prop)!.type;

const ORIGIN = '\u0000origin';
/** Reached nodes a first read fetches by id instead of loading the whole node table. */
const FETCH_REACHED_MAX = 4096;

type ScanOp = Extract<ReadOp, { op: 'scan' }>;
type ExpandOp = Extract<ReadOp, { op: 'expand' }>;
type AggregateOp = Extract<ReadOp, { op: 'aggregate' }>;

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
      if (op.op === 'expand') {
        scope.set(op.to, op.toTableKey);
        if (op.edgeVar !== null) scope.set(op.edgeVar, op.edgeTableKey);
      }
      if (op.op === 'anti_join') walk(op.ops, new Map(scope));
      for (const e of opExprs(op)) walkExpr(e, scope);
    }
  };
  walk(plan.ops, new Map());
  return needed;
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
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      switch (op.op) {
        case 'scan': {
          const next = ops[i + 1];
          const grouped =
            next?.op === 'aggregate' ? await this.scanAggregate(op, next, frame) : null;
          if (grouped) {
            frame = grouped;
            i++;
          } else frame = await this.scan(op, frame);
          break;
        }
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
          frame = this.vectorised(op, frame) ?? aggregate(op, frame, this.env);
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

  /**
   * A scan of a whole node table straight into a vectorised aggregate: only the
   * aggregated columns are read (typed, no ids, no JS value per row). Null when the
   * scan filters, is not the pipeline's first op, or the aggregate is not vectorisable.
   */
  private async scanAggregate(scan: ScanOp, agg: AggregateOp, frame: Frame): Promise<Frame | null> {
    if (scan.where.length > 0 || frame.n !== 1 || frame.vars.size > 0 || frame.vals.size > 0)
      return null;
    const def = this.nodeDef(scan.tableKey);
    const plan = vectorPlan(agg, scan.var, def);
    if (!plan) return null;
    const typed = await this.reader.typedColumns(def, plan.props);
    if (!typed) return null;
    const out = vectorAggregate(agg, plan, typed.columns, null, typed.size);
    if (out) this.rowsScanned += typed.size;
    return out;
  }

  /** The aggregate over one bound variable's rows, vectorised over its table's typed columns. */
  private vectorised(op: AggregateOp, frame: Frame): Frame | null {
    if (frame.vars.size !== 1 || frame.vals.size > 0) return null;
    const [[v, col]] = [...frame.vars];
    if (col.table.def.kind !== 'node') return null;
    const table = col.table as NodeTable;
    const plan = vectorPlan(op, v, table.def);
    if (!plan) return null;
    const columns = new Map<string, TypedColumn>();
    for (const p of plan.props) {
      const typed = typedFromValues(table.column(p), typeOfProp(table.def, p));
      if (!typed) return null;
      columns.set(p, typed);
    }
    return vectorAggregate(op, plan, columns, col.pos, table.size);
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
    const counted = (n: number): void => {
      this.rowsScanned += n;
    };
    if (op.edgeVar !== null) {
      // Into a bound variable: its rows are in the frame already.
      const toTable = op.into ? null : await this.table(op.toTableKey);
      const def = this.edgeDef(op.edgeTableKey);
      const from = frame.vars.get(op.from)!;
      const ids = [...new Set(from.pos.map((p) => from.table.ids[p]))];
      const side = op.direction === 'both' ? 'both' : op.direction === 'out' ? 'src' : 'dst';
      const needed = this.needed.get(op.edgeTableKey) ?? [];
      const edges = await this.reader.edgeTable(def, needed, { ids, side });
      return expandEdges(op, frame, edges, toTable, counted);
    }
    // No rows: bind the variable (later ops refer to it) without building the index.
    if (frame.n === 0)
      return op.into ? frame : extend(frame, [], op.to, await this.table(op.toTableKey), []);
    const index = await this.reader.graphIndex(this.edgeDef(op.edgeTableKey), op.direction);
    return expandNodes(
      op,
      frame,
      index,
      (reached, total) => this.reachedNodes(op, index, reached, total),
      counted,
    );
  }

  /**
   * The node table an expansion lands in and each reached dense id's row there (-1:
   * no such node). A first read of an uncached node table fetches only the reached
   * nodes (a few thousand at most); otherwise the whole table's columns, cached.
   */
  private async reachedNodes(
    op: ExpandOp,
    index: GraphIndex,
    reached: number[][],
    total: number,
  ): Promise<{ table: NodeTable; toPos: (d: number) => number }> {
    if (total <= FETCH_REACHED_MAX) {
      const distinct = new Set<number>();
      for (const list of reached) for (const d of list) distinct.add(d);
      const dense = [...distinct];
      const ids = dense.map((d) => index.endId(endOf(op), d));
      const fetched = await this.reader.nodesByIds(
        this.nodeDef(op.toTableKey),
        this.needed.get(op.toTableKey) ?? [],
        ids,
      );
      if (fetched) {
        const pos = new Map<number, number>();
        dense.forEach((d, i) => pos.set(d, fetched.positionOf(ids[i]) ?? -1));
        return { table: fetched, toPos: (d) => pos.get(d)! };
      }
    }
    const table = await this.table(op.toTableKey);
    const map = positionsOf(index, endOf(op), table);
    return { table, toPos: (d) => map[d] };
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
