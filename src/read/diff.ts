/**
 * Row-level change sets between two published states (docs/branches-commits.md "Diff").
 *
 * Per table: equal pins (same Lance version on the same Lance line) are skipped without
 * reading anything. Otherwise the change set comes from the tables' row lineage
 * (lineage-diff.ts: the rows a version range wrote and deleted, each checked against
 * its older image) in time proportional to the change. Where the lineage cannot vouch
 * (a table without stable row ids, a column change in between) the exact full compare
 * runs instead and the stats name it: the `from` side is read batch by batch into an
 * index of id → row fingerprint (a 16-byte hash, not the row), the `to` side streamed
 * against it, and the rows before an update or delete fetched by id afterwards.
 */
import { createHash } from 'node:crypto';
import type { Catalog, TypeDef } from '../schema/types.js';
import type { Snapshot, TablePin } from '../journal/index.js';
import type * as arrow from 'apache-arrow';
import { idInPredicate, rowOfBatch, type TableHandle, type TableStore } from '../storage/index.js';
import {
  lineageCandidates,
  lineageFromBase,
  LineageUnavailable,
  type Candidate,
} from './lineage-diff.js';

export type Row = Record<string, unknown>;
export type ChangeOp = 'insert' | 'update' | 'delete';

/** One row's change: the row before (null for an insert) and after (null for a delete). */
export interface RowDelta {
  op: ChangeOp;
  before: Row | null;
  after: Row | null;
}

export interface DiffContext {
  catalog: Catalog;
  openPinned(tableKey: string, pin: TablePin): Promise<TableHandle>;
  /** With the store, tables are diffed from their row lineage (lineage-diff.ts); without, in full. */
  store?: TableStore;
}

/** How a diff compared its tables: from the row lineage, or in full (and why). */
export interface DiffMethods {
  /** Tables diffed from their row lineage (time proportional to the change). */
  lineage: number;
  /** Tables compared row by row in full (the exact fallback). */
  fullCompare: number;
  /** Why each full compare was needed. */
  fallbacks: Array<{ tableKey: string; reason: string }>;
}

export function newDiffMethods(): DiffMethods {
  return { lineage: 0, fullCompare: 0, fallbacks: [] };
}

export interface DiffFilter {
  /** Only these types (names or table keys). */
  types?: string[];
  ops?: ChangeOp[];
}

export interface Change {
  tableKey: string;
  kind: 'node' | 'edge';
  type: string;
  id: string;
  op: ChangeOp;
  /** An edge's endpoints (after the change; before it for a delete). */
  endpoints?: { src: string; dst: string };
  /** The properties an update changed. */
  changedProperties?: string[];
}

export interface DiffStats {
  inserts: number;
  updates: number;
  deletes: number;
  /** Tables whose pins differ and were compared row by row. */
  tablesCompared: number;
  /** Tables skipped because both sides pin the same Lance version. */
  tablesSkipped: number;
  /** How the compared tables were diffed. */
  methods: DiffMethods;
}

export interface DiffResult {
  changes: Change[];
  stats: DiffStats;
}

const ID_CHUNK = 1000;

/** A stable text form of a stored value (types kept apart: 1, 1n, "1" and 1.5 all differ). */
export function valueKey(v: unknown): string {
  if (v === null || v === undefined) return 'z';
  if (typeof v === 'bigint') return `i${v}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `i${v}` : `f${v}`;
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (typeof v === 'string') return `s${v.length}:${v}`;
  if (v instanceof Date) return `d${v.getTime()}`;
  if (v instanceof Uint8Array) return `b${Buffer.from(v).toString('base64')}`;
  if (Array.isArray(v) || ArrayBuffer.isView(v))
    return `[${Array.from(v as ArrayLike<unknown>, valueKey).join(',')}]`;
  return `o${JSON.stringify(v)}`;
}

/** The columns a row is compared on: the properties (and an edge's endpoints). */
export function comparedColumns(def: TypeDef): string[] {
  const props = def.properties.map((p) => p.name);
  return def.kind === 'edge' ? ['src', 'dst', ...props] : props;
}

export function sameRow(def: TypeDef, a: Row, b: Row): boolean {
  return comparedColumns(def).every((c) => valueKey(a[c]) === valueKey(b[c]));
}

export function changedProperties(def: TypeDef, before: Row, after: Row): string[] {
  return comparedColumns(def).filter((c) => valueKey(before[c]) !== valueKey(after[c]));
}

/**
 * A cell as read from an arrow vector, as text: the same value always gives the same
 * text and different values different text (lists and vectors element by element).
 * Used on raw arrow cells so the streaming passes never build row objects.
 */
function cellKey(v: unknown): string {
  if (v === null || v === undefined) return 'z';
  switch (typeof v) {
    case 'string':
      return `s${v.length}:${v}`;
    case 'bigint':
      return `i${v}`;
    case 'number':
      return Number.isInteger(v) ? `i${v}` : `f${v}`;
    case 'boolean':
      return v ? 'T' : 'F';
  }
  if (v instanceof Date) return `d${v.getTime()}`;
  if (v instanceof Uint8Array) return `b${Buffer.from(v).toString('base64')}`;
  if (ArrayBuffer.isView(v))
    return `[${Array.from(v as unknown as ArrayLike<unknown>, cellKey).join(',')}]`;
  const toArray = (v as { toArray?: () => ArrayLike<unknown> }).toArray;
  if (typeof toArray === 'function') return `[${Array.from(toArray.call(v), cellKey).join(',')}]`;
  return `o${JSON.stringify(v)}`;
}

/** Fingerprints of a batch's rows over `columns`: the text itself when short, else its md5. */
function* batchFingerprints(
  batch: arrow.RecordBatch,
  columns: string[],
): Generator<{ id: string; fp: string; index: number }> {
  const ids = batch.getChild('id');
  const cols = columns.map((c) => batch.getChild(c));
  for (let i = 0; i < batch.numRows; i++) {
    let text = '';
    for (const col of cols) text += `${cellKey(col?.get(i))}\u0000`;
    const fp = text.length <= 40 ? text : createHash('md5').update(text).digest('base64');
    yield { id: String(ids?.get(i)), fp, index: i };
  }
}

export function samePin(a: TablePin, b: TablePin): boolean {
  return a.version === b.version && a.lanceBranch === b.lanceBranch;
}

/**
 * Rows of `handle` with the given ids, by id: one `id IN (...)` query for a few ids,
 * else one streamed pass over the table (a filter per thousand ids would scan it each time).
 */
export async function rowsById(handle: TableHandle, ids: string[]): Promise<Map<string, Row>> {
  const out = new Map<string, Row>();
  if (ids.length === 0) return out;
  if (ids.length <= ID_CHUNK) {
    for (const r of await handle.scan({ where: idInPredicate(ids) })) out.set(String(r.id), r);
    return out;
  }
  const wanted = new Set(ids);
  for await (const batch of handle.scanBatches()) {
    const idCol = batch.getChild('id');
    for (let i = 0; i < batch.numRows; i++) {
      const id = String(idCol?.get(i));
      if (wanted.has(id)) out.set(id, rowOfBatch(batch, i));
    }
  }
  return out;
}

/** id → row fingerprint of every row of `handle`: the base pass of a full compare. */
async function fingerprintIndex(
  handle: TableHandle,
  columns: string[],
): Promise<Map<string, string>> {
  const index = new Map<string, string>();
  for await (const batch of handle.scanBatches())
    for (const { id, fp } of batchFingerprints(batch, columns)) index.set(id, fp);
  return index;
}

/** The full compare of `to` against a base index of `from` (the index is only read). */
async function compareAgainst(
  from: TableHandle,
  index: Map<string, string>,
  to: TableHandle,
  columns: string[],
): Promise<Map<string, RowDelta>> {
  const out = new Map<string, RowDelta>();
  const seen = new Set<string>();
  const updated: string[] = [];
  for await (const batch of to.scanBatches()) {
    for (const { id, fp, index: i } of batchFingerprints(batch, columns)) {
      const before = index.get(id);
      if (before === undefined)
        out.set(id, { op: 'insert', before: null, after: rowOfBatch(batch, i) });
      else {
        seen.add(id);
        if (before !== fp) {
          out.set(id, { op: 'update', before: null, after: rowOfBatch(batch, i) });
          updated.push(id);
        }
      }
    }
  }
  const deleted = [...index.keys()].filter((id) => !seen.has(id));
  const before = await rowsById(from, [...updated, ...deleted]);
  for (const id of updated) out.get(id)!.before = before.get(id) ?? null;
  for (const id of deleted)
    out.set(id, { op: 'delete', before: before.get(id) ?? null, after: null });
  return out;
}

/** The row changes the candidates of a lineage diff really are (equal images dropped). */
function deltasOf(def: TypeDef, candidates: Map<string, Candidate>): Map<string, RowDelta> {
  const out = new Map<string, RowDelta>();
  for (const [id, { before, after }] of candidates) {
    if (before && after) {
      if (!sameRow(def, before, after)) out.set(id, { op: 'update', before, after });
    } else if (after) out.set(id, { op: 'insert', before: null, after });
    else if (before) out.set(id, { op: 'delete', before, after: null });
  }
  return out;
}

/**
 * Every row change of one table from `base` to each of `sides`, by id. From the row
 * lineage when it can answer (time proportional to the change); else the exact full
 * compare, whose base pass (the fingerprint index of `base`) the sides share.
 */
export async function tableChangesFromBase(
  ctx: DiffContext,
  def: TypeDef,
  base: TablePin,
  sides: TablePin[],
  methods: DiffMethods = newDiffMethods(),
): Promise<Array<Map<string, RowDelta>>> {
  const out: Array<Map<string, RowDelta> | null> = sides.map((s) =>
    samePin(base, s) ? new Map<string, RowDelta>() : null,
  );
  if (ctx.store) {
    const lineage = {
      store: ctx.store,
      openPinned: (k: string, p: TablePin) => ctx.openPinned(k, p),
    };
    // The sides that differ from the base, diffed together: one pass over the base's images.
    const open = sides.flatMap((_s, i) => (out[i] === null ? [i] : []));
    const shared =
      open.length > 1
        ? await lineageFromBase(
            lineage,
            def,
            base,
            open.map((i) => sides[i]),
          )
        : null;
    for (const [k, i] of open.entries()) {
      if (!shared) break;
      out[i] = deltasOf(def, shared[k]);
      methods.lineage++;
    }
    for (const [i, side] of sides.entries()) {
      if (out[i] !== null) continue;
      try {
        out[i] = deltasOf(def, await lineageCandidates(lineage, def, base, side));
        methods.lineage++;
      } catch (err) {
        if (!(err instanceof LineageUnavailable)) throw err;
        methods.fallbacks.push({ tableKey: def.tableKey, reason: err.message });
      }
    }
  }
  if (out.every((m) => m !== null)) return out as Array<Map<string, RowDelta>>;
  const from = await ctx.openPinned(def.tableKey, base);
  const columns = comparedColumns(def);
  const index = await fingerprintIndex(from, columns);
  for (const [i, side] of sides.entries()) {
    if (out[i] !== null) continue;
    out[i] = await compareAgainst(from, index, await ctx.openPinned(def.tableKey, side), columns);
    methods.fullCompare++;
  }
  return out as Array<Map<string, RowDelta>>;
}

/** Every row change of one table between two pins, by id. */
export async function tableChanges(
  ctx: DiffContext,
  def: TypeDef,
  fromPin: TablePin,
  toPin: TablePin,
  methods?: DiffMethods,
): Promise<Map<string, RowDelta>> {
  return (await tableChangesFromBase(ctx, def, fromPin, [toPin], methods))[0];
}

function typeMatches(def: TypeDef, types: string[] | undefined): boolean {
  if (!types || types.length === 0) return true;
  return types.some(
    (t) =>
      t === def.tableKey ||
      t === def.name ||
      (def.kind === 'edge' && t.toLowerCase() === def.name.toLowerCase()),
  );
}

function toChange(def: TypeDef, id: string, d: RowDelta): Change {
  const row = d.after ?? d.before;
  return {
    tableKey: def.tableKey,
    kind: def.kind,
    type: def.name,
    id,
    op: d.op,
    ...(def.kind === 'edge' && row
      ? { endpoints: { src: String(row.src), dst: String(row.dst) } }
      : {}),
    ...(d.op === 'update' && d.before && d.after
      ? { changedProperties: changedProperties(def, d.before, d.after) }
      : {}),
  };
}

/** Every row inserted, updated and deleted between two snapshots (tables in catalog order, ids sorted). */
export async function diffSnapshots(
  ctx: DiffContext,
  from: Snapshot,
  to: Snapshot,
  filter: DiffFilter = {},
): Promise<DiffResult> {
  const stats: DiffStats = {
    inserts: 0,
    updates: 0,
    deletes: 0,
    tablesCompared: 0,
    tablesSkipped: 0,
    methods: newDiffMethods(),
  };
  const changes: Change[] = [];
  for (const def of [...ctx.catalog.nodes, ...ctx.catalog.edges]) {
    if (!typeMatches(def, filter.types)) continue;
    const a = from.pins.find((p) => p.tableKey === def.tableKey);
    const b = to.pins.find((p) => p.tableKey === def.tableKey);
    if (!a || !b) continue;
    if (samePin(a, b)) {
      stats.tablesSkipped++;
      continue;
    }
    stats.tablesCompared++;
    const deltas = await tableChanges(ctx, def, a, b, stats.methods);
    for (const id of [...deltas.keys()].sort()) {
      const d = deltas.get(id)!;
      if (filter.ops && filter.ops.length > 0 && !filter.ops.includes(d.op)) continue;
      stats[d.op === 'insert' ? 'inserts' : d.op === 'update' ? 'updates' : 'deletes']++;
      changes.push(toChange(def, id, d));
    }
  }
  return { changes, stats };
}
