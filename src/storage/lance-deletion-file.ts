/**
 * Lance deletion files: the row offsets of one fragment that are deleted. Two encodings
 * (Lance table format, `DeletionFile`): an Arrow IPC file of one UInt32 column
 * (`.arrow`, small sets) or a portable-format 32-bit Roaring bitmap (`.bin`).
 *
 * apache-arrow 18 refuses any IPC message that declares body compression, and Lance's
 * writer compresses (LZ4 frame for small files, Zstandard for larger ones; buffers it
 * could not shrink are stored raw behind a length of -1), so the one record batch is
 * located here from the message's flatbuffer and its value buffer read raw, LZ4-frame
 * decoded, or Zstandard decoded (fzstd: Node 20's zlib has no Zstandard).
 */
import { decompress as zstdDecompress } from 'fzstd';

/** A flatbuffer table: field `i`'s absolute position, or null when absent. */
class FbTable {
  private readonly vtable: number;
  constructor(
    readonly buf: Buffer,
    readonly pos: number,
  ) {
    this.vtable = pos - buf.readInt32LE(pos);
  }

  field(i: number): number | null {
    const vsize = this.buf.readUInt16LE(this.vtable);
    if (4 + 2 * i >= vsize) return null;
    const off = this.buf.readUInt16LE(this.vtable + 4 + 2 * i);
    return off === 0 ? null : this.pos + off;
  }

  table(i: number): FbTable | null {
    const p = this.field(i);
    return p === null ? null : new FbTable(this.buf, p + this.buf.readUInt32LE(p));
  }

  /** A vector of structs of `size` bytes: [position of element 0, length]. */
  vector(i: number): [number, number] {
    const p = this.field(i);
    if (p === null) return [0, 0];
    const v = p + this.buf.readUInt32LE(p);
    return [v + 4, this.buf.readUInt32LE(v)];
  }
}

const HEADER_RECORD_BATCH = 3;

/** The deleted offsets of an Arrow deletion file. */
export function decodeArrowDeletions(file: Buffer): number[] {
  // The IPC file format: "ARROW1" + padding, then stream messages, then a footer.
  if (file.toString('latin1', 0, 6) !== 'ARROW1') throw new Error('not an Arrow IPC file');
  // Lance's writer pads the magic to a 64-byte boundary: skip zero words to the first message.
  let pos = 8;
  while (pos + 4 <= file.length && file.readInt32LE(pos) === 0) pos += 8;
  const out: number[] = [];
  while (pos + 8 <= file.length) {
    let len = file.readInt32LE(pos);
    pos += 4;
    if (len === -1) {
      len = file.readInt32LE(pos);
      pos += 4;
    }
    if (len <= 0) break;
    const meta = new FbTable(file, pos + file.readUInt32LE(pos));
    const typePos = meta.field(1);
    const bodyPos = meta.field(3);
    const bodyLength = bodyPos === null ? 0 : Number(file.readBigInt64LE(bodyPos));
    const body = pos + len;
    if (typePos !== null && file[typePos] === HEADER_RECORD_BATCH) {
      const batch = meta.table(2);
      if (batch) out.push(...batchValues(file, batch, body));
    }
    pos = body + bodyLength;
  }
  return out;
}

/** The UInt32 values of the record batch's one column (its last buffer). */
function batchValues(file: Buffer, batch: FbTable, body: number): number[] {
  const lengthPos = batch.field(0);
  const rows = lengthPos === null ? 0 : Number(file.readBigInt64LE(lengthPos));
  const [start, n] = batch.vector(2);
  if (n === 0 || rows === 0) return [];
  const last = start + 16 * (n - 1);
  const offset = Number(file.readBigInt64LE(last));
  const length = Number(file.readBigInt64LE(last + 8));
  let data = file.subarray(body + offset, body + offset + length);
  if (batch.table(3) !== null) {
    // Compressed body: each buffer is its uncompressed length (-1: stored raw) + bytes.
    const raw = Number(data.readBigInt64LE(0));
    const codecPos = batch.table(3)!.field(0);
    const codec = codecPos === null ? 0 : file[codecPos];
    if (raw === -1) data = data.subarray(8);
    else if (codec === 0) data = decodeLz4Frame(data.subarray(8), raw);
    else if (codec === 1) data = Buffer.from(zstdDecompress(data.subarray(8)));
    else throw new Error(`deletion file compressed with codec ${codec}`);
  }
  const out: number[] = [];
  for (let i = 0; i < rows; i++) out.push(data.readUInt32LE(4 * i));
  return out;
}

/** An LZ4 frame (magic 0x184D2204) decoded into `size` bytes. */
export function decodeLz4Frame(src: Buffer, size: number): Buffer {
  if (src.readUInt32LE(0) !== 0x184d2204) throw new Error('not an LZ4 frame');
  const flg = src[4];
  let pos = 6 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0) + 1;
  const out = Buffer.alloc(size);
  let o = 0;
  for (;;) {
    const word = src.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break;
    const n = word & 0x7fffffff;
    if (word & 0x80000000) o += src.copy(out, o, pos, pos + n);
    else o = decodeLz4Block(src, pos, pos + n, out, o);
    pos += n + (flg & 0x10 ? 4 : 0);
  }
  return out.subarray(0, o);
}

function decodeLz4Block(src: Buffer, pos: number, end: number, out: Buffer, o: number): number {
  const extend = (n: number): number => {
    if (n !== 15) return n;
    for (let b = 255; b === 255; n += b) b = src[pos++];
    return n;
  };
  while (pos < end) {
    const token = src[pos++];
    const literals = extend(token >> 4);
    o += src.copy(out, o, pos, pos + literals);
    pos += literals;
    if (pos >= end) break;
    const back = src.readUInt16LE(pos);
    pos += 2;
    const match = extend(token & 15) + 4;
    for (let i = 0; i < match; i++, o++) out[o] = out[o - back];
  }
  return o;
}

/** The values of a portable-format Roaring bitmap (32-bit). */
export function decodeRoaring(buf: Buffer): number[] {
  const out: number[] = [];
  const cookie = buf.readUInt32LE(0);
  let pos: number;
  let size: number;
  let runs: Buffer | null = null;
  if (cookie === 12346) {
    size = buf.readUInt32LE(4);
    pos = 8;
  } else if ((cookie & 0xffff) === 12347) {
    size = (cookie >>> 16) + 1;
    runs = buf.subarray(4, 4 + ((size + 7) >> 3));
    pos = 4 + runs.length;
  } else throw new Error(`not a Roaring bitmap (cookie ${cookie})`);
  const keys: Array<{ key: number; card: number }> = [];
  for (let i = 0; i < size; i++, pos += 4)
    keys.push({ key: buf.readUInt16LE(pos), card: buf.readUInt16LE(pos + 2) + 1 });
  // Offsets are present without runs, or with runs from 4 containers up; data follows in order.
  if (runs === null || size >= 4) pos += 4 * size;
  keys.forEach(({ key, card }, i) => {
    const high = key * 65536;
    if (runs !== null && (runs[i >> 3] & (1 << (i & 7))) !== 0) {
      const n = buf.readUInt16LE(pos);
      pos += 2;
      for (let j = 0; j < n; j++, pos += 4) {
        const start = buf.readUInt16LE(pos);
        const len = buf.readUInt16LE(pos + 2);
        for (let v = start; v <= start + len; v++) out.push(high + v);
      }
    } else if (card <= 4096) {
      for (let j = 0; j < card; j++, pos += 2) out.push(high + buf.readUInt16LE(pos));
    } else {
      for (let w = 0; w < 2048; w++, pos += 4) {
        const word = buf.readUInt32LE(pos);
        for (let b = 0; b < 32; b++) if ((word >>> b) & 1) out.push(high + w * 32 + b);
      }
    }
  });
  return out;
}
