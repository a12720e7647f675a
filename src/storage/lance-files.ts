/**
 * What a Lance version needs on disk, and whether it is still what was written: the
 * check recovery runs before a roll-forward (docs/recovery.md "Before a roll-forward")
 * and the scrub of `lancelog doctor --deep` (docs/cli.md).
 *
 * A version needs its manifest, its transaction file, and the data, deletion, index and
 * row-id files its manifest names (lance-manifest.ts). Lance records the size of data
 * and index files in the manifest; the journal records the size and sha256 of every
 * file an operation created (`table.committed`). Files are named relative to the
 * table's directory (`<table>.lance/`), with `/` separators, in the journal.
 */
import { createHash } from 'node:crypto';
import { promises as fs, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { manifestFile, manifestFiles, scanManifest } from './lance-manifest.js';

/**
 * What the check and the scrub ask of a dataset's files, wherever they live: the local
 * disk or an object store (table-files.ts implements it for both).
 */
export interface FileAccess {
  read(file: string): Promise<Buffer>;
  exists(file: string): Promise<boolean>;
  /** Its size; null when there is no such file. Other failures throw. */
  size(file: string): Promise<number | null>;
  /** Its size and sha256, read through once. */
  digest(file: string): Promise<{ size: number; sha256: string }>;
  /** The names directly in the directory `dir`; [] when there is none. */
  list(dir: string): Promise<string[]>;
  /** Removes `files` durably. */
  remove(files: string[]): Promise<void>;
}

export type LanceFileKind = 'manifest' | 'transaction' | 'data' | 'deletion' | 'index' | 'row-ids';

/** A file's size and sha256 as written, by its path relative to the table directory. */
export interface FileDigest {
  path: string;
  size: number;
  sha256: string;
}

export interface NeededFile {
  /** Absolute path. */
  file: string;
  kind: LanceFileKind;
  /** The size the manifest records (data and index files); null where it records none. */
  size: number | null;
}

export type FileProblemKind = 'missing' | 'size' | 'checksum' | 'unreadable';

export interface FileProblem {
  /** Relative to the table directory. */
  path: string;
  kind: LanceFileKind;
  problem: FileProblemKind;
  /** What it should be (a size, a sha256) and what it is. */
  expected?: number | string;
  actual?: number | string;
  message: string;
}

/** The file naming a version, V2 naming first (what lancedb 0.37 writes), then V1. */
export async function findManifest(
  io: FileAccess,
  versionsDir: string,
  version: number,
): Promise<string | null> {
  const v2 = manifestFile(versionsDir, version);
  if (await io.exists(v2)) return v2;
  const v1 = path.join(versionsDir, `${version}.manifest`);
  return (await io.exists(v1)) ? v1 : null;
}

const U64_MAX = 18446744073709551615n;

/**
 * The newest version whose manifest file is in `versionsDir`, from the file names alone
 * (reading no manifest: the newest one may be the damaged one). null: none.
 */
export async function listedHead(io: FileAccess, versionsDir: string): Promise<number | null> {
  let head: number | null = null;
  const names = await io.list(versionsDir);
  for (const n of names) {
    const m = /^(\d+)\.manifest$/.exec(n);
    if (!m) continue;
    const v = m[1].length === 20 ? Number(U64_MAX - BigInt(m[1])) : Number(m[1]);
    if (head === null || v > head) head = v;
  }
  return head;
}

/** Which kind of Lance file `rel` (relative to a dataset root) is, by its directory. */
export function kindOf(rel: string): LanceFileKind {
  const parts = rel.split('/');
  const dir = parts.includes('_indices')
    ? '_indices'
    : parts.length > 1
      ? parts[parts.length - 2]
      : '';
  switch (dir) {
    case '_versions':
      return 'manifest';
    case '_transactions':
      return 'transaction';
    case 'data':
      return 'data';
    case '_deletions':
      return 'deletion';
    case '_indices':
      return 'index';
    default:
      return 'row-ids';
  }
}

/** `file` relative to the table directory, with `/` separators (the journal's naming). */
export function relativeName(datasetDir: string, file: string): string {
  return path.relative(datasetDir, file).split(path.sep).join('/');
}

/** Thrown when a version's manifest is missing or cannot be decoded. */
export class ManifestUnreadable extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly missing = false,
  ) {
    super(`${file}: ${reason}`);
  }
}

/**
 * Every file `version` (of the dataset root `root`) needs, its manifest first; with
 * `since`, only the files it needs that version `since` did not (the files a commit
 * from `since` created). ManifestUnreadable when the manifest is missing or undecodable.
 */
export async function versionNeeds(
  io: FileAccess,
  root: string,
  version: number,
  opts: { since?: number } = {},
): Promise<NeededFile[]> {
  const versionsDir = path.join(root, '_versions');
  const file = await findManifest(io, versionsDir, version);
  if (file === null)
    throw new ManifestUnreadable(
      manifestFile(versionsDir, version),
      'the manifest is missing',
      true,
    );
  const sinceFile =
    opts.since === undefined ? null : await findManifest(io, versionsDir, opts.since);
  const scan = (f: string) => scanManifest(f, (g) => io.read(g));
  const since = sinceFile === null ? undefined : await readOrBlame(sinceFile, scan);
  const scanned = await readOrBlame(file, scan);
  // Fragments are decoded here, lazily: a garbled one is this manifest's damage too.
  const refs = await readOrBlame(file, async () => manifestFiles(scanned, root, since));
  const out: NeededFile[] = [{ file, kind: 'manifest', size: null }];
  if (refs.transactionFile !== null)
    out.push({ file: refs.transactionFile, kind: 'transaction', size: null });
  for (const f of refs.files) {
    const kind = f.includes(`${path.sep}_deletions${path.sep}`)
      ? 'deletion'
      : f.includes(`${path.sep}data${path.sep}`)
        ? 'data'
        : 'row-ids';
    out.push({ file: f, kind, size: refs.sizes.get(f) ?? null });
  }
  for (const [dir, names] of refs.indexDirs) {
    const entries = names.length > 0 ? names : await io.list(dir);
    if (entries.length === 0) {
      // The directory itself is gone (or empty): the check reports it missing.
      out.push({ file: dir, kind: 'index', size: null });
      continue;
    }
    for (const n of entries) {
      const f = path.join(dir, n);
      out.push({ file: f, kind: 'index', size: refs.sizes.get(f) ?? null });
    }
  }
  return out;
}

/** Runs `fn`; any failure is ManifestUnreadable naming `file`. */
async function readOrBlame<T>(file: string, fn: (file: string) => Promise<T>): Promise<T> {
  try {
    return await fn(file);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ManifestUnreadable(file, reason.split(`${file} `).join(''));
  }
}

/** How much a digest reads at a time: one buffer, reused. */
const READ_CHUNK_BYTES = 1 << 20;

/**
 * The size and sha256 of a file. sha256 because Node has it in hardware (SHA-NI:
 * 0.6–1.2 GB/s on one core here, docs/performance.md), faster than reading a table from
 * disk, and `sha256sum` checks the same digest by hand. A small file (a manifest, a
 * transaction, a one-row write's data file — in the page cache right after its commit)
 * is read in one synchronous call: three thread-pool round trips cost more than the copy
 * on a busy machine. A large one is read in 1 MiB chunks, so the event loop keeps turning.
 */
export async function digestFile(file: string): Promise<{ size: number; sha256: string }> {
  if (statSync(file).size <= READ_CHUNK_BYTES) {
    const buf = readFileSync(file);
    return { size: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
  }
  const fh = await fs.open(file, 'r');
  try {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let size = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { size, sha256: hash.digest('hex') };
  } finally {
    await fh.close();
  }
}

/** The digests of `files`, named relative to `datasetDir`, a few at a time. */
export async function digestFiles(
  io: FileAccess,
  datasetDir: string,
  files: string[],
): Promise<FileDigest[]> {
  const out = new Array<FileDigest>(files.length);
  await inParallel(files, 4, async (f, i) => {
    out[i] = { path: relativeName(datasetDir, f), ...(await io.digest(f)) };
  });
  return out;
}

export async function inParallel<T>(
  items: T[],
  width: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

function problem(
  rel: string,
  kind: LanceFileKind,
  p: FileProblemKind,
  message: string,
  expected?: number | string,
  actual?: number | string,
): FileProblem {
  return {
    path: rel,
    kind,
    problem: p,
    message: `${rel}: ${message}`,
    ...(expected !== undefined ? { expected } : {}),
    ...(actual !== undefined ? { actual } : {}),
  };
}

export interface FileCheck {
  problem: FileProblem | null;
  /** Its size on disk (null: it could not be read). */
  size: number | null;
  /** Its sha256 was compared with a recorded one. */
  hashed: boolean;
}

/**
 * One file against what the manifest and the journal say it is: exists, has the size
 * both record, and (with `hash`, when the journal recorded one) the recorded sha256.
 */
export async function checkFile(
  io: FileAccess,
  datasetDir: string,
  need: NeededFile,
  recorded: FileDigest | undefined,
  hash: boolean,
): Promise<FileCheck> {
  const rel = relativeName(datasetDir, need.file);
  const fail = (p: FileProblem, size: number | null = null): FileCheck => ({
    problem: p,
    size,
    hashed: false,
  });
  let size: number | null;
  try {
    size = await io.size(need.file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code ?? (err instanceof Error ? err.message : String(err));
    return fail(problem(rel, need.kind, 'unreadable', `cannot be read (${why})`));
  }
  if (size === null) return fail(problem(rel, need.kind, 'missing', 'is missing'));
  const want = recorded?.size ?? need.size;
  if (want !== null && size !== want)
    return fail(
      problem(rel, need.kind, 'size', `has ${size} bytes, ${want} were written`, want, size),
      size,
    );
  if (!hash || recorded === undefined) return { problem: null, size, hashed: false };
  let actual: string;
  try {
    actual = (await io.digest(need.file)).sha256;
  } catch (err) {
    return fail(problem(rel, need.kind, 'unreadable', `cannot be read (${String(err)})`), size);
  }
  if (actual === recorded.sha256) return { problem: null, size, hashed: true };
  return {
    problem: problem(
      rel,
      need.kind,
      'checksum',
      'is not what was written (sha256 differs)',
      recorded.sha256,
      actual,
    ),
    size,
    hashed: true,
  };
}

/**
 * Checks each needed file: it exists, has the size the manifest and the journal record,
 * and (with `hash`) the recorded sha256. Files without a journal record are checked for
 * existence and the manifest's size only.
 */
export async function checkFiles(
  io: FileAccess,
  datasetDir: string,
  needs: NeededFile[],
  recorded: ReadonlyMap<string, FileDigest>,
  opts: { hash: boolean },
): Promise<FileProblem[]> {
  const found: Array<FileProblem | null> = new Array<FileProblem | null>(needs.length).fill(null);
  await inParallel(needs, 4, async (need, i) => {
    found[i] = (
      await checkFile(
        io,
        datasetDir,
        need,
        recorded.get(relativeName(datasetDir, need.file)),
        opts.hash,
      )
    ).problem;
  });
  return found.filter((p): p is FileProblem => p !== null);
}
