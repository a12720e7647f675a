/**
 * Where graph index files live and how they are written and removed. Beside each
 * edge table's Lance dataset `<repo>/edges/<hex>.lance` is `<repo>/edges/<hex>.graph/`,
 * one file per Lance line and version: `~main@<version>.lgi` for the main line,
 * `<lance branch>@<version>.lgi` for a Lance branch (Lance branch names never hold `~`
 * or `@`). Branches that pin the same (line, version) read the same file.
 *
 * The files are derived data: a missing, partial, corrupt or stale one is ignored
 * (graph-file.ts checks it) and the index is patched or rebuilt from the table. A
 * write is crash-safe: a temp file, fsync'd, renamed into place, then the directory
 * fsync'd; a crash leaves either no file or the whole file (a temp file left behind is
 * never read, and the next write of the directory removes it).
 */
import { mkdirSync, promises as fs, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { failpoint } from '../failpoints.js';
import { fsyncDir } from '../fs-atomic.js';
import { encodeGraphFile, type GraphFileIdentity } from './graph-file.js';
import type { GraphIndex } from './graph-index.js';

const SUFFIX = '.lgi';
const MAIN_LINE = '~main';

export interface GraphFileEntry {
  file: string;
  lanceBranch: string | null;
  version: number;
}

export class GraphFiles {
  constructor(readonly repoDir: string) {}

  /** The directory of an edge table's files (`tablePath` as in the catalog: `edges/<hex>`). */
  dir(tablePath: string): string {
    return join(this.repoDir, `${tablePath}.graph`);
  }

  file(tablePath: string, lanceBranch: string | null, version: number): string {
    return join(this.dir(tablePath), `${lanceBranch ?? MAIN_LINE}@${version}${SUFFIX}`);
  }

  /** Every index file of the table (not temp files), by name. */
  list(tablePath: string): GraphFileEntry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir(tablePath));
    } catch {
      return [];
    }
    const out: GraphFileEntry[] = [];
    for (const name of names) {
      const m = /^([^@]+)@(\d+)\.lgi$/.exec(name);
      if (!m || name.startsWith('.')) continue;
      out.push({
        file: join(this.dir(tablePath), name),
        lanceBranch: m[1] === MAIN_LINE ? null : m[1],
        version: Number(m[2]),
      });
    }
    return out;
  }

  /**
   * Files an index of (lanceBranch, version) may be patched from, best first: the same
   * line's older versions (newest first), then the main line's (a Lance branch starts
   * from main's fragments).
   */
  bases(tablePath: string, lanceBranch: string | null, version: number): GraphFileEntry[] {
    const all = this.list(tablePath);
    const older = (line: string | null): GraphFileEntry[] =>
      all
        .filter((e) => e.lanceBranch === line && (line !== lanceBranch || e.version < version))
        .sort((a, b) => b.version - a.version);
    return lanceBranch === null ? older(null) : [...older(lanceBranch), ...older(null)];
  }

  /** Writes the file of `index` (a base, all arrays loaded) for `identity`: atomic and durable. */
  async write(tablePath: string, identity: GraphFileIdentity, index: GraphIndex): Promise<string> {
    const target = this.file(tablePath, identity.lanceBranch, identity.version);
    const dir = dirname(target);
    const created = ensureDir(dir);
    if (created) fsyncDir(dirname(dir));
    removeTempFiles(dir);
    const parts = await encodeGraphFile(index, identity);
    const tmp = join(
      dir,
      `.${identity.lanceBranch ?? MAIN_LINE}@${identity.version}.${process.pid}.tmp`,
    );
    const fh = await fs.open(tmp, 'w');
    try {
      // Positioned writes, one per part (not writev: the power-loss drill replays pwrite).
      let at = 0;
      for (const part of parts) {
        await fh.write(part, 0, part.length, at);
        at += part.length;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await failpoint('graph_index.before_rename', { file: target });
    await fs.rename(tmp, target);
    await failpoint('graph_index.after_rename', { file: target });
    fsyncDir(dir);
    return target;
  }

  /** Removes the files of `versions` on a line (durably); returns how many there were. */
  remove(tablePath: string, lanceBranch: string | null, versions: Iterable<number>): number {
    const doomed = new Set(versions);
    let removed = 0;
    for (const e of this.list(tablePath))
      if (e.lanceBranch === lanceBranch && doomed.has(e.version)) {
        rmSync(e.file, { force: true });
        removed++;
      }
    if (removed > 0) fsyncDir(this.dir(tablePath));
    return removed;
  }
}

/** mkdir -p; whether the directory is new (its parent's entry then needs an fsync). */
function ensureDir(dir: string): boolean {
  try {
    return mkdirSync(dir, { recursive: true }) !== undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Temp files of writers that died (named `.<line>@<version>.<pid>.tmp`). */
function removeTempFiles(dir: string): void {
  for (const name of readdirSync(dir)) {
    const m = /^\..*\.(\d+)\.tmp$/.exec(name);
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1])))
      rmSync(join(dir, name), { force: true });
  }
}
