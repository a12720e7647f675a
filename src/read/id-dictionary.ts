/**
 * The dense id dictionary of a graph index: the distinct endpoint ids of one id
 * space, sorted (JS string order), stored as UTF-8 bytes with offsets. A dense id is
 * an id's rank, so the dictionary needs no hash map: `find` is a binary search that
 * decodes the ~17 ids it probes, and `id` decodes one id. That is what lets a graph
 * index load from a file into typed arrays with nothing to build per id.
 *
 * `Interner` assigns provisional ids to endpoint ids read as Arrow UTF-8 bytes (a hash
 * over the bytes, no JS string per edge); `sorted()` then ranks them.
 */

const EMPTY = -1;

export class IdDictionary {
  private decoded: string[] | undefined;

  /** Id d is bytes[offsets[d], offsets[d + 1]); offsets has size + 1 entries. */
  constructor(
    readonly offsets: Uint32Array,
    readonly bytes: Uint8Array,
  ) {}

  static fromSorted(ids: readonly string[]): IdDictionary {
    const encoded = ids.map((id) => Buffer.from(id, 'utf8'));
    const offsets = new Uint32Array(ids.length + 1);
    for (let i = 0; i < encoded.length; i++) offsets[i + 1] = offsets[i] + encoded[i].length;
    const bytes = new Uint8Array(offsets[ids.length]);
    for (let i = 0; i < encoded.length; i++) bytes.set(encoded[i], offsets[i]);
    const dict = new IdDictionary(offsets, bytes);
    dict.decoded = [...ids];
    return dict;
  }

  get size(): number {
    return this.offsets.length - 1;
  }

  get byteLength(): number {
    return this.offsets.byteLength + this.bytes.byteLength;
  }

  id(d: number): string {
    if (this.decoded) return this.decoded[d];
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength).toString(
      'utf8',
      this.offsets[d],
      this.offsets[d + 1],
    );
  }

  /** The dense id of `id`, or -1. */
  find(id: string): number {
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const probe = this.id(mid);
      if (probe === id) return mid;
      if (probe < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Every id, by dense id (decoded once, then kept). */
  all(): readonly string[] {
    if (!this.decoded) {
      const text = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
      const out: string[] = new Array(this.size);
      for (let d = 0; d < out.length; d++)
        out[d] = text.toString('utf8', this.offsets[d], this.offsets[d + 1]);
      this.decoded = out;
    }
    return this.decoded;
  }

  /** Offsets start at 0, never decrease and end at the bytes' length. */
  offsetsConsistent(): boolean {
    const n = this.size;
    if (n < 0 || this.offsets[0] !== 0 || this.offsets[n] !== this.bytes.length) return false;
    for (let d = 0; d < n; d++) if (this.offsets[d + 1] < this.offsets[d]) return false;
    return true;
  }

  /** Offsets consistent and ids strictly increasing: what a dictionary read from a file must be. */
  isWellFormed(): boolean {
    if (!this.offsetsConsistent()) return false;
    const n = this.size;
    const ids = this.all();
    for (let d = 1; d < n; d++) if (!(ids[d - 1] < ids[d])) return false;
    return true;
  }
}

/** FNV-1a over bytes[start, end). */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** Distinct byte strings → provisional ids in first-seen order (open addressing, linear probing). */
export class Interner {
  private slots = new Int32Array(1 << 12).fill(EMPTY);
  private hashes = new Uint32Array(1 << 10);
  private keyOffsets = new Uint32Array(1 << 10);
  private keyBytes = new Uint8Array(1 << 14);
  private used = 0;
  count = 0;

  private grow(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    for (let k = 0; k < this.count; k++) {
      let s = this.hashes[k] & mask;
      while (slots[s] !== EMPTY) s = (s + 1) & mask;
      slots[s] = k;
    }
    this.slots = slots;
  }

  private store(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const k = this.count++;
    if (k + 1 >= this.keyOffsets.length) {
      const offsets = new Uint32Array(this.keyOffsets.length * 2);
      offsets.set(this.keyOffsets);
      this.keyOffsets = offsets;
      const hashes = new Uint32Array(this.hashes.length * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    const len = end - start;
    if (this.used + len > this.keyBytes.length) {
      const grown = new Uint8Array(Math.max(this.keyBytes.length * 2, this.used + len));
      grown.set(this.keyBytes.subarray(0, this.used));
      this.keyBytes = grown;
    }
    this.keyBytes.set(bytes.subarray(start, end), this.used);
    this.used += len;
    this.keyOffsets[k + 1] = this.used;
    this.hashes[k] = hash;
    return k;
  }

  private equal(k: number, bytes: Uint8Array, start: number, end: number): boolean {
    const s = this.keyOffsets[k];
    if (this.keyOffsets[k + 1] - s !== end - start) return false;
    for (let i = 0; i < end - start; i++)
      if (this.keyBytes[s + i] !== bytes[start + i]) return false;
    return true;
  }

  /** The provisional id of bytes[start, end). */
  intern(bytes: Uint8Array, start: number, end: number): number {
    const hash = hashBytes(bytes, start, end);
    const mask = this.slots.length - 1;
    let s = hash & mask;
    for (;;) {
      const k = this.slots[s];
      if (k === EMPTY) break;
      if (this.hashes[k] === hash && this.equal(k, bytes, start, end)) return k;
      s = (s + 1) & mask;
    }
    const k = this.store(bytes, start, end, hash);
    this.slots[s] = k;
    if (this.count * 2 > this.slots.length) this.grow();
    return k;
  }

  /** The id of a JS string (encoded first). */
  internString(id: string): number {
    const b = Buffer.from(id, 'utf8');
    return this.intern(b, 0, b.length);
  }

  /** Every interned id as a JS string, by provisional id. */
  ids(): string[] {
    const text = Buffer.from(this.keyBytes.buffer, 0, this.used);
    const ids: string[] = new Array(this.count);
    for (let k = 0; k < this.count; k++)
      ids[k] = text.toString('utf8', this.keyOffsets[k], this.keyOffsets[k + 1]);
    return ids;
  }

  /** The sorted dictionary of every interned id, and each provisional id's rank in it. */
  sorted(): { dict: IdDictionary; rank: Uint32Array } {
    const ids = this.ids();
    const order = Array.from({ length: this.count }, (_, k) => k);
    order.sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
    const rank = new Uint32Array(this.count);
    for (let r = 0; r < order.length; r++) rank[order[r]] = r;
    return { dict: IdDictionary.fromSorted(order.map((k) => ids[k])), rank };
  }
}
