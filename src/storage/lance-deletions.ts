/**
 * Lance deletion vectors: which row offsets of a fragment a version deleted. Lance
 * writes them as an Arrow IPC file holding one UInt32 column (small sets) or as a
 * serialized roaring bitmap (large sets), under `_deletions/` (lance-manifest.ts
 * names the file). The graph index reads them to learn which edges a later version
 * deleted without reading the edge table.
 */
import { readFile } from 'node:fs/promises';
import { ipcUint32Column } from './arrow-bridge.js';
import type { FragmentInfo } from './lance-manifest.js';

/** Roaring's portable format (the `roaring` crate's serialize_into): cookies. */
const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
const SERIAL_COOKIE = 12347;
/** Containers with at most this many values are sorted u16 arrays, larger ones 2^16-bit bitmaps. */
const ARRAY_MAX = 4096;
/** With run containers, offsets are written only for this many containers or more. */
const NO_OFFSET_THRESHOLD = 4;

function truncated(): never {
  throw new RangeError('truncated roaring bitmap');
}

/** The values of a serialized 32-bit roaring bitmap, ascending. */
export function decodeRoaring(buf: Buffer): Uint32Array {
  if (buf.length < 4) truncated();
  const cookie = buf.readUInt32LE(0);
  let pos: number;
  let size: number;
  let runs: Buffer | null = null;
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1;
    const n = (size + 7) >> 3;
    if (buf.length < 4 + n) truncated();
    runs = buf.subarray(4, 4 + n);
    pos = 4 + n;
  } else if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    if (buf.length < 8) truncated();
    size = buf.readUInt32LE(4);
    pos = 8;
  } else throw new RangeError(`not a roaring bitmap (cookie ${cookie})`);
  if (buf.length < pos + 4 * size) truncated();
  const keys: number[] = [];
  const cards: number[] = [];
  let total = 0;
  for (let i = 0; i < size; i++) {
    keys.push(buf.readUInt16LE(pos + 4 * i));
    cards.push(buf.readUInt16LE(pos + 4 * i + 2) + 1);
    total += cards[i];
  }
  pos += 4 * size;
  if (runs === null || size >= NO_OFFSET_THRESHOLD) pos += 4 * size;
  const out = new Uint32Array(total);
  let at = 0;
  for (let i = 0; i < size; i++) {
    const high = keys[i] * 0x10000;
    if (runs !== null && (runs[i >> 3] & (1 << (i & 7))) !== 0) {
      if (buf.length < pos + 2) truncated();
      const n = buf.readUInt16LE(pos);
      pos += 2;
      if (buf.length < pos + 4 * n) truncated();
      for (let r = 0; r < n; r++, pos += 4) {
        const start = buf.readUInt16LE(pos);
        const len = buf.readUInt16LE(pos + 2);
        for (let v = start; v <= start + len; v++) out[at++] = high + v;
      }
    } else if (cards[i] <= ARRAY_MAX) {
      if (buf.length < pos + 2 * cards[i]) truncated();
      for (let k = 0; k < cards[i]; k++, pos += 2) out[at++] = high + buf.readUInt16LE(pos);
    } else {
      if (buf.length < pos + 8192) truncated();
      for (let byte = 0; byte < 8192; byte++) {
        const b = buf[pos + byte];
        if (b === 0) continue;
        for (let bit = 0; bit < 8; bit++) if (b & (1 << bit)) out[at++] = high + byte * 8 + bit;
      }
      pos += 8192;
    }
  }
  if (at !== total)
    throw new RangeError('roaring bitmap cardinalities disagree with its containers');
  return out;
}

/** The row offsets a fragment's deletion vector deletes, ascending. */
export async function readDeletionVector(
  deletion: NonNullable<FragmentInfo['deletion']>,
): Promise<Uint32Array> {
  const buf = await readFile(deletion.path);
  const rows = deletion.kind === 'bitmap' ? decodeRoaring(buf) : ipcUint32Column(buf).sort();
  if (deletion.rows > 0 && rows.length !== deletion.rows)
    throw new RangeError(
      `${deletion.path} holds ${rows.length} rows, its manifest says ${deletion.rows}`,
    );
  return rows;
}
