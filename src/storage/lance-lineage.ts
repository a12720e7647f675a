/**
 * Row lineage of a Lance version, read from its manifest: which rows (by stable row id)
 * each fragment holds and which of them its deletion file removes. Two versions of one
 * line compared this way name the rows removed between them without reading a single
 * unchanged row: only fragments whose deletion file changed, or that are gone, are
 * looked at, and only their deleted offsets (docs/branches-commits.md "Diff").
 *
 * Formats (Lance table format): a fragment (`DataFragment`) carries its id (1), data
 * files (2), deletion file (3: type 1, read_version 2, id 3, num_deleted_rows 4),
 * physical rows (4) and its row-id sequence (5 inline, 6 external file). A row-id
 * sequence (`RowIdSequence`) is a list of segments: a range, a range with holes, a
 * range with an LSB-first bitmap, or a (sorted) array of u16/u32 offsets from a base or
 * of u64 values. A deletion file is an Arrow IPC file of one UInt32 column (`.arrow`)
 * or a portable-format Roaring bitmap (`.bin`) (lance-deletion-file.ts).
 */
import path from 'node:path';
import { decodeArrowDeletions, decodeRoaring } from './lance-deletion-file.js';
import { Reader, readLocalFile, resolver, scanManifest, type ReadFile } from './lance-manifest.js';

/** Reader feature flag: row ids are stable and stored in the fragment metadata. */
const FLAG_STABLE_ROW_IDS = 2;

type RowIdSource = { inline: Buffer } | { file: string; offset: number; size: number };

export interface LineageFragment {
  id: number;
  physicalRows: number;
  /** The fragment's encoding without its deletion file: equal bodies hold the same rows. */
  body: Buffer;
  deletion: { file: string; bitmap: boolean; deletedRows: number } | null;
  rowIds: RowIdSource | null;
}

export interface LineageVersion {
  /** The table has stable row ids (created with them; they cannot be turned on later). */
  stableRowIds: boolean;
  /** The encoded schema (every field): equal between two versions when no column changed. */
  schema: Buffer;
  fragments: Map<number, LineageFragment>;
  /** Rows visible at this version. */
  liveRows: number;
}

function readDeletion(r: Reader): {
  type: number;
  readVersion: string;
  id: string;
  n: number;
  base?: number;
} {
  const out = { type: 0, readVersion: '0', id: '0', n: 0 } as {
    type: number;
    readVersion: string;
    id: string;
    n: number;
    base?: number;
  };
  while (!r.done) {
    const k = r.key();
    if (k.field === 1 && k.wire === 0) out.type = r.varint();
    else if (k.field === 2 && k.wire === 0) out.readVersion = r.varintText();
    else if (k.field === 3 && k.wire === 0) out.id = r.varintText();
    else if (k.field === 4 && k.wire === 0) out.n = r.varint();
    else if (k.field === 7 && k.wire === 0) out.base = r.varint();
    else r.skip(k.wire);
  }
  return out;
}

function readExternal(r: Reader, root: string): RowIdSource {
  let file = '';
  let offset = 0;
  let size = 0;
  while (!r.done) {
    const k = r.key();
    if (k.field === 1 && k.wire === 2) file = path.join(root, r.text());
    else if (k.field === 2 && k.wire === 0) offset = r.varint();
    else if (k.field === 3 && k.wire === 0) size = r.varint();
    else r.skip(k.wire);
  }
  return { file, offset, size };
}

function readFragment(
  buf: Buffer,
  [s, e]: [number, number],
  resolve: ReturnType<typeof resolver>,
  root: string,
): LineageFragment {
  const r = new Reader(buf, s, e);
  const body: Buffer[] = [];
  let id = 0;
  let physicalRows = 0;
  let del: ReturnType<typeof readDeletion> | null = null;
  let rowIds: RowIdSource | null = null;
  while (!r.done) {
    const start = r.pos;
    const { field, wire } = r.key();
    if (field === 3 && wire === 2) {
      del = readDeletion(r.sub());
      continue;
    }
    if (field === 1 && wire === 0) id = r.varint();
    else if (field === 4 && wire === 0) physicalRows = r.varint();
    else if (field === 5 && wire === 2) {
      const [a, b] = r.bytes();
      rowIds = { inline: buf.subarray(a, b) };
    } else if (field === 6 && wire === 2) rowIds = readExternal(r.sub(), root);
    else r.skip(wire);
    body.push(buf.subarray(start, r.pos));
  }
  const deletion = del
    ? {
        file: resolve(
          del.base,
          '_deletions',
          `${id}-${del.readVersion}-${del.id}.${del.type === 1 ? 'bin' : 'arrow'}`,
        ),
        bitmap: del.type === 1,
        deletedRows: del.n,
      }
    : null;
  return { id, physicalRows, body: Buffer.concat(body), deletion, rowIds };
}

/** The lineage of the version whose manifest is `manifestPath` (`root`: its dataset root). */
export async function readLineageVersion(
  manifestPath: string,
  root: string,
  read: ReadFile = readLocalFile,
): Promise<LineageVersion> {
  const m = await scanManifest(manifestPath, read);
  const resolve = resolver(m, root);
  const fragments = new Map<number, LineageFragment>();
  let liveRows = 0;
  for (const range of m.fragments) {
    const f = readFragment(m.buf, range, resolve, root);
    fragments.set(f.id, f);
    liveRows += f.physicalRows - (f.deletion?.deletedRows ?? 0);
  }
  return {
    stableRowIds: (m.readerFeatureFlags & FLAG_STABLE_ROW_IDS) !== 0,
    schema: schemaBytes(m.buf),
    fragments,
    liveRows,
  };
}

/** The encoded `fields` (field 1) of the manifest, concatenated. */
function schemaBytes(buf: Buffer): Buffer {
  const pos = Number(buf.readBigUInt64LE(buf.length - 16));
  const r = new Reader(buf, pos + 4, pos + 4 + buf.readUInt32LE(pos));
  const parts: Buffer[] = [];
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1 && wire === 2) {
      const [a, b] = r.bytes();
      parts.push(buf.subarray(a, b));
    } else r.skip(wire);
  }
  return Buffer.concat(parts);
}

// ── row-id sequences ──────────────────────────────────────────────────────

function encodedArray(r: Reader, buf: Buffer): number[] {
  const out: number[] = [];
  while (!r.done) {
    const { field, wire } = r.key();
    if (wire !== 2 || field < 1 || field > 3) {
      r.skip(wire);
      continue;
    }
    const a = r.sub();
    let base = 0;
    let bytes: [number, number] = [0, 0];
    while (!a.done) {
      const k = a.key();
      if (k.field === 1 && k.wire === 0) base = a.varint();
      else if (k.field === 2 && k.wire === 2) bytes = a.bytes();
      else a.skip(k.wire);
    }
    const width = field === 1 ? 2 : field === 2 ? 4 : 8;
    for (let p = bytes[0]; p + width <= bytes[1]; p += width) {
      if (width === 2) out.push(base + buf.readUInt16LE(p));
      else if (width === 4) out.push(base + buf.readUInt32LE(p));
      else out.push(Number(buf.readBigUInt64LE(p)));
    }
  }
  return out;
}

function rangeOf(
  r: Reader,
  buf: Buffer,
): { start: number; end: number; extra: [number, number] | null; holes: number[] } {
  let start = 0;
  let end = 0;
  let extra: [number, number] | null = null;
  let holes: number[] = [];
  while (!r.done) {
    const k = r.key();
    if (k.field === 1 && k.wire === 0) start = r.varint();
    else if (k.field === 2 && k.wire === 0) end = r.varint();
    else if (k.field === 3 && k.wire === 2) {
      const sub = r.sub();
      extra = [sub.pos, sub.end];
      holes = encodedArray(sub, buf);
    } else r.skip(k.wire);
  }
  return { start, end, extra, holes };
}

function segment(r: Reader, buf: Buffer, out: number[]): void {
  while (!r.done) {
    const { field, wire } = r.key();
    if (wire !== 2) {
      r.skip(wire);
      continue;
    }
    if (field === 1) {
      const { start, end } = rangeOf(r.sub(), buf);
      for (let v = start; v < end; v++) out.push(v);
    } else if (field === 2) {
      const { start, end, holes } = rangeOf(r.sub(), buf);
      const skip = new Set(holes);
      for (let v = start; v < end; v++) if (!skip.has(v)) out.push(v);
    } else if (field === 3) {
      const { start, end, extra } = rangeOf(r.sub(), buf);
      const [a] = extra ?? [0];
      for (let i = 0; i < end - start; i++)
        if (extra && (buf[a + (i >> 3)] & (1 << (i & 7))) !== 0) out.push(start + i);
    } else if (field === 4 || field === 5) out.push(...encodedArray(r.sub(), buf));
    else r.skip(wire);
  }
}

/** The row ids of a fragment, in row order (index = row offset). */
export function decodeRowIds(buf: Buffer): number[] {
  const out: number[] = [];
  const r = new Reader(buf, 0, buf.length);
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1 && wire === 2) segment(r.sub(), buf, out);
    else r.skip(wire);
  }
  return out;
}

async function rowIdsOf(f: LineageFragment, read: ReadFile): Promise<number[]> {
  if (f.rowIds === null) throw new Error(`fragment ${f.id} has no row ids`);
  if ('inline' in f.rowIds) return decodeRowIds(f.rowIds.inline);
  const { file, offset, size } = f.rowIds;
  return decodeRowIds((await read(file)).subarray(offset, offset + size));
}

// ── deletion files ────────────────────────────────────────────────────────

/** The deleted row offsets of a fragment's deletion file (none without one). */
async function deletedOffsets(
  d: LineageFragment['deletion'],
  read: ReadFile,
): Promise<Set<number>> {
  if (d === null) return new Set();
  const buf = await read(d.file);
  return new Set(d.bitmap ? decodeRoaring(buf) : decodeArrowDeletions(buf));
}

function sameDeletion(a: LineageFragment, b: LineageFragment): boolean {
  return a.deletion?.file === b.deletion?.file;
}

/** Row ids visible in `f` (at the version it was read from). */
async function liveRowIds(f: LineageFragment, read: ReadFile): Promise<number[]> {
  const ids = await rowIdsOf(f, read);
  const del = await deletedOffsets(f.deletion, read);
  return del.size === 0 ? ids : ids.filter((_, off) => !del.has(off));
}

/**
 * The stable row ids visible at `x` and at no place in `y` (`x` an ancestor version of
 * `y` on one line): the rows deleted between them. Reads only the fragments that
 * differ: a fragment of `x` whose deletion file changed gives its newly deleted
 * offsets, a fragment that is gone gives its rows; a row found again in a fragment new
 * in `y` moved (an update, a compaction) and was not deleted.
 */
export async function removedRowIds(
  x: LineageVersion,
  y: LineageVersion,
  read: ReadFile = readLocalFile,
): Promise<number[]> {
  const removed: number[] = [];
  for (const f of x.fragments.values()) {
    const g = y.fragments.get(f.id);
    const sameBody = g !== undefined && g.body.equals(f.body);
    if (sameBody && sameDeletion(f, g)) continue;
    const ids = await rowIdsOf(f, read);
    const before = await deletedOffsets(f.deletion, read);
    if (sameBody) {
      for (const off of await deletedOffsets(g!.deletion, read))
        if (!before.has(off)) removed.push(ids[off]);
    } else {
      for (let off = 0; off < f.physicalRows; off++) if (!before.has(off)) removed.push(ids[off]);
    }
  }
  if (removed.length === 0) return removed;
  const moved = new Set<number>();
  for (const g of y.fragments.values()) {
    const f = x.fragments.get(g.id);
    if (f !== undefined && f.body.equals(g.body)) continue;
    for (const id of await liveRowIds(g, read)) moved.add(id);
  }
  return removed.filter((id) => !moved.has(id));
}
