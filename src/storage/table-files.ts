/**
 * The files of one table's Lance line (main or a Lance branch), for recovery's check
 * before a roll-forward, its rollback of damaged commits, the checksums the write
 * protocol records and the scrub (lance-files.ts). Errors other than a missing or
 * damaged file are typed as every storage error (errors.ts `guard`).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { guard, type TableRef } from './errors.js';
import {
  checkFiles,
  findManifest,
  listedHead,
  ManifestUnreadable,
  relativeName,
  versionNeeds,
  type FileDigest,
  type FileProblem,
  type NeededFile,
} from './lance-files.js';
import { branchRoot, digestLanceVersion, fsyncAll } from './lance-sync.js';

export class TableFiles {
  constructor(
    readonly ref: TableRef,
    /** `<repo>/<tablePath>.lance` */
    readonly datasetDir: string,
    /** Lance branch; undefined for the main line. */
    readonly branch: string | undefined,
  ) {}

  /** The dataset root of this line (the table directory, or `tree/<branch>`). */
  get root(): string {
    return branchRoot(this.datasetDir, this.branch);
  }

  private get versionsDir(): string {
    return path.join(this.root, '_versions');
  }

  /** The newest version by its manifest's file name, without reading a manifest. */
  listedHead(): number | null {
    return listedHead(this.versionsDir);
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
        return await versionNeeds(this.root, version, since === undefined ? {} : { since });
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
      checkFiles(this.datasetDir, found.needs, recorded, { hash: opts.hash }),
    );
  }

  /** The size and sha256 of every file `to` needs that `from` did not (null: every file). */
  async digest(from: number | null, to: number): Promise<FileDigest[]> {
    return guard(this.ref, 'digestVersion', () =>
      digestLanceVersion({
        datasetDir: this.datasetDir,
        branch: this.branch,
        fromVersion: from,
        toVersion: to,
      }),
    );
  }

  /**
   * Removes the manifests of every version above `version`, newest first, so that Lance
   * HEAD is `version` again. Only for versions nothing published (recovery rolling back
   * a commit whose manifest Lance cannot read): the manifest is what makes a version
   * exist; the files it named are left unreferenced. Returns the removed files.
   */
  async dropVersionsAbove(version: number): Promise<string[]> {
    const removed: string[] = [];
    for (let v = this.listedHead(); v !== null && v > version; v--) {
      const file = findManifest(this.versionsDir, v);
      if (file === null) continue;
      await guard(this.ref, 'dropVersion', () => fs.rm(file));
      removed.push(relativeName(this.datasetDir, file));
    }
    // Durable: a removed manifest that came back after a power loss would be a HEAD past
    // the pin that nothing can restore.
    if (removed.length > 0)
      await guard(this.ref, 'dropVersion', () => fsyncAll([], [this.versionsDir]));
    return removed;
  }
}
