/**
 * The GraphSource of a graph on a `lancelog serve` (graph-source.ts): each answer is
 * built from the server's routes (docs/server.md) into the shape the local repo gives,
 * so the commands print the same bytes. What the HTTP API cannot express (a snapshot or
 * an export at an older manifest version, a branch forked at a commit) is
 * `RemoteUnsupported`, never an approximation.
 */
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  bindParams,
  catalogToJSON,
  compileQuery,
  compileSchema,
  isoFromUs,
  LancelogError,
  SCHEMA_FILE,
  type Catalog,
  type ExportResult,
  type ReadAt,
  DEFAULT_BRANCH,
} from '../../src/index.js';
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
} from '../graph-source.js';
import type { ReadDocument } from '../read-output.js';
import type { OutObject } from '../read-values.js';
import { countExportLine, writeAll } from './export-stream.js';
import { HttpClient, type ServerTarget } from './http-client.js';
import * as W from './wire.js';

/** The header a conditional mutation names its expected commit in. */
const IF_COMMIT_HEADER = 'Omnigraph-If-Graph-Commit';

function unsupported(command: string, option: string): LancelogError {
  return new LancelogError(
    'RemoteUnsupported',
    `${command} ${option} is not available from a server: run it on the repo directory`,
    { command, option },
  );
}

function commitOf(c: W.CommitWire): CommitJSON {
  return {
    id: c.graph_commit_id,
    branch: c.manifest_branch,
    manifestVersion: c.manifest_version,
    parentId: c.parent_commit_id ?? null,
    mergedParentId: c.merged_parent_commit_id ?? null,
    actor: c.actor_id,
    opId: c.op_id ?? '',
    message: c.message ?? null,
    time: isoFromUs(c.created_at),
    timeUs: c.created_at,
  };
}

export class RemoteGraph implements GraphSource {
  private readonly http: HttpClient;
  private schema?: { catalog: Catalog; json: string };

  constructor(target: ServerTarget) {
    this.http = new HttpClient(target);
  }

  private async commit(id: string): Promise<W.CommitWire> {
    return W.parse(W.Commit, await this.http.json('GET', `/commits/${encodeURIComponent(id)}`));
  }

  private async commits(branch: string | undefined): Promise<W.CommitWire[]> {
    const body = await this.http.json('GET', '/commits', { query: { branch } });
    return W.parse(W.CommitList, body).commits;
  }

  /** The commit that published manifest version `version` of `branch`. */
  private async commitAtVersion(branch: string, version: number): Promise<string> {
    const info = await this.branchInfo(branch);
    if (info.head_manifest_version === version) return info.head_commit_id;
    const hit = (await this.commits(branch)).find(
      (c) => c.manifest_branch === branch && c.manifest_version === version,
    );
    if (!hit)
      throw new LancelogError(
        'ManifestVersionNotFound',
        `branch ${branch} has no manifest version ${version}`,
        { branch, manifest_version: version },
      );
    return hit.graph_commit_id;
  }

  private async branchInfo(name: string): Promise<W.BranchInfoWire> {
    const body = await this.http.json('GET', `/branches/${encodeURIComponent(name)}`);
    return W.parse(W.BranchInfo, body);
  }

  /**
   * Compiles the query against the server's schema and binds its parameters here first,
   * so a defect is reported as the local command reports it (naming the user's file, not
   * the server's `<request>`); the server checks again.
   */
  private async precheck(req: { source: string; file: string; name: string; params: unknown }) {
    const { catalog } = await this.catalog();
    bindParams(compileQuery(req.source, req.file, catalog, req.name), req.params ?? {});
  }

  async query(req: QueryRequest): Promise<ReadDocument> {
    await this.precheck(req);
    const snapshot =
      req.version !== undefined
        ? await this.commitAtVersion(req.branch ?? DEFAULT_BRANCH, req.version)
        : req.commit;
    const body = await this.http.json('POST', '/read', {
      body: {
        query_source: req.source,
        query_name: req.name,
        params: req.params,
        ...(snapshot !== undefined ? { snapshot } : { branch: req.branch ?? DEFAULT_BRANCH }),
      },
    });
    return this.readDocument(body, req.branch ?? DEFAULT_BRANCH);
  }

  /** A read's answer as the document every read format prints. */
  private async readDocument(body: unknown, branch: string): Promise<ReadDocument> {
    const out = W.parse(W.ReadOutput, body);
    const commitId = out.target.snapshot ?? null;
    const manifestVersion = commitId === null ? 0 : (await this.commit(commitId)).manifest_version;
    return {
      query_name: out.query_name,
      target: {
        branch: out.target.branch ?? branch,
        snapshot: commitId,
        manifest_version: manifestVersion,
        commit_id: commitId,
      },
      row_count: out.row_count,
      columns: out.columns,
      column_types: out.column_types,
      rows: out.rows as OutObject[],
    };
  }

  /** A mutation's answer as the local `change` reports it. */
  private changeResult(answer: unknown): ChangeResult {
    const out = W.parse(W.ChangeOutput, answer);
    return {
      affectedNodes: out.affected_nodes,
      affectedEdges: out.affected_edges,
      opId: out.op_id,
      commitId: out.graph_commit_id ?? null,
      manifestVersion: out.manifest_version ?? null,
      statements: out.statements,
    };
  }

  /** The server's stored queries (`GET /queries`): names, kinds and typed parameters. */
  async storedQueries(): Promise<W.StoredQueryWire[]> {
    return W.parse(W.QueryCatalog, await this.http.json('GET', '/queries')).queries;
  }

  /** Invokes a stored query by name (`POST /queries/{name}`). */
  async invokeStored(
    name: string,
    params: Record<string, unknown>,
    branch?: string,
  ): Promise<{ kind: 'read'; doc: ReadDocument } | { kind: 'mutation'; result: ChangeResult }> {
    const answer = await this.http.json('POST', `/queries/${encodeURIComponent(name)}`, {
      body: { params, ...(branch !== undefined ? { branch } : {}) },
    });
    return typeof answer === 'object' && answer !== null && 'rows' in answer
      ? { kind: 'read', doc: await this.readDocument(answer, branch ?? DEFAULT_BRANCH) }
      : { kind: 'mutation', result: this.changeResult(answer) };
  }

  async change(req: ChangeRequest): Promise<ChangeResult> {
    await this.precheck(req);
    const params = req.params;
    const body = {
      query_source: req.source,
      query_name: req.name,
      params,
      branch: req.branch ?? DEFAULT_BRANCH,
    };
    const answer =
      req.ifCommit === undefined
        ? await this.http.json('POST', '/change', { body })
        : await this.http.json('POST', '/mutate/if-graph-commit', {
            body,
            headers: { [IF_COMMIT_HEADER]: req.ifCommit },
          });
    return this.changeResult(answer);
  }

  async exportJsonl(
    out: NodeJS.WritableStream,
    at: ReadAt,
    types?: string[],
  ): Promise<ExportResult> {
    if (at.version !== undefined) throw unsupported('export', '--version');
    if (at.commit !== undefined) throw unsupported('export', '--commit');
    const { catalog } = await this.catalog();
    const branch = at.branch ?? DEFAULT_BRANCH;
    const res = await this.http.send('POST', '/export', {
      body: { branch, ...(types ? { type_names: types } : {}) },
    });
    const commitId = res.headers.get('x-lancelog-commit-id') ?? '';
    const counts = exportCounts(catalog, types);
    if (res.body) {
      let carry = '';
      const decoder = new TextDecoder();
      for await (const chunk of Readable.fromWeb(res.body as never) as AsyncIterable<Uint8Array>) {
        await writeAll(out, chunk);
        const lines = (carry + decoder.decode(chunk, { stream: true })).split('\n');
        carry = lines.pop() ?? '';
        for (const line of lines) countExportLine(line, counts);
      }
    }
    return {
      commitId,
      branch,
      manifestVersion: (await this.commit(commitId)).manifest_version,
      ...counts,
    };
  }

  async snapshot(at: ReadAt): Promise<SnapshotResult> {
    if (at.version !== undefined) throw unsupported('snapshot', '--version');
    if (at.commit !== undefined) throw unsupported('snapshot', '--commit');
    const branch = at.branch ?? DEFAULT_BRANCH;
    const snap = W.parse(
      W.Snapshot,
      await this.http.json('GET', '/snapshot', { query: { branch } }),
    );
    const commitId = await this.commitAtVersion(branch, snap.manifest_version);
    const timeUs = (await this.commit(commitId)).created_at;
    return {
      branch: snap.branch,
      manifestVersion: snap.manifest_version,
      commitId,
      time: isoFromUs(timeUs),
      timeUs,
      tables: snap.tables.map((t) => {
        const colon = t.table_key.indexOf(':');
        return {
          tableKey: t.table_key,
          kind: t.table_key.slice(0, colon),
          name: t.table_key.slice(colon + 1),
          tablePath: t.table_path,
          pinnedVersion: t.table_version,
          lanceBranch: t.table_branch ?? null,
          rows: t.row_count,
        };
      }),
    };
  }

  async listBranches(): Promise<BranchJSON[]> {
    const names = W.parse(W.BranchList, await this.http.json('GET', '/branches')).branches;
    const out: BranchJSON[] = [];
    for (const name of names) {
      const b = await this.branchInfo(name);
      out.push({
        name: b.name,
        parentBranch: b.parent_branch,
        parentManifestVersion: b.parent_manifest_version,
        headManifestVersion: b.head_manifest_version,
        headCommitId: b.head_commit_id,
        created: isoFromUs(b.created_at),
        createdUs: b.created_at,
      });
    }
    return out;
  }

  async createBranch(name: string, at: BranchFrom): Promise<BranchCreated> {
    if (at.version !== undefined) throw unsupported('branch create', '--version');
    if (at.commit !== undefined) throw unsupported('branch create', '--commit');
    await this.http.json('POST', '/branches', { body: { name, from: at.from ?? DEFAULT_BRANCH } });
    const info = await this.branchInfo(name);
    const snap = W.parse(
      W.Snapshot,
      await this.http.json('GET', '/snapshot', { query: { branch: name } }),
    );
    return {
      branch: name,
      parentBranch: info.parent_branch,
      parentManifestVersion: info.parent_manifest_version,
      manifestVersion: info.head_manifest_version,
      commitId: info.head_commit_id,
      // In table-key order, as the journal lists a snapshot's pins.
      pins: snap.tables
        .map((t) => ({
          tableKey: t.table_key,
          version: t.table_version,
          lanceBranch: t.table_branch ?? null,
        }))
        .sort((a, b) => (a.tableKey < b.tableKey ? -1 : a.tableKey > b.tableKey ? 1 : 0)),
    };
  }

  async deleteBranch(name: string) {
    // The Lance branches it forked are the ones the delete removes.
    const forks = (await this.branchInfo(name)).forks;
    await this.http.json('DELETE', `/branches/${encodeURIComponent(name)}`);
    return {
      deletedLanceBranches: forks.map((f) => ({
        tableKey: f.table_key,
        lanceBranch: f.lance_branch,
      })),
    };
  }

  async listCommits(filter: { branch?: string; actor?: string; limit?: number }) {
    const all = (await this.commits(filter.branch)).map(commitOf);
    const mine = filter.actor === undefined ? all : all.filter((c) => c.actor === filter.actor);
    return filter.limit === undefined ? mine : mine.slice(0, filter.limit);
  }

  async catalog(): Promise<{ catalog: Catalog; json: string }> {
    if (!this.schema) {
      const body = W.parse(W.SchemaOutput, await this.http.json('GET', '/schema'));
      // Compiled as the repo compiles it: named by its path on the server's machine.
      const dir = await this.repoDir();
      const file = dir !== undefined ? join(dir, SCHEMA_FILE) : SCHEMA_FILE;
      const catalog = compileSchema(body.schema_source, file);
      this.schema = { catalog, json: catalogToJSON(catalog) };
    }
    return this.schema;
  }

  /**
   * The repo's directory on the server's machine: `/healthz` for a single-graph server,
   * `GET /graphs` for a graph (undefined when the caller may not list graphs).
   */
  private async repoDir(): Promise<string | undefined> {
    const graph = this.http.target.graph;
    if (graph === undefined) {
      const health = await this.http.json('GET', '/healthz', { serverScope: true });
      return W.parse(W.Health, health).repo?.uri;
    }
    try {
      const list = await this.http.json('GET', '/graphs', { serverScope: true });
      return W.parse(W.GraphList, list).graphs.find((g) => g.graph_id === graph)?.uri;
    } catch (err) {
      if (err instanceof LancelogError && err.code === 'Forbidden') return undefined;
      throw err;
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Every exported type at zero, as the local export reports types without rows. */
function exportCounts(catalog: Catalog, types: string[] | undefined) {
  // As the export resolves them: a type name, a table key, an edge name in any case.
  const wanted = (def: { name: string; tableKey: string }) =>
    types === undefined ||
    types.some(
      (t) => t === def.name || t === def.tableKey || t.toLowerCase() === def.name.toLowerCase(),
    );
  return {
    nodes: Object.fromEntries(catalog.nodes.filter(wanted).map((n) => [n.name, 0])),
    edges: Object.fromEntries(catalog.edges.filter(wanted).map((e) => [e.name, 0])),
  };
}
