/**
 * A byte stream → UTF-8 text transform that refuses invalid UTF-8 instead of
 * replacing it with U+FFFD (which `createReadStream(path, 'utf8')` does silently, so a
 * corrupt data file was stored and acknowledged with altered text).
 *
 * Each chunk is checked with `buffer.isUtf8` (native); only a chunk that fails is split
 * at its newlines to find the line. The stream then ends at the start of that line and
 * `failure()` names it: the loader reads the lines before it, then throws, so nothing
 * is published. Newlines are counted per chunk (memchr via indexOf).
 */
import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';

const NL = 0x0a;

function countNewlines(buf: Buffer, end: number): number {
  let n = 0;
  for (let i = buf.indexOf(NL); i !== -1 && i < end; i = buf.indexOf(NL, i + 1)) n++;
  return n;
}

/** Length of `buf` without a trailing, not yet complete multi-byte sequence. */
function completeLength(buf: Buffer): number {
  for (let back = 1; back <= Math.min(4, buf.length); back++) {
    const b = buf[buf.length - back];
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? buf.length - back : buf.length;
  }
  return buf.length;
}

export interface InvalidUtf8 {
  /** 1-based line of the first invalid byte. */
  line: number;
}

export class Utf8Guard extends Transform {
  private carry: Buffer = Buffer.alloc(0);
  private newlines = 0;
  private invalid: InvalidUtf8 | undefined;

  constructor() {
    super({ decodeStrings: true });
  }

  failure(): InvalidUtf8 | undefined {
    return this.invalid;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.invalid) return done();
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const cut = completeLength(buf);
    const text = buf.subarray(0, cut);
    if (isUtf8(text)) {
      this.newlines += countNewlines(text, cut);
      this.carry = Buffer.from(buf.subarray(cut));
      this.push(text.toString('utf8'));
      return done();
    }
    this.refuse(text);
    done();
  }

  override _flush(done: TransformCallback): void {
    if (!this.invalid && this.carry.length > 0) this.refuse(this.carry);
    done();
  }

  /** Passes the whole lines before the first invalid one, then ends the text. */
  private refuse(buf: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(NL, start);
      const end = nl === -1 ? buf.length : nl + 1;
      if (!isUtf8(buf.subarray(start, end))) break;
      this.newlines++;
      start = end;
    }
    this.push(buf.subarray(0, start).toString('utf8'));
    this.invalid = { line: this.newlines + 1 };
    this.push(null);
  }
}
