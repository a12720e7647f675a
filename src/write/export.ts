/**
 * JSONL export in the load format (docs/writes.md §JSONL load), deterministic:
 *   - every node type in declaration order, rows sorted by id (UTF-16 code units);
 *   - then every edge type in declaration order, rows sorted by (from, to, data, id)
 *     — edge ids are not exported (they are ULIDs a load regenerates), so ordering by
 *     them would make export → load → export differ;
 *   - node data lists properties in declaration order; keyless nodes carry `"id"`
 *     first; null properties are omitted (absent = null on load); edges always carry
 *     `"data"` (possibly `{}`);
 *   - values via jsonValue: 64-bit integers as exact JSON numbers, -0 as -0, F32 and
 *     Vector elements as the shortest decimal that reads back as the same float32, Date
 *     "YYYY-MM-DD", DateTime ISO-8601 (ms, Z), Blob base64.
 * All tables are read at one snapshot, so the export is a consistent cut.
 */
import { findType } from '../schema/lookup.js';
import { RepoError } from '../errors.js';
import type { Snapshot } from '../journal/index.js';
import type { Catalog, TypeDef } from '../schema/types.js';
import { jsonValue } from './values.js';
import { stringifyJsonExact } from '../json-exact.js';

/** Which snapshot to export: a branch's latest, a manifest version or a commit (Repo's ReadAt). */
export interface ExportAt {
  branch?: string;
  version?: number;
  commit?: string;
}

/**
 * What export needs of a repo: its catalog and two read methods (Repo satisfies it).
 * Declared here, not taken from src/repo.ts, because the layers below the API never
 * import the API (docs/architecture.md §Layers).
 */
export interface ExportSource {
  readonly catalog: Catalog;
  snapshot(at?: ExportAt): Snapshot;
  scan(type: string, at?: ExportAt): Promise<Record<string, unknown>[]>;
}

export interface ExportResult {
  /** The commit that was exported. */
  commitId: string;
  branch: string;
  manifestVersion: number;
  /** Rows written per node type name. */
  nodes: Record<string, number>;
  /** Rows written per edge type name. */
  edges: Record<string, number>;
}

type Row = Record<string, unknown>;

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function dataOf(def: TypeDef, row: Row, withId: boolean): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  if (withId) data.id = row.id;
  for (const p of def.properties) {
    const v = jsonValue(p.type, row[p.name]);
    if (v !== null) data[p.name] = v;
  }
  return data;
}

const FLUSH_BYTES = 1 << 16;

/** Writes the graph at `at` (a branch's latest, a manifest version or a commit) as JSONL to `out`. */
export async function exportJsonl(
  repo: ExportSource,
  out: NodeJS.WritableStream,
  at: ExportAt = {},
  opts: { types?: string[] } = {},
): Promise<ExportResult> {
  // `types` restricts the export to some node/edge types (edge names case-insensitive).
  const wanted =
    opts.types === undefined
      ? undefined
      : new Set(
          opts.types.map((t) => {
            const def = findType(repo.catalog, t);
            if (!def)
              throw new RepoError('UnknownType', `no node or edge type '${t}' in the schema`, {
                type: t,
              });
            return def.tableKey;
          }),
        );
  const snap = repo.snapshot(at);
  const pinned: ExportAt = { commit: snap.commitId };
  let buf = '';
  const flush = async (): Promise<void> => {
    if (buf === '') return;
    const chunk = buf;
    buf = '';
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
  };
  const emit = async (line: string): Promise<void> => {
    buf += `${line}\n`;
    if (buf.length >= FLUSH_BYTES) await flush();
  };

  const nodes: Record<string, number> = {};
  for (const def of repo.catalog.nodes) {
    if (wanted && !wanted.has(def.tableKey)) continue;
    const keyless = def.constraints.key.length === 0;
    const rows = await repo.scan(def.name, pinned);
    const ids = rows.map((r) => String(r.id));
    const order = rows.map((_, i) => i).sort((a, b) => cmp(ids[a], ids[b]));
    for (const i of order)
      await emit(stringifyJsonExact({ type: def.name, data: dataOf(def, rows[i], keyless) }));
    nodes[def.name] = rows.length;
  }

  const edges: Record<string, number> = {};
  for (const def of repo.catalog.edges) {
    if (wanted && !wanted.has(def.tableKey)) continue;
    const rows = await repo.scan(def.name, pinned);
    const items = rows.map((r) => {
      const data = stringifyJsonExact(dataOf(def, r, false));
      return { src: String(r.src), dst: String(r.dst), data, id: String(r.id) };
    });
    items.sort(
      (a, b) => cmp(a.src, b.src) || cmp(a.dst, b.dst) || cmp(a.data, b.data) || cmp(a.id, b.id),
    );
    for (const e of items) {
      await emit(
        `{"edge":${JSON.stringify(def.name)},"from":${JSON.stringify(e.src)},"to":${JSON.stringify(e.dst)},"data":${e.data}}`,
      );
    }
    edges[def.name] = rows.length;
  }
  await flush();
  return {
    commitId: snap.commitId,
    branch: snap.branch,
    manifestVersion: snap.manifestVersion,
    nodes,
    edges,
  };
}
