/**
 * The entity changes one commit made relative to its first parent, in graph vocabulary
 * (docs/branches-commits.md "Commit changes"): kind, type `{id, name}`, logical id, op,
 * and exact images — an insert has `after`, an update `before` and `after`, a delete
 * `before`; edge images carry their endpoints. No table keys, versions or row ids.
 *
 * Frozen order within a block: nodes before edges, then the type's opaque id, then the
 * entity id, then the op rank (insert < update < delete). Rows are compared as in a diff
 * (src/read/diff.ts, from the row lineage), so a rewrite of equal values or a compaction
 * is no change; a commit that only moved data (`optimize`, an index build) is empty.
 */
import type { TypeDef } from '../schema/types.js';
import type { Snapshot } from '../journal/index.js';
import { jsonValue } from '../write/protocol/index.js';
import { RepoError } from '../errors.js';
import { tableChanges, type ChangeOp, type DiffContext, type Row } from '../read/diff.js';

export type EntityKind = 'node' | 'edge';

export interface ChangeFilter {
  kinds?: EntityKind[];
  /** Type names (edge names case-insensitive). */
  types?: string[];
  ops?: ChangeOp[];
}

export interface EntityImage {
  properties: Record<string, unknown>;
  endpoints?: { from: string; to: string };
}

export interface EntityChange {
  kind: EntityKind;
  type: { id: string; name: string };
  id: string;
  op: ChangeOp;
  before?: EntityImage;
  after?: EntityImage;
}

/** Where a change sits in a block's frozen order. */
export type ChangeKey = [kindRank: number, typeId: string, id: string, opRank: number];

const OP_RANK: Record<ChangeOp, number> = { insert: 0, update: 1, delete: 2 };

export function keyOf(c: EntityChange): ChangeKey {
  return [c.kind === 'node' ? 0 : 1, c.type.id, c.id, OP_RANK[c.op]];
}

export function compareKeys(a: ChangeKey, b: ChangeKey): number {
  for (let i = 0; i < 4; i++) {
    if (a[i] < b[i]) return -1;
    if (a[i] > b[i]) return 1;
  }
  return 0;
}

function imageOf(def: TypeDef, row: Row): EntityImage {
  const properties: Record<string, unknown> = {};
  for (const p of def.properties) properties[p.name] = jsonValue(p.type, row[p.name]);
  return def.kind === 'edge'
    ? { properties, endpoints: { from: String(row.src), to: String(row.dst) } }
    : { properties };
}

export function typeMatches(def: TypeDef, filter: ChangeFilter): boolean {
  if (filter.kinds?.length && !filter.kinds.includes(def.kind)) return false;
  if (!filter.types?.length) return true;
  return filter.types.some(
    (t) => t === def.name || (def.kind === 'edge' && t.toLowerCase() === def.name.toLowerCase()),
  );
}

/** Operation kinds whose commits move data without changing it: their blocks are empty. */
const PHYSICAL_ONLY = new Set(['Optimize', 'EnsureIndices']);

export interface BlockArgs {
  commitId: string;
  parent: Snapshot;
  child: Snapshot;
  /** The kind of the operation that published the commit. */
  opKind: string;
  filter: ChangeFilter;
}

/**
 * The sorted, filtered changes of one commit. SchemaBoundary when the commit changed a
 * table's columns or dropped a type that held rows: schema evolution is never turned
 * into entity changes.
 */
export async function commitBlockChanges(
  ctx: DiffContext,
  args: BlockArgs,
): Promise<EntityChange[]> {
  if (PHYSICAL_ONLY.has(args.opKind)) return [];
  const defs = [...ctx.catalog.nodes, ...ctx.catalog.edges];
  if (args.opKind === 'SchemaApply') await assertNoBoundary(ctx, defs, args);
  const out: EntityChange[] = [];
  for (const def of defs) {
    const a = args.parent.pins.find((p) => p.tableKey === def.tableKey);
    const b = args.child.pins.find((p) => p.tableKey === def.tableKey);
    if (!a || !b || !typeMatches(def, args.filter)) continue;
    const deltas = await tableChanges(ctx, def, a, b);
    for (const [id, d] of deltas) {
      if (args.filter.ops?.length && !args.filter.ops.includes(d.op)) continue;
      out.push({
        kind: def.kind,
        type: { id: def.typeId, name: def.name },
        id,
        op: d.op,
        ...(d.before ? { before: imageOf(def, d.before) } : {}),
        ...(d.after ? { after: imageOf(def, d.after) } : {}),
      });
    }
  }
  return out.sort((x, y) => compareKeys(keyOf(x), keyOf(y)));
}

async function assertNoBoundary(ctx: DiffContext, defs: TypeDef[], args: BlockArgs): Promise<void> {
  const boundary = (def: { tableKey: string; name: string }, reason: string): RepoError =>
    new RepoError(
      'SchemaBoundary',
      `commit ${args.commitId} crosses a schema change (${reason}): no entity changes are derived from it; take a baseline`,
      { commit: args.commitId, reason: 'schema_boundary', table_key: def.tableKey, type: def.name },
    );
  for (const p of args.parent.pins) {
    const def = defs.find((d) => d.tableKey === p.tableKey);
    const q = args.child.pins.find((x) => x.tableKey === p.tableKey);
    const name = def?.name ?? p.tableKey.replace(/^[a-z]+:/, '');
    if (!q || !def) {
      const rows = await (await ctx.openPinned(p.tableKey, p)).countRows();
      if (rows > 0)
        throw boundary({ tableKey: p.tableKey, name }, `type ${name} dropped with ${rows} rows`);
      continue;
    }
    if (q.version === p.version && q.lanceBranch === p.lanceBranch) continue;
    const [sa, sb] = await Promise.all([
      (await ctx.openPinned(p.tableKey, p)).schema(),
      (await ctx.openPinned(p.tableKey, q)).schema(),
    ]);
    const shape = (s: typeof sa) =>
      s.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable}`).join(',');
    if (shape(sa) !== shape(sb)) throw boundary(def, `the columns of ${def.name} changed`);
  }
}
