/**
 * Index builds (docs/indexes.md): which Lance indexes a node table should have, what
 * a snapshot has, and `ensureIndexes`, the write that builds what is missing or
 * stale — through the write protocol (`runWrite`, kind `EnsureIndices`):
 * leases, intent, the table's index commits, one publish.
 *
 * Rules, per node type: a `@key` scalar property gets a BTREE; an `@index` property a
 * BTREE when it is a scalar other than a free-text String (enums, numbers, dates,
 * Bool) and an inverted (FTS) index when it is a String; every Vector property an
 * IVF_FLAT (cosine) index once the table has VECTOR_INDEX_MIN_ROWS rows (below that,
 * `nearest` is an exact flat search, faster than an index of a few lists). Lists,
 * Blobs, multi-property `@index` and edge tables get none; empty tables get none
 * (nothing to train on) until they have rows.
 */
import type { NodeTypeDef, PropType } from '../schema/types.js';
import { nodeTypeNamed } from '../schema/lookup.js';
import type { Snapshot, TablePin } from '../journal/index.js';
import type { IndexSpec, TableHandle, TableIndexInfo } from '../storage/index.js';
import {
  runWrite,
  type OperationContext,
  type OperationOptions,
  type OperationOutcome,
  type TableAction,
} from './protocol/index.js';
import { UsageError } from '../errors.js';

/** Rows from which a Vector property gets an index (below: exact flat search). */
export const VECTOR_INDEX_MIN_ROWS = 10_000;

export type IndexKind = 'btree' | 'fts' | 'vector';

/** An index the rules want on a property. */
export interface WantedIndex {
  column: string;
  kind: IndexKind;
  /** Lancelog's name for it: `<property>_<kind>`. */
  name: string;
}

const LANCE_TYPE: Record<IndexKind, (t: string) => boolean> = {
  btree: (t) => t === 'BTree',
  fts: (t) => t === 'FTS' || t === 'Inverted',
  vector: (t) => t.startsWith('Ivf') || t.startsWith('IVF'),
};

function kindFor(type: PropType, annotation: 'key' | 'index'): IndexKind | null {
  if (type.kind === 'list') return null;
  if (type.kind === 'vector') return 'vector';
  if (type.kind === 'enum') return 'btree';
  if (type.name === 'Blob') return null;
  if (type.name === 'String') return annotation === 'key' ? 'btree' : 'fts';
  return 'btree';
}

/** The indexes the rules want on a node type (rows decide vector indexes: see `planTable`). */
export function wantedIndexes(def: NodeTypeDef): WantedIndex[] {
  const out: WantedIndex[] = [];
  const add = (column: string, kind: IndexKind | null): void => {
    if (kind && !out.some((w) => w.column === column && w.kind === kind))
      out.push({ column, kind, name: `${column}_${kind}` });
  };
  const typeOf = (p: string): PropType | undefined =>
    def.properties.find((x) => x.name === p)?.type;
  for (const k of def.constraints.key) {
    const t = typeOf(k);
    if (t) add(k, kindFor(t, 'key'));
  }
  // The schema lists a key among the indexed properties too: a key gets its BTREE only.
  for (const cols of def.constraints.index) {
    if (cols.length === 1 && def.constraints.key.includes(cols[0])) continue;
    const t = cols.length === 1 ? typeOf(cols[0]) : undefined;
    if (t) add(cols[0], kindFor(t, 'index'));
  }
  for (const p of def.properties) if (p.type.kind === 'vector') add(p.name, 'vector');
  return out;
}

/** One wanted index of a table at a snapshot. */
export interface IndexStatus extends WantedIndex {
  type: string;
  tableKey: string;
  /** built: covers every row; stale: rows were committed since; missing: not built;
   *  flat: a Vector property below VECTOR_INDEX_MIN_ROWS; empty: the table has no rows. */
  state: 'built' | 'stale' | 'missing' | 'flat' | 'empty';
  rows: number;
  indexedRows: number | null;
  unindexedRows: number | null;
  /** Lance's index type name when built (BTree, FTS, IvfFlat). */
  indexType: string | null;
}

function statusOf(
  def: NodeTypeDef,
  w: WantedIndex,
  rows: number,
  present: TableIndexInfo[],
): IndexStatus {
  const found = present.find((i) => i.column === w.column && LANCE_TYPE[w.kind](i.indexType));
  const base = {
    ...w,
    type: def.name,
    tableKey: def.tableKey,
    rows,
    indexedRows: found?.indexedRows ?? null,
    unindexedRows: found?.unindexedRows ?? null,
    indexType: found?.indexType ?? null,
  };
  if (found) return { ...base, state: (found.unindexedRows ?? 0) > 0 ? 'stale' : 'built' };
  if (rows === 0) return { ...base, state: 'empty' };
  if (w.kind === 'vector' && rows < VECTOR_INDEX_MIN_ROWS) return { ...base, state: 'flat' };
  return { ...base, state: 'missing' };
}

/** The status of every wanted index of a table, read at a pinned handle. */
export async function tableIndexStatus(
  def: NodeTypeDef,
  handle: TableHandle,
): Promise<IndexStatus[]> {
  const wanted = wantedIndexes(def);
  if (wanted.length === 0) return [];
  const [rows, present] = await Promise.all([handle.countRows(), handle.listIndexes()]);
  return wanted.map((w) => statusOf(def, w, rows, present));
}

/** The Lance index to build for a status that needs one (missing or stale). */
function specOf(s: IndexStatus): IndexSpec {
  if (s.kind === 'vector')
    return {
      kind: 'vector',
      column: s.column,
      name: s.name,
      partitions: Math.max(1, Math.min(4096, Math.round(Math.sqrt(s.rows)))),
    };
  return { kind: s.kind, column: s.column, name: s.name };
}

export interface IndexProgress {
  tableKey: string;
  column: string;
  kind: IndexKind;
  /** 1-based position of this build in the operation, and the number of builds. */
  step: number;
  of: number;
  phase: 'start' | 'done';
  ms?: number;
}

export interface BuiltIndex {
  tableKey: string;
  type: string;
  column: string;
  kind: IndexKind;
  name: string;
  /** The Lance version the build committed. */
  version: number;
  ms: number;
}

export interface EnsureIndexesResult {
  built: BuiltIndex[];
  /** Wanted indexes left as they are: already built, flat or empty. */
  unchanged: IndexStatus[];
}

function pinOf(snapshot: Snapshot, tableKey: string): TablePin {
  const pin = snapshot.pins.find((p) => p.tableKey === tableKey);
  if (!pin) throw new Error(`internal: ${tableKey} has no pin on ${snapshot.branch}`);
  return pin;
}

function checkTypes(ctx: OperationContext, types: string[] | undefined): void {
  for (const t of types ?? [])
    if (!nodeTypeNamed(ctx.catalog, t))
      throw new UsageError(`unknown node type '${t}'`, {
        type: t,
        types: ctx.catalog.nodes.map((n) => n.name),
      });
}

/** The indexes each table must build (missing or stale) at the snapshot; the rest go to `unchanged`. */
async function indexWork(
  ctx: OperationContext,
  snapshot: Snapshot,
  types: string[] | undefined,
  result: EnsureIndexesResult,
): Promise<Array<{ def: NodeTypeDef; todo: IndexStatus[] }>> {
  const work: Array<{ def: NodeTypeDef; todo: IndexStatus[] }> = [];
  for (const def of ctx.catalog.nodes) {
    if (types && !types.includes(def.name)) continue;
    if (wantedIndexes(def).length === 0) continue;
    const handle = await ctx.openPinned(def.tableKey, pinOf(snapshot, def.tableKey));
    const status = await tableIndexStatus(def, handle);
    const todo = status.filter((s) => s.state === 'missing' || s.state === 'stale');
    result.unchanged.push(...status.filter((s) => !todo.includes(s)));
    if (todo.length > 0) work.push({ def, todo });
  }
  return work;
}

/**
 * A table's index builds, one Lance commit each. Every commit but the last is journaled
 * as intermediate (`commits: 'many'`); `progress.step` counts across all tables.
 */
function buildAction(
  def: NodeTypeDef,
  todo: IndexStatus[],
  progress: { step: number; of: number },
  result: EnsureIndexesResult,
  onProgress: ((p: IndexProgress) => void) | undefined,
): TableAction {
  const { of } = progress;
  return {
    def,
    commits: todo.length === 1 ? 'one' : 'many',
    async commit(handle, table) {
      let version = table.pin;
      for (let i = 0; i < todo.length; i++) {
        const s = todo[i];
        const at = ++progress.step;
        const where = { tableKey: def.tableKey, column: s.column, kind: s.kind, step: at, of };
        onProgress?.({ ...where, phase: 'start' });
        const t0 = performance.now();
        version = await handle.createIndex(specOf(s));
        const ms = performance.now() - t0;
        if (i < todo.length - 1) table.committed(version);
        onProgress?.({ ...where, phase: 'done', ms });
        result.built.push({
          tableKey: def.tableKey,
          type: def.name,
          column: s.column,
          kind: s.kind,
          name: s.name,
          version,
          ms,
        });
      }
      return version;
    },
  };
}

/**
 * Builds every missing or stale index of the branch's node tables as one operation:
 * one Lance commit per index (a table with several: `commits: 'many'`), one publish.
 * Nothing to build: the operation completes without a publish. `onProgress` hears
 * each build start and finish.
 */
export async function ensureIndexes(
  ctx: OperationContext,
  opts: OperationOptions & { types?: string[] } = {},
  onProgress?: (p: IndexProgress) => void,
): Promise<OperationOutcome<EnsureIndexesResult>> {
  const { types, ...op } = opts;
  checkTypes(ctx, types);
  return runWrite(ctx, 'EnsureIndices', op, async (snapshot) => {
    const result: EnsureIndexesResult = { built: [], unchanged: [] };
    const work = await indexWork(ctx, snapshot, types, result);
    const progress = { step: 0, of: work.reduce((n, w) => n + w.todo.length, 0) };
    const actions = work.map(({ def, todo }) =>
      buildAction(def, todo, progress, result, onProgress),
    );
    return { actions, value: result };
  });
}

/** One row of `lancelog index list`. */
export interface IndexListRow extends IndexStatus {
  /** The table version the index was built at (it covers the rows of that version). */
  builtAtVersion: number | null;
}

/**
 * The wanted indexes of every node table at a snapshot, each with its state and the
 * version it was built at: the first version of the table's line committed at or
 * after the index's creation time (an index build is the commit that follows it).
 */
export async function listIndexes(
  ctx: Pick<OperationContext, 'catalog' | 'openPinned'>,
  snapshot: Snapshot,
): Promise<IndexListRow[]> {
  const out: IndexListRow[] = [];
  for (const def of ctx.catalog.nodes) {
    if (wantedIndexes(def).length === 0) continue;
    const pin = pinOf(snapshot, def.tableKey);
    const handle = await ctx.openPinned(def.tableKey, pin);
    const status = await tableIndexStatus(def, handle);
    const present = await handle.listIndexes();
    const versions = status.some((s) => s.indexType !== null) ? await handle.listVersions() : [];
    for (const s of status) {
      const info = present.find((i) => i.column === s.column && LANCE_TYPE[s.kind](i.indexType));
      let builtAt: number | null = null;
      if (info?.createdAt) {
        const created = info.createdAt.getTime();
        const v = versions.find(
          (x) => x.version <= pin.version && x.timestamp.getTime() >= created,
        );
        builtAt = v?.version ?? pin.version;
      }
      out.push({ ...s, builtAtVersion: builtAt });
    }
  }
  return out;
}
