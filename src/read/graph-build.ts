/**
 * Building graph index bases: from an edge table's `src`/`dst` columns as Arrow
 * UTF-8 bytes (a hash over the bytes per endpoint, no JS string per edge; the
 * distinct ids then sorted into the dictionaries), from JS strings (a transaction's
 * staged edges), or by folding an index's delta into a new base (`materialize`, what
 * `index ensure` persists for a version reached by patching).
 */
import type { RawChunk } from '../storage/index.js';
import { IdDictionary, Interner } from './id-dictionary.js';
import {
  GraphBase,
  GraphIndex,
  NO_EDGE,
  type Adjacency,
  type Direction,
  type EdgeRows,
  type FragmentRef,
  type VersionRows,
} from './graph-index.js';

/** Counting sort of edges by one end: offsets (n+1) and the other ends, in edge order. */
export function adjacency(from: Uint32Array, to: Uint32Array, n: number): Adjacency {
  const offsets = new Uint32Array(n + 1);
  for (let e = 0; e < from.length; e++) offsets[from[e] + 1]++;
  for (let i = 0; i < n; i++) offsets[i + 1] += offsets[i];
  const fill = offsets.slice(0, n);
  const targets = new Uint32Array(from.length);
  for (let e = 0; e < from.length; e++) targets[fill[from[e]]++] = to[e];
  return { offsets, targets };
}

/** A base whose arrays are all in memory. */
function memoryBase(
  src: IdDictionary,
  dst: IdDictionary,
  s: Uint32Array,
  d: Uint32Array,
  fragments: FragmentRef[],
  rows: EdgeRows,
): GraphBase {
  const out = adjacency(s, d, src.size);
  const inn = adjacency(d, s, dst.size);
  const ready = { out, in: inn, rows };
  return new GraphBase(
    src,
    dst,
    s.length,
    fragments,
    {
      adjacency: (dir: Direction) => Promise.resolve(ready[dir]),
      rows: () => Promise.resolve(rows),
    },
    ready,
  );
}

/** Ranks provisional ids in place. */
function remap(ids: Uint32Array, rank: Uint32Array): void {
  for (let e = 0; e < ids.length; e++) ids[e] = rank[ids[e]];
}

/** Interns every row of UTF-8 chunks into `into` (provisional ids), in row order. */
function internChunks(interner: Interner, chunks: RawChunk[], into: Uint32Array): void {
  let e = 0;
  for (const c of chunks) {
    if (c.kind !== 'utf8') throw new Error(`internal: an edge endpoint column is ${c.kind}`);
    const { offsets, bytes } = c;
    for (let i = 0; i < c.length; i++)
      into[e++] = interner.intern(bytes, offsets[i], offsets[i + 1]);
  }
}

/** Where each fragment's rows start among the slots of EdgeRows, and the slot count. */
function rowSlots(fragments: FragmentRef[]): {
  start: Uint32Array;
  total: number;
  at: Map<number, number>;
} {
  const start = new Uint32Array(fragments.length);
  const at = new Map<number, number>();
  let total = 0;
  fragments.forEach((f, i) => {
    start[i] = total;
    at.set(f.id, total);
    total += f.physicalRows;
  });
  return { start, total, at };
}

/**
 * The base of a whole table version from its scanned `src`/`dst` chunks and each
 * row's Lance row address (`fragments`: the version's, in manifest order).
 */
export function buildFromRaw(
  srcChunks: RawChunk[],
  dstChunks: RawChunk[],
  rowAddrs: BigUint64Array,
  fragments: FragmentRef[],
  shared: boolean,
): GraphIndex {
  const n = rowAddrs.length;
  const srcInterner = new Interner();
  const dstInterner = shared ? srcInterner : new Interner();
  const s = new Uint32Array(n);
  const d = new Uint32Array(n);
  internChunks(srcInterner, srcChunks, s);
  internChunks(dstInterner, dstChunks, d);
  const srcSorted = srcInterner.sorted();
  const dstSorted = shared ? srcSorted : dstInterner.sorted();
  remap(s, srcSorted.rank);
  remap(d, dstSorted.rank);
  const slots = rowSlots(fragments);
  const rows: EdgeRows = {
    start: slots.start,
    src: new Uint32Array(slots.total).fill(NO_EDGE),
    dst: new Uint32Array(slots.total).fill(NO_EDGE),
  };
  // Row addresses as two u32 words each (little-endian): offset, then fragment id.
  const words = new Uint32Array(rowAddrs.buffer, rowAddrs.byteOffset, 2 * n);
  for (let e = 0; e < n; e++) {
    const first = slots.at.get(words[2 * e + 1]);
    if (first === undefined)
      throw new Error(`internal: row of fragment ${words[2 * e + 1]} is not in the manifest`);
    rows.src[first + words[2 * e]] = s[e];
    rows.dst[first + words[2 * e]] = d[e];
  }
  const base = memoryBase(srcSorted.dict, dstSorted.dict, s, d, fragments, rows);
  return new GraphIndex(base, fragments);
}

/** An index of edges `src[i] → dst[i]` given as JS strings (no fragments: not persistable). */
export function buildFromStrings(
  src: readonly string[],
  dst: readonly string[],
  shared: boolean,
): GraphIndex {
  const srcInterner = new Interner();
  const dstInterner = shared ? srcInterner : new Interner();
  const s = Uint32Array.from(src, (id) => srcInterner.internString(id));
  const d = Uint32Array.from(dst, (id) => dstInterner.internString(id));
  const srcSorted = srcInterner.sorted();
  const dstSorted = shared ? srcSorted : dstInterner.sorted();
  remap(s, srcSorted.rank);
  remap(d, dstSorted.rank);
  const rows: EdgeRows = { start: new Uint32Array(0), src: s, dst: d };
  return new GraphIndex(memoryBase(srcSorted.dict, dstSorted.dict, s, d, [], rows), []);
}

/** Old dense id → new dense id when a space's extra ids join its sorted dictionary. */
function mergedSpace(
  dict: IdDictionary,
  extra: readonly string[],
): { dict: IdDictionary; map: Uint32Array } {
  if (extra.length === 0)
    return { dict, map: Uint32Array.from({ length: dict.size }, (_, i) => i) };
  const base = dict.all();
  const order = extra.map((id, i) => ({ id, old: base.length + i }));
  order.sort((a, b) => (a.id < b.id ? -1 : 1));
  const map = new Uint32Array(base.length + extra.length);
  const ids: string[] = [];
  let i = 0;
  let j = 0;
  while (i < base.length || j < order.length) {
    if (j >= order.length || (i < base.length && base[i] < order[j].id)) {
      map[i] = ids.length;
      ids.push(base[i++]);
    } else {
      map[order[j].old] = ids.length;
      ids.push(order[j++].id);
    }
  }
  return { dict: IdDictionary.fromSorted(ids), map };
}

/**
 * A new base equal to `index` (base + delta), every array in memory: the dictionaries
 * with the delta's new ids merged in, the adjacency rebuilt from the version's edge
 * rows. `rows` are the version's edge rows in the delta's dense ids.
 */
export function materialize(index: GraphIndex, rows: VersionRows): GraphIndex {
  const src = mergedSpace(index.srcSpace.dict, index.srcSpace.extra);
  const dst = index.base.shared ? src : mergedSpace(index.dstSpace.dict, index.dstSpace.extra);
  let live = 0;
  for (let i = 0; i < rows.src.length; i++) if (rows.src[i] !== NO_EDGE) live++;
  const s = new Uint32Array(live);
  const d = new Uint32Array(live);
  const slotSrc = new Uint32Array(rows.src.length).fill(NO_EDGE);
  const slotDst = new Uint32Array(rows.src.length).fill(NO_EDGE);
  let e = 0;
  for (let i = 0; i < rows.src.length; i++) {
    if (rows.src[i] === NO_EDGE) continue;
    slotSrc[i] = s[e] = src.map[rows.src[i]];
    slotDst[i] = d[e] = dst.map[rows.dst[i]];
    e++;
  }
  const base = memoryBase(src.dict, dst.dict, s, d, rows.fragments, {
    start: rows.start,
    src: slotSrc,
    dst: slotDst,
  });
  return new GraphIndex(base, rows.fragments);
}
