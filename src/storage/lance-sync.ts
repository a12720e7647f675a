/**
 * Power-loss durability of Lance commits. lancedb 0.37.1 on local disk never fsyncs: a
 * commit renames its data, deletion and transaction files into place and links the
 * version's manifest, all in the page cache. Before the journal publishes a version,
 * everything that version needs must be on disk: this module fsyncs the files a range
 * of versions created and the directories that name them, all in parallel.
 *
 * The new files are learned from the manifests (lance-manifest.ts), never from a
 * directory listing: a version's referenced files minus those of the version it was
 * committed on, plus each new version's manifest and transaction file.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  manifestFile,
  manifestFiles,
  scanManifest,
  type ScannedManifest,
} from './lance-manifest.js';

export interface SyncRequest {
  /** The table's directory (`<repo>/nodes/<hex>.lance`). */
  datasetDir: string;
  /** Lance branch; undefined for the main line. */
  branch: string | undefined;
  /** The version the commits started from (already durable); null for a new table. */
  fromVersion: number | null;
  /** The newest version to make durable. */
  toVersion: number;
  /** The Lance branch was forked by this operation: its fork manifest and ref too. */
  forked: boolean;
  /** The highest directory whose entries are fsync'd (the table dir, or the repo for a new table). */
  stopDir: string;
}

export interface SyncStats {
  files: number;
  dirs: number;
}

/** The dataset root a branch's versions, data and transactions live under. */
export function branchRoot(datasetDir: string, branch: string | undefined): string {
  return branch === undefined ? datasetDir : path.join(datasetDir, 'tree', branch);
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

/** The manifest file of `version` (V2 naming; V1 `<version>.manifest` as a fallback). */
async function findManifest(versionsDir: string, version: number): Promise<string> {
  const v2 = manifestFile(versionsDir, version);
  if (await exists(v2)) return v2;
  const v1 = path.join(versionsDir, `${version}.manifest`);
  if (await exists(v1)) return v1;
  throw new Error(`no manifest of version ${version} in ${versionsDir}`);
}

async function fsyncPath(p: string, optional = false): Promise<void> {
  let fh;
  try {
    fh = await fs.open(p, 'r');
  } catch (err) {
    // A file that is gone has nothing left to make durable.
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * fsyncs every file and directory, all at once (libuv's thread pool runs them in
 * parallel). An `optional` file that no longer exists is skipped.
 */
export async function fsyncAll(
  files: Iterable<string>,
  dirs: Iterable<string>,
  optional: ReadonlySet<string> = new Set(),
): Promise<void> {
  await Promise.all([...files, ...dirs].map((p) => fsyncPath(p, optional.has(p))));
}

/** Adds `dir` and its ancestors up to and including `stopDir` (their entries may be new). */
function addDirChain(dirs: Set<string>, dir: string, stopDir: string): void {
  for (let d = dir; ; d = path.dirname(d)) {
    dirs.add(d);
    if (d === stopDir || !d.startsWith(stopDir + path.sep)) return;
  }
}

/**
 * Makes versions (fromVersion, toVersion] of one (table, Lance branch) durable: every
 * manifest in the range and its transaction file, the data, deletion and index files
 * `toVersion` references that `fromVersion` does not, the version hint, and every
 * directory holding them up to `stopDir`. Files an intermediate version made that
 * `toVersion` no longer references (a commit undone by a restore) are not needed.
 */
export async function syncLanceVersions(req: SyncRequest): Promise<SyncStats> {
  const root = branchRoot(req.datasetDir, req.branch);
  const versionsDir = path.join(root, '_versions');
  const files = new Set<string>();
  const dirs = new Set<string>();

  const txnOf = (m: ScannedManifest): string | null =>
    m.transactionFile ? path.join(root, '_transactions', m.transactionFile) : null;
  const addVersion = (file: string, m: ScannedManifest) => {
    files.add(file);
    const txn = txnOf(m);
    if (txn !== null) files.add(txn);
  };
  const toFile = await findManifest(versionsDir, req.toVersion);
  const to = await scanManifest(toFile);
  let from: ScannedManifest | undefined;
  if (req.fromVersion !== null) {
    const fromFile = await findManifest(versionsDir, req.fromVersion);
    from = await scanManifest(fromFile);
    // The fork itself: its first manifest (a copy of the parent's) and the branch's ref.
    if (req.forked) {
      addVersion(fromFile, from);
      files.add(path.join(req.datasetDir, '_refs', 'branches', `${req.branch}.json`));
    }
  }
  addVersion(toFile, to);
  // Versions in between (a multi-commit action's, or a commit a restore undoes) are not
  // needed by toVersion: synced when present, and a damaged or missing one (an
  // unpublished commit recovery rolls back) is no reason to fail.
  const optional = new Set<string>();
  for (let v = (req.fromVersion ?? 0) + 1; v < req.toVersion; v++) {
    const file = await findManifest(versionsDir, v).catch(() => null);
    if (file === null) continue;
    const m = await scanManifest(file).catch(() => null);
    files.add(file);
    const txn = m === null ? null : txnOf(m);
    if (txn !== null && !files.has(txn)) {
      files.add(txn);
      optional.add(txn);
    }
  }
  const added = manifestFiles(to, root, from);
  for (const f of added.files) files.add(f);
  for (const [dir, names] of added.indexDirs) {
    const entries = names.length > 0 ? names : await fs.readdir(dir);
    for (const n of entries) files.add(path.join(dir, n));
    addDirChain(dirs, dir, req.stopDir);
  }
  const hint = path.join(versionsDir, 'latest_version_hint.json');
  if (await exists(hint)) files.add(hint);
  for (const f of files) addDirChain(dirs, path.dirname(f), req.stopDir);
  await fsyncAll(files, dirs, optional);
  return { files: files.size, dirs: dirs.size };
}
