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
 * diffed from their newest common ancestor version and the two change sets combined;
 * sides diffed from one base (a merge's two sides, or those two) share one take of the
 * base's images.
 * Whatever the lineage cannot vouch for — a table without stable row ids (created
 * before them), a column change in between, row counts that do not add up — returns
 * a reason instead, and the caller falls back to the full compare (src/read/diff.ts).
 */
import type { TypeDef } from '../schema/types.js';
import type { TablePin } from '../journal/index.js';
import { MAIN_BRANCH, removedRowIds, type TableHandle, type TableStore } from '../storage/index.js';

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
      b.parentBranch === undefined || b.parentBranch === MAIN_BRANCH ? null : b.parentBranch;
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

/** What `y` wrote since `x` (an ancestor version of `y` on one line), by row lineage. */
interface LineWrites {
  /** Rows of `y` written after `x`, with `_rowid` and `_row_created_at_version`. */
  written: Row[];
  /** The row ids whose image at `x` is needed: rows updated in place, rows deleted. */
  older: bigint[];
  removed: number[];
}

async function lineWrites(
  ctx: LineageContext,
  def: TypeDef,
  x: TablePin,
  y: TablePin,
): Promise<LineWrites> {
  if (x.version === y.version && x.lanceBranch === y.lanceBranch)
    return { written: [], older: [], removed: [] };
  const lx = await ctx.store.lineageVersion(def.tableKey, def.tablePath, x.version, x.lanceBranch);
  const ly = await ctx.store.lineageVersion(def.tableKey, def.tablePath, y.version, y.lanceBranch);
  if (!lx.stableRowIds || !ly.stableRowIds)
    throw new LineageUnavailable('the table has no stable row ids (created before them)');
  if (!lx.schema.equals(ly.schema)) throw new LineageUnavailable('the columns changed in between');
  const written = await (await ctx.openPinned(def.tableKey, y)).rowsWrittenAfter(x.version);
  const existed = written.filter((r) => Number(r._row_created_at_version) <= x.version);
  const created = written.length - existed.length;
  // Rows live at y = live at x - removed + created: with nothing removed (updates and
  // inserts only) no deletion file is read at all.
  const removedCount = lx.liveRows - ly.liveRows + created;
  const removed = removedCount === 0 ? [] : await removedRowIds(lx, ly, ctx.store.readFile);
  if (removed.length !== removedCount)
    throw new LineageUnavailable(
      `row counts do not add up (${lx.liveRows} - ${removed.length} + ${created} != ${ly.liveRows})`,
    );
  const older = [...existed.map((r) => r._rowid as bigint), ...removed.map((id) => BigInt(id))];
  return { written, older, removed };
}

/** The candidates of one line's writes, given the older images by row id. */
function assemble(w: LineWrites, byRowId: Map<string, Row>): Map<string, Candidate> {
  const out = new Map<string, Candidate>();
  for (const id of w.removed) {
    const before = byRowId.get(String(id))!;
    out.set(String(before.id), { before, after: null });
  }
  for (const r of w.written) {
    const id = String(r.id);
    const removedBefore = out.get(id);
    const prior = removedBefore ? removedBefore.before : (byRowId.get(String(r._rowid)) ?? null);
    out.set(id, { before: prior, after: strip(r) });
  }
  return out;
}

/**
 * Every row that may differ between `x` and each of `ys` (`x` an ancestor version of
 * every one), by id, with its image at both; rows outside a result are equal at both.
 * The older images of all of them are one take at `x`: the sides share the base pass.
 */
async function fromBase(
  ctx: LineageContext,
  def: TypeDef,
  x: TablePin,
  ys: TablePin[],
): Promise<Array<Map<string, Candidate>>> {
  const writes: LineWrites[] = [];
  for (const y of ys) writes.push(await lineWrites(ctx, def, x, y));
  const ids = [...new Set(writes.flatMap((w) => w.older.map(String)))].map((id) => BigInt(id));
  const olds = ids.length > 0 ? await (await ctx.openPinned(def.tableKey, x)).rowsByRowId(ids) : [];
  const byRowId = new Map(olds.map((r) => [String(r._rowid), strip(r)]));
  if (byRowId.size !== ids.length)
    throw new LineageUnavailable('a row written in between has no image at the older version');
  return writes.map((w) => assemble(w, byRowId));
}

function samePoint(a: TablePin, b: TablePin): boolean {
  return a.version === b.version && a.lanceBranch === b.lanceBranch;
}

/** Lineage failures of any kind (a version cleanup removed, a file it cannot parse) as LineageUnavailable. */
function unavailable(err: unknown): LineageUnavailable {
  if (err instanceof LineageUnavailable) return err;
  return new LineageUnavailable(err instanceof Error ? err.message : String(err));
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
    if (samePoint(anc, from)) return (await fromBase(ctx, def, from, [to]))[0];
    // Both sides from their newest common ancestor (one take of its images for both).
    const [a, b] = await fromBase(ctx, def, anc, [from, to]);
    const out = new Map<string, Candidate>();
    for (const [id, c] of a) {
      const other = b.get(id);
      out.set(id, { before: c.after, after: other ? other.after : c.before });
    }
    for (const [id, c] of b) if (!a.has(id)) out.set(id, { before: c.before, after: c.after });
    return out;
  } catch (err) {
    throw unavailable(err);
  }
}

/**
 * Candidates from `base` to each of `sides` when `base` is an ancestor version of every
 * side (a merge's base): one take of the base's images serves all sides. Else, or when
 * the shared pass cannot vouch, null (the caller diffs each side on its own).
 */
export async function lineageFromBase(
  ctx: LineageContext,
  def: TypeDef,
  base: TablePin,
  sides: TablePin[],
): Promise<Array<Map<string, Candidate>> | null> {
  try {
    for (const side of sides)
      if (!samePoint(pinOf(await commonAncestor(ctx, def, base, side), def.tableKey), base))
        return null;
    return await fromBase(ctx, def, base, sides);
  } catch {
    return null;
  }
}
