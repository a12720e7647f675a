/**
 * The files of one table's Lance line (main or a Lance branch), for recovery's check
 * before a roll-forward, its rollback of damaged commits, the checksums the write
 * protocol records and the scrub (lance-files.ts). Every file is reached through the
 * repo's TableFiles (table-files.ts), on the local disk or an object store. Errors other
 * than a missing or damaged file are typed as every storage error (errors.ts `guard`).
 */
import path from 'node:path';
import { guard, type TableRef } from './errors.js';
import {
  checkFile,
  checkFiles,
  digestFiles,
  findManifest,
  listedHead,
  ManifestUnreadable,
  relativeName,
  versionNeeds,
  type FileCheck,
  type FileDigest,
  type FileProblem,
  type NeededFile,
} from './lance-files.js';
import { branchRoot } from './lance-sync.js';
import type { TableFiles } from './table-files.js';

export class TableLineFiles {
  constructor(
    readonly ref: TableRef,
    /** `<root>/<tablePath>.lance` (root: the repo directory or `/<bucket>/<prefix>`) */
    readonly datasetDir: string,
    /** Lance branch; undefined for the main line. */
    readonly branch: string | undefined,
    private readonly io: TableFiles,
  ) {}

  /** The dataset root of this line (the table directory, or `tree/<branch>`). */
  get root(): string {
    return branchRoot(this.datasetDir, this.branch);
  }

  private get versionsDir(): string {
    return path.join(this.root, '_versions');
  }

  /** The newest version by its manifest's file name, without reading a manifest. */
  listedHead(): Promise<number | null> {
    return guard(this.ref, 'listVersions', () => listedHead(this.io, this.versionsDir));
  }

  /**
   * The files `version` needs (with `since`: only those `since` did not), or the problem
   * with its manifest (missing, or not decodable).
   */
  async needs(
    version: number,
    since?: number,
  ): Promise<{ needs: NeededFile[] } | { manifest: FileProblem }> {
    let unreadable: ManifestUnreadable | undefined;
    const needs = await guard(this.ref, 'readManifest', async () => {
      try {
        return await versionNeeds(
          this.io,
          this.root,
          version,
          since === undefined ? {} : { since },
        );
      } catch (err) {
        if (!(err instanceof ManifestUnreadable)) throw err;
        unreadable = err;
        return null;
      }
    });
    if (needs !== null) return { needs };
    const { file, reason, missing } = unreadable!;
    const rel = relativeName(this.datasetDir, file);
    return {
      manifest: {
        path: rel,
        kind: 'manifest',
        problem: missing ? 'missing' : 'unreadable',
        message: `${rel}: ${missing ? 'is missing' : `cannot be decoded (${reason})`}`,
      },
    };
  }

  /**
   * Checks every file `version` needs (with `since`: only those it added) against the
   * manifest's sizes and the journal's `recorded` digests; with `hash`, their sha256 too.
   */
  async check(
    version: number,
    recorded: ReadonlyMap<string, FileDigest>,
    opts: { hash: boolean; since?: number },
  ): Promise<FileProblem[]> {
    const found = await this.needs(version, opts.since);
    if ('manifest' in found) return [found.manifest];
    return guard(this.ref, 'checkFiles', () =>
      checkFiles(this.io, this.datasetDir, found.needs, recorded, { hash: opts.hash }),
    );
  }

  /** One needed file against its record (lance-files.ts `checkFile`), with its sha256. */
  checkFile(need: NeededFile, recorded: FileDigest | undefined): Promise<FileCheck> {
    return checkFile(this.io, this.datasetDir, need, recorded, true);
  }

  /** The size and sha256 of every file `to` needs that `from` did not (null: every file). */
  async digest(from: number | null, to: number): Promise<FileDigest[]> {
    return guard(this.ref, 'digestVersion', async () => {
      const needs = await versionNeeds(
        this.io,
        this.root,
        to,
        from === null ? {} : { since: from },
      );
      return digestFiles(
        this.io,
        this.datasetDir,
        needs.map((n) => n.file),
      );
    });
  }

  /**
   * Removes the manifests of every version above `version`, newest first, so that Lance
   * HEAD is `version` again. Only for versions nothing published (recovery rolling back
   * a commit whose manifest Lance cannot read): the manifest is what makes a version
   * exist; the files it named are left unreferenced. Returns the removed files.
   */
  async dropVersionsAbove(version: number): Promise<string[]> {
    const removed: string[] = [];
    for (let v = await this.listedHead(); v !== null && v > version; v--) {
      const file = await guard(this.ref, 'dropVersion', () =>
        findManifest(this.io, this.versionsDir, v),
      );
      if (file === null) continue;
      // One at a time, newest first, each durable (on disk: its directory fsync'd): a
      // removed manifest that came back after a power loss would be a HEAD past the pin
      // that nothing can restore, and a gap below HEAD would not be a Lance history.
      await guard(this.ref, 'dropVersion', () => this.io.remove([file]));
      removed.push(relativeName(this.datasetDir, file));
    }
    return removed;
  }
}
