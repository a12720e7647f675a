/**
 * Overwrite in chunks (docs/writes.md §Chunked loads): every table the file writes
 * loses all its committed rows and gains the file's, and edges of untouched tables
 * that end at a node the file drops go too (the cascade of a one-commit overwrite) —
 * in bounded memory, as a run of Lance commits inside the one operation.
 *
 * lancedb's handle commits an overwrite only as a mergeInsert whose delete predicate
 * names every committed id (one SQL string as long as the table), so a chunked
 * overwrite deletes the committed rows in pages of ids, then appends the file's rows
 * chunk by chunk. Nothing of it is visible before the publish (readers read pins), and
 * any failure restores every table to its pin, as for the other chunked modes.
 */
import type { EdgeTypeDef, TypeDef } from '../../schema/types.js';
import { nodeTypeNamed } from '../../schema/lookup.js';
import type { KeySpill, Snapshot } from '../../journal/index.js';
import type { TableHandle } from '../../storage/index.js';
import type { OperationContext } from '../protocol/index.js';
import { committedRowsOf } from './load-chunked-checks.js';

/** The deletions a chunked overwrite commits before (or instead of) the file's rows. */
export interface OverwriteDeletes {
  /** Committed rows to delete per table key: all of a written table, the cascaded edges of an untouched one. */
  rows: Map<string, number>;
  /** Untouched edge tables with edges to a dropped node. */
  cascaded: EdgeTypeDef[];
  /** True removals by type name (ids the file does not write again), as a one-commit overwrite reports. */
  deleted: Record<string, number>;
}

/** A committed node id the file does not write again: it disappears. */
const dropped = (index: KeySpill, nodeTable: string, id: string): boolean =>
  index.keyLine(nodeTable, id) === undefined;

/** The node tables an edge of an untouched table must not point into once they are gone. */
function cascadeEnds(ctx: OperationContext, edge: EdgeTypeDef, written: Set<string>) {
  const tableOf = (name: string): string => nodeTypeNamed(ctx.catalog, name)!.tableKey;
  return {
    src: written.has(tableOf(edge.from)) ? tableOf(edge.from) : undefined,
    dst: written.has(tableOf(edge.to)) ? tableOf(edge.to) : undefined,
  };
}

/** The committed edge ids of an untouched table that end at a dropped node. */
async function* cascadedIds(
  ctx: OperationContext,
  snap: Snapshot,
  index: KeySpill,
  edge: EdgeTypeDef,
  written: Set<string>,
): AsyncIterable<string> {
  const ends = cascadeEnds(ctx, edge, written);
  for await (const [id, src, dst] of committedRowsOf(ctx, snap, edge, ['id', 'src', 'dst']))
    if (
      (ends.src !== undefined && dropped(index, ends.src, src)) ||
      (ends.dst !== undefined && dropped(index, ends.dst, dst))
    )
      yield id;
}

/** Counts what a chunked overwrite of the `written` tables deletes (a scan of each, nothing held). */
export async function planOverwriteDeletes(
  ctx: OperationContext,
  snap: Snapshot,
  index: KeySpill,
  written: Set<string>,
): Promise<OverwriteDeletes> {
  const out: OverwriteDeletes = { rows: new Map(), cascaded: [], deleted: {} };
  const count = (def: TypeDef, all: number, gone: number): void => {
    if (all > 0) out.rows.set(def.tableKey, all);
    if (gone > 0) out.deleted[def.name] = gone;
  };
  for (const node of ctx.catalog.nodes) {
    if (!written.has(node.tableKey)) continue;
    let all = 0;
    let gone = 0;
    for await (const [id] of committedRowsOf(ctx, snap, node, ['id'])) {
      all++;
      if (dropped(index, node.tableKey, id)) gone++;
    }
    count(node, all, gone);
  }
  for (const edge of ctx.catalog.edges) {
    let n = 0;
    if (written.has(edge.tableKey)) {
      // Every edge line of an overwrite is a new edge: all committed ones go.
      for await (const _ of committedRowsOf(ctx, snap, edge, ['id'])) n++;
      count(edge, n, n);
      continue;
    }
    const ends = cascadeEnds(ctx, edge, written);
    if (ends.src === undefined && ends.dst === undefined) continue;
    for await (const _ of cascadedIds(ctx, snap, index, edge, written)) n++;
    if (n === 0) continue;
    count(edge, n, n);
    out.cascaded.push(edge);
  }
  return out;
}

/** The ids a table's deletions remove, at its pin: all of a written table, the cascaded ones of another. */
export function idsToDelete(
  ctx: OperationContext,
  snap: Snapshot,
  index: KeySpill,
  def: TypeDef,
  written: Set<string>,
): AsyncIterable<string> {
  if (def.kind === 'edge' && !written.has(def.tableKey))
    return cascadedIds(ctx, snap, index, def, written);
  return (async function* () {
    for await (const [id] of committedRowsOf(ctx, snap, def, ['id'])) yield id;
  })();
}

/** Pages of `size` ids. */
export async function* pagesOf(ids: AsyncIterable<string>, size: number): AsyncIterable<string[]> {
  let page: string[] = [];
  for await (const id of ids) {
    page.push(id);
    if (page.length === size) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}

/** One delete-only Lance commit of `ids`; returns the new version. */
export async function deletePage(handle: TableHandle, ids: string[]): Promise<number> {
  return (await handle.mergeInsert({ upserts: [], deleteIds: ids })).version;
}
