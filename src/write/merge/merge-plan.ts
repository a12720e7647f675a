/**
 * The three-way merge of one branch's state into another's, per table by row id
 * (docs/branches-commits.md "Merge"). Reads only; the write is src/write/merge/merge.ts.
 *
 * For each table: the source's changes since the base (`theirs`) are applied to the
 * target unless the target changed the same row (`ours`). A row changed on both sides
 * merges property by property: a property changed on one side only takes that side's
 * value, the same change on both sides is no conflict, different changes of one
 * property are a `DivergentUpdate`. Then the merged state (target + applied changes) is
 * checked against the schema's cross-row rules: edges whose endpoint is gone
 * (`OrphanEdge`), `@unique` and `@card`.
 */
import type { EdgeTypeDef, TypeDef } from '../../schema/types.js';
import { findType } from '../../schema/lookup.js';
import type { Snapshot, TablePin } from '../../journal/index.js';
import { LancelogError, RepoError } from '../../errors.js';
import { idInPredicate } from '../../storage/index.js';
import {
  comparedColumns,
  rowsById,
  samePin,
  sameRow,
  tableChangesFromBase,
  valueKey,
  type DiffContext,
  type Row,
  type RowDelta,
} from '../../read/diff.js';

export const MERGE_CONFLICT_KINDS = [
  'DivergentInsert',
  'DivergentUpdate',
  'DeleteVsUpdate',
  'OrphanEdge',
  'UniqueViolation',
  'CardinalityViolation',
  'ValueConstraintViolation',
] as const;
export type MergeConflictKind = (typeof MERGE_CONFLICT_KINDS)[number];

export interface MergeConflict {
  tableKey: string;
  /** The row at fault (null for a rule about several rows without one culprit). */
  rowId: string | null;
  kind: MergeConflictKind;
  message: string;
}

/** Every conflict of a merge, reported together; nothing was written. */
export class MergeConflictsError extends LancelogError {
  constructor(
    readonly conflicts: MergeConflict[],
    ctx: { source: string; target: string },
  ) {
    super(
      'MergeConflicts',
      [
        `merging ${ctx.source} into ${ctx.target}: ${conflicts.length} conflict(s), nothing was written`,
        ...conflicts.map(
          (c) =>
            `  ${c.kind} ${c.tableKey}${c.rowId !== null ? ` ${JSON.stringify(c.rowId)}` : ''}: ${c.message}`,
        ),
      ].join('\n'),
      { source: ctx.source, target: ctx.target, conflicts: conflicts.map(conflictJSON) },
    );
  }

  /** `{ error, code, details, conflicts }`: the conflicts also at the top level (the CLI's JSON). */
  override toJSON() {
    return { ...super.toJSON(), conflicts: this.conflicts.map(conflictJSON) };
  }
}

export function conflictJSON(c: MergeConflict) {
  return { table_key: c.tableKey, row_id: c.rowId, kind: c.kind, message: c.message };
}

/** What the merge writes to one table of the target. */
export interface TableMerge {
  def: TypeDef;
  upserts: Map<string, Row>;
  deletes: Set<string>;
  /** The source-side rows before each applied delete (an edge's src matters for @card). */
  deletedBefore: Map<string, Row>;
}

export interface MergePlan {
  tables: TableMerge[];
  conflicts: MergeConflict[];
}

function pinOf(s: Snapshot, tableKey: string): TablePin {
  const p = s.pins.find((x) => x.tableKey === tableKey);
  if (!p)
    throw new RepoError('TableNotPinned', `${tableKey} has no pin on ${s.branch}`, {
      tableKey,
    });
  return p;
}

/** A row changed on both sides: the merged row, or the properties that conflict. */
function mergeRow(def: TypeDef, base: Row, ours: Row, theirs: Row): Row | string[] {
  const merged: Row = { ...ours };
  const clash: string[] = [];
  for (const c of comparedColumns(def)) {
    const [b, o, t] = [valueKey(base[c]), valueKey(ours[c]), valueKey(theirs[c])];
    if (t === b || o === t) continue;
    if (o === b) merged[c] = theirs[c];
    else clash.push(c);
  }
  return clash.length > 0 ? clash : merged;
}

/** Resolves one row changed on both sides; returns the conflict, or applies the merged row. */
function resolveBoth(
  def: TypeDef,
  id: string,
  o: RowDelta,
  t: RowDelta,
  out: TableMerge,
): MergeConflict | null {
  const conflict = (kind: MergeConflictKind, message: string): MergeConflict => ({
    tableKey: def.tableKey,
    rowId: id,
    kind,
    message,
  });
  if (o.op === 'delete' && t.op === 'delete') return null;
  if (o.op === 'delete' || t.op === 'delete')
    return conflict(
      'DeleteVsUpdate',
      `${def.name} ${JSON.stringify(id)} was deleted on the ${o.op === 'delete' ? 'target' : 'source'} and updated on the ${o.op === 'delete' ? 'source' : 'target'}`,
    );
  if (o.op === 'insert' || t.op === 'insert') {
    if (sameRow(def, o.after!, t.after!)) return null;
    return conflict(
      'DivergentInsert',
      `${def.name} ${JSON.stringify(id)} was inserted on both sides with different values`,
    );
  }
  const merged = mergeRow(def, o.before!, o.after!, t.after!);
  if (Array.isArray(merged))
    return conflict(
      'DivergentUpdate',
      `${def.name} ${JSON.stringify(id)}: ${merged.join(', ')} changed differently on both sides`,
    );
  if (!sameRow(def, merged, o.after!)) out.upserts.set(id, merged);
  return null;
}

/** Per table: the source's changes to apply to the target, and the row conflicts. */
async function mergeTable(
  ctx: DiffContext,
  def: TypeDef,
  base: Snapshot,
  target: Snapshot,
  source: Snapshot,
  conflicts: MergeConflict[],
): Promise<TableMerge | null> {
  const [b, tg, s] = [base, target, source].map((x) => pinOf(x, def.tableKey));
  if (samePin(b, s) || samePin(tg, s)) return null;
  // One base pass for both sides (the full compare's base index is built once).
  const [theirs, ours] = await tableChangesFromBase(ctx, def, b, [s, tg]);
  const out: TableMerge = { def, upserts: new Map(), deletes: new Set(), deletedBefore: new Map() };
  for (const [id, t] of theirs) {
    const o = ours.get(id);
    if (o) {
      const c = resolveBoth(def, id, o, t, out);
      if (c) conflicts.push(c);
    } else if (t.op === 'delete') {
      out.deletes.add(id);
      out.deletedBefore.set(id, t.before!);
    } else out.upserts.set(id, t.after!);
  }
  return out.upserts.size > 0 || out.deletes.size > 0 ? out : null;
}

/**
 * The merge of `source` into `target` against `base`: what to write per table and
 * every conflict (row conflicts first, then the rules of the merged state).
 */
export async function planMerge(
  ctx: DiffContext,
  base: Snapshot,
  target: Snapshot,
  source: Snapshot,
): Promise<MergePlan> {
  const conflicts: MergeConflict[] = [];
  const tables: TableMerge[] = [];
  for (const def of [...ctx.catalog.nodes, ...ctx.catalog.edges]) {
    const t = await mergeTable(ctx, def, base, target, source, conflicts);
    if (t) tables.push(t);
  }
  const state = new MergedState(ctx, target, tables);
  for (const t of tables) {
    if (t.def.kind === 'edge') conflicts.push(...(await state.orphanEdges(t.def, t)));
    conflicts.push(...(await state.uniqueViolations(t)));
  }
  for (const t of tables)
    if (t.def.kind === 'node') conflicts.push(...(await state.edgesOfDeletedNodes(t)));
  for (const edge of ctx.catalog.edges) conflicts.push(...(await state.cardinality(edge)));
  return { tables, conflicts };
}

/** The target's state with the merge's changes applied, for the cross-row rules. */
class MergedState {
  private readonly byKey: Map<string, TableMerge>;
  constructor(
    private readonly ctx: DiffContext,
    private readonly target: Snapshot,
    tables: TableMerge[],
  ) {
    this.byKey = new Map(tables.map((t) => [t.def.tableKey, t]));
  }

  private def(name: string): TypeDef {
    return findType(this.ctx.catalog, name)!;
  }

  private handle(def: TypeDef) {
    return this.ctx.openPinned(def.tableKey, pinOf(this.target, def.tableKey));
  }

  /** Which of `ids` are not rows of `def` in the merged state. */
  private async missing(def: TypeDef, ids: Set<string>): Promise<Set<string>> {
    const t = this.byKey.get(def.tableKey);
    const out = new Set<string>();
    const lookup: string[] = [];
    for (const id of ids) {
      if (t?.deletes.has(id)) out.add(id);
      else if (!t?.upserts.has(id)) lookup.push(id);
    }
    const found = await rowsById(await this.handle(def), lookup);
    for (const id of lookup) if (!found.has(id)) out.add(id);
    return out;
  }

  /** Edges the merge writes whose endpoint node is gone from the merged state. */
  async orphanEdges(edge: EdgeTypeDef, t: TableMerge): Promise<MergeConflict[]> {
    const out: MergeConflict[] = [];
    const rows = [...t.upserts.values()];
    const srcGone = await this.missing(
      this.def(edge.from),
      new Set(rows.map((r) => String(r.src))),
    );
    const dstGone = await this.missing(this.def(edge.to), new Set(rows.map((r) => String(r.dst))));
    for (const r of rows) {
      const gone = srcGone.has(String(r.src))
        ? `${edge.from} ${JSON.stringify(String(r.src))}`
        : dstGone.has(String(r.dst))
          ? `${edge.to} ${JSON.stringify(String(r.dst))}`
          : null;
      if (gone)
        out.push({
          tableKey: edge.tableKey,
          rowId: String(r.id),
          kind: 'OrphanEdge',
          message: `${edge.name} ${JSON.stringify(String(r.id))} (${String(r.src)} → ${String(r.dst)}) points at ${gone}, which the other side deleted`,
        });
    }
    return out;
  }

  /** Edges of the target that point at nodes the merge deletes (the source's cascade never saw them). */
  async edgesOfDeletedNodes(node: TableMerge): Promise<MergeConflict[]> {
    const out: MergeConflict[] = [];
    if (node.deletes.size === 0) return out;
    const ids = [...node.deletes];
    for (const edge of this.ctx.catalog.edges) {
      const sides = [
        ...(edge.from === node.def.name ? ['src'] : []),
        ...(edge.to === node.def.name ? ['dst'] : []),
      ];
      const t = this.byKey.get(edge.tableKey);
      const h = await this.handle(edge);
      for (const side of sides) {
        for (let i = 0; i < ids.length; i += 1000) {
          const where = idInPredicate(ids.slice(i, i + 1000), side);
          for (const r of await h.scan({ where, columns: ['id', 'src', 'dst'] })) {
            const eid = String(r.id);
            if (t?.deletes.has(eid)) continue;
            out.push({
              tableKey: edge.tableKey,
              rowId: eid,
              kind: 'OrphanEdge',
              message: `${edge.name} ${JSON.stringify(eid)} (${String(r.src)} → ${String(r.dst)}) points at ${node.def.name} ${JSON.stringify(String(r[side]))}, which the source deleted`,
            });
          }
        }
      }
    }
    return out;
  }

  /** Rows the merge writes whose @unique tuple another row of the merged state has. */
  async uniqueViolations(t: TableMerge): Promise<MergeConflict[]> {
    const out: MergeConflict[] = [];
    if (t.upserts.size === 0) return out;
    for (const cols of t.def.constraints.unique) {
      const tuple = (r: Row): string | null =>
        cols.some((c) => r[c] === null || r[c] === undefined)
          ? null
          : cols.map((c) => valueKey(r[c])).join('\u0001');
      const written = new Map<string, string>();
      for (const [id, r] of t.upserts) {
        const k = tuple(r);
        if (k !== null) written.set(k, id);
      }
      if (written.size === 0) continue;
      const h = await this.handle(t.def);
      for await (const r of scanColumns(h, ['id', ...cols])) {
        const rid = String(r.id);
        if (t.deletes.has(rid) || t.upserts.has(rid)) continue;
        const k = tuple(r);
        const clash = k === null ? undefined : written.get(k);
        if (clash !== undefined)
          out.push({
            tableKey: t.def.tableKey,
            rowId: clash,
            kind: 'UniqueViolation',
            message: `@unique(${cols.join(', ')}): ${t.def.name} ${JSON.stringify(clash)} from the source has the same value as ${JSON.stringify(rid)} on the target`,
          });
      }
    }
    return out;
  }

  /** Sources whose @card the merged state breaks (only sources the merge touches can break it). */
  async cardinality(edge: EdgeTypeDef): Promise<MergeConflict[]> {
    const { min, max } = edge.card;
    const t = this.byKey.get(edge.tableKey);
    if ((min === 0 && max === null) || !t) return [];
    const sources = new Set<string>();
    for (const r of t.upserts.values()) sources.add(String(r.src));
    for (const r of t.deletedBefore.values()) sources.add(String(r.src));
    for (const gone of await this.missing(this.def(edge.from), sources)) sources.delete(gone);
    const counts = new Map<string, number>([...sources].map((s) => [s, 0]));
    const list = [...sources];
    const h = await this.handle(edge);
    for (let i = 0; i < list.length; i += 1000) {
      const where = idInPredicate(list.slice(i, i + 1000), 'src');
      for (const r of await h.scan({ where, columns: ['id', 'src'] })) {
        const eid = String(r.id);
        if (t.deletes.has(eid) || t.upserts.has(eid)) continue;
        counts.set(String(r.src), counts.get(String(r.src))! + 1);
      }
    }
    for (const r of t.upserts.values())
      if (counts.has(String(r.src))) counts.set(String(r.src), counts.get(String(r.src))! + 1);
    return [...counts]
      .filter(([, n]) => n < min || (max !== null && n > max))
      .map(([src, n]) => ({
        tableKey: edge.tableKey,
        rowId: src,
        kind: 'CardinalityViolation' as const,
        message: `${edge.from} ${JSON.stringify(src)} would have ${n} ${edge.name} edge(s) after the merge; @card(${min}..${max ?? '*'})`,
      }));
  }
}

async function* scanColumns(
  h: Awaited<ReturnType<DiffContext['openPinned']>>,
  columns: string[],
): AsyncIterable<Row> {
  const cols = await h.scanColumns({ columns });
  const n = cols.get(columns[0])!.length;
  for (let i = 0; i < n; i++) {
    const r: Row = {};
    for (const c of columns) r[c] = cols.get(c)![i];
    yield r;
  }
}
