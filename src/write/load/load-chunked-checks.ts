/**
 * The cross-row rules of a chunked load (load-chunked.ts), checked once the whole
 * file is read and before anything is leased or written, in bounded memory: the
 * file's side comes from the scratch index (journal/key-spill.ts), the committed side
 * is streamed from Lance or looked up in pages of ids. Same rules and error shapes
 * as staging's validate() for a small load (docs/writes.md §Staging and validation).
 */
import type { EdgeTypeDef, NodeTypeDef, TypeDef } from '../../schema/types.js';
import { nodeTypeNamed } from '../../schema/lookup.js';
import type { KeySpill, Snapshot } from '../../journal/index.js';
import type * as arrow from 'apache-arrow';
import { columnToJs, idInPredicate } from '../../storage/index.js';
import { RepoError } from '../../errors.js';
import {
  canonicalValue,
  ValidationError,
  type OperationContext,
  type Row,
} from '../protocol/index.js';

/** A row's @unique tuple of `cols` as one string, or null when a column is null. */
export function tupleOf(row: Row, cols: string[]): string | null {
  if (cols.some((c) => row[c] === null || row[c] === undefined)) return null;
  return cols.map((c) => canonicalValue(row[c])).join('\u0001');
}

/** The id and @unique tuple of every row of a committed batch. */
function tupleOfColumns(
  batch: arrow.RecordBatch,
  cols: string[],
): Array<{ id: string; tuple: string | null }> {
  const ids = columnToJs(batch, 'id');
  const values = cols.map((c) => columnToJs(batch, c));
  return ids.map((id, r) => {
    const row: Row = {};
    cols.forEach((c, k) => (row[c] = values[k][r]));
    return { id: String(id), tuple: tupleOf(row, cols) };
  });
}

/** Ids per committed-data lookup (the same page size staging uses). */
const PAGE = 1000;

async function pinnedHandle(ctx: OperationContext, snap: Snapshot, def: TypeDef) {
  const pin = snap.pins.find((p) => p.tableKey === def.tableKey);
  if (!pin)
    throw new RepoError('TableNotPinned', `${def.tableKey} has no pin on ${snap.branch}`, {
      tableKey: def.tableKey,
    });
  return ctx.openPinned(def.tableKey, pin);
}

/** Committed rows of a table at the snapshot, `columns` as strings, batch by batch. */
export async function* committedRowsOf(
  ctx: OperationContext,
  snap: Snapshot,
  def: TypeDef,
  columns: string[],
): AsyncIterable<string[]> {
  const handle = await pinnedHandle(ctx, snap, def);
  if ((await handle.countRows()) === 0) return;
  for await (const batch of handle.scanBatches({ columns })) {
    const cols = columns.map((c) => batch.getChild(c));
    for (let i = 0; i < batch.numRows; i++) yield cols.map((col) => String(col?.get(i)));
  }
}

/** Committed values of `columns` (as JS values) of the rows whose `side` is in `ids`. */
async function committedWhere(
  ctx: OperationContext,
  snap: Snapshot,
  def: TypeDef,
  side: string,
  ids: string[],
  columns: string[],
): Promise<Array<Record<string, unknown>>> {
  if (ids.length === 0) return [];
  const handle = await pinnedHandle(ctx, snap, def);
  return handle.scan({ where: idInPredicate(ids, side), columns });
}

interface Checks {
  ctx: OperationContext;
  snap: Snapshot;
  index: KeySpill;
  file: string;
  mode: 'append' | 'merge' | 'overwrite';
  /** Tables the file writes (an overwrite replaces their committed rows). */
  written: Set<string>;
}

function fail(
  c: Checks,
  def: TypeDef,
  rule: string,
  message: string,
  at: { id?: string; field?: string; line?: number },
): ValidationError {
  return new ValidationError(message, {
    table: def.tableKey,
    ...(at.id !== undefined ? { id: at.id } : {}),
    ...(at.field ? { field: at.field } : {}),
    rule,
    ...(at.line !== undefined ? { file: c.file, line: at.line } : {}),
  });
}

/** Every cross-row rule for the tables the file wrote (`tableKeys`). */
export async function checkChunkedLoad(
  ctx: OperationContext,
  snap: Snapshot,
  index: KeySpill,
  file: string,
  mode: 'append' | 'merge' | 'overwrite',
  tableKeys: string[],
): Promise<void> {
  const written = new Set(tableKeys);
  const c: Checks = { ctx, snap, index, file, mode, written };
  const defs: TypeDef[] = [...ctx.catalog.nodes, ...ctx.catalog.edges].filter((d) =>
    written.has(d.tableKey),
  );
  if (mode === 'append')
    for (const d of defs) if (d.kind === 'node') await checkCommittedKeys(c, d);
  for (const d of defs) await checkUnique(c, d);
  for (const d of defs) if (d.kind === 'edge') await checkEndpoints(c, d);
  // A chunked overwrite never runs under an edge @card (useChunkedLoad in load.ts).
  if (mode === 'overwrite') return;
  for (const edge of ctx.catalog.edges) await checkCardinality(c, edge, written);
}

/** Whether committed rows of `def` stay after the load (an overwrite replaces a written table's). */
const committedStays = (c: Checks, def: TypeDef): boolean =>
  c.mode !== 'overwrite' || !c.written.has(def.tableKey);

/** Append: no id of the file may exist committed. */
async function checkCommittedKeys(c: Checks, def: NodeTypeDef): Promise<void> {
  for await (const [id] of committedRowsOf(c.ctx, c.snap, def, ['id'])) {
    const line = c.index.keyLine(def.tableKey, id);
    if (line !== undefined)
      throw fail(c, def, 'key', `${def.name} ${JSON.stringify(id)} already exists`, {
        id,
        field: def.constraints.key[0] ?? 'id',
        line,
      });
  }
}

async function checkUnique(c: Checks, def: TypeDef): Promise<void> {
  for (const [n, cols] of def.constraints.unique.entries()) {
    const field = cols.join(', ');
    const dup = c.index.duplicateTuple(def.tableKey, n);
    if (dup)
      throw fail(
        c,
        def,
        'unique',
        `@unique(${field}) is violated: ${def.name} ${JSON.stringify(dup.first)} has the same value in this operation`,
        { id: dup.second.id, field, line: dup.second.line },
      );
    // Committed rows that stay (not replaced by the file) must not share a tuple.
    if (!committedStays(c, def)) continue;
    for await (const row of committedTuples(c, def, cols)) {
      const replaced =
        def.kind === 'node'
          ? c.index.keyLine(def.tableKey, row.id) !== undefined
          : c.index.hasEdge(def.tableKey, row.id);
      if (replaced || row.tuple === null) continue;
      const owner = c.index.tupleOwner(def.tableKey, n, row.tuple);
      if (owner && owner.id !== row.id)
        throw fail(
          c,
          def,
          'unique',
          `@unique(${field}) is violated: committed ${def.name} ${JSON.stringify(row.id)} has the same value`,
          { id: owner.id, field, line: owner.line },
        );
    }
  }
}

async function* committedTuples(
  c: Checks,
  def: TypeDef,
  cols: string[],
): AsyncIterable<{ id: string; tuple: string | null }> {
  const handle = await pinnedHandle(c.ctx, c.snap, def);
  if ((await handle.countRows()) === 0) return;
  for await (const batch of handle.scanBatches({ columns: ['id', ...cols] }))
    for (const t of tupleOfColumns(batch, cols)) yield t;
}

/** Every edge end names a node of the file or a committed one. */
async function checkEndpoints(c: Checks, edge: EdgeTypeDef): Promise<void> {
  const sides = [
    ['src', 'from', edge.from],
    ['dst', 'to', edge.to],
  ] as const;
  for (const [side, field, typeName] of sides) {
    const nodeDef = nodeTypeNamed(c.ctx.catalog, typeName)!;
    let after = '';
    for (;;) {
      const page = c.index.danglingEnds(edge.tableKey, side, nodeDef.tableKey, after, PAGE);
      if (page.length === 0) break;
      after = page[page.length - 1];
      const found = new Set(
        committedStays(c, nodeDef)
          ? (await committedWhere(c.ctx, c.snap, nodeDef, 'id', page, ['id'])).map((r) =>
              String(r.id),
            )
          : [],
      );
      const missing = page.find((v) => !found.has(v));
      if (missing !== undefined) {
        const at = c.index.edgeWithEnd(edge.tableKey, side, missing);
        throw fail(
          c,
          edge,
          'endpoint',
          `${field} ${JSON.stringify(missing)}: no ${typeName} with that key exists`,
          { id: at?.id, field, line: at?.line },
        );
      }
    }
  }
}

/** @card(min..max) for every source node whose edges the file changes, and for new nodes (min). */
async function checkCardinality(c: Checks, edge: EdgeTypeDef, written: Set<string>): Promise<void> {
  const { min, max } = edge.card;
  if (min === 0 && max === null) return;
  const fromDef = nodeTypeNamed(c.ctx.catalog, edge.from)!;
  const check = async (counts: Map<string, number>): Promise<void> => {
    if (counts.size === 0) return;
    for (const r of await committedWhere(
      c.ctx,
      c.snap,
      edge,
      'src',
      [...counts.keys()],
      ['id', 'src'],
    )) {
      if (c.index.hasEdge(edge.tableKey, String(r.id))) continue; // replaced by the file
      counts.set(String(r.src), counts.get(String(r.src))! + 1);
    }
    for (const [src, n] of counts) {
      if (n >= min && (max === null || n <= max)) continue;
      throw fail(
        c,
        edge,
        'card',
        `${edge.from} ${JSON.stringify(src)} would have ${n} ${edge.name} edge(s); @card(${min}..${max ?? '*'}) requires ${n < min ? `at least ${min}` : `at most ${max}`}`,
        { line: c.index.keyLine(fromDef.tableKey, src) },
      );
    }
  };
  if (written.has(edge.tableKey)) {
    let after = '';
    for (;;) {
      const page = c.index.sourceCounts(edge.tableKey, after, PAGE);
      if (page.length === 0) break;
      after = page[page.length - 1].src;
      await check(new Map(page.map((p) => [p.src, p.n])));
    }
  }
  if (min > 0 && written.has(fromDef.tableKey)) {
    let after = '';
    for (;;) {
      const page = c.index.keysWithoutEdges(fromDef.tableKey, edge.tableKey, after, PAGE);
      if (page.length === 0) break;
      after = page[page.length - 1];
      await check(new Map(page.map((id) => [id, 0])));
    }
  }
}
