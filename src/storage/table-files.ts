/**
 * The files of a repo's Lance datasets, wherever they live. The table store names every
 * dataset file by a path (`<root>/nodes/<hex>.lance/_versions/…`), built with the same
 * `path.join`s for both backends; only reading one (whole, or digested), asking whether
 * one exists and its size, listing and removing, making it durable and the URI lancedb
 * connects to differ:
 *
 * - `local`: `root` is the repo directory; files are read from disk, and a commit is
 *   made durable by fsync'ing what it wrote (lance-sync.ts: lancedb never fsyncs).
 * - `s3`: `root` is `/<bucket>/<prefix>`, so `s3:/` + a path is the object's URI; files
 *   are objects, and a commit is durable once its PUTs were acknowledged: there is
 *   nothing to sync (docs/recovery.md "On S3-compatible storage").
 */
import { existsSync, promises as fs, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { digestFile, type FileAccess } from './lance-files.js';
import { fsyncAll, syncLanceVersions, type SyncRequest, type SyncStats } from './lance-sync.js';
import { lanceStorageOptions, s3Location, type S3Location } from './s3-location.js';
import { S3Objects } from './s3-objects.js';

/**
 * `read`, `exists`, `size`, `digest`, `list` and `remove` (FileAccess) are what the
 * checksums recorded with a publish, recovery's check before a roll-forward and the
 * scrub of `doctor --deep` ask of a dataset's files (lance-files.ts).
 */
export interface TableFiles extends FileAccess {
  readonly kind: 'local' | 's3';
  /** What dataset paths are joined under. */
  readonly root: string;
  /** The storage options every lancedb connection gets. */
  readonly storageOptions: Record<string, string>;
  /**
   * Makes what versions (fromVersion, toVersion] created durable: fsync on disk
   * (lance-sync.ts); nothing on an object store, where each PUT was durable when
   * acknowledged, before lancedb's commit returned.
   */
  sync(req: SyncRequest): Promise<SyncStats>;
  /** The URI lancedb connects to for the directory `dir` (a path under root). */
  uri(dir: string): string;
  /** Does any file exist under the directory `dir`? */
  anyUnder(dir: string): Promise<boolean>;
  /**
   * Asked before every table open: false only when `dir` certainly holds nothing. On an
   * object store that would be a LIST per open, and lancedb's own open lists the
   * versions anyway and answers "not found" (TableNotFound), so it answers true there.
   */
  mayHaveVersions(dir: string): Promise<boolean>;
  /** Creates the directory `dir` where the backend has directories. */
  makeDir(dir: string): Promise<void>;
}

export class LocalTableFiles implements TableFiles {
  readonly kind = 'local';
  readonly storageOptions = {};
  constructor(readonly root: string) {}
  sync(req: SyncRequest): Promise<SyncStats> {
    return syncLanceVersions(req);
  }
  uri(dir: string): string {
    return dir;
  }
  /** Synchronous: a manifest is in the page cache (Lance just wrote it), and a
   * thread-pool round trip costs more than the copy when the pool is busy with fsyncs. */
  read(file: string): Promise<Buffer> {
    try {
      return Promise.resolve(readFileSync(file));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
  exists(file: string): Promise<boolean> {
    return Promise.resolve(existsSync(file));
  }
  /** A synchronous `stat` (microseconds), asked before every table open (docs/performance.md). */
  anyUnder(dir: string): Promise<boolean> {
    try {
      return Promise.resolve(statSync(dir).isDirectory());
    } catch {
      return Promise.resolve(false);
    }
  }
  mayHaveVersions(dir: string): Promise<boolean> {
    return this.anyUnder(dir);
  }
  async makeDir(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
  }
  async size(file: string): Promise<number | null> {
    try {
      return (await fs.stat(file)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }
  digest(file: string): Promise<{ size: number; sha256: string }> {
    return digestFile(file);
  }
  async list(dir: string): Promise<string[]> {
    try {
      return await fs.readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
  /** Durable: a removed manifest that came back after a power loss would be a HEAD past
   * the pin that nothing can restore, so the directories are fsync'd. */
  async remove(files: string[]): Promise<void> {
    for (const f of files) await fs.rm(f, { force: true });
    await fsyncAll([], new Set(files.map((f) => path.dirname(f))));
  }
}

export class S3TableFiles implements TableFiles {
  readonly kind = 's3';
  readonly root: string;
  readonly storageOptions: Record<string, string>;
  readonly objects: S3Objects;

  constructor(readonly location: S3Location) {
    this.root = `/${location.bucket}${location.prefix === '' ? '' : `/${location.prefix}`}`;
    this.storageOptions = lanceStorageOptions(location);
    this.objects = new S3Objects(location);
  }

  /** (bucket, key) of a path under root. */
  private split(file: string): { bucket: string; key: string } {
    const [bucket, ...rest] = file.replace(/^\/+/, '').split('/');
    return { bucket, key: rest.join('/') };
  }

  uri(dir: string): string {
    return `s3:/${dir}`;
  }

  async read(file: string): Promise<Buffer> {
    const { bucket, key } = this.split(file);
    const buf = await this.objects.get(bucket, key);
    if (buf === undefined) throw new Error(`Not found: ${this.uri(file)}`);
    return buf;
  }

  exists(file: string): Promise<boolean> {
    const { bucket, key } = this.split(file);
    return this.objects.exists(bucket, key);
  }

  anyUnder(dir: string): Promise<boolean> {
    const { bucket, key } = this.split(dir);
    return this.objects.anyUnder(bucket, `${key}/`);
  }

  mayHaveVersions(): Promise<boolean> {
    return Promise.resolve(true);
  }

  sync(): Promise<SyncStats> {
    return Promise.resolve({ files: 0, dirs: 0 });
  }

  makeDir(): Promise<void> {
    return Promise.resolve(); // object stores have no directories
  }

  size(file: string): Promise<number | null> {
    const { bucket, key } = this.split(file);
    return this.objects.size(bucket, key);
  }

  async digest(file: string): Promise<{ size: number; sha256: string }> {
    const { bucket, key } = this.split(file);
    const d = await this.objects.digest(bucket, key);
    if (d === undefined) throw new Error(`Not found: ${this.uri(file)}`);
    return d;
  }

  list(dir: string): Promise<string[]> {
    const { bucket, key } = this.split(dir);
    return this.objects.list(bucket, `${key}/`);
  }

  /** An acknowledged DELETE is durable, as a PUT is. */
  async remove(files: string[]): Promise<void> {
    for (const f of files) {
      const { bucket, key } = this.split(f);
      await this.objects.delete(bucket, key);
    }
  }
}

/** The files of the repo at `dir`: there, or at `tablesUri` (`s3://…`, AWS variables). */
export function tableFilesFor(dir: string, tablesUri: string | undefined): TableFiles {
  return tablesUri === undefined
    ? new LocalTableFiles(dir)
    : new S3TableFiles(s3Location(tablesUri));
}
