/**
 * Row changes of one table between two pins in time proportional to the change, from
 * Lance's row lineage (docs/branches-commits.md "Diff"). Tables have stable row ids
 * (src/storage/table-store.ts), so for `x` an ancestor version of `y` on one line:
 *
 * - the rows `y` wrote after `x` are those with `_row_last_updated_at_version > x`
 *   (one filtered scan; a row keeps its row id and versions through compaction);
 *   among them `_row_created_at_version > x` are new row ids, the others existed at `x`
 *   under the same row id and their `x` image is one take by row id;
 * - the rows deleted in between come from the fragments whose deletion file changed
 *   (src/storage/lance-lineage.ts), never from a scan of unchanged rows;
 * - every candidate is then checked against its `x` image by id: a rewrite of equal
 *   values, a delete and re-insert of equal values, a compaction is no change.
 *
 * Two pins on different lines (a branch's Lance branch and its parent's) are each
 * diffed from their newest common ancestor version and the two change sets combined.
 * Whatever the lineage cannot vouch for — a table without stable row ids (created
 * before them), a column change in between, row counts that do not add up — returns
 * a reason instead, and the caller falls back to the full compare (src/read/diff.ts).
 */
import type { TypeDef } from '../schema/types.js';
import type { TablePin } from '../journal/index.js';
import { removedRowIds, type TableHandle, type TableStore } from '../storage/index.js';

export type Row = Record<string, unknown>;

/** One logical row's state at the two versions (null: absent); may be equal (checked later). */
export interface Candidate {
  before: Row | null;
  after: Row | null;
}

export interface LineageContext {
  store: TableStore;
  openPinned(tableKey: string, pin: TablePin): Promise<TableHandle>;
}

/** A place on a table's lines: a Lance branch (null = main line) and a version. */
interface Point {
  line: string | null;
  version: number;
}

/** Why the lineage cannot answer (the full compare then does). */
export class LineageUnavailable extends Error {}

const LINEAGE_COLUMNS = new Set(['_rowid', '_row_created_at_version']);

function strip(r: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) if (!LINEAGE_COLUMNS.has(k)) out[k] = v;
  return out;
}

/** The chain of lines a pin descends from, newest first: [(its line, v), (parent, fork), …]. */
async function chainOf(ctx: LineageContext, def: TypeDef, pin: TablePin): Promise<Point[]> {
  const chain: Point[] = [{ line: pin.lanceBranch, version: pin.version }];
  if (pin.lanceBranch === null) return chain;
  const branches = await ctx.store.listBranches(def.tableKey, def.tablePath);
  const byName = new Map(branches.map((b) => [b.name, b]));
  for (let line: string | null = pin.lanceBranch; line !== null;) {
    const b = byName.get(line);
    if (!b) throw new LineageUnavailable(`Lance branch ${line} has no recorded parent`);
    const parent =
      b.parentBranch === undefined || b.parentBranch === 'main' ? null : b.parentBranch;
    chain.push({ line: parent, version: b.parentVersion });
    line = parent;
  }
  return chain;
}

/** The newest version both pins descend from. */
async function commonAncestor(
  ctx: LineageContext,
  def: TypeDef,
  a: TablePin,
  b: TablePin,
): Promise<Point> {
  const ca = await chainOf(ctx, def, a);
  const cb = await chainOf(ctx, def, b);
  for (const p of ca) {
    const q = cb.find((x) => x.line === p.line);
    if (q) return { line: p.line, version: Math.min(p.version, q.version) };
  }
  throw new LineageUnavailable('the two pins share no Lance line');
}

function pinOf(p: Point, tableKey: string): TablePin {
  return { tableKey, version: p.version, lanceBranch: p.line };
}

/**
 * Every row that may differ between `x` and `y` (`x` an ancestor version of `y`), by
 * id, with its image at each; rows outside the result are equal at both.
 */
async function lineCandidates(
  ctx: LineageContext,
  def: TypeDef,
  x: TablePin,
  y: TablePin,
): Promise<Map<string, Candidate>> {
  const out = new Map<string, Candidate>();
  if (x.version === y.version && x.lanceBranch === y.lanceBranch) return out;
  const lx = await ctx.store.lineageVersion(def.tableKey, def.tablePath, x.version, x.lanceBranch);
  const ly = await ctx.store.lineageVersion(def.tableKey, def.tablePath, y.version, y.lanceBranch);
  if (!lx.stableRowIds || !ly.stableRowIds)
    throw new LineageUnavailable('the table has no stable row ids (created before them)');
  if (!lx.schema.equals(ly.schema)) throw new LineageUnavailable('the columns changed in between');
  const hx = await ctx.openPinned(def.tableKey, x);
  const hy = await ctx.openPinned(def.tableKey, y);
  const written = await hy.rowsWrittenAfter(x.version);
  const existed = written.filter((r) => Number(r._row_created_at_version) <= x.version);
  const created = written.length - existed.length;
  // Rows live at y = live at x - removed + created: with nothing removed (updates and
  // inserts only) no deletion file is read at all.
  const removedCount = lx.liveRows - ly.liveRows + created;
  const removed = removedCount === 0 ? [] : removedRowIds(lx, ly);
  if (removed.length !== removedCount)
    throw new LineageUnavailable(
      `row counts do not add up (${lx.liveRows} - ${removed.length} + ${created} != ${ly.liveRows})`,
    );
  const olds = await hx.rowsByRowId([
    ...existed.map((r) => r._rowid as bigint),
    ...removed.map((id) => BigInt(id)),
  ]);
  const byRowId = new Map(olds.map((r) => [String(r._rowid), strip(r)]));
  if (byRowId.size !== existed.length + removed.length)
    throw new LineageUnavailable('a row written in between has no image at the older version');
  for (const id of removed) {
    const before = byRowId.get(String(id))!;
    out.set(String(before.id), { before, after: null });
  }
  for (const r of written) {
    const id = String(r.id);
    const removedBefore = out.get(id);
    const prior = removedBefore ? removedBefore.before : (byRowId.get(String(r._rowid)) ?? null);
    out.set(id, { before: prior, after: strip(r) });
  }
  return out;
}

/**
 * Candidates of every row that may differ from `from` to `to` (any two pins of one
 * table), by id. Throws LineageUnavailable when the lineage cannot vouch for them.
 */
export async function lineageCandidates(
  ctx: LineageContext,
  def: TypeDef,
  from: TablePin,
  to: TablePin,
): Promise<Map<string, Candidate>> {
  try {
    const anc = pinOf(await commonAncestor(ctx, def, from, to), def.tableKey);
    const sameAsFrom = anc.version === from.version && anc.lanceBranch === from.lanceBranch;
    const sameAsTo = anc.version === to.version && anc.lanceBranch === to.lanceBranch;
    if (sameAsFrom) return await lineCandidates(ctx, def, from, to);
    const a = await lineCandidates(ctx, def, anc, from);
    if (sameAsTo) return reverse(a);
    const b = await lineCandidates(ctx, def, anc, to);
    const out = new Map<string, Candidate>();
    for (const [id, c] of a) {
      const other = b.get(id);
      out.set(id, { before: c.after, after: other ? other.after : c.before });
    }
    for (const [id, c] of b) if (!a.has(id)) out.set(id, { before: c.before, after: c.after });
    return out;
  } catch (err) {
    // Anything the lineage could not read (an ancestor version cleanup removed, a file
    // it cannot parse) is a reason to compare in full, which reads only the two pins.
    if (err instanceof LineageUnavailable) throw err;
    throw new LineageUnavailable(err instanceof Error ? err.message : String(err));
  }
}

function reverse(m: Map<string, Candidate>): Map<string, Candidate> {
  const out = new Map<string, Candidate>();
  for (const [id, c] of m) out.set(id, { before: c.after, after: c.before });
  return out;
}
