/**
 * Patching a graph index base to a later version of its edge table by what changed
 * in between, read from Lance's own bookkeeping instead of the table's columns:
 *
 * - Lance never rewrites a fragment's rows: a commit appends new fragments (with ids
 *   above every earlier one) and records deletions in a fragment's deletion vector.
 *   So a version's fragments, compared with the base's by id and data files, say
 *   exactly which fragments are new, which lost rows, and which are gone;
 * - the rows of the new fragments are read with one Lance scan of `src`, `dst` and
 *   `_rowaddr` over those fragments only (`_rowaddr` ≥ the first new fragment's);
 * - the rows a deletion vector deletes are looked up in the base's edge rows (their
 *   dense ends by row address), so no deleted edge is read from the table.
 *
 * An insert, an upsert (Lance: delete + append), a delete or a cascade all patch in
 * time proportional to what they changed. A rewrite (compaction, a restore to an
 * older version, another line's fragments) does not match and is rebuilt instead.
 */
import type { FragmentInfo, RawChunk, RawScan } from '../storage/index.js';
import {
  GraphIndex,
  IdSpace,
  NO_EDGE,
  type EdgeRows,
  type FragmentRef,
  type GraphDelta,
  type VersionRows,
} from './graph-index.js';

/** What patching reads from the table version it patches to. */
export interface DeltaSource {
  /** Rows (src, dst, `_rowaddr`) of every fragment with an id above `fragmentId`. */
  rowsAfter(fragmentId: number): Promise<RawScan>;
  /** The row offsets a fragment's deletion vector deletes, ascending. */
  deletions(fragment: FragmentInfo): Promise<Uint32Array>;
}

export function fragmentRef(f: FragmentInfo): FragmentRef {
  return {
    id: f.id,
    dataFiles: [...f.dataFiles],
    physicalRows: f.physicalRows,
    deletion: f.deletion?.name ?? null,
  };
}

const sameFiles = (a: FragmentRef, b: FragmentRef): boolean =>
  a.physicalRows === b.physicalRows &&
  a.dataFiles.length === b.dataFiles.length &&
  a.dataFiles.every((f, i) => f === b.dataFiles[i]);

/** Do two fragment lists describe exactly the same rows? */
export function sameFragments(a: FragmentRef[], b: FragmentRef[]): boolean {
  return (
    a.length === b.length &&
    a.every((f, i) => f.id === b[i].id && f.deletion === b[i].deletion && sameFiles(f, b[i]))
  );
}

interface Plan {
  /** Fragments of the version with a new deletion vector: index in the base, the fragment. */
  changed: Array<{ baseIndex: number; fragment: FragmentInfo }>;
  /** Base fragments the version no longer has (their index in the base). */
  gone: number[];
  /** The highest fragment id of the base: every fragment above it is new. */
  lastBaseId: number;
  hasNew: boolean;
  /** An upper bound of the edges the patch touches. */
  changedRows: number;
}

/** How `target` differs from the base's fragments; null when it is not a patch of them. */
function plan(baseFragments: FragmentRef[], target: FragmentInfo[]): Plan | null {
  const byId = new Map(baseFragments.map((f, i) => [f.id, i]));
  const lastBaseId = baseFragments.reduce((m, f) => Math.max(m, f.id), -1);
  const out: Plan = { changed: [], gone: [], lastBaseId, hasNew: false, changedRows: 0 };
  const seen = new Set<number>();
  for (const f of target) {
    const i = byId.get(f.id);
    if (i === undefined) {
      if (f.id <= lastBaseId) return null;
      out.hasNew = true;
      out.changedRows += f.physicalRows;
      continue;
    }
    const ref = fragmentRef(f);
    if (!sameFiles(ref, baseFragments[i])) return null;
    seen.add(i);
    if (ref.deletion !== baseFragments[i].deletion) {
      out.changed.push({ baseIndex: i, fragment: f });
      out.changedRows += f.deletion?.rows ?? f.physicalRows;
    }
  }
  baseFragments.forEach((f, i) => {
    if (!seen.has(i)) {
      out.gone.push(i);
      out.changedRows += f.physicalRows;
    }
  });
  return out;
}

class DeltaMaps {
  readonly added = { out: new Map<number, number[]>(), in: new Map<number, number[]>() };
  readonly removed = {
    out: new Map<number, Map<number, number>>(),
    in: new Map<number, Map<number, number>>(),
  };
  addedCount = 0;
  removedCount = 0;

  add(s: number, d: number): void {
    push(this.added.out, s, d);
    push(this.added.in, d, s);
    this.addedCount++;
  }

  remove(s: number, d: number): void {
    bump(this.removed.out, s, d);
    bump(this.removed.in, d, s);
    this.removedCount++;
  }
}

function push(m: Map<number, number[]>, k: number, v: number): void {
  const a = m.get(k);
  if (a) a.push(v);
  else m.set(k, [v]);
}

function bump(m: Map<number, Map<number, number>>, k: number, v: number): void {
  let inner = m.get(k);
  if (!inner) m.set(k, (inner = new Map()));
  inner.set(v, (inner.get(v) ?? 0) + 1);
}

/** Ids of one end met in new rows: the base's dense id, or a new one after the base's. */
class SpaceExtender {
  readonly extra: string[] = [];
  private readonly extraDense = new Map<string, number>();

  constructor(private readonly space: IdSpace) {}

  dense(id: string): number {
    const d = this.space.dict.find(id);
    if (d >= 0) return d;
    let x = this.extraDense.get(id);
    if (x === undefined) {
      x = this.space.dict.size + this.extra.length;
      this.extra.push(id);
      this.extraDense.set(id, x);
    }
    return x;
  }
}

function utf8At(chunks: RawChunk[]): (row: number) => string {
  const flat: Array<{ end: number; c: Extract<RawChunk, { kind: 'utf8' }> }> = [];
  let end = 0;
  for (const c of chunks) {
    if (c.kind !== 'utf8') throw new Error(`internal: an edge endpoint column is ${c.kind}`);
    flat.push({ end: (end += c.length), c });
  }
  let k = 0;
  let startOfK = 0;
  return (row) => {
    while (row >= flat[k].end) startOfK = flat[k++].end;
    const { c } = flat[k];
    const i = row - startOfK;
    return Buffer.from(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength).toString(
      'utf8',
      c.offsets[i],
      c.offsets[i + 1],
    );
  };
}

/**
 * `base` (an index without a delta) patched to the version whose fragments are
 * `target` (its `versionRows` gives the version's edge rows); null when the version is not a patch of the base's fragments or the patch
 * would touch more than `maxChangedRows` edges (a rebuild is then as cheap).
 */
export async function patch(
  base: GraphIndex,
  target: FragmentInfo[],
  source: DeltaSource,
  maxChangedRows: number,
): Promise<GraphIndex | null> {
  const p = plan(base.base.fragments, target);
  if (!p || p.changedRows > maxChangedRows) return null;
  const maps = new DeltaMaps();
  const deleted = await removals(base, p, source, maps);
  if (!deleted) return null;
  const srcExt = new SpaceExtender(base.srcSpace);
  const dstExt = base.base.shared ? srcExt : new SpaceExtender(base.dstSpace);
  const fresh = p.hasNew
    ? additions(await source.rowsAfter(p.lastBaseId), srcExt, dstExt, maps)
    : null;
  const srcSpace = new IdSpace(base.srcSpace.dict, srcExt.extra);
  const dstSpace = base.base.shared ? srcSpace : new IdSpace(base.dstSpace.dict, dstExt.extra);
  const changedEdges = maps.addedCount + maps.removedCount;
  const delta: GraphDelta = {
    srcSpace,
    dstSpace,
    added: maps.added,
    removed: maps.removed,
    addedCount: maps.addedCount,
    removedCount: maps.removedCount,
    bytes: 96 * changedEdges + 80 * (srcExt.extra.length + dstExt.extra.length),
  };
  const refs = target.map(fragmentRef);
  const index = new GraphIndex(
    base.base,
    refs,
    changedEdges > 0 || srcSpace.extra.length > 0 ? delta : null,
  );
  index.versionRows = async () => versionRows(refs, base, await base.base.rows(), deleted, fresh);
  return index;
}

/**
 * The edges the version removed (gone fragments, grown deletion vectors) into `maps`;
 * each changed fragment's deletion vector by id. Null when a deletion vector lost rows
 * (a restore: not a patch).
 */
async function removals(
  base: GraphIndex,
  p: Plan,
  source: DeltaSource,
  maps: DeltaMaps,
): Promise<Map<number, Uint32Array> | null> {
  const deleted = new Map<number, Uint32Array>();
  if (p.changed.length === 0 && p.gone.length === 0) return deleted;
  const rows = await base.base.rows();
  const removeSlot = (slot: number): void => {
    if (rows.src[slot] !== NO_EDGE) maps.remove(rows.src[slot], rows.dst[slot]);
  };
  for (const i of p.gone) {
    const f = base.base.fragments[i];
    for (let r = 0; r < f.physicalRows; r++) removeSlot(rows.start[i] + r);
  }
  for (const { baseIndex, fragment } of p.changed) {
    const offsets = fragment.deletion ? await source.deletions(fragment) : new Uint32Array(0);
    const first = rows.start[baseIndex];
    // Deletion vectors only grow along a line; one that lost rows (a restore) is no patch.
    let wasDeleted = 0;
    for (let r = 0; r < fragment.physicalRows; r++)
      if (rows.src[first + r] === NO_EDGE) wasDeleted++;
    let stillDeleted = 0;
    for (const r of offsets) {
      if (r >= fragment.physicalRows) return null;
      if (rows.src[first + r] === NO_EDGE) stillDeleted++;
      else removeSlot(first + r);
    }
    if (stillDeleted !== wasDeleted) return null;
    deleted.set(fragment.id, offsets);
  }
  return deleted;
}

/** The new fragments' rows into `maps` (new ids join the spaces' extras). */
function additions(
  scan: RawScan,
  srcExt: SpaceExtender,
  dstExt: SpaceExtender,
  maps: DeltaMaps,
): { scan: RawScan; s: Uint32Array; d: Uint32Array } {
  const srcOf = utf8At(scan.columns.get('src')!);
  const dstOf = utf8At(scan.columns.get('dst')!);
  const s = new Uint32Array(scan.rows);
  const d = new Uint32Array(scan.rows);
  for (let r = 0; r < scan.rows; r++) {
    s[r] = srcExt.dense(srcOf(r));
    d[r] = dstExt.dense(dstOf(r));
    maps.add(s[r], d[r]);
  }
  return { scan, s, d };
}

/** The version's edge rows: the base's (minus what it deleted since), then the new fragments'. */
function versionRows(
  refs: FragmentRef[],
  base: GraphIndex,
  baseRows: EdgeRows,
  deleted: Map<number, Uint32Array>,
  fresh: { scan: RawScan; s: Uint32Array; d: Uint32Array } | null,
): VersionRows {
  const baseIndex = new Map(base.base.fragments.map((f, i) => [f.id, i]));
  const start = new Uint32Array(refs.length);
  const at = new Map<number, number>();
  let total = 0;
  refs.forEach((f, i) => {
    start[i] = total;
    at.set(f.id, total);
    total += f.physicalRows;
  });
  const src = new Uint32Array(total).fill(NO_EDGE);
  const dst = new Uint32Array(total).fill(NO_EDGE);
  refs.forEach((f, i) => {
    const b = baseIndex.get(f.id);
    if (b === undefined) return;
    const from = baseRows.start[b];
    src.set(baseRows.src.subarray(from, from + f.physicalRows), start[i]);
    dst.set(baseRows.dst.subarray(from, from + f.physicalRows), start[i]);
    for (const r of deleted.get(f.id) ?? []) {
      src[start[i] + r] = NO_EDGE;
      dst[start[i] + r] = NO_EDGE;
    }
  });
  if (fresh) {
    const words = new Uint32Array(
      fresh.scan.rowAddrs!.buffer,
      fresh.scan.rowAddrs!.byteOffset,
      2 * fresh.scan.rows,
    );
    for (let r = 0; r < fresh.scan.rows; r++) {
      const first = at.get(words[2 * r + 1]);
      if (first === undefined)
        throw new Error(`internal: new row of unknown fragment ${words[2 * r + 1]}`);
      src[first + words[2 * r]] = fresh.s[r];
      dst[first + words[2 * r]] = fresh.d[r];
    }
  }
  return { fragments: refs, start, src, dst };
}
