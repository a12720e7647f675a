/**
 * Chunked JSONL load (docs/writes.md §Chunked loads): a large file in bounded memory,
 * still one operation and one publish.
 *
 * The plan step reads the file once: each record is coerced and checked row by row
 * (staging's prepareNode/prepareEdge: the same per-row rules as a small load), its
 * row is spilled to a per-table scratch file of Arrow batches, and its id, @unique
 * tuples and edge ends go into a scratch SQLite index (journal/key-spill.ts). The
 * cross-row rules are then checked for the whole file against that index and the
 * committed data (load-chunked-checks.ts) — before any lease or Lance commit, so a
 * bad file publishes nothing and writes nothing. Phase B (runWrite, a
 * 'many' action per table) reads each table's spill back and makes one Lance commit
 * per `chunkRows` rows; the operation publishes the last version of every table once.
 * A failure in Phase B restores every table to its pin; a crash before the publish
 * rolls back (recovery never rolls a multi-commit table forward).
 *
 * Merge stays exact across chunks: chunks commit in file order and each is a
 * mergeInsert by id, so the last line of a key wins; within one chunk only the last
 * row of an id is sent. Edges keep their merge identity (type, from, to) through the
 * index's pair table, seeded with the committed edges. Overwrite deletes the committed
 * rows of each written table (and cascaded edges of untouched ones) in pages first,
 * then appends the file's rows (load-chunked-overwrite.ts). `@embed` vectors a line
 * lacks are filled while the file is read, in the windows a small load uses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type * as arrow from 'apache-arrow';
import type { EdgeTypeDef, TypeDef } from '../../schema/types.js';
import { arrowSchemaFor } from '../../schema/index.js';
import {
  BatchSpill,
  columnToJs,
  lanceTableOf,
  rowOfBatch,
  rowsToLance,
  schemaToLance,
  type TableHandle,
} from '../../storage/index.js';
import { KeySpill, type Snapshot } from '../../journal/index.js';
import { DEFAULT_BRANCH } from '../../defaults.js';
import { failpoint } from '../../failpoints.js';
import {
  EmbedWindow,
  embedJobs,
  lazyEmbeddingClient,
  runWrite,
  StagedOperation,
  ValidationError,
  type OperationContext,
  type Row,
  type TableAction,
  type TableCommitStep,
} from '../protocol/index.js';
import {
  readInput,
  type LineSource,
  type LoadOptions,
  type LoadRecord,
  type LoadResult,
} from './load-lines.js';
import { checkChunkedLoad, committedRowsOf, tupleOf } from './load-chunked-checks.js';
import {
  deletePage,
  idsToDelete,
  pagesOf,
  planOverwriteDeletes,
  type OverwriteDeletes,
} from './load-chunked-overwrite.js';

/** The modes of a chunked load. */
export type ChunkedMode = 'append' | 'merge' | 'overwrite';

/** Inputs larger than this load in chunks (append, merge). */
export const CHUNK_BYTES_DEFAULT = 64 * 2 ** 20;
/**
 * Rows per table per Lance commit of a chunked load. Phase B's peak memory is one
 * chunk and lancedb's IPC copy of it: 262,144 rows peaked ~100 MiB above the read
 * phase, 65,536 at it (docs/performance.md §load in chunks).
 */
export const CHUNK_ROWS_DEFAULT = 65_536;
/** Rows per spilled Arrow batch. */
const SPILL_BATCH_ROWS = 8192;

/** The rows of one table, spilled in Arrow batches of lancedb's instance. */
class TableSpill {
  private open: Row[] = [];
  readonly spill: BatchSpill;
  private readonly schema: arrow.Schema;

  constructor(
    readonly def: TypeDef,
    dir: string,
    private readonly batchRows: number,
  ) {
    this.spill = new BatchSpill(
      join(dir, `${this.def.tableKey.replace(/[^A-Za-z0-9_]/g, '_')}.arrows`),
    );
    this.schema = schemaToLance(arrowSchemaFor(def));
  }

  get rows(): number {
    return this.spill.rows + this.open.length;
  }

  add(row: Row): void {
    this.open.push(row);
    if (this.open.length === this.batchRows) this.finish();
  }

  /** Spills the rows still held. */
  finish(): void {
    if (this.open.length === 0) return;
    this.spill.append(rowsToLance(this.open, this.schema).batches[0]);
    this.open = [];
  }

  /** The last row of each id in `batches` (merge: one chunk must not name an id twice). */
  lastOfEachId(batches: arrow.RecordBatch[]): arrow.RecordBatch[] {
    const ids = batches.map((b) => columnToJs(b, 'id') as string[]);
    const last = new Map<string, number>();
    let at = 0;
    for (const col of ids) for (const id of col) last.set(id, at++);
    if (last.size === at) return batches;
    const out: arrow.RecordBatch[] = [];
    at = 0;
    batches.forEach((b, i) => {
      const rows: Row[] = [];
      for (let r = 0; r < b.numRows; r++, at++)
        if (last.get(ids[i][r]) === at) rows.push(rowOfBatch(b, r));
      if (rows.length > 0) out.push(rowsToLance(rows, this.schema).batches[0]);
    });
    return out;
  }
}

/** The spilled batches in groups of `rows` rows (the last group may be smaller). */
function* chunksOf(
  batches: Iterable<arrow.RecordBatch>,
  rows: number,
): IterableIterator<arrow.RecordBatch[]> {
  let group: arrow.RecordBatch[] = [];
  let n = 0;
  for (let batch of batches) {
    while (batch.numRows > 0) {
      const take = Math.min(rows - n, batch.numRows);
      group.push(take === batch.numRows ? batch : batch.slice(0, take));
      batch = batch.slice(take);
      n += take;
      if (n === rows) {
        yield group;
        group = [];
        n = 0;
      }
    }
  }
  if (n > 0) yield group;
}

/** What Phase B commits to one table, in order: pages of deletions (overwrite), then the file's rows. */
interface TableCommits {
  def: TypeDef;
  /** Committed rows to delete, and their ids at the pin, read as they are deleted. */
  deletes?: { rows: number; ids: () => AsyncIterable<string> };
  spill?: TableSpill;
}

/**
 * Phase B of one table: one Lance commit per `chunkRows` deleted ids, then one per
 * `chunkRows` rows of the file; each but the last is journaled here.
 */
async function commitChunks(
  handle: TableHandle,
  step: TableCommitStep,
  t: TableCommits,
  mode: ChunkedMode,
  chunkRows: number,
): Promise<number> {
  const commits =
    Math.ceil((t.deletes?.rows ?? 0) / chunkRows) + Math.ceil((t.spill?.rows ?? 0) / chunkRows);
  let version = step.pin;
  let done = 0;
  const committed = async (v: number): Promise<void> => {
    version = v;
    if (++done < commits) {
      step.committed(v);
      await failpoint('write.after_chunk_commit', { table: t.def.tableKey, chunk: done });
    }
  };
  if (t.deletes)
    for await (const page of pagesOf(t.deletes.ids(), chunkRows))
      await committed(await deletePage(handle, page));
  if (!t.spill) return version;
  const spill = t.spill;
  for (const group of chunksOf(spill.spill.batches(), chunkRows)) {
    const data = lanceTableOf(mode === 'merge' ? spill.lastOfEachId(group) : group);
    await committed(
      mode === 'merge'
        ? (await handle.mergeInsert({ upserts: data, deleteIds: [] })).version
        : await handle.append(data),
    );
  }
  if (done !== commits)
    throw new Error(`internal: ${t.def.tableKey} made ${done} of ${commits} planned commits`);
  return version;
}

/** The tables Phase B commits (the protocol puts them in table-key order). */
function tableCommits(
  ctx: OperationContext,
  snapshot: Snapshot,
  index: KeySpill,
  spills: Map<string, TableSpill>,
  overwrite: OverwriteDeletes | undefined,
): TableCommits[] {
  const written = new Set(spills.keys());
  const out = new Map<string, TableCommits>();
  for (const [key, spill] of spills) out.set(key, { def: spill.def, spill });
  for (const edge of overwrite?.cascaded ?? []) out.set(edge.tableKey, { def: edge });
  for (const t of out.values()) {
    const rows = overwrite?.rows.get(t.def.tableKey) ?? 0;
    if (rows > 0)
      t.deletes = { rows, ids: () => idsToDelete(ctx, snapshot, index, t.def, written) };
  }
  return [...out.values()];
}

/** The plan step's reading of the file: rows to the spills, ids and tuples to the index. */
class ChunkedReader {
  readonly spills = new Map<string, TableSpill>();
  readonly nodes: Record<string, number> = {};
  readonly edges: Record<string, number> = {};
  private readonly staged: StagedOperation;
  /** Node types whose generated ids the index needs too (sources of an edge with @card(1..)). */
  private readonly allIds: Set<string>;
  private readonly pairsSeeded = new Set<string>();
  /** Lines held until their `@embed` vectors are in (embed-fill.ts). */
  readonly embedWindow: EmbedWindow;

  constructor(
    private readonly ctx: OperationContext,
    private readonly snapshot: Snapshot,
    private readonly index: KeySpill,
    private readonly dir: string,
    private readonly file: string,
    private readonly mode: ChunkedMode,
  ) {
    this.embedWindow = new EmbedWindow(ctx.embeddings ?? lazyEmbeddingClient(), file);
    const noReads = (): never => {
      throw new Error('a chunked load reads committed data through its checks only');
    };
    this.staged = new StagedOperation(ctx.catalog, { scan: noReads, count: noReads });
    this.allIds = new Set(ctx.catalog.edges.filter((e) => e.card.min > 0).map((e) => e.from));
  }

  private spillOf(def: TypeDef): TableSpill {
    let t = this.spills.get(def.tableKey);
    if (!t) this.spills.set(def.tableKey, (t = new TableSpill(def, this.dir, SPILL_BATCH_ROWS)));
    return t;
  }

  /** Reads one record: staged at once, or once the vectors of its window are filled. */
  async visit(rec: LoadRecord): Promise<void> {
    const jobs = rec.kind === 'node' ? embedJobs(rec.def, rec.data) : [];
    await this.embedWindow.add(jobs, rec.line, () => this.stage(rec));
  }

  private async stage(rec: LoadRecord): Promise<void> {
    const origin = { file: this.file, line: rec.line };
    if (rec.kind === 'node') {
      const p = this.staged.prepareNode(rec.def.name, rec.data, origin);
      if (!p.generated || this.allIds.has(p.def.name)) {
        const earlier = this.index.putKey(p.def.tableKey, p.id, rec.line, this.mode === 'merge');
        if (earlier !== undefined) {
          const field = p.def.constraints.key[0] ?? 'id';
          throw new ValidationError(
            `${p.def.name} ${JSON.stringify(p.id)} is inserted twice in this operation (first on line ${earlier})`,
            { table: p.def.tableKey, id: p.id, field, rule: 'key', ...origin },
          );
        }
      }
      this.putTuples(p.def, p.id, p.row, rec.line);
      this.spillOf(p.def).add(p.row);
      this.nodes[p.def.name] = (this.nodes[p.def.name] ?? 0) + 1;
      return;
    }
    const { def, line } = rec;
    const src = String(rec.from);
    const dst = String(rec.to);
    let id: string | undefined;
    if (this.mode === 'merge') {
      await this.seedPairs(def);
      id = this.index.pairId(def.tableKey, src, dst);
    }
    const p = this.staged.prepareEdge(def.name, rec.from, rec.to, rec.data, id, origin);
    if (this.mode === 'merge' && id === undefined) this.index.putPair(def.tableKey, src, dst, p.id);
    this.index.putEdge(def.tableKey, p.id, src, dst, line);
    this.putTuples(def, p.id, p.row, line);
    this.spillOf(def).add(p.row);
    this.edges[def.name] = (this.edges[def.name] ?? 0) + 1;
  }

  private putTuples(def: TypeDef, id: string, row: Row, line: number): void {
    def.constraints.unique.forEach((cols, c) => {
      const tuple = tupleOf(row, cols);
      if (tuple !== null) this.index.putTuple(def.tableKey, c, id, tuple, line);
    });
  }

  /** Merge identity: committed edges' (src, dst) → id, the smallest id of a pair. */
  private async seedPairs(def: EdgeTypeDef): Promise<void> {
    if (this.pairsSeeded.has(def.tableKey)) return;
    this.pairsSeeded.add(def.tableKey);
    for await (const [id, src, dst] of committedRowsOf(this.ctx, this.snapshot, def, [
      'id',
      'src',
      'dst',
    ])) {
      const cur = this.index.pairId(def.tableKey, src, dst);
      if (cur === undefined || id < cur) this.index.putPair(def.tableKey, src, dst, id);
    }
  }
}

/**
 * Loads a large JSONL file in chunks (append or merge) as one operation: see the
 * module comment. Called by loadJsonl past the size threshold.
 */
export async function loadChunked(
  ctx: OperationContext,
  file: string,
  source: () => LineSource,
  opts: LoadOptions,
): Promise<LoadResult> {
  const mode = opts.mode;
  const chunkRows = opts.chunkRows ?? CHUNK_ROWS_DEFAULT;
  const dir = mkdtempSync(join(tmpdir(), 'lancelog-load-'));
  const index = KeySpill.open(dir);
  let reader: ChunkedReader | undefined;
  let lines = 0;
  let deletes: OverwriteDeletes | undefined;
  try {
    const outcome = await runWrite(
      ctx,
      'Load',
      {
        branch: opts.branch ?? DEFAULT_BRANCH,
        actor: opts.actor,
        message: opts.message ?? `load ${basename(file)} (${opts.mode})`,
        ...(opts.ifCommit !== undefined ? { ifCommit: opts.ifCommit } : {}),
      },
      async (snapshot) => {
        const r = (reader = new ChunkedReader(ctx, snapshot, index, dir, file, mode));
        lines = await readInput(
          source,
          file,
          ctx.catalog,
          opts.onProgress,
          (rec) => r.visit(rec),
          () => r.embedWindow.flush(),
        );
        for (const t of r.spills.values()) t.finish();
        await checkChunkedLoad(ctx, snapshot, index, file, mode, [...r.spills.keys()]);
        const overwrite =
          mode === 'overwrite'
            ? (deletes = await planOverwriteDeletes(ctx, snapshot, index, new Set(r.spills.keys())))
            : undefined;
        const actions: TableAction[] = tableCommits(ctx, snapshot, index, r.spills, overwrite).map(
          (t) => ({
            def: t.def,
            commits: 'many',
            commit: (handle, step) => commitChunks(handle, step, t, mode, chunkRows),
          }),
        );
        return { actions, value: null };
      },
    );
    return {
      opId: outcome.opId,
      commitId: outcome.commitId,
      manifestVersion: outcome.manifestVersion,
      mode,
      nodes: reader?.nodes ?? {},
      edges: reader?.edges ?? {},
      deleted: deletes?.deleted ?? {},
      lines,
      tables: outcome.tables,
    };
  } finally {
    index.close();
    for (const t of reader?.spills.values() ?? []) t.spill.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
