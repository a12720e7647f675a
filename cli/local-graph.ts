/** The GraphSource of a local repo directory: thin over the Repo API (graph-source.ts). */
import {
  exportJsonl,
  Repo,
  type BranchInfo,
  type CommitRow,
  type ReadAt,
  DEFAULT_BRANCH,
} from '../src/index.js';
import { isoFromUs } from './format.js';
import type {
  BranchCreated,
  BranchFrom,
  BranchJSON,
  ChangeRequest,
  ChangeResult,
  CommitJSON,
  GraphSource,
  QueryRequest,
  SnapshotResult,
} from './graph-source.js';
import type { ReadDocument } from './read-output.js';
import { columnTypeText, formatValue, type OutObject } from './read-values.js';

export function commitJSON(c: CommitRow): CommitJSON {
  return {
    id: c.id,
    branch: c.branch,
    manifestVersion: c.manifestVersion,
    parentId: c.parentId,
    mergedParentId: c.mergedParentId,
    actor: c.actor,
    opId: c.opId,
    message: c.message,
    time: isoFromUs(c.timeUs),
    timeUs: c.timeUs,
  };
}

function branchJSON(b: BranchInfo): BranchJSON {
  return {
    name: b.name,
    parentBranch: b.parentBranch,
    parentManifestVersion: b.parentManifestVersion,
    headManifestVersion: b.headManifestVersion,
    headCommitId: b.headCommitId,
    created: isoFromUs(b.createdUs),
    createdUs: b.createdUs,
  };
}

export class LocalGraph implements GraphSource {
  private constructor(readonly repo: Repo) {}

  static async open(dir: string, readOnly: boolean): Promise<LocalGraph> {
    return new LocalGraph(await Repo.open(dir, { readOnly }));
  }

  async query(req: QueryRequest): Promise<ReadDocument> {
    const out = await this.repo.query(req);
    const rows = out.rows.map((row) => {
      const o: OutObject = {};
      for (const c of out.columns) o[c.name] = formatValue(row[c.name], c.type, this.repo.catalog);
      return o;
    });
    return {
      query_name: out.query,
      target: {
        branch: out.target.branch,
        snapshot: out.target.commitId,
        manifest_version: out.target.manifestVersion,
        commit_id: out.target.commitId,
      },
      row_count: rows.length,
      columns: out.columns.map((c) => c.name),
      column_types: out.columns.map((c) => columnTypeText(c.type)),
      rows,
    };
  }

  async change(req: ChangeRequest): Promise<ChangeResult> {
    const out = await this.repo.change(req);
    return {
      affectedNodes: out.affectedNodes,
      affectedEdges: out.affectedEdges,
      opId: out.opId,
      commitId: out.commitId,
      manifestVersion: out.manifestVersion,
      statements: out.value.statements,
    };
  }

  exportJsonl(out: NodeJS.WritableStream, at: ReadAt, types?: string[]) {
    return exportJsonl(this.repo, out, at, types ? { types } : {});
  }

  async snapshot(at: ReadAt): Promise<SnapshotResult> {
    const snap = this.repo.snapshot(at);
    const tables = await this.repo.tables({ branch: snap.branch, version: snap.manifestVersion });
    return {
      branch: snap.branch,
      manifestVersion: snap.manifestVersion,
      commitId: snap.commitId,
      time: isoFromUs(snap.timeUs),
      timeUs: snap.timeUs,
      tables: tables.map((t) => ({
        tableKey: t.tableKey,
        kind: t.kind,
        name: t.name,
        tablePath: t.tablePath,
        pinnedVersion: t.pinnedVersion,
        lanceBranch: t.lanceBranch,
        rows: t.rows,
      })),
    };
  }

  listBranches(): Promise<BranchJSON[]> {
    return Promise.resolve(this.repo.listBranches().map(branchJSON));
  }

  createBranch(name: string, at: BranchFrom): Promise<BranchCreated> {
    // The Repo checks that --commit is in the history of --from.
    const snap = this.repo.createBranch(
      name,
      at.commit !== undefined
        ? { commit: at.commit, ...(at.from !== undefined ? { from: at.from } : {}) }
        : {
            from: at.from ?? DEFAULT_BRANCH,
            ...(at.version !== undefined ? { version: at.version } : {}),
          },
    );
    const info = this.repo.listBranches().find((b) => b.name === name);
    return Promise.resolve({
      branch: snap.branch,
      parentBranch: info?.parentBranch ?? null,
      parentManifestVersion: info?.parentManifestVersion ?? null,
      manifestVersion: snap.manifestVersion,
      commitId: snap.commitId,
      pins: snap.pins,
    });
  }

  deleteBranch(name: string) {
    return this.repo.deleteBranch(name);
  }

  listCommits(filter: { branch?: string; actor?: string; limit?: number }) {
    return Promise.resolve(this.repo.listCommits(filter).map(commitJSON));
  }

  catalog() {
    return Promise.resolve({ catalog: this.repo.catalog, json: this.repo.catalogJSON() });
  }

  close(): Promise<void> {
    return this.repo.close();
  }
}
