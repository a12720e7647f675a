/**
 * Cross-row rules of staging (docs/writes.md §Staging and validation): key uniqueness against
 * committed data, @unique, edge endpoints and @card, checked once an operation has
 * staged everything and before any lease is taken or anything is written. They read
 * the staged tables and committed data at the operation's snapshot; per-row rules
 * are row-rules.ts.
 */
import type { Catalog, EdgeTypeDef, TypeDef } from '../../../schema/types.js';
import { idInPredicate } from '../../../storage/index.js';
import { columnType, filterToSql } from './filter.js';
import { canonicalValue } from './values.js';
import type { PendingRows, Row } from './pending-rows.js';
import type { CommittedReader, RowOrigin, TableChanges } from './staged-tables.js';
import { validationError } from './row-rules.js';

/** Ids per committed-data query. */
export const ID_CHUNK = 1000;

/** What the rules read of a staged operation. */
export interface StagedView {
  readonly catalog: Catalog;
  readonly tables: ReadonlyMap<string, TableChanges>;
  typeDef(type: string): TypeDef;
  /** Where the staged row `id` of `def` came from (its file and line), for errors. */
  originOf(def: TypeDef, id: string): RowOrigin;
}

export class CrossRowRules {
  constructor(
    private readonly view: StagedView,
    private readonly reader: CommittedReader,
  ) {}

  /**
   * Which of `ids` do not exist as rows of `def` after this operation. Ids staged or
   * deleted by the operation are decided from staging; only the others are looked up
   * in committed data. Returns the (usually empty) missing set, not the found one, so
   * a large load never holds a set of every endpoint it names.
   */
  private async missing(def: TypeDef, ids: Iterable<string>): Promise<Set<string>> {
    const t = this.view.tables.get(def.tableKey);
    const out = new Set<string>();
    const toCheck = new Set<string>();
    for (const id of ids) {
      if (t?.deletes.has(id)) out.add(id);
      else if (!t?.upserts.has(id)) toCheck.add(id);
    }
    if (toCheck.size === 0) return out;
    if ((await this.reader.count(def)) > 0) {
      const list = [...toCheck];
      for (let i = 0; i < list.length; i += ID_CHUNK) {
        for (const r of await this.reader.scan(def, {
          where: idInPredicate(list.slice(i, i + ID_CHUNK)),
          columns: ['id'],
        }))
          toCheck.delete(String(r.id));
      }
    }
    for (const id of toCheck) out.add(id);
    return out;
  }

  /** Every cross-row rule, over every staged table. */
  async check(): Promise<void> {
    for (const t of this.view.tables.values()) await this.validateKeys(t);
    for (const t of this.view.tables.values()) await this.validateUnique(t);
    for (const t of this.view.tables.values())
      if (t.def.kind === 'edge') await this.validateEndpoints(t, t.def);
    for (const edge of this.view.catalog.edges) await this.validateCardinality(edge);
  }

  private async validateKeys(t: TableChanges): Promise<void> {
    if (t.upserts.count('mustBeNew') === 0 || (await this.reader.count(t.def)) === 0) return;
    const ids = t.upserts.idsOf('mustBeNew');
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const rows = await this.reader.scan(t.def, {
        where: idInPredicate(ids.slice(i, i + ID_CHUNK)),
        columns: ['id'],
      });
      const dup = rows.map((r) => String(r.id)).find((id) => !t.deletes.has(id));
      if (dup !== undefined) {
        const field = t.def.kind === 'node' ? (t.def.constraints.key[0] ?? 'id') : 'id';
        throw validationError(
          t.def,
          dup,
          field,
          'key',
          `${t.def.name} ${JSON.stringify(dup)} already exists`,
          this.view.originOf(t.def, dup),
        );
      }
    }
  }

  private async validateUnique(t: TableChanges): Promise<void> {
    if (t.upserts.size === 0) return;
    for (const cols of t.def.constraints.unique) {
      const tuple = (r: Row): string | null =>
        cols.some((c) => r[c] === null || r[c] === undefined)
          ? null
          : cols.map((c) => canonicalValue(r[c])).join('\u0001');
      const seen = new Map<string, string>();
      for (const r of t.upserts.rows(['id', ...cols])) {
        const id = String(r.id);
        const k = tuple(r);
        if (k === null) continue;
        const other = seen.get(k);
        if (other !== undefined) {
          throw validationError(
            t.def,
            id,
            cols.join(', '),
            'unique',
            `@unique(${cols.join(', ')}) is violated: ${t.def.name} ${JSON.stringify(other)} has the same value in this operation`,
            this.view.originOf(t.def, id),
          );
        }
        seen.set(k, id);
      }
      if ((await this.reader.count(t.def)) === 0) continue;
      // Committed rows that stay (not deleted, not replaced) must not share a tuple.
      // A small operation asks Lance for just its own tuples; a large one (a load)
      // reads the constrained columns once instead of issuing thousands of queries.
      const committed = await this.reader.scan(t.def, {
        columns: ['id', ...cols],
        where: this.tupleFilter(t.def, cols, t.upserts),
      });
      for (const r of committed) {
        const rid = String(r.id);
        if (t.deletes.has(rid) || t.upserts.has(rid)) continue;
        const k = tuple(r);
        const clash = k === null ? undefined : seen.get(k);
        if (clash !== undefined) {
          throw validationError(
            t.def,
            clash,
            cols.join(', '),
            'unique',
            `@unique(${cols.join(', ')}) is violated: committed ${t.def.name} ${JSON.stringify(rid)} has the same value`,
            this.view.originOf(t.def, clash),
          );
        }
      }
    }
  }

  /** SQL matching any of `rows`' non-null tuples of `cols`, or undefined (scan all) past a size where one query per tuple stops paying. */
  private tupleFilter(def: TypeDef, cols: string[], pending: PendingRows): string | undefined {
    const SMALL = 200;
    if (pending.size > SMALL) return undefined;
    const rows = [...pending.rows(cols)];
    // Lists, vectors and blobs have no SQL equality literal here: scan those columns.
    if (
      cols.some((c) => {
        const t = columnType(def, c);
        return (
          t.kind === 'list' || t.kind === 'vector' || (t.kind === 'scalar' && t.name === 'Blob')
        );
      })
    )
      return undefined;
    const parts = rows
      .filter((r) => cols.every((c) => r[c] !== null && r[c] !== undefined))
      .map(
        (r) =>
          `(${filterToSql(
            def,
            cols.map((c) => ({ column: c, op: '=' as const, value: r[c] })),
          )})`,
      );
    return parts.length === 0 ? 'FALSE' : parts.join(' OR ');
  }

  private async validateEndpoints(t: TableChanges, edge: EdgeTypeDef): Promise<void> {
    if (t.upserts.size === 0) return;
    const fromDef = this.view.typeDef(edge.from);
    const toDef = this.view.typeDef(edge.to);
    const ends = ['id', 'src', 'dst'];
    const srcs = await this.missing(fromDef, t.upserts.column('src'));
    const dsts = await this.missing(toDef, t.upserts.column('dst'));
    if (srcs.size === 0 && dsts.size === 0) return;
    for (const r of t.upserts.rows(ends)) {
      for (const [field, set, v, typeName] of [
        ['from', srcs, String(r.src), edge.from],
        ['to', dsts, String(r.dst), edge.to],
      ] as const) {
        if (set.has(v)) {
          throw validationError(
            edge,
            String(r.id),
            field,
            'endpoint',
            `${field} ${JSON.stringify(v)}: no ${typeName} with that key exists`,
            this.view.originOf(edge, String(r.id)),
          );
        }
      }
    }
  }

  private async validateCardinality(edge: EdgeTypeDef): Promise<void> {
    const { min, max } = edge.card;
    if (min === 0 && max === null) return;
    const t = this.view.tables.get(edge.tableKey);
    const fromDef = this.view.typeDef(edge.from);
    const fromChanges = this.view.tables.get(fromDef.tableKey);
    const sources = new Set<string>();
    if (t) {
      for (const src of t.upserts.column('src')) sources.add(src);
      for (const src of t.deletedEdgeSrc.values()) sources.add(src);
    }
    // A node staged by this operation must satisfy the minimum too.
    if (min > 0 && fromChanges) for (const id of fromChanges.upserts.column('id')) sources.add(id);
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
    if (t)
      for (const src of t.upserts.column('src'))
        if (counts.has(src)) counts.set(src, counts.get(src)! + 1);
    for (const [src, n] of counts) {
      if (n < min || (max !== null && n > max)) {
        const origin = this.view.originOf(fromDef, src);
        throw validationError(
          edge,
          undefined,
          undefined,
          'card',
          `${edge.from} ${JSON.stringify(src)} would have ${n} ${edge.name} edge(s); @card(${min}..${max ?? '*'}) requires ${n < min ? `at least ${min}` : `at most ${max}`}`,
          origin,
        );
      }
    }
  }
}
