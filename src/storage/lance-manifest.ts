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
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** The files one version references, as absolute paths. */
export interface ManifestFiles {
  /** Data files, deletion files and external row-id files of every fragment. */
  files: Set<string>;
  /** Index directories (`_indices/<uuid>`) with their file names when the manifest lists them. */
  indexDirs: Map<string, string[]>;
  /** The version's transaction file (`_transactions/<read_version>-<uuid>.txn`), if any. */
  transactionFile: string | null;
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

interface Field {
  field: number;
  /** Varint value (wire type 0). */
  value?: bigint;
  /** Byte range of a length-delimited value (wire type 2). */
  start?: number;
  end?: number;
}

/** The protobuf fields of buf[start, end), one level deep. */
function decode(buf: Buffer, start: number, end: number): Field[] {
  const out: Field[] = [];
  let i = start;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= end) throw new Error('truncated varint');
      const b = buf[i++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < end) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, value: varint() });
    else if (wire === 2) {
      const n = Number(varint());
      if (i + n > end) throw new Error('truncated field');
      out.push({ field, start: i, end: i + n });
      i += n;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

function text(buf: Buffer, f: Field): string {
  return buf.subarray(f.start, f.end).toString('utf8');
}

function sub(buf: Buffer, f: Field): Field[] {
  return f.start === undefined ? [] : decode(buf, f.start, f.end!);
}

function num(fields: Field[], n: number): bigint | undefined {
  return fields.find((f) => f.field === n && f.value !== undefined)?.value;
}

function str(buf: Buffer, fields: Field[], n: number): string | undefined {
  const f = fields.find((x) => x.field === n && x.start !== undefined);
  return f ? text(buf, f) : undefined;
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

/**
 * The files `manifestPath` references. `root` is the dataset root the version belongs
 * to (the table directory, or `tree/<branch>` for a Lance branch); files inherited from
 * another root (a branch's fork base) resolve through the manifest's base paths.
 */
export async function readManifestFiles(
  manifestPath: string,
  root: string,
): Promise<ManifestFiles> {
  const buf = await fs.readFile(manifestPath);
  if (buf.length < 16 || buf.subarray(buf.length - 4).toString('latin1') !== 'LANC')
    throw new Error(`${manifestPath} is not a Lance manifest (no LANC footer)`);
  const pos = Number(buf.readBigUInt64LE(buf.length - 16));
  const len = buf.readUInt32LE(pos);
  const manifest = decode(buf, pos + 4, pos + 4 + len);

  // Base paths: id -> (directory, is it a dataset root with data/ and _deletions/ below).
  const bases = new Map<number, { dir: string; datasetRoot: boolean }>();
  for (const f of manifest.filter((x) => x.field === 18)) {
    const b = sub(buf, f);
    const p = str(buf, b, 4);
    if (p !== undefined)
      bases.set(Number(num(b, 1) ?? 0n), { dir: localPath(p), datasetRoot: num(b, 3) === 1n });
  }
  const under = (baseId: bigint | undefined, kind: string, name: string): string => {
    const base = baseId === undefined ? undefined : bases.get(Number(baseId));
    if (base === undefined) return path.join(root, kind, name);
    return base.datasetRoot ? path.join(base.dir, kind, name) : path.join(base.dir, name);
  };

  const files = new Set<string>();
  for (const f of manifest.filter((x) => x.field === 2)) {
    const frag = sub(buf, f);
    const fragmentId = num(frag, 1) ?? 0n;
    for (const part of frag) {
      if (part.field === 2) {
        const df = sub(buf, part);
        const p = str(buf, df, 1);
        if (p !== undefined) files.add(under(num(df, 7), 'data', p));
      } else if (part.field === 3) {
        const del = sub(buf, part);
        const ext = (num(del, 1) ?? 0n) === 1n ? 'bin' : 'arrow';
        const name = `${fragmentId}-${num(del, 2) ?? 0n}-${num(del, 3) ?? 0n}.${ext}`;
        files.add(under(num(del, 7), '_deletions', name));
      } else if (part.field === 6 || part.field === 8 || part.field === 10) {
        // External row-id / version sequences: a path relative to the table root.
        const p = str(buf, sub(buf, part), 1);
        if (p !== undefined) files.add(path.join(root, p));
      }
    }
  }

  const indexDirs = new Map<string, string[]>();
  const indexSection = num(manifest, 6);
  if (indexSection !== undefined) {
    const at = Number(indexSection);
    const section = decode(buf, at + 4, at + 4 + buf.readUInt32LE(at));
    for (const f of section.filter((x) => x.field === 1)) {
      const meta = sub(buf, f);
      const uuidField = meta.find((x) => x.field === 1 && x.start !== undefined);
      const raw = uuidField ? sub(buf, uuidField).find((x) => x.field === 1) : undefined;
      if (raw?.start === undefined) continue;
      const dir = under(num(meta, 9), '_indices', uuidText(buf.subarray(raw.start, raw.end)));
      const names = meta
        .filter((x) => x.field === 10)
        .map((x) => str(buf, sub(buf, x), 1))
        .filter((x): x is string => x !== undefined);
      indexDirs.set(dir, names);
    }
  }

  const txn = str(buf, manifest, 12);
  return {
    files,
    indexDirs,
    transactionFile: txn ? path.join(root, '_transactions', txn) : null,
  };
}
