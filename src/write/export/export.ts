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
 *
 * Bounded memory: each table is read in Lance scan batches at its pin, and its lines
 * are ordered by LineSorter (in memory up to a few thousand rows, past that an
 * external sort on a scratch file), then written with backpressure: the export holds
 * one scan batch and at most `sortInMemoryRows` lines, never a whole table.
 */
import { findType } from '../../schema/lookup.js';
import { unknownTypeError } from '../../query/errors.js';
import type { Snapshot, TablePin } from '../../journal/index.js';
import { batchToRows, type TableHandle } from '../../storage/index.js';
import type { Catalog, TypeDef } from '../../schema/types.js';
import { jsonValue } from '../protocol/index.js';
import { stringifyJsonExact } from '../../json-exact.js';
import { LineSorter } from './export-sort.js';

/** Which snapshot to export: a branch's latest, a manifest version or a commit (Repo's ReadAt). */
export interface ExportAt {
  branch?: string;
  version?: number;
  commit?: string;
}

/**
 * What export needs of a repo: its catalog, its snapshots and read-only handles on
 * tables at their pins (Repo satisfies it). Declared here, not taken from src/repo.ts,
 * because the layers below the API never import the API (docs/architecture.md §Layers).
 */
export interface ExportSource {
  readonly catalog: Catalog;
  snapshot(at?: ExportAt): Snapshot;
  pinOf(snapshot: Snapshot, tableKey: string): TablePin;
  openPinned(tableKey: string, pin: TablePin): Promise<TableHandle>;
}

export interface ExportOptions {
  /** Restricts the export to these node/edge types (edge names case-insensitive). */
  types?: string[];
  /** Lines of one table ordered in memory before the sort moves to a scratch file. */
  sortInMemoryRows?: number;
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

function dataOf(def: TypeDef, row: Row, withId: boolean): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  if (withId) data.id = row.id;
  for (const p of def.properties) {
    const v = jsonValue(p.type, row[p.name]);
    if (v !== null) data[p.name] = v;
  }
  return data;
}

/** A node row's sort keys and line. */
function nodeLine(def: TypeDef, keyless: boolean, row: Row): [string[], string] {
  return [
    [String(row.id)],
    stringifyJsonExact({ type: def.name, data: dataOf(def, row, keyless) }),
  ];
}

/** An edge row's sort keys (from, to, data, id) and line. */
function edgeLine(def: TypeDef, row: Row): [string[], string] {
  const src = String(row.src);
  const dst = String(row.dst);
  const data = stringifyJsonExact(dataOf(def, row, false));
  return [
    [src, dst, data, String(row.id)],
    `{"edge":${JSON.stringify(def.name)},"from":${JSON.stringify(src)},"to":${JSON.stringify(dst)},"data":${data}}`,
  ];
}

const FLUSH_BYTES = 1 << 16;

/** Buffered writes to `out` that wait for it to drain, and fail if it closes first. */
function lineWriter(out: NodeJS.WritableStream) {
  let buf = '';
  const drained = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        out.removeListener('drain', onDrain);
        out.removeListener('close', onClose);
        out.removeListener('error', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (): void => done();
      const onClose = (): void => done(new Error('the export output was closed'));
      out.once('drain', onDrain);
      out.once('close', onClose);
      out.once('error', onClose);
      if (closed()) onClose();
    });
  // A destroyed output (an HTTP client that went away) never drains: stop, don't wait.
  const closed = (): boolean => (out as { destroyed?: boolean }).destroyed === true;
  const flush = async (): Promise<void> => {
    if (buf === '') return;
    if (closed()) throw new Error('the export output was closed');
    const chunk = buf;
    buf = '';
    if (!out.write(chunk)) await drained();
  };
  const emit = async (line: string): Promise<void> => {
    buf += `${line}\n`;
    if (buf.length >= FLUSH_BYTES) await flush();
  };
  return { emit, flush };
}

/** The types to export: all, or the table keys of `types`. */
function wantedTables(catalog: Catalog, types: string[] | undefined): Set<string> | undefined {
  if (types === undefined) return undefined;
  return new Set(
    types.map((t) => {
      const def = findType(catalog, t);
      if (!def) throw unknownTypeError(t);
      return def.tableKey;
    }),
  );
}

/**
 * One table: scanned in batches at its pin, ordered by LineSorter (spilling past
 * `sortInMemoryRows`), written. Returns the rows written.
 */
async function exportTable(
  repo: ExportSource,
  snap: Snapshot,
  writer: ReturnType<typeof lineWriter>,
  sortInMemoryRows: number | undefined,
  table: { def: TypeDef; keyCount: number; lineOf: (row: Row) => [string[], string] },
): Promise<number> {
  const { def, keyCount, lineOf } = table;
  const handle = await repo.openPinned(def.tableKey, repo.pinOf(snap, def.tableKey));
  const sorter = new LineSorter(keyCount, sortInMemoryRows);
  try {
    for await (const batch of handle.scanBatches())
      for (const row of batchToRows(batch)) sorter.add(...lineOf(row));
    let rows = 0;
    for (const line of sorter.sorted()) {
      await writer.emit(line);
      rows++;
    }
    return rows;
  } finally {
    sorter.close();
  }
}

/** Writes the graph at `at` (a branch's latest, a manifest version or a commit) as JSONL to `out`. */
export async function exportJsonl(
  repo: ExportSource,
  out: NodeJS.WritableStream,
  at: ExportAt = {},
  opts: ExportOptions = {},
): Promise<ExportResult> {
  const wanted = wantedTables(repo.catalog, opts.types);
  const snap = repo.snapshot(at);
  const writer = lineWriter(out);
  const exportOne = (table: Parameters<typeof exportTable>[4]): Promise<number> =>
    exportTable(repo, snap, writer, opts.sortInMemoryRows, table);
  const nodes: Record<string, number> = {};
  for (const def of repo.catalog.nodes) {
    if (wanted && !wanted.has(def.tableKey)) continue;
    const keyless = def.constraints.key.length === 0;
    nodes[def.name] = await exportOne({
      def,
      keyCount: 1,
      lineOf: (row) => nodeLine(def, keyless, row),
    });
  }
  const edges: Record<string, number> = {};
  for (const def of repo.catalog.edges) {
    if (wanted && !wanted.has(def.tableKey)) continue;
    edges[def.name] = await exportOne({ def, keyCount: 4, lineOf: (row) => edgeLine(def, row) });
  }
  await writer.flush();
  return {
    commitId: snap.commitId,
    branch: snap.branch,
    manifestVersion: snap.manifestVersion,
    nodes,
    edges,
  };
}
