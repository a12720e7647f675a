/**
 * What the data commands ask of a graph, in the shapes they print. Two implementations:
 * a local repo (local-graph.ts, over the Repo API) and a graph on a server
 * (remote/remote-graph.ts, over HTTP). A command is written once against this interface,
 * so `--server` changes where the answers come from, never how they are printed
 * (docs/cli.md "Talking to a server").
 */
import type { Catalog, ExportResult, ReadAt, TablePin } from '../src/index.js';
import type { ReadDocument } from './read-output.js';

export interface QueryRequest {
  source: string;
  file: string;
  name: string;
  params: unknown;
  branch?: string;
  version?: number;
  commit?: string;
}

export interface ChangeRequest {
  source: string;
  file: string;
  name: string;
  params: unknown;
  branch?: string;
  actor?: string;
  ifCommit?: string;
}

export interface ChangeResult {
  affectedNodes: number;
  affectedEdges: number;
  opId: string;
  commitId: string | null;
  manifestVersion: number | null;
  statements: Array<{ op: string; type: string; rows: number }>;
}

export interface SnapshotResult {
  branch: string;
  manifestVersion: number;
  commitId: string;
  time: string;
  timeUs: number;
  tables: Array<{
    tableKey: string;
    kind: string;
    name: string;
    tablePath: string;
    pinnedVersion: number;
    lanceBranch: string | null;
    rows: number;
  }>;
}

export interface BranchJSON {
  name: string;
  parentBranch: string | null;
  parentManifestVersion: number | null;
  headManifestVersion: number;
  headCommitId: string;
  created: string;
  createdUs: number;
}

export interface BranchCreated {
  branch: string;
  parentBranch: string | null;
  parentManifestVersion: number | null;
  manifestVersion: number;
  commitId: string;
  pins: TablePin[];
}

export interface CommitJSON {
  id: string;
  branch: string;
  manifestVersion: number;
  parentId: string | null;
  mergedParentId: string | null;
  actor: string;
  opId: string;
  message: string | null;
  time: string;
  timeUs: number;
}

export interface BranchFrom {
  from?: string;
  version?: number;
  commit?: string;
}

export interface GraphSource {
  /** Runs a named read query: the document every read format prints. */
  query(req: QueryRequest): Promise<ReadDocument>;
  /** Runs a named mutation as one operation. */
  change(req: ChangeRequest): Promise<ChangeResult>;
  /** Writes the graph (or some types) as JSONL in the load format to `out`. */
  exportJsonl(out: NodeJS.WritableStream, at: ReadAt, types?: string[]): Promise<ExportResult>;
  snapshot(at: ReadAt): Promise<SnapshotResult>;
  listBranches(): Promise<BranchJSON[]>;
  createBranch(name: string, from: BranchFrom): Promise<BranchCreated>;
  deleteBranch(
    name: string,
  ): Promise<{ deletedLanceBranches: Array<{ tableKey: string; lanceBranch: string }> }>;
  listCommits(filter: { branch?: string; actor?: string; limit?: number }): Promise<CommitJSON[]>;
  /** The compiled schema, and its deterministic JSON. */
  catalog(): Promise<{ catalog: Catalog; json: string }>;
  close(): Promise<void>;
}
