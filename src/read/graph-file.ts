/**
 * The graph index file format (docs/indexes.md "The graph index"): one file per
 * (edge table, Lance branch, version), read straight into typed arrays.
 *
 *     0   "LLGRAPH1"                      magic (8 bytes)
 *     8   u32 LE header length H
 *    12   u32 LE CRC-32 of the header
 *    16   header: JSON (zod-checked) — table, Lance branch, version, the version's
 *         fragments, counts, and each section's offset, length and CRC-32
 *    …    sections, each 8-byte aligned, little-endian u32 arrays or UTF-8 bytes:
 *         src.offsets src.bytes [dst.offsets dst.bytes] out.offsets out.targets
 *         in.offsets in.targets rows.start rows.src rows.dst
 *
 * A reader trusts nothing it has not checked: the magic, the header's CRC and shape,
 * that it names the table, branch and version asked for, each section's length and
 * CRC as it is read, and that dictionaries are sorted and offsets consistent. Any
 * failure is `GraphFileInvalid` and the caller builds the index another way.
 */
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { z } from 'zod';
import { MAIN_BRANCH } from '../storage/index.js';
import { IdDictionary } from './id-dictionary.js';
import {
  GraphBase,
  NO_EDGE,
  type Adjacency,
  type Direction,
  type EdgeRows,
  type GraphIndex,
} from './graph-index.js';

const MAGIC = Buffer.from('LLGRAPH1', 'latin1');
const PRELUDE_BYTES = 16;
/** Enough for the header of a table with a few thousand fragments in one read. */
const FIRST_READ_BYTES = 1 << 16;

const SectionSchema = z.object({
  name: z.string(),
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
  crc: z.number().int().nonnegative(),
});

const HeaderSchema = z.object({
  format: z.literal(1),
  tableKey: z.string(),
  lanceBranch: z.string().nullable(),
  version: z.number().int().nonnegative(),
  shared: z.boolean(),
  edges: z.number().int().nonnegative(),
  srcIds: z.number().int().nonnegative(),
  dstIds: z.number().int().nonnegative(),
  fragments: z.array(
    z.object({
      id: z.number().int().nonnegative(),
      dataFiles: z.array(z.string()),
      physicalRows: z.number().int().nonnegative(),
      deletion: z.string().nullable(),
    }),
  ),
  sections: z.array(SectionSchema),
});

export type GraphFileHeader = z.infer<typeof HeaderSchema>;

/** The file cannot be used: why, for the caller's log and doctor's report. */
export class GraphFileInvalid extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`graph index file ${file}: ${reason}`);
  }
}

/** What a file describes: checked against the header before anything else is read. */
export interface GraphFileIdentity {
  tableKey: string;
  lanceBranch: string | null;
  version: number;
}

const pad8 = (n: number): number => (n + 7) & ~7;

function bytesOf(a: Uint32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * The file's bytes for `index` (no delta) at `identity`: the buffers to write in order.
 * Every array must be loaded (`prepare` both directions and the rows first).
 */
export async function encodeGraphFile(
  index: GraphIndex,
  identity: GraphFileIdentity,
): Promise<Buffer[]> {
  if (index.delta) throw new Error('internal: only a base is written (materialize first)');
  const arrays = await sectionArrays(index.base);
  const sections = arrays.map(([name, a]) => ({
    name,
    length: a.byteLength,
    crc: crc32(bytesOf(a)),
    offset: 0,
  }));
  const b = index.base;
  const header = (): Buffer =>
    Buffer.from(
      JSON.stringify({
        format: 1,
        ...identity,
        shared: b.shared,
        edges: b.edgeCount,
        srcIds: b.src.size,
        dstIds: b.dst.size,
        fragments: b.fragments,
        sections,
      } satisfies GraphFileHeader),
      'utf8',
    );
  // Offsets depend on the header's length, which depends on the offsets' digits: settle.
  let json = header();
  for (let round = 0; round < 4; round++) {
    let at = pad8(PRELUDE_BYTES + json.length);
    for (const s of sections) {
      s.offset = at;
      at = pad8(at + s.length);
    }
    const next = header();
    const settled = next.length === json.length;
    json = next;
    if (settled) break;
  }
  return layout(json, arrays, sections);
}

/** The base's arrays in file order (every one loaded). */
async function sectionArrays(b: GraphBase): Promise<Array<[string, Uint32Array | Uint8Array]>> {
  const out = await b.adjacency('out');
  const inn = await b.adjacency('in');
  const rows = await b.rows();
  const dst: Array<[string, Uint32Array | Uint8Array]> = b.shared
    ? []
    : [
        ['dst.offsets', b.dst.offsets],
        ['dst.bytes', b.dst.bytes],
      ];
  return [
    ['src.offsets', b.src.offsets],
    ['src.bytes', b.src.bytes],
    ...dst,
    ['out.offsets', out.offsets],
    ['out.targets', out.targets],
    ['in.offsets', inn.offsets],
    ['in.targets', inn.targets],
    ['rows.start', rows.start],
    ['rows.src', rows.src],
    ['rows.dst', rows.dst],
  ];
}

/** Prelude, header, then each section at its offset (zero padding between). */
function layout(
  json: Buffer,
  arrays: Array<[string, Uint32Array | Uint8Array]>,
  sections: Array<{ offset: number; length: number }>,
): Buffer[] {
  const prelude = Buffer.alloc(PRELUDE_BYTES);
  MAGIC.copy(prelude, 0);
  prelude.writeUInt32LE(json.length, 8);
  prelude.writeUInt32LE(crc32(json), 12);
  const parts: Buffer[] = [prelude, json];
  let at = PRELUDE_BYTES + json.length;
  arrays.forEach(([, a], i) => {
    const s = sections[i];
    if (s.offset < at) throw new Error('internal: graph file sections overlap');
    if (s.offset > at) parts.push(Buffer.alloc(s.offset - at));
    parts.push(Buffer.from(bytesOf(a)));
    at = s.offset + s.length;
  });
  return parts;
}

/** Reads and checks a file's header; the identity must match exactly. */
async function readHeader(file: string, want: GraphFileIdentity): Promise<GraphFileHeader> {
  const fh = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new GraphFileInvalid(
      file,
      err.code === 'ENOENT' ? 'missing' : `unreadable (${err.code})`,
    );
  });
  try {
    const first = Buffer.alloc(FIRST_READ_BYTES);
    const { bytesRead } = await fh.read(first, 0, first.length, 0);
    if (bytesRead < PRELUDE_BYTES || !first.subarray(0, 8).equals(MAGIC))
      throw new GraphFileInvalid(file, 'not a graph index file (magic)');
    const length = first.readUInt32LE(8);
    let json = first.subarray(PRELUDE_BYTES, PRELUDE_BYTES + length);
    if (PRELUDE_BYTES + length > bytesRead) {
      json = Buffer.alloc(length);
      const r = await fh.read(json, 0, length, PRELUDE_BYTES);
      if (r.bytesRead !== length) throw new GraphFileInvalid(file, 'truncated header');
    }
    if (crc32(json) !== first.readUInt32LE(12)) throw new GraphFileInvalid(file, 'header checksum');
    let parsed: GraphFileHeader;
    try {
      parsed = HeaderSchema.parse(JSON.parse(json.toString('utf8')));
    } catch {
      throw new GraphFileInvalid(file, 'header is not a graph index header');
    }
    if (
      parsed.tableKey !== want.tableKey ||
      parsed.lanceBranch !== want.lanceBranch ||
      parsed.version !== want.version
    )
      throw new GraphFileInvalid(
        file,
        `describes ${parsed.tableKey}@${parsed.lanceBranch ?? MAIN_BRANCH}:${parsed.version}, not ${want.tableKey}@${want.lanceBranch ?? MAIN_BRANCH}:${want.version}`,
      );
    return parsed;
  } finally {
    await fh.close();
  }
}

/** The byte length each section must have, from the header's counts. */
function expectedLength(h: GraphFileHeader, name: string): number | null {
  const physical = h.fragments.reduce((n, f) => n + f.physicalRows, 0);
  switch (name) {
    case 'src.offsets':
      return 4 * (h.srcIds + 1);
    case 'dst.offsets':
      return 4 * (h.dstIds + 1);
    case 'out.offsets':
      return 4 * (h.srcIds + 1);
    case 'in.offsets':
      return 4 * (h.dstIds + 1);
    case 'out.targets':
    case 'in.targets':
      return 4 * h.edges;
    case 'rows.start':
      return 4 * h.fragments.length;
    case 'rows.src':
    case 'rows.dst':
      return 4 * physical;
    default:
      return null;
  }
}

/** Reads sections (each checked: length, CRC) as byte arrays, in one open of the file. */
async function readSections(
  file: string,
  h: GraphFileHeader,
  names: string[],
): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const fh = await open(file, 'r').catch(() => {
    throw new GraphFileInvalid(file, 'missing');
  });
  try {
    for (const name of names) {
      const s = h.sections.find((x) => x.name === name);
      if (!s) throw new GraphFileInvalid(file, `no section ${name}`);
      const want = expectedLength(h, name);
      if (want !== null && s.length !== want)
        throw new GraphFileInvalid(file, `section ${name} has the wrong length`);
      // A fresh ArrayBuffer per section: aligned for the Uint32Array views.
      const bytes = new Uint8Array(new ArrayBuffer(pad8(s.length)), 0, s.length);
      const { bytesRead } = await fh.read(bytes, 0, s.length, s.offset);
      if (bytesRead !== s.length) throw new GraphFileInvalid(file, `section ${name} is truncated`);
      if (crc32(bytes) !== s.crc) throw new GraphFileInvalid(file, `section ${name} checksum`);
      out.set(name, bytes);
    }
  } finally {
    await fh.close();
  }
  return out;
}

const u32 = (b: Uint8Array): Uint32Array =>
  new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4);

function checkedAdjacency(
  file: string,
  offsets: Uint32Array,
  targets: Uint32Array,
  ends: number,
): Adjacency {
  if (offsets[0] !== 0 || offsets[offsets.length - 1] !== targets.length)
    throw new GraphFileInvalid(file, 'adjacency offsets do not span the targets');
  for (let i = 1; i < offsets.length; i++)
    if (offsets[i] < offsets[i - 1]) throw new GraphFileInvalid(file, 'adjacency offsets decrease');
  for (let k = 0; k < targets.length; k++)
    if (targets[k] >= ends) throw new GraphFileInvalid(file, 'an adjacency target is out of range');
  return { offsets, targets };
}

/**
 * Opens a graph index file for `identity`: the header and the dictionaries now, the
 * adjacency of each direction and the edge rows when first asked (each read checked,
 * and the header read again: a file replaced in between must still be the same one).
 */
export async function openGraphFile(file: string, identity: GraphFileIdentity): Promise<GraphBase> {
  const header = await readHeader(file, identity);
  const dictNames = header.shared
    ? ['src.offsets', 'src.bytes']
    : ['src.offsets', 'src.bytes', 'dst.offsets', 'dst.bytes'];
  const dicts = await readSections(file, header, dictNames);
  const dict = (side: 'src' | 'dst'): IdDictionary => {
    const d = new IdDictionary(u32(dicts.get(`${side}.offsets`)!), dicts.get(`${side}.bytes`)!);
    // Offsets only: checking the order decodes every id, which a cold query must not pay
    // (the CRC already vouches for what the writer sorted; `doctor --deep` checks the order).
    if (!d.offsetsConsistent())
      throw new GraphFileInvalid(file, `the ${side} dictionary's offsets are inconsistent`);
    return d;
  };
  const src = dict('src');
  const dst = header.shared ? src : dict('dst');
  const again = async (names: string[]): Promise<Map<string, Uint8Array>> => {
    const h = await readHeader(file, identity);
    if (JSON.stringify(h) !== JSON.stringify(header))
      throw new GraphFileInvalid(file, 'replaced while in use');
    return readSections(file, header, names);
  };
  return new GraphBase(src, dst, header.edges, header.fragments, {
    async adjacency(direction: Direction): Promise<Adjacency> {
      const s = await again([`${direction}.offsets`, `${direction}.targets`]);
      const ends = direction === 'out' ? dst.size : src.size;
      return checkedAdjacency(
        file,
        u32(s.get(`${direction}.offsets`)!),
        u32(s.get(`${direction}.targets`)!),
        ends,
      );
    },
    async rows(): Promise<EdgeRows> {
      const s = await again(['rows.start', 'rows.src', 'rows.dst']);
      return {
        start: u32(s.get('rows.start')!),
        src: u32(s.get('rows.src')!),
        dst: u32(s.get('rows.dst')!),
      };
    },
  });
}

/**
 * Reads and checks the whole file (every section's length and CRC, sorted
 * dictionaries, adjacency and edge rows within range): what `index ensure` does before
 * calling a file current and `doctor --deep` does for each file. Throws GraphFileInvalid.
 */
export async function checkGraphFile(
  file: string,
  identity: GraphFileIdentity,
): Promise<GraphFileHeader> {
  const header = await readHeader(file, identity);
  const base = await openGraphFile(file, identity);
  for (const d of base.shared ? [base.src] : [base.src, base.dst])
    if (!d.isWellFormed()) throw new GraphFileInvalid(file, 'a dictionary is not sorted');
  await base.adjacency('out');
  await base.adjacency('in');
  const rows = await base.rows();
  let live = 0;
  for (let i = 0; i < rows.src.length; i++) {
    if (rows.src[i] === NO_EDGE) continue;
    live++;
    if (rows.src[i] >= base.src.size || rows.dst[i] >= base.dst.size)
      throw new GraphFileInvalid(file, 'an edge row is out of range');
  }
  if (live !== header.edges)
    throw new GraphFileInvalid(file, 'the edge rows disagree with the edge count');
  let at = 0;
  for (let i = 0; i < header.fragments.length; i++) {
    if (rows.start[i] !== at) throw new GraphFileInvalid(file, 'the edge rows are misplaced');
    at += header.fragments[i].physicalRows;
  }
  return header;
}
