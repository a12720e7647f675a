/**
 * Staging (ARCHITECTURE §4 step 2): an operation's changes accumulate here, per
 * table, as upserts by id and deletes by id. Nothing touches Lance. Reads see
 * committed-at-pin ∪ pending (read-your-writes). Per-row rules (types, required,
 * enum, range, check) are enforced as rows are staged; cross-row rules (key
 * uniqueness, @unique, endpoints, @card) by validate() before the lease is taken.
 */
import { monotonicFactory } from 'ulid';
import type { Catalog, EdgeTypeDef, NodeTypeDef, TypeDef } from '../schema/types.js';
import { idInPredicate } from '../storage/index.js';
import { RepoError } from '../errors.js';
import { ValidationError } from './errors.js';
import { columnType, filterToSql, rowMatches, type Filter } from './filter.js';
import { canonicalValue, coerceProperty, CoercionFailure, type StoredValue } from './values.js';

export type Row = Record<string, unknown>;

/** Reads committed data of the operation's snapshot (each table at its pinned version). */
export interface CommittedReader {
  scan(def: TypeDef, opts: { where?: string; columns?: string[]; limit?: number }): Promise<Row[]>;
  count(def: TypeDef): Promise<number>;
}

/** Where a staged row came from, for error messages (a JSONL line). */
export interface RowOrigin { file?: string; line?: number }

export interface TableChanges {
  def: TypeDef;
  upserts: Map<string, Row>;
  deletes: Set<string>;
  /** Ids that must not exist in committed data (inserts, append-mode loads) — checked there. */
  mustBeNew: Set<string>;
  /**
   * Ids this operation generated (ULIDs for edges and keyless nodes): new by
   * construction, so never looked up in committed data (that was one Lance query per
   * write, and a scan per thousand rows of a large load).
   */
  fresh: Set<string>;
  /** Rows of edges deleted in this operation (their src matters for @card). */
  deletedEdgeSrc: Map<string, string>;
}

const ID_CHUNK = 1000;

export class StagedOperation {
  readonly tables = new Map<string, TableChanges>();
  /** JSONL line of each staged row, per table (the file is the same for a whole load). */
  private readonly originLines = new Map<string, Map<string, number>>();
  private originFile: string | undefined;
  /** One timestamp per operation, for `now()`. */
  readonly nowMs = Date.now();
  /** Ids of new rows: ULIDs, monotonic within the operation (and far cheaper than one random draw per character). */
  readonly newId = monotonicFactory();

  constructor(readonly catalog: Catalog, private readonly reader: CommittedReader) {}

  /** The type of a name (`Person`; edge names case-insensitively) or table key. */
  typeDef(type: string): TypeDef {
    const def = this.catalog.nodes.find((n) => n.name === type || n.tableKey === type)
      ?? this.catalog.edges.find((e) => e.name.toLowerCase() === type.toLowerCase() || e.tableKey === type);
    if (!def) throw new RepoError('UnknownType', `no node or edge type '${type}' in the schema`, { type });
    return def;
  }

  private changes(def: TypeDef): TableChanges {
    let t = this.tables.get(def.tableKey);
    if (!t) {
      t = { def, upserts: new Map(), deletes: new Set(), mustBeNew: new Set(), fresh: new Set(), deletedEdgeSrc: new Map() };
      this.tables.set(def.tableKey, t);
    }
    return t;
  }

  private originOf(def: TypeDef, id: string): RowOrigin {
    const line = this.originLines.get(def.tableKey)?.get(id);
    return line === undefined ? {} : { ...(this.originFile !== undefined ? { file: this.originFile } : {}), line };
  }

  private error(def: TypeDef, id: string | undefined, field: string | undefined, rule: string, message: string, origin: RowOrigin = {}): ValidationError {
    return new ValidationError(message, { table: def.tableKey, ...(id !== undefined ? { id } : {}), ...(field ? { field } : {}), rule, ...origin });
  }

  /** Coerces `data` into a full row of `def` (every property present, null when absent). */
  private coerceRow(def: TypeDef, data: Record<string, unknown>, id: string | undefined, origin: RowOrigin, allowed: Set<string>): Row {
    const row: Row = {};
    for (const key of Object.keys(data)) {
      if (!allowed.has(key) && !def.properties.some((p) => p.name === key)) {
        throw this.error(def, id, key, 'unknown_field', `'${key}' is not a property of ${def.name} (properties: ${def.properties.map((p) => p.name).join(', ') || 'none'})`, origin);
      }
    }
    for (const p of def.properties) {
      try {
        row[p.name] = coerceProperty(p, data[p.name]);
      } catch (err) {
        if (err instanceof CoercionFailure) throw this.error(def, id, p.name, err.rule, err.message, origin);
        throw err;
      }
    }
    this.checkRowRules(def, row, id, origin);
    return row;
  }

  private checkRowRules(def: TypeDef, row: Row, id: string | undefined, origin: RowOrigin): void {
    for (const r of def.constraints.range) {
      const v = row[r.property];
      if (v === null || v === undefined) continue;
      const n = Number(v as number | bigint);
      if ((r.min !== null && n < r.min) || (r.max !== null && n > r.max)) {
        throw this.error(def, id, r.property, 'range', `${String(v)} is outside @range(${r.min ?? ''}..${r.max ?? ''})`, origin);
      }
    }
    for (const c of def.constraints.check) {
      const v = row[c.property];
      if (v === null || v === undefined) continue;
      const re = new RegExp(c.pattern, 'u');
      for (const s of Array.isArray(v) ? v : [v]) {
        if (typeof s === 'string' && !re.test(s)) throw this.error(def, id, c.property, 'check', `${JSON.stringify(s)} does not match @check("${c.pattern}")`, origin);
      }
    }
  }

  private remember(def: TypeDef, id: string, origin: RowOrigin): void {
    if (origin.line === undefined) return;
    this.originFile ??= origin.file;
    let lines = this.originLines.get(def.tableKey);
    if (!lines) this.originLines.set(def.tableKey, (lines = new Map()));
    lines.set(id, origin.line);
  }

  private nodeDef(type: string): NodeTypeDef {
    const def = this.typeDef(type);
    if (def.kind !== 'node') throw new RepoError('NotANodeType', `'${type}' is an edge type, not a node type`, { type });
    return def;
  }

  private edgeDef(type: string): EdgeTypeDef {
    const def = this.typeDef(type);
    if (def.kind !== 'edge') throw new RepoError('NotAnEdgeType', `'${type}' is a node type, not an edge type`, { type });
    return def;
  }

  /**
   * Stages a node. Keyed nodes: id = the key value (a `data.id` must equal it).
   * Keyless nodes: `data.id` or a new ULID. `mode: 'insert'` requires the id to be
   * new; `'upsert'` replaces the whole row. Returns the id.
   */
  putNode(type: string, data: Record<string, unknown>, mode: 'insert' | 'upsert', origin: RowOrigin = {}): string {
    const def = this.nodeDef(type);
    const key = def.constraints.key[0];
    let id: string;
    const { id: givenId, ...props } = data;
    if (givenId !== undefined && typeof givenId !== 'string') throw this.error(def, undefined, 'id', 'type', `id must be a string, got ${typeof givenId}`, origin);
    if (key) {
      const row = this.coerceRow(def, props, givenId, origin, new Set());
      id = String(row[key]);
      if (givenId !== undefined && givenId !== id) {
        throw this.error(def, id, 'id', 'key', `id ${JSON.stringify(givenId)} differs from the key ${key} = ${JSON.stringify(id)}`, origin);
      }
      this.stageUpsert(def, id, { id, ...row }, mode, origin);
    } else {
      id = givenId ?? this.newId();
      const row = this.coerceRow(def, props, id, origin, new Set());
      this.stageUpsert(def, id, { id, ...row }, mode, origin, givenId === undefined);
    }
    return id;
  }

  private stageUpsert(def: TypeDef, id: string, row: Row, mode: 'insert' | 'upsert', origin: RowOrigin, generated = false): void {
    const t = this.changes(def);
    if (mode === 'insert') {
      if (t.upserts.has(id)) throw this.error(def, id, def.kind === 'node' ? (def.constraints.key[0] ?? 'id') : 'id', 'key', `${def.name} ${JSON.stringify(id)} is inserted twice in this operation`, origin);
      if (generated) t.fresh.add(id);
      else if (!t.deletes.has(id)) t.mustBeNew.add(id);
    }
    t.deletes.delete(id);
    t.upserts.set(id, row);
    this.remember(def, id, origin);
  }

  /** Stages an edge between two node ids (key values). Returns the edge id. */
  putEdge(type: string, from: unknown, to: unknown, data: Record<string, unknown> = {}, opts: { id?: string; mode?: 'insert' | 'upsert' } = {}, origin: RowOrigin = {}): string {
    const def = this.edgeDef(type);
    const id = opts.id ?? this.newId();
    const generated = opts.id === undefined;
    for (const [field, v] of [['from', from], ['to', to]] as const) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint') {
        throw this.error(def, id, field, 'endpoint', `'${field}' must be the key of a ${field === 'from' ? def.from : def.to} node, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`, origin);
      }
    }
    const row = this.coerceRow(def, data, id, origin, new Set());
    this.stageUpsert(def, id, { id, src: String(from), dst: String(to), ...row }, opts.mode ?? 'insert', origin, generated);
    return id;
  }

  /** Partial update of an existing row (committed or pending); returns false when it does not exist. */
  async updateRow(type: string, id: string, patch: Record<string, unknown>, origin: RowOrigin = {}): Promise<boolean> {
    const def = this.typeDef(type);
    const current = await this.get(def.name, id);
    if (!current) return false;
    const key = def.kind === 'node' ? def.constraints.key[0] : undefined;
    if (key && key in patch && canonicalValue(patch[key]) !== canonicalValue(current[key])) {
      const coerced = coerceProperty(def.properties.find((p) => p.name === key)!, patch[key]);
      if (canonicalValue(coerced) !== canonicalValue(current[key])) {
        throw this.error(def, id, key, 'key', `the key ${key} of an existing node cannot be changed (delete and insert instead)`, origin);
      }
    }
    const merged: Record<string, unknown> = {};
    for (const p of def.properties) merged[p.name] = p.name in patch ? patch[p.name] : current[p.name];
    for (const k of Object.keys(patch)) if (!(k in merged)) merged[k] = patch[k];
    const row = this.coerceRow(def, merged, id, origin, new Set());
    const base: Row = def.kind === 'edge' ? { id, src: current.src, dst: current.dst } : { id };
    const t = this.changes(def);
    t.upserts.set(id, { ...base, ...row });
    this.remember(def, id, origin);
    return true;
  }

  /** Deletes a row; deleting a node also deletes every edge touching it. Returns whether it existed. */
  async deleteRow(type: string, id: string): Promise<boolean> {
    const def = this.typeDef(type);
    const current = await this.get(def.name, id);
    if (!current) return false;
    const t = this.changes(def);
    t.upserts.delete(id);
    t.mustBeNew.delete(id);
    t.fresh.delete(id);
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
            t.mustBeNew.delete(eid);
            t.fresh.delete(eid);
            t.deletes.add(eid);
            t.deletedEdgeSrc.set(eid, String(r.src));
          }
        }
      }
    }
  }

  /** committed rows matching `sql` (minus pending) ∪ pending rows whose `side` column is in `ids`. */
  private async scanWhere(def: TypeDef, sql: string, ids: Set<string>, side: string): Promise<Row[]> {
    const t = this.tables.get(def.tableKey);
    const committed = (await this.reader.scan(def, { where: sql }))
      .filter((r) => !t || (!t.deletes.has(String(r.id)) && !t.upserts.has(String(r.id))));
    const pending = t ? [...t.upserts.values()].filter((r) => ids.has(String(r[side]))) : [];
    return [...committed, ...pending];
  }

  /** Read-your-writes scan: committed-at-pin matching the filter, overlaid with pending changes. */
  async scan(type: string, filter: Filter = [], opts: { limit?: number } = {}): Promise<Row[]> {
    const def = this.typeDef(type);
    const t = this.tables.get(def.tableKey);
    const where = filterToSql(def, filter);
    const committed = await this.reader.scan(def, { where });
    const visible = committed.filter((r) => !t || (!t.deletes.has(String(r.id)) && !t.upserts.has(String(r.id))));
    const pending = t ? [...t.upserts.values()].filter((r) => rowMatches(def, r, filter)) : [];
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

  /** Which of `ids` exist as rows of `def` after this operation. */
  private async existing(def: TypeDef, ids: Iterable<string>): Promise<Set<string>> {
    const t = this.tables.get(def.tableKey);
    const out = new Set<string>();
    const toCheck: string[] = [];
    for (const id of new Set(ids)) {
      if (t?.deletes.has(id)) continue;
      if (t?.upserts.has(id)) out.add(id);
      else toCheck.push(id);
    }
    if (toCheck.length && (await this.reader.count(def)) > 0) {
      for (let i = 0; i < toCheck.length; i += ID_CHUNK) {
        const chunk = toCheck.slice(i, i + ID_CHUNK);
        for (const r of await this.reader.scan(def, { where: idInPredicate(chunk), columns: ['id'] })) out.add(String(r.id));
      }
    }
    return out;
  }

  /** Cross-row rules, checked once staging is complete and before anything is written. */
  async validate(): Promise<void> {
    for (const t of this.tables.values()) await this.validateKeys(t);
    for (const t of this.tables.values()) await this.validateUnique(t);
    for (const t of this.tables.values()) if (t.def.kind === 'edge') await this.validateEndpoints(t, t.def);
    for (const edge of this.catalog.edges) await this.validateCardinality(edge);
  }

  private async validateKeys(t: TableChanges): Promise<void> {
    if (t.mustBeNew.size === 0 || (await this.reader.count(t.def)) === 0) return;
    const ids = [...t.mustBeNew];
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const rows = await this.reader.scan(t.def, { where: idInPredicate(ids.slice(i, i + ID_CHUNK)), columns: ['id'] });
      const dup = rows.map((r) => String(r.id)).find((id) => !t.deletes.has(id));
      if (dup !== undefined) {
        const field = t.def.kind === 'node' ? (t.def.constraints.key[0] ?? 'id') : 'id';
        throw this.error(t.def, dup, field, 'key', `${t.def.name} ${JSON.stringify(dup)} already exists`, this.originOf(t.def, dup));
      }
    }
  }

  private async validateUnique(t: TableChanges): Promise<void> {
    if (t.upserts.size === 0) return;
    for (const cols of t.def.constraints.unique) {
      const tuple = (r: Row): string | null => (cols.some((c) => r[c] === null || r[c] === undefined) ? null : cols.map((c) => canonicalValue(r[c])).join('\u0001'));
      const seen = new Map<string, string>();
      for (const [id, r] of t.upserts) {
        const k = tuple(r);
        if (k === null) continue;
        const other = seen.get(k);
        if (other !== undefined) {
          throw this.error(t.def, id, cols.join(', '), 'unique', `@unique(${cols.join(', ')}) is violated: ${t.def.name} ${JSON.stringify(other)} has the same value in this operation`, this.originOf(t.def, id));
        }
        seen.set(k, id);
      }
      if ((await this.reader.count(t.def)) === 0) continue;
      // Committed rows that stay (not deleted, not replaced) must not share a tuple.
      // A small operation asks Lance for just its own tuples; a large one (a load)
      // reads the constrained columns once instead of issuing thousands of queries.
      const committed = await this.reader.scan(t.def, { columns: ['id', ...cols], where: this.tupleFilter(t.def, cols, [...t.upserts.values()]) });
      for (const r of committed) {
        const rid = String(r.id);
        if (t.deletes.has(rid) || t.upserts.has(rid)) continue;
        const k = tuple(r);
        const clash = k === null ? undefined : seen.get(k);
        if (clash !== undefined) {
          throw this.error(t.def, clash, cols.join(', '), 'unique', `@unique(${cols.join(', ')}) is violated: committed ${t.def.name} ${JSON.stringify(rid)} has the same value`, this.originOf(t.def, clash));
        }
      }
    }
  }

  /** SQL matching any of `rows`' non-null tuples of `cols`, or undefined (scan all) past a size where one query per tuple stops paying. */
  private tupleFilter(def: TypeDef, cols: string[], rows: Row[]): string | undefined {
    const SMALL = 200;
    if (rows.length > SMALL) return undefined;
    // Lists, vectors and blobs have no SQL equality literal here: scan those columns.
    if (cols.some((c) => { const t = columnType(def, c); return t.kind === 'list' || t.kind === 'vector' || (t.kind === 'scalar' && t.name === 'Blob'); })) return undefined;
    const parts = rows
      .filter((r) => cols.every((c) => r[c] !== null && r[c] !== undefined))
      .map((r) => `(${filterToSql(def, cols.map((c) => ({ column: c, op: '=' as const, value: r[c] })))})`);
    return parts.length === 0 ? 'FALSE' : parts.join(' OR ');
  }

  private async validateEndpoints(t: TableChanges, edge: EdgeTypeDef): Promise<void> {
    if (t.upserts.size === 0) return;
    const fromDef = this.typeDef(edge.from);
    const toDef = this.typeDef(edge.to);
    const rows = [...t.upserts.values()];
    const srcs = await this.existing(fromDef, rows.map((r) => String(r.src)));
    const dsts = await this.existing(toDef, rows.map((r) => String(r.dst)));
    for (const r of rows) {
      for (const [field, set, v, typeName] of [['from', srcs, String(r.src), edge.from], ['to', dsts, String(r.dst), edge.to]] as const) {
        if (!set.has(v)) {
          throw this.error(edge, String(r.id), field, 'endpoint', `${field} ${JSON.stringify(v)}: no ${typeName} with that key exists`, this.originOf(edge, String(r.id)));
        }
      }
    }
  }

  private async validateCardinality(edge: EdgeTypeDef): Promise<void> {
    const { min, max } = edge.card;
    if (min === 0 && max === null) return;
    const t = this.tables.get(edge.tableKey);
    const fromDef = this.typeDef(edge.from);
    const fromChanges = this.tables.get(fromDef.tableKey);
    const sources = new Set<string>();
    if (t) {
      for (const r of t.upserts.values()) sources.add(String(r.src));
      for (const src of t.deletedEdgeSrc.values()) sources.add(src);
    }
    // A node staged by this operation must satisfy the minimum too.
    if (min > 0 && fromChanges) for (const id of fromChanges.upserts.keys()) sources.add(id);
    if (fromChanges) for (const id of fromChanges.deletes) sources.delete(id);
    if (sources.size === 0) return;
    const counts = new Map<string, number>([...sources].map((s) => [s, 0]));
    if ((await this.reader.count(edge)) > 0) {
      const list = [...sources];
      for (let i = 0; i < list.length; i += ID_CHUNK) {
        const where = idInPredicate(list.slice(i, i + ID_CHUNK), 'src');
        for (const r of await this.reader.scan(edge, { where, columns: ['id', 'src'] })) {
          const eid = String(r.id);
          if (t && (t.deletes.has(eid) || t.upserts.has(eid))) continue;
          counts.set(String(r.src), (counts.get(String(r.src)) ?? 0) + 1);
        }
      }
    }
    if (t) for (const r of t.upserts.values()) if (counts.has(String(r.src))) counts.set(String(r.src), counts.get(String(r.src))! + 1);
    for (const [src, n] of counts) {
      if (n < min || (max !== null && n > max)) {
        const origin = this.originOf(fromDef, src);
        throw this.error(edge, undefined, undefined, 'card', `${edge.from} ${JSON.stringify(src)} would have ${n} ${edge.name} edge(s); @card(${min}..${max ?? '*'}) requires ${n < min ? `at least ${min}` : `at most ${max}`}`, origin);
      }
    }
  }

  /** What Phase B commits per table: rows to upsert and ids to delete (tables with no change omitted). */
  commitPlan(): Array<{ def: TypeDef; upserts: Row[]; deleteIds: string[]; appendOnly: boolean }> {
    return [...this.tables.values()]
      .filter((t) => t.upserts.size > 0 || t.deletes.size > 0)
      .sort((a, b) => (a.def.tableKey < b.def.tableKey ? -1 : 1))
      .map((t) => ({
        def: t.def,
        upserts: [...t.upserts.values()],
        deleteIds: [...t.deletes],
        // Pure inserts of new ids can be a plain append (no merge needed).
        appendOnly: t.deletes.size === 0 && [...t.upserts.keys()].every((id) => t.mustBeNew.has(id) || t.fresh.has(id)),
      }));
  }

  /** Affected row counts for the result of an operation. */
  affected(): { nodes: number; edges: number } {
    let nodes = 0;
    let edges = 0;
    for (const t of this.tables.values()) {
      const n = t.upserts.size + t.deletes.size;
      if (t.def.kind === 'node') nodes += n; else edges += n;
    }
    return { nodes, edges };
  }
}

export type { StoredValue };
