/**
 * Lance deletion vectors: which row offsets of a fragment a version deleted. Lance
 * writes them as an Arrow IPC file holding one UInt32 column `row_id` (small sets,
 * its buffers ZSTD-compressed) or as a serialized roaring bitmap (more than 5,000
 * rows), under `_deletions/` (lance-manifest.ts names the file). The graph index reads
 * them to learn which edges a later version deleted without reading the edge table.
 *
 * apache-arrow (JS) reads no compressed IPC, so the file is walked here: its messages'
 * flatbuffer metadata through apache-arrow's generated accessors, the body's buffers
 * by hand (an int64 uncompressed length, −1 for a buffer stored as is, then the bytes),
 * ZSTD through `fzstd`.
 */
import { readFile } from 'node:fs/promises';
import type * as Flatbuffers from 'flatbuffers';
import type * as FbMessage from 'apache-arrow/fb/message';
import type * as FbRecordBatch from 'apache-arrow/fb/record-batch';
import type * as Fzstd from 'fzstd';
import { lazy, requireAsImport } from '../lazy.js';
import type { FragmentInfo } from './lance-manifest.js';

/** Loaded on first use (src/lazy.ts): a process that never patches a graph index never pays. */
const ipc = lazy(() => ({
  ByteBuffer: requireAsImport<typeof Flatbuffers>('flatbuffers').ByteBuffer,
  Message: requireAsImport<typeof FbMessage>('apache-arrow/fb/message').Message,
  RecordBatch: requireAsImport<typeof FbRecordBatch>('apache-arrow/fb/record-batch').RecordBatch,
  zstd: requireAsImport<typeof Fzstd>('fzstd'),
}));

const ARROW_MAGIC = Buffer.from('ARROW1', 'latin1');
const CONTINUATION = 0xffffffff;
/** MessageHeader.RecordBatch and CompressionType.ZSTD in Arrow's Message.fbs. */
const RECORD_BATCH = 3;
const ZSTD = 1;

function corrupt(why: string): never {
  throw new RangeError(`not a Lance deletion file: ${why}`);
}

/** One body buffer, decompressed. */
function bodyBuffer(
  body: Buffer,
  offset: number,
  length: number,
  codec: number | null,
): Uint8Array {
  if (offset + length > body.length) corrupt('a buffer runs past the body');
  const raw = body.subarray(offset, offset + length);
  if (codec === null) return raw;
  if (raw.length < 8) return new Uint8Array(0);
  const size = raw.readBigInt64LE(0);
  if (size === -1n) return raw.subarray(8);
  if (codec !== ZSTD) corrupt(`compression codec ${codec}`);
  const out = ipc().zstd.decompress(raw.subarray(8));
  if (BigInt(out.length) !== size) corrupt('a buffer decompresses to the wrong size');
  return out;
}

/** The `row_id` values of an Arrow IPC file as Lance writes deletion vectors. */
export function decodeArrowDeletions(buf: Buffer): Uint32Array {
  if (buf.length < 12 || !buf.subarray(0, 6).equals(ARROW_MAGIC)) corrupt('no ARROW1 magic');
  const { ByteBuffer, Message, RecordBatch } = ipc();
  const parts: Uint32Array[] = [];
  // The stream starts after the magic and its padding (arrow-rs aligns it to 64 bytes).
  let pos = 8;
  while (pos + 4 <= buf.length && buf.readUInt32LE(pos) === 0) pos += 4;
  while (pos + 8 <= buf.length && buf.readUInt32LE(pos) === CONTINUATION) {
    const metaLength = buf.readInt32LE(pos + 4);
    if (metaLength === 0) break;
    const meta = buf.subarray(pos + 8, pos + 8 + metaLength);
    const message = Message.getRootAsMessage(new ByteBuffer(new Uint8Array(meta)));
    const bodyLength = Number(message.bodyLength());
    const body = buf.subarray(pos + 8 + metaLength, pos + 8 + metaLength + bodyLength);
    if (body.length !== bodyLength) corrupt('truncated');
    pos += 8 + metaLength + bodyLength;
    if (message.headerType() !== RECORD_BATCH) continue;
    const batch = message.header(new RecordBatch()) as FbRecordBatch.RecordBatch | null;
    if (!batch || batch.buffersLength() < 2) corrupt('a record batch without its buffers');
    const rows = Number(batch.length());
    const codec = batch.compression()?.codec() ?? null;
    const values = batch.buffers(1)!;
    const data = bodyBuffer(body, Number(values.offset()), Number(values.length()), codec);
    if (data.length < 4 * rows) corrupt('fewer values than rows');
    const copy = new Uint8Array(4 * rows);
    copy.set(data.subarray(0, 4 * rows));
    parts.push(new Uint32Array(copy.buffer));
  }
  const out = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

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
  const rows = deletion.kind === 'bitmap' ? decodeRoaring(buf) : decodeArrowDeletions(buf).sort();
  if (deletion.rows > 0 && rows.length !== deletion.rows)
    throw new RangeError(
      `${deletion.path} holds ${rows.length} rows, its manifest says ${deletion.rows}`,
    );
  return rows;
}
