/**
 * Reads which files a Lance version references, straight from its manifest file, so
 * that a commit's new files can be fsync'd without listing directories that grow with
 * the table's history (`data/`, `_versions/`, `_transactions/`).
 *
 * The manifest file (Lance table format, `protos/table.proto`) ends with a 16-byte
 * footer: the u64 LE position of the manifest, two u16 format versions and `LANC`. At
 * that position: a u32 LE length and the `Manifest` protobuf. Only the fields that name
 * files are decoded; everything else is skipped by wire type.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The files one version references, as absolute paths. */
export interface ManifestFiles {
  /** Data files, deletion files and external row-id files of every fragment. */
  files: Set<string>;
  /** Index directories (`_indices/<uuid>`) with their file names when the manifest lists them. */
  indexDirs: Map<string, string[]>;
  /** The version's transaction file (`_transactions/<read_version>-<uuid>.txn`), if any. */
  transactionFile: string | null;
  /**
   * The size the manifest records for a file (data files' `file_size_bytes`, index files'
   * `size_bytes`), by absolute path; absent where Lance recorded none (0 means unknown).
   */
  sizes: Map<string, number>;
}

/** Lance's largest version number: V2 manifest names count down from it (`u64::MAX - version`). */
const U64_MAX = 18446744073709551615n;

/** The file of `version` under Lance's V2 manifest naming (what lancedb 0.37 creates). */
export function manifestFile(versionsDir: string, version: number): string {
  return path.join(
    versionsDir,
    `${(U64_MAX - BigInt(version)).toString().padStart(20, '0')}.manifest`,
  );
}

/**
 * A protobuf reader over buf[pos, end): varints as numbers (exact below 2^53; Lance's
 * ids, versions and offsets that name files stay far below, except deletion-file ids,
 * which are read exactly as decimal text). No objects per field: a manifest of a table
 * with thousands of fragments is decoded on every write.
 */
export class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
  }

  /** A u64 varint as exact decimal text. */
  varintText(): string {
    const start = this.pos;
    const n = this.varint();
    if (Number.isSafeInteger(n)) return String(n);
    let big = 0n;
    for (let i = this.pos - 1; i >= start; i--) big = (big << 7n) | BigInt(this.buf[i] & 0x7f);
    return big.toString();
  }

  /** The next field's key; for length-delimited fields `this.pos` is then at the payload. */
  key(): { field: number; wire: number } {
    const k = this.varint();
    return { field: Math.floor(k / 8), wire: k % 8 };
  }

  /** Payload range of a length-delimited field (advances past it). */
  bytes(): [number, number] {
    const n = this.varint();
    const start = this.pos;
    if (start + n > this.end) throw new Error('truncated field');
    this.pos = start + n;
    return [start, start + n];
  }

  text(): string {
    const [s, e] = this.bytes();
    return this.buf.toString('utf8', s, e);
  }

  sub(): Reader {
    const [s, e] = this.bytes();
    return new Reader(this.buf, s, e);
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 2) this.bytes();
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

/** A base path as written by Lance (an absolute path, possibly a `file://` URL). */
function localPath(p: string): string {
  const s = p.startsWith('file://') ? decodeURIComponent(p.slice('file://'.length)) : p;
  return path.isAbsolute(s) ? s : `/${s}`;
}

function uuidText(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

interface Base {
  dir: string;
  datasetRoot: boolean;
}

function readBase(r: Reader): [number, Base] | null {
  let id = 0;
  let p: string | undefined;
  let datasetRoot = false;
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1 && wire === 0) id = r.varint();
    else if (field === 3 && wire === 0) datasetRoot = r.varint() === 1;
    else if (field === 4 && wire === 2) p = r.text();
    else r.skip(wire);
  }
  return p === undefined ? null : [id, { dir: localPath(p), datasetRoot }];
}

/** A fragment's files: data files, its deletion file, external row-id/version files. */
function readFragment(
  r: Reader,
  at: Resolve,
  root: string,
  out: Set<string>,
  sizes: Map<string, number>,
): void {
  let fragmentId = '0';
  const pending: Array<() => void> = [];
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1 && wire === 0) fragmentId = r.varintText();
    else if (field === 2 && wire === 2) {
      const df = r.sub();
      let p: string | undefined;
      let base: number | undefined;
      let size = 0;
      while (!df.done) {
        const k = df.key();
        if (k.field === 1 && k.wire === 2) p = df.text();
        else if (k.field === 6 && k.wire === 0) size = df.varint();
        else if (k.field === 7 && k.wire === 0) base = df.varint();
        else df.skip(k.wire);
      }
      if (p !== undefined) {
        const file = at(base, 'data', p);
        out.add(file);
        if (size > 0) sizes.set(file, size);
      }
    } else if (field === 3 && wire === 2) {
      const del = r.sub();
      let type = 0;
      let readVersion = '0';
      let id = '0';
      let base: number | undefined;
      while (!del.done) {
        const k = del.key();
        if (k.field === 1 && k.wire === 0) type = del.varint();
        else if (k.field === 2 && k.wire === 0) readVersion = del.varintText();
        else if (k.field === 3 && k.wire === 0) id = del.varintText();
        else if (k.field === 7 && k.wire === 0) base = del.varint();
        else del.skip(k.wire);
      }
      // The fragment id may come after the deletion file: name it once the fragment is read.
      pending.push(() =>
        out.add(
          at(
            base,
            '_deletions',
            `${fragmentId}-${readVersion}-${id}.${type === 1 ? 'bin' : 'arrow'}`,
          ),
        ),
      );
    } else if ((field === 6 || field === 8 || field === 10) && wire === 2) {
      // External row-id / version sequences: a path relative to the table root.
      const ext = r.sub();
      while (!ext.done) {
        const k = ext.key();
        if (k.field === 1 && k.wire === 2) out.add(path.join(root, ext.text()));
        else ext.skip(k.wire);
      }
    } else r.skip(wire);
  }
  for (const f of pending) f();
}

function readIndexSection(
  buf: Buffer,
  at: number,
  resolve: Resolve,
  out: Map<string, string[]>,
  sizes?: Map<string, number>,
): void {
  const r = new Reader(buf, at + 4, at + 4 + buf.readUInt32LE(at));
  while (!r.done) {
    const { field, wire } = r.key();
    if (field !== 1 || wire !== 2) {
      r.skip(wire);
      continue;
    }
    const meta = r.sub();
    let uuid: string | undefined;
    let base: number | undefined;
    const names: string[] = [];
    const nameSizes: number[] = [];
    while (!meta.done) {
      const k = meta.key();
      if (k.field === 1 && k.wire === 2) {
        const u = meta.sub();
        while (!u.done) {
          const kk = u.key();
          if (kk.field === 1 && kk.wire === 2) {
            const [s, e] = u.bytes();
            uuid = uuidText(buf.subarray(s, e));
          } else u.skip(kk.wire);
        }
      } else if (k.field === 9 && k.wire === 0) base = meta.varint();
      else if (k.field === 10 && k.wire === 2) {
        const f = meta.sub();
        let size = 0;
        while (!f.done) {
          const kk = f.key();
          if (kk.field === 1 && kk.wire === 2) names.push(f.text());
          else if (kk.field === 2 && kk.wire === 0) size = f.varint();
          else f.skip(kk.wire);
        }
        nameSizes.push(size);
      } else meta.skip(k.wire);
    }
    if (uuid === undefined) continue;
    const dir = resolve(base, '_indices', uuid);
    out.set(dir, names);
    names.forEach((n, i) => {
      if (nameSizes[i] > 0) sizes?.set(path.join(dir, n), nameSizes[i]);
    });
  }
}

/** A manifest scanned at its top level: fragments stay undecoded byte ranges. */
export interface ScannedManifest {
  buf: Buffer;
  fragments: Array<[number, number]>;
  bases: Map<number, Base>;
  transactionFile: string | undefined;
  indexSection: number | undefined;
  /** Lance's reader feature flags (bit 1: stable row ids). */
  readerFeatureFlags: number;
}

/** Reads one file of a dataset: from disk, or an object store's (table-files.ts). */
export type ReadFile = (file: string) => Promise<Buffer>;

/**
 * Synchronous: a manifest is in the page cache (Lance just wrote it), and a thread-pool
 * round trip costs more than the copy when the pool is busy with the fsyncs.
 */
export const readLocalFile: ReadFile = (file) => {
  try {
    return Promise.resolve(readFileSync(file));
  } catch (err) {
    return Promise.reject(err as Error);
  }
};

/** Reads a manifest file and scans its top-level fields. */
export async function scanManifest(
  manifestPath: string,
  read: ReadFile = readLocalFile,
): Promise<ScannedManifest> {
  const buf = await read(manifestPath);
  if (buf.length < 16 || buf.toString('latin1', buf.length - 4) !== 'LANC')
    throw new Error(`${manifestPath} is not a Lance manifest (no LANC footer)`);
  const pos = Number(buf.readBigUInt64LE(buf.length - 16));
  const len = buf.readUInt32LE(pos);
  const manifest = new Reader(buf, pos + 4, pos + 4 + len);
  const out: ScannedManifest = {
    buf,
    fragments: [],
    bases: new Map(),
    transactionFile: undefined,
    indexSection: undefined,
    readerFeatureFlags: 0,
  };
  while (!manifest.done) {
    const { field, wire } = manifest.key();
    if (field === 2 && wire === 2) out.fragments.push(manifest.bytes());
    else if (field === 18 && wire === 2) {
      const b = readBase(manifest.sub());
      if (b) out.bases.set(b[0], b[1]);
    } else if (field === 12 && wire === 2) out.transactionFile = manifest.text();
    else if (field === 6 && wire === 0) out.indexSection = manifest.varint();
    else if (field === 9 && wire === 0) out.readerFeatureFlags = manifest.varint();
    else manifest.skip(wire);
  }
  return out;
}

type Resolve = (baseId: number | undefined, kind: string, name: string) => string;

/** Where a file of `kind` (`data`, `_deletions`, `_indices`) named `name` lives. */
export function resolver(m: ScannedManifest, root: string): Resolve {
  return (baseId, kind, name) => {
    const base = baseId === undefined ? undefined : m.bases.get(baseId);
    if (base === undefined) return `${root}/${kind}/${name}`;
    return base.datasetRoot ? `${base.dir}/${kind}/${name}` : `${base.dir}/${name}`;
  };
}

/** How far ahead in `except` a fragment is looked for (fragments removed in between). */
const LOOKAHEAD = 8;

/**
 * The files `m` references, as absolute paths. `root` is the dataset root the version
 * belongs to (the table directory, or `tree/<branch>` for a Lance branch); files
 * inherited from another root (a branch's fork base) resolve through the manifest's
 * base paths. With `except` (the version it was committed on), fragments encoded exactly
 * as in `except` are skipped — their files are `except`'s — and so are the index
 * directories `except` has: what remains is every file `m` adds. A fragment that
 * changed (a new deletion file) keeps its data files, which `except` already names: the
 * files of `except`'s fragments that `m` no longer has as they were are taken out again,
 * so a one-row delete in a large fragment does not fsync or checksum its data file.
 */
export function manifestFiles(
  m: ScannedManifest,
  root: string,
  except?: ScannedManifest,
): ManifestFiles {
  const resolve = resolver(m, root);
  const files = new Set<string>();
  const sizes = new Map<string, number>();
  // Lance keeps the surviving fragments in order, so a walk with a short lookahead finds
  // each unchanged one with a byte comparison. A fragment not found is decoded: new
  // ones, ones with a new deletion file, and (rarely, after many removals) unchanged
  // ones, whose files are fsync'd again — a superset, never less.
  let j = 0;
  const matched = new Set<number>();
  for (const [s, e] of m.fragments) {
    let found = false;
    const limit = Math.min(j + LOOKAHEAD, except?.fragments.length ?? 0);
    for (let k = j; k < limit; k++) {
      const [os, oe] = except!.fragments[k];
      if (oe - os === e - s && m.buf.compare(except!.buf, os, oe, s, e) === 0) {
        j = k + 1;
        found = true;
        matched.add(k);
        break;
      }
    }
    if (!found) readFragment(new Reader(m.buf, s, e), resolve, root, files, sizes);
  }
  if (except && files.size > 0) {
    const had = new Set<string>();
    const resolveOld = resolver(except, root);
    except.fragments.forEach(([s, e], k) => {
      if (!matched.has(k))
        readFragment(new Reader(except.buf, s, e), resolveOld, root, had, new Map());
    });
    for (const f of had) files.delete(f);
  }
  const indexDirs = new Map<string, string[]>();
  if (m.indexSection !== undefined)
    readIndexSection(m.buf, m.indexSection, resolve, indexDirs, sizes);
  if (except?.indexSection !== undefined) {
    const old = new Map<string, string[]>();
    readIndexSection(except.buf, except.indexSection, resolver(except, root), old);
    for (const dir of old.keys()) indexDirs.delete(dir);
  }
  return {
    files,
    sizes,
    indexDirs,
    transactionFile: m.transactionFile ? path.join(root, '_transactions', m.transactionFile) : null,
  };
}

/** Every file `manifestPath` references (see manifestFiles). */
export async function readManifestFiles(
  manifestPath: string,
  root: string,
): Promise<ManifestFiles> {
  return manifestFiles(await scanManifest(manifestPath), root);
}

/** A fragment of a version as its manifest describes it (what a graph index is checked against). */
export interface FragmentInfo {
  id: number;
  /** Data file names (uuid-named, immutable: the same name is the same rows). */
  dataFiles: string[];
  /** Rows written to the fragment, deleted ones included (row offsets run 0 … physicalRows − 1). */
  physicalRows: number;
  /** Its deletion vector: the file (absolute path), Arrow array or roaring bitmap, and its size. */
  deletion: { path: string; kind: 'arrow' | 'bitmap'; rows: number; name: string } | null;
}

function readDeletionFile(r: Reader): {
  type: number;
  readVersion: string;
  id: string;
  rows: number;
  base: number | undefined;
} {
  const out = {
    type: 0,
    readVersion: '0',
    id: '0',
    rows: 0,
    base: undefined as number | undefined,
  };
  while (!r.done) {
    const k = r.key();
    if (k.field === 1 && k.wire === 0) out.type = r.varint();
    else if (k.field === 2 && k.wire === 0) out.readVersion = r.varintText();
    else if (k.field === 3 && k.wire === 0) out.id = r.varintText();
    else if (k.field === 4 && k.wire === 0) out.rows = r.varint();
    else if (k.field === 7 && k.wire === 0) out.base = r.varint();
    else r.skip(k.wire);
  }
  return out;
}

function fragmentInfo(r: Reader, at: Resolve): FragmentInfo {
  let id = 0;
  let physicalRows = 0;
  const dataFiles: string[] = [];
  let del: ReturnType<typeof readDeletionFile> | undefined;
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === 1 && wire === 0) id = r.varint();
    else if (field === 4 && wire === 0) physicalRows = r.varint();
    else if (field === 2 && wire === 2) {
      const df = r.sub();
      while (!df.done) {
        const k = df.key();
        if (k.field === 1 && k.wire === 2) dataFiles.push(df.text());
        else df.skip(k.wire);
      }
    } else if (field === 3 && wire === 2) del = readDeletionFile(r.sub());
    else r.skip(wire);
  }
  let deletion: FragmentInfo['deletion'] = null;
  if (del) {
    const kind = del.type === 1 ? 'bitmap' : 'arrow';
    const name = `${id}-${del.readVersion}-${del.id}.${kind === 'bitmap' ? 'bin' : 'arrow'}`;
    deletion = { path: at(del.base, '_deletions', name), kind, rows: del.rows, name };
  }
  return { id, dataFiles, physicalRows, deletion };
}

/** The fragments of the version whose manifest is `manifestPath` (`root`: its dataset root). */
export async function readFragments(
  manifestPath: string,
  root: string,
  read: ReadFile = readLocalFile,
): Promise<FragmentInfo[]> {
  const m = await scanManifest(manifestPath, read);
  const at = resolver(m, root);
  return m.fragments.map(([s, e]) => fragmentInfo(new Reader(m.buf, s, e), at));
}
