/**
 * Staging (docs/architecture.md §Life of a write, step 4): an operation's changes accumulate here, per
 * table, as upserts by id and deletes by id. Nothing touches Lance. Reads see
 * committed-at-pin ∪ pending (read-your-writes). Per-row rules (types, required,
 * enum, range, check) are enforced as rows are staged; cross-row rules (key
 * uniqueness, @unique, endpoints, @card) by validate() before the lease is taken.
 * The rules live in row-rules.ts and cross-row-rules.ts; this module keeps the
 * staged rows and the operation's reads of them.
 */
import { findType } from '../../../schema/lookup.js';
import { monotonicFactory } from 'ulid';
import type * as arrow from 'apache-arrow';
import type { Catalog, EdgeTypeDef, NodeTypeDef, TypeDef } from '../../../schema/types.js';
import { idInPredicate, type TableHandle } from '../../../storage/index.js';
import type { Snapshot, TablePin } from '../../../journal/index.js';
import { RepoError } from '../../../errors.js';
import { unknownTypeError } from '../../../query/errors.js';
import { filterToSql, rowMatches, type Filter } from './filter.js';
import { canonicalValue, coerceProperty, type StoredValue } from './values.js';
import type { Row, RowKind } from './pending-rows.js';
import {
  newTableChanges,
  type CommittedReader,
  type RowOrigin,
  type TableChanges,
} from './staged-tables.js';
import { coerceRow, validationError } from './row-rules.js';
import { CrossRowRules, ID_CHUNK } from './cross-row-rules.js';

export type { Row };
export { newTableChanges, type CommittedReader, type RowOrigin, type TableChanges };

/** What staging reads committed data from: the repo's tables at their pins. */
export interface PinnedTables {
  catalog: Catalog;
  openPinned(tableKey: string, pin: TablePin): Promise<TableHandle>;
}

/**
 * A row writer's staged operation at `snapshot`: reads see each table at its pin there
 * (the versions the protocol leases), overlaid with what the operation staged.
 */
export function stagingAt(repo: PinnedTables, snapshot: Snapshot): StagedOperation {
  return new StagedOperation(repo.catalog, readerAt(repo, snapshot));
}

function readerAt(repo: PinnedTables, snapshot: Snapshot): CommittedReader {
  const pinOf = (def: TypeDef): TablePin => {
    const pin = snapshot.pins.find((p) => p.tableKey === def.tableKey);
    if (!pin)
      throw new RepoError('TableNotPinned', `${def.tableKey} has no pin on ${snapshot.branch}`, {
        table_key: def.tableKey,
      });
    return pin;
  };
  const counts = new Map<string, number>();
  return {
    async scan(def, opts) {
      return (await repo.openPinned(def.tableKey, pinOf(def))).scan(opts);
    },
    async count(def) {
      let n = counts.get(def.tableKey);
      if (n === undefined) {
        n = await (await repo.openPinned(def.tableKey, pinOf(def))).countRows();
        counts.set(def.tableKey, n);
      }
      return n;
    },
  };
}

export class StagedOperation {
  readonly tables = new Map<string, TableChanges>();
  /** The file staged rows came from (the same for a whole load); each row's line is kept by PendingRows. */
  private originFile: string | undefined;
  private readonly defsByName = new Map<string, TypeDef>();
  /** One timestamp per operation, for `now()`. */
  readonly nowMs = Date.now();
  /** Ids of new rows: ULIDs, monotonic within the operation (and far cheaper than one random draw per character). */
  readonly newId = monotonicFactory();

  constructor(
    readonly catalog: Catalog,
    private readonly reader: CommittedReader,
  ) {}

  /** The type of a name (`Person`; edge names case-insensitively) or table key. */
  typeDef(type: string): TypeDef {
    const known = this.defsByName.get(type);
    if (known) return known;
    const def = findType(this.catalog, type);
    if (!def) throw unknownTypeError(type);
    this.defsByName.set(type, def);
    return def;
  }

  private changes(def: TypeDef): TableChanges {
    let t = this.tables.get(def.tableKey);
    if (!t) this.tables.set(def.tableKey, (t = newTableChanges(def)));
    return t;
  }

  /** Where the staged row `id` of `def` came from (its file and line), for errors. */
  originOf(def: TypeDef, id: string): RowOrigin {
    const line = this.tables.get(def.tableKey)?.upserts.lineOf(id);
    return line === undefined
      ? {}
      : { ...(this.originFile !== undefined ? { file: this.originFile } : {}), line };
  }

  private remember(origin: RowOrigin): void {
    if (origin.line !== undefined) this.originFile ??= origin.file;
  }

  private nodeDef(type: string): NodeTypeDef {
    const def = this.typeDef(type);
    if (def.kind !== 'node')
      throw new RepoError('NotANodeType', `'${type}' is an edge type, not a node type`, { type });
    return def;
  }

  private edgeDef(type: string): EdgeTypeDef {
    const def = this.typeDef(type);
    if (def.kind !== 'edge')
      throw new RepoError('NotAnEdgeType', `'${type}' is a node type, not an edge type`, { type });
    return def;
  }

  /**
   * Stages a node. Keyed nodes: id = the key value (a `data.id` must equal it).
   * Keyless nodes: `data.id` or a new ULID. `mode: 'insert'` requires the id to be
   * new; `'upsert'` replaces the whole row. Returns the id.
   */
  putNode(
    type: string,
    data: Record<string, unknown>,
    mode: 'insert' | 'upsert',
    origin: RowOrigin = {},
  ): string {
    const p = this.prepareNode(type, data, origin);
    this.stageUpsert(p.def, p.id, p.row, mode, origin, p.generated);
    return p.id;
  }

  /**
   * A node's coerced row and id with every per-row rule checked, staging nothing
   * (putNode stages it; a chunked load spills it, src/write/load/load-chunked.ts).
   * `generated`: the id is a new ULID of this operation.
   */
  prepareNode(
    type: string,
    data: Record<string, unknown>,
    origin: RowOrigin = {},
  ): { def: NodeTypeDef; id: string; row: Row; generated: boolean } {
    const def = this.nodeDef(type);
    const key = def.constraints.key[0];
    const givenId = data.id;
    if (givenId !== undefined && typeof givenId !== 'string')
      throw validationError(
        def,
        undefined,
        'id',
        'type',
        `id must be a string, got ${typeof givenId}`,
        origin,
      );
    if (key) {
      const row = coerceRow(def, data, givenId, origin, { id: '' }, 'id');
      const id = String(row[key]);
      if (givenId !== undefined && givenId !== id) {
        throw validationError(
          def,
          id,
          'id',
          'key',
          `id ${JSON.stringify(givenId)} differs from the key ${key} = ${JSON.stringify(id)}`,
          origin,
        );
      }
      row.id = id;
      return { def, id, row, generated: false };
    }
    const id = givenId ?? this.newId();
    const row = coerceRow(def, data, id, origin, { id }, 'id');
    return { def, id, row, generated: givenId === undefined };
  }

  private stageUpsert(
    def: TypeDef,
    id: string,
    row: Row,
    mode: 'insert' | 'upsert',
    origin: RowOrigin,
    generated = false,
  ): void {
    const t = this.changes(def);
    let kind: RowKind = 'upsert';
    if (mode === 'insert') {
      // A generated id is new by construction: no lookup (and no Map entry, see PendingRows).
      if (!generated && t.upserts.has(id))
        throw validationError(
          def,
          id,
          def.kind === 'node' ? (def.constraints.key[0] ?? 'id') : 'id',
          'key',
          `${def.name} ${JSON.stringify(id)} is inserted twice in this operation`,
          origin,
        );
      if (generated) kind = 'fresh';
      else if (!t.deletes.has(id)) kind = 'mustBeNew';
    }
    t.deletes.delete(id);
    t.upserts.set(id, row, kind, origin.line);
    this.remember(origin);
  }

  /** Stages an edge between two node ids (key values). Returns the edge id. */
  putEdge(
    type: string,
    from: unknown,
    to: unknown,
    data: Record<string, unknown> = {},
    opts: { id?: string; mode?: 'insert' | 'upsert' } = {},
    origin: RowOrigin = {},
  ): string {
    const p = this.prepareEdge(type, from, to, data, opts.id, origin);
    this.stageUpsert(p.def, p.id, p.row, opts.mode ?? 'insert', origin, opts.id === undefined);
    return p.id;
  }

  /** An edge's coerced row (`id` given, else a new ULID) with every per-row rule checked, staging nothing. */
  prepareEdge(
    type: string,
    from: unknown,
    to: unknown,
    data: Record<string, unknown> = {},
    givenId?: string,
    origin: RowOrigin = {},
  ): { def: EdgeTypeDef; id: string; row: Row } {
    const def = this.edgeDef(type);
    const id = givenId ?? this.newId();
    for (const [field, v] of [
      ['from', from],
      ['to', to],
    ] as const) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint') {
        throw validationError(
          def,
          id,
          field,
          'endpoint',
          `'${field}' must be the key of a ${field === 'from' ? def.from : def.to} node, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`,
          origin,
        );
      }
    }
    const row = coerceRow(def, data, id, origin, { id, src: String(from), dst: String(to) });
    return { def, id, row };
  }

  /** Partial update of an existing row (committed or pending); returns false when it does not exist. */
  async updateRow(
    type: string,
    id: string,
    patch: Record<string, unknown>,
    origin: RowOrigin = {},
  ): Promise<boolean> {
    const def = this.typeDef(type);
    const current = await this.get(def.name, id);
    if (!current) return false;
    const key = def.kind === 'node' ? def.constraints.key[0] : undefined;
    if (key && key in patch && canonicalValue(patch[key]) !== canonicalValue(current[key])) {
      const coerced = coerceProperty(
        def.properties.find((p) => p.name === key)!,
        patch[key],
      );
      if (canonicalValue(coerced) !== canonicalValue(current[key])) {
        throw validationError(
          def,
          id,
          key,
          'key',
          `the key ${key} of an existing node cannot be changed (delete and insert instead)`,
          origin,
        );
      }
    }
    const merged: Record<string, unknown> = {};
    for (const p of def.properties)
      merged[p.name] = p.name in patch ? patch[p.name] : current[p.name];
    for (const k of Object.keys(patch)) if (!(k in merged)) merged[k] = patch[k];
    const base: Row = def.kind === 'edge' ? { id, src: current.src, dst: current.dst } : { id };
    const row = coerceRow(def, merged, id, origin, base);
    this.changes(def).upserts.set(id, row, 'upsert', origin.line);
    this.remember(origin);
    return true;
  }

  /** Deletes a row; deleting a node also deletes every edge touching it. Returns whether it existed. */
  async deleteRow(type: string, id: string): Promise<boolean> {
    const def = this.typeDef(type);
    const current = await this.get(def.name, id);
    if (!current) return false;
    const t = this.changes(def);
    t.upserts.delete(id);
    t.deletes.add(id);
    if (def.kind === 'edge') t.deletedEdgeSrc.set(id, String(current.src));
    else await this.cascade(def, [id]);
    return true;
  }

  private async cascade(node: NodeTypeDef, ids: string[]): Promise<void> {
    for (const edge of this.catalog.edges) {
      const sides: Array<'src' | 'dst'> = [];
      if (edge.from === node.name) sides.push('src');
      if (edge.to === node.name) sides.push('dst');
      for (const side of sides) {
        for (let i = 0; i < ids.length; i += ID_CHUNK) {
          const chunk = ids.slice(i, i + ID_CHUNK);
          const rows = await this.scanWhere(edge, idInPredicate(chunk, side), new Set(chunk), side);
          const t = this.changes(edge);
          for (const r of rows) {
            const eid = String(r.id);
            t.upserts.delete(eid);
            t.deletes.add(eid);
            t.deletedEdgeSrc.set(eid, String(r.src));
          }
        }
      }
    }
  }

  /** committed rows matching `sql` (minus pending) ∪ pending rows whose `side` column is in `ids`. */
  private async scanWhere(
    def: TypeDef,
    sql: string,
    ids: Set<string>,
    side: string,
  ): Promise<Row[]> {
    const t = this.tables.get(def.tableKey);
    const committed = (await this.reader.scan(def, { where: sql })).filter(
      (r) => !t || (!t.deletes.has(String(r.id)) && !t.upserts.has(String(r.id))),
    );
    const pending = t ? [...t.upserts.rows()].filter((r) => ids.has(String(r[side]))) : [];
    return [...committed, ...pending];
  }

  /** Read-your-writes scan: committed-at-pin matching the filter, overlaid with pending changes. */
  async scan(type: string, filter: Filter = [], opts: { limit?: number } = {}): Promise<Row[]> {
    const def = this.typeDef(type);
    const t = this.tables.get(def.tableKey);
    const where = filterToSql(def, filter);
    const committed = await this.reader.scan(def, { where });
    const visible = committed.filter(
      (r) => !t || (!t.deletes.has(String(r.id)) && !t.upserts.has(String(r.id))),
    );
    const pending = t ? [...t.upserts.rows()].filter((r) => rowMatches(def, r, filter)) : [];
    const all = [...visible, ...pending];
    return opts.limit !== undefined ? all.slice(0, opts.limit) : all;
  }

  async get(type: string, id: string): Promise<Row | null> {
    const def = this.typeDef(type);
    const t = this.tables.get(def.tableKey);
    if (t?.deletes.has(id)) return null;
    const pending = t?.upserts.get(id);
    if (pending) return pending;
    const rows = await this.reader.scan(def, { where: idInPredicate([id]), limit: 1 });
    return rows[0] ?? null;
  }

  /** Cross-row rules, checked once staging is complete and before anything is written. */
  async validate(): Promise<void> {
    await new CrossRowRules(this, this.reader).check();
  }

  /** What Phase B commits per table: rows to upsert and ids to delete (tables with no change omitted). */
  commitPlan(): Array<{
    def: TypeDef;
    upserts: Row[] | arrow.Table;
    deleteIds: string[];
    appendOnly: boolean;
  }> {
    // The protocol puts the tables in table-key order (run.ts planTables).
    return [...this.tables.values()]
      .filter((t) => t.upserts.size > 0 || t.deletes.size > 0)
      .map((t) => ({
        def: t.def,
        upserts: t.upserts.commitData(),
        deleteIds: [...t.deletes],
        // Pure inserts of new ids can be a plain append (no merge needed).
        appendOnly: t.deletes.size === 0 && t.upserts.count('upsert') === 0,
      }));
  }

  /** Affected row counts for the result of an operation. */
  affected(): { nodes: number; edges: number } {
    let nodes = 0;
    let edges = 0;
    for (const t of this.tables.values()) {
      const n = t.upserts.size + t.deletes.size;
      if (t.def.kind === 'node') nodes += n;
      else edges += n;
    }
    return { nodes, edges };
  }
}

export type { StoredValue };
