/**
 * JSONL load (docs/writes.md §JSONL load): one file = one operation (kind `Load`)
 * through the write protocol, so a bad line publishes nothing.
 *
 * The file is streamed line by line (node:readline over a read stream); each line
 * is checked with zod for its shape, then staged (per-row rules apply at once,
 * cross-row rules — keys, @unique, endpoints, @card — once the whole file is read,
 * so edges may come before their endpoint nodes).
 *
 * Modes:
 *   append    — every node is an insert: a key already committed, or repeated in
 *               the file, is a `key` error. Every edge line adds a new edge.
 *   merge     — nodes upsert by id (whole-row replace; last line wins). Edges merge
 *               by identity (edge type, from, to): a line whose (from, to) matches an
 *               edge committed on the branch or staged by an earlier line replaces
 *               that edge's properties and keeps its id. Reloading a file is idempotent.
 *   overwrite — every table the file touches is replaced by the file's rows: all
 *               committed rows of the table are deleted in the same Lance commit that
 *               writes the new ones (one mergeInsert per table; a chunked load deletes
 *               them in pages first, load-chunked-overwrite.ts). A node id that the
 *               file writes again keeps its edges in tables the file does not touch;
 *               a node that disappears takes its edges in untouched tables with it
 *               (cascade). Within the file, a repeated node key is a `key` error.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import type { Catalog, EdgeTypeDef, TypeDef } from '../../schema/types.js';
import type { Snapshot } from '../../journal/index.js';
import { DEFAULT_BRANCH } from '../../defaults.js';
import { RepoError, UsageError } from '../../errors.js';
import {
  EmbedWindow,
  embedJobs,
  lazyEmbeddingClient,
  newTableChanges,
  runWrite,
  stagingAt,
  type OperationContext,
  type StagedOperation,
  type TableChanges,
} from '../protocol/index.js';
import {
  LOAD_MODES,
  openSource,
  readInput,
  type LineSource,
  type LoadInput,
  type LoadMode,
  type LoadRecord,
  type LoadOptions,
  type LoadResult,
} from './load-lines.js';
import { CHUNK_BYTES_DEFAULT, loadChunked } from './load-chunked.js';

/** The chunking options of a load (docs/writes.md §Chunked loads). */
const ChunkOptions = z.object({
  chunkRows: z.number().int().min(1).optional(),
  chunkBytes: z.number().int().min(0).optional(),
});

export { LOAD_MODES, type LoadInput, type LoadMode, type LoadOptions, type LoadResult };

/** Committed ids (and src/dst of edges) of a table at the operation's snapshot, batch by batch. */
async function* committedRows(
  ctx: OperationContext,
  snap: Snapshot,
  def: TypeDef,
  columns: string[],
): AsyncIterable<string[]> {
  const pin = snap.pins.find((p) => p.tableKey === def.tableKey);
  if (!pin)
    throw new RepoError('TableNotPinned', `${def.tableKey} has no pin on ${snap.branch}`, {
      tableKey: def.tableKey,
    });
  const handle = await ctx.openPinned(def.tableKey, pin);
  if ((await handle.countRows()) === 0) return;
  for await (const batch of handle.scanBatches({ columns })) {
    const cols = columns.map((c) => batch.getChild(c));
    for (let i = 0; i < batch.numRows; i++) yield cols.map((col) => String(col?.get(i)));
  }
}

/** The staged changes of a table, created on first use (same shape staging creates). */
function changesOf(staged: StagedOperation, def: TypeDef): TableChanges {
  let t = staged.tables.get(def.tableKey);
  if (!t) staged.tables.set(def.tableKey, (t = newTableChanges(def)));
  return t;
}

/** Stages the deletion of every committed row of a table (overwrite), without per-row lookups. */
async function clearTable(
  ctx: OperationContext,
  snap: Snapshot,
  staged: StagedOperation,
  def: TypeDef,
): Promise<void> {
  const t = changesOf(staged, def);
  if (def.kind === 'edge') {
    for await (const [id, src] of committedRows(ctx, snap, def, ['id', 'src'])) {
      t.deletes.add(id);
      t.deletedEdgeSrc.set(id, src);
    }
  } else {
    for await (const [id] of committedRows(ctx, snap, def, ['id'])) t.deletes.add(id);
  }
}

/**
 * Overwrite cascade: committed nodes of an overwritten table that the file did not
 * write again are deleted; their edges in tables the file does not overwrite go too.
 */
async function cascadeOverwrite(
  ctx: OperationContext,
  snap: Snapshot,
  staged: StagedOperation,
  overwritten: Set<string>,
): Promise<void> {
  for (const node of staged.catalog.nodes) {
    if (!overwritten.has(node.tableKey)) continue;
    const gone = staged.tables.get(node.tableKey)?.deletes;
    if (!gone || gone.size === 0) continue;
    for (const edge of staged.catalog.edges) {
      if (overwritten.has(edge.tableKey) || (edge.from !== node.name && edge.to !== node.name))
        continue;
      const t = changesOf(staged, edge);
      for await (const [id, src, dst] of committedRows(ctx, snap, edge, ['id', 'src', 'dst'])) {
        if (
          (edge.from === node.name && gone.has(src)) ||
          (edge.to === node.name && gone.has(dst))
        ) {
          t.deletes.add(id);
          t.deletedEdgeSrc.set(id, src);
        }
      }
    }
  }
}

/** Merge identity of edges: (from, to) → edge id, seeded from committed edges (smallest id wins). */
async function committedPairs(
  ctx: OperationContext,
  snap: Snapshot,
  edge: EdgeTypeDef,
): Promise<Map<string, string>> {
  const pairs = new Map<string, string>();
  for await (const [id, src, dst] of committedRows(ctx, snap, edge, ['id', 'src', 'dst'])) {
    const k = `${src}\u0000${dst}`;
    const cur = pairs.get(k);
    if (cur === undefined || id < cur) pairs.set(k, id);
  }
  return pairs;
}

/** Rejects an unknown mode or bad chunking options before anything is read (UsageError). */
function checkLoadOptions(opts: LoadOptions): void {
  if (!LOAD_MODES.includes(opts.mode))
    throw new UsageError(
      `unknown load mode '${String(opts.mode)}' (use overwrite, append or merge)`,
      { mode: opts.mode },
    );
  const chunking = ChunkOptions.safeParse({
    chunkRows: opts.chunkRows,
    chunkBytes: opts.chunkBytes,
  });
  if (!chunking.success) {
    const issue = chunking.error.issues[0];
    throw new UsageError(`load option ${String(issue.path[0])}: ${issue.message}`, {
      option: String(issue.path[0]),
      value: opts[issue.path[0] as 'chunkRows' | 'chunkBytes'],
    });
  }
}

/** Rows per type name and lines read, for the load's result. */
interface LoadCounts {
  nodes: Record<string, number>;
  edges: Record<string, number>;
  lines: number;
}

/**
 * What a table needs the first time a line touches it: overwrite clears its committed
 * rows; merge seeds an edge table's (from, to) → id identity from committed edges.
 */
class TableFirstTouch {
  readonly touched = new Set<string>();
  readonly mergePairs = new Map<string, Map<string, string>>();

  constructor(
    private readonly ctx: OperationContext,
    private readonly snap: Snapshot,
    private readonly staged: StagedOperation,
    private readonly mode: LoadMode,
  ) {}

  async touch(def: TypeDef): Promise<void> {
    if (this.touched.has(def.tableKey)) return;
    this.touched.add(def.tableKey);
    if (this.mode === 'overwrite') await clearTable(this.ctx, this.snap, this.staged, def);
    else if (this.mode === 'merge' && def.kind === 'edge')
      this.mergePairs.set(def.tableKey, await committedPairs(this.ctx, this.snap, def));
  }
}

/**
 * Stages one edge line: merge replaces the edge with the same (from, to) — committed
 * or staged by an earlier line — keeping its id; otherwise the line adds a new edge.
 */
function stageEdge(
  staged: StagedOperation,
  tables: TableFirstTouch,
  mode: LoadMode,
  rec: Extract<LoadRecord, { kind: 'edge' }>,
  origin: { file: string; line: number },
): void {
  const { def, from, to, data } = rec;
  if (mode !== 'merge') {
    staged.putEdge(def.name, from, to, data, { mode: 'insert' }, origin);
    return;
  }
  const pairs = tables.mergePairs.get(def.tableKey)!;
  const k = `${String(from)}\u0000${String(to)}`;
  const id = pairs.get(k);
  if (id === undefined)
    pairs.set(k, staged.putEdge(def.name, from, to, data, { mode: 'insert' }, origin));
  else staged.putEdge(def.name, from, to, data, { id, mode: 'upsert' }, origin);
}

/**
 * Reads the whole file into the staged operation (the body of the Load operation) and
 * returns the rows it deletes per type name.
 */
async function stageFile(
  ctx: OperationContext,
  snap: Snapshot,
  staged: StagedOperation,
  file: string,
  source: () => LineSource,
  opts: LoadOptions,
  counts: LoadCounts,
): Promise<Record<string, number>> {
  const tables = new TableFirstTouch(ctx, snap, staged, opts.mode);
  const nodeMode = opts.mode === 'merge' ? 'upsert' : 'insert';
  // Ids for edges and keyless nodes are generated by staging (monotonic ULIDs), which
  // knows them to be new: they are never looked up in committed data.
  // @embed vectors a line lacks are filled before it is staged, in windows that keep
  // the file's order (embed-fill.ts); no lease is held yet.
  const embedWindow = new EmbedWindow(ctx.embeddings ?? lazyEmbeddingClient(), file);
  const visit = async (rec: LoadRecord): Promise<void> => {
    const origin = { file, line: rec.line };
    if (rec.kind === 'node') {
      const { def, data } = rec;
      await embedWindow.add(embedJobs(def, data), rec.line, async () => {
        await tables.touch(def);
        staged.putNode(def.name, data, nodeMode, origin);
      });
      counts.nodes[def.name] = (counts.nodes[def.name] ?? 0) + 1;
      return;
    }
    await embedWindow.add([], rec.line, async () => {
      await tables.touch(rec.def);
      stageEdge(staged, tables, opts.mode, rec, origin);
    });
    counts.edges[rec.def.name] = (counts.edges[rec.def.name] ?? 0) + 1;
  };
  counts.lines = await readInput(source, file, ctx.catalog, opts.onProgress, visit, () =>
    embedWindow.flush(),
  );
  if (opts.mode === 'overwrite') await cascadeOverwrite(ctx, snap, staged, tables.touched);
  const deleted: Record<string, number> = {};
  // Staging drops an id from `deletes` when it is written again, so these are true removals.
  for (const t of staged.tables.values())
    if (t.deletes.size > 0) deleted[t.def.name] = t.deletes.size;
  return deleted;
}

/**
 * Whether a load of `bytes` takes the chunked path (load-chunked.ts): past `chunkBytes`,
 * in every mode, except an overwrite under a schema with an edge `@card`: which sources
 * an overwrite leaves with too few or too many edges depends on committed edges of
 * tables the file does not name and on the cascade, which the scratch index does not
 * cover; such a load keeps the one-commit path (docs/writes.md §Chunked loads).
 */
function useChunkedLoad(opts: LoadOptions, bytes: number, catalog: Catalog): boolean {
  if (opts.mode === 'overwrite' && catalog.edges.some((e) => e.card.min > 0 || e.card.max !== null))
    return false;
  return bytes > (opts.chunkBytes ?? CHUNK_BYTES_DEFAULT);
}

/**
 * Loads a JSONL data file as one operation on a branch. Every error names the file,
 * the line, the field and the rule, and leaves the repo unchanged.
 */
export async function loadJsonl(
  ctx: OperationContext,
  input: LoadInput,
  opts: LoadOptions,
): Promise<LoadResult> {
  checkLoadOptions(opts);
  const { file, source, bytes } = openSource(input);
  if (useChunkedLoad(opts, bytes, ctx.catalog)) return loadChunked(ctx, file, source, opts);
  const branch = opts.branch ?? DEFAULT_BRANCH;
  const counts: LoadCounts = { nodes: {}, edges: {}, lines: 0 };
  const outcome = await runWrite(
    ctx,
    'Load',
    {
      branch,
      actor: opts.actor,
      message: opts.message ?? `load ${basename(file)} (${opts.mode})`,
      ...(opts.ifCommit !== undefined ? { ifCommit: opts.ifCommit } : {}),
    },
    async (snapshot) => {
      const staged = stagingAt(ctx, snapshot);
      const deleted = await stageFile(ctx, snapshot, staged, file, source, opts, counts);
      return { value: deleted, staged };
    },
  );
  return {
    opId: outcome.opId,
    commitId: outcome.commitId,
    manifestVersion: outcome.manifestVersion,
    mode: opts.mode,
    nodes: counts.nodes,
    edges: counts.edges,
    deleted: outcome.value,
    lines: counts.lines,
    tables: outcome.tables,
  };
}
