/**
 * Table data for the executor, read at a snapshot's pins: node tables as columns
 * (only the columns a query uses, loaded once per table version and cached) and
 * edge tables as graph indexes. Inside a transaction, tables the transaction
 * touched are the committed columns overlaid with its staged rows (not cached).
 */
import type { Catalog, EdgeTypeDef, NodeTypeDef, PropType } from '../schema/types.js';
import type { QueryValue } from '../query/types.js';
import type { TablePin } from '../journal/index.js';
import { idInPredicate, type TableHandle, type TableIndexInfo } from '../storage/index.js';
import type { ReadCache } from './cache.js';
import { EdgeTable } from './edge-table.js';
import type { Direction, GraphIndex } from './graph-index.js';
import { buildFromStrings } from './graph-build.js';
import type { GraphIndexes } from './graph-indexes.js';
import { toQueryValue, valueBytes } from './values.js';
import { typedBytes, typedFromChunks, typedFromValues, type TypedColumn } from './typed-columns.js';
import type { EmbeddingClient } from '../embed/index.js';

/** A transaction's staged changes to one table (rows in storage form). */
export interface TableOverlay {
  upserts: Iterable<Record<string, unknown>>;
  isUpserted(id: string): boolean;
  deletes: ReadonlySet<string>;
}

export interface ReadContext {
  catalog: Catalog;
  cache: ReadCache;
  /** Graph indexes by edge table version (cache, files, patches, builds); without it, built per query. */
  graphs?: GraphIndexes;
  openPinned(tableKey: string, pin: TablePin): Promise<TableHandle>;
  /** Staged changes of a transaction, per table key (tx.query). */
  overlay?: (tableKey: string) => TableOverlay | undefined;
  /** Embeds the String query of a `nearest` (the client `@embed` uses, so equal texts meet). */
  embeddings?: () => EmbeddingClient;
}

/** Node rows at one version: ids and the loaded columns, all in one row order. */
export class NodeTable {
  private idIndex: Map<string, number> | undefined;

  constructor(
    readonly def: NodeTypeDef,
    readonly ids: string[],
    private readonly columns: Map<string, QueryValue[]>,
    idIndex?: Map<string, number>,
  ) {
    this.idIndex = idIndex;
  }

  get size(): number {
    return this.ids.length;
  }

  column(name: string): QueryValue[] {
    if (name === 'id') return this.ids;
    const c = this.columns.get(name);
    if (!c) throw new Error(`internal: column ${this.def.name}.${name} was not loaded`);
    return c;
  }

  /** The row position of a node id (a map built once per table version). */
  positionOf(id: string): number | undefined {
    if (!this.idIndex) {
      this.idIndex = new Map();
      for (let i = 0; i < this.ids.length; i++) this.idIndex.set(this.ids[i], i);
    }
    return this.idIndex.get(id);
  }

  /** The node as `{ id, ...properties }`. */
  object(pos: number): Record<string, QueryValue> {
    const o: Record<string, QueryValue> = { id: this.ids[pos] };
    for (const p of this.def.properties) o[p.name] = this.column(p.name)[pos];
    return o;
  }
}

/** Raw scans made for typed columns, numbered: columns of one scan share a row order. */
let rawScans = 0;

const keyOfPin = (tablePath: string, pin: TablePin): string =>
  `${tablePath}\u0000${pin.lanceBranch ?? ''}\u0000${pin.version}`;

function typeOfColumn(def: NodeTypeDef | EdgeTypeDef, name: string): PropType {
  const p = def.properties.find((x) => x.name === name);
  return p ? p.type : { kind: 'scalar', name: 'String' };
}

/** Columns (plus `id`) of a table version, in scan order, converted to query values. */
async function scanColumns(
  handle: TableHandle,
  def: NodeTypeDef | EdgeTypeDef,
  names: string[],
): Promise<Map<string, QueryValue[]>> {
  const raw = await handle.scanColumns({ columns: names });
  const out = new Map<string, QueryValue[]>();
  for (const n of names) {
    const values = raw.get(n)!;
    if (n === 'id' || n === 'src' || n === 'dst') out.set(n, values as string[]);
    else {
      const type = typeOfColumn(def, n);
      out.set(
        n,
        values.map((v) => toQueryValue(type, v)),
      );
    }
  }
  return out;
}

/** The named columns of the rows matching `where` (a pushed-down first read). */
async function pushedColumns(
  handle: TableHandle,
  def: EdgeTypeDef,
  names: string[],
  where: string,
): Promise<Map<string, QueryValue[]>> {
  const raw = await handle.scanColumns({ columns: names, where });
  return new Map(
    names.map((n) => [
      n,
      n === 'id' || n === 'src' || n === 'dst'
        ? (raw.get(n) as string[])
        : raw.get(n)!.map((v) => toQueryValue(typeOfColumn(def, n), v)),
    ]),
  );
}

/** The most start nodes of an edge-bound traversal whose first read filters the edge table. */
const PUSHED_EDGE_SOURCES = 4096;

function columnBytes(values: QueryValue[]): number {
  let n = 64;
  for (const v of values) n += valueBytes(v);
  return n;
}

export class TableReader {
  /** Tables this query read (stats). */
  readonly tablesRead = new Set<string>();
  /** Table versions this query reads in parts (see `firstRead`). */
  private readonly partial = new Set<string>();

  constructor(
    private readonly ctx: ReadContext,
    private readonly pins: Map<string, TablePin>,
  ) {}

  private pin(tableKey: string): TablePin {
    const pin = this.pins.get(tableKey);
    if (!pin) throw new Error(`internal: ${tableKey} has no pin in the snapshot`);
    return pin;
  }

  /**
   * The rows matching `sql` only, read with the filter pushed down to Lance — on
   * the first read of a table version whose columns are not cached (a second read
   * of the version loads and caches whole columns instead). Null: use `nodeTable`.
   */
  async pushedNodes(
    def: NodeTypeDef,
    props: Iterable<string>,
    sql: string,
  ): Promise<NodeTable | null> {
    if (!this.firstRead(def)) return null;
    const wanted = [...new Set(props)].filter((p) => p !== 'id');
    const handle = await this.ctx.openPinned(def.tableKey, this.pin(def.tableKey));
    const raw = await handle.scanColumns({ columns: ['id', ...wanted], where: sql });
    return this.nodesFromColumns(def, wanted, raw);
  }

  /**
   * Nodes by id (those that exist), with the named properties, read from Lance with
   * an `IN` filter — through the key's BTREE when the key is a String (the id is the
   * key's value) — on the first read of an uncached table version, like `pushedNodes`.
   * Null: use `nodeTable`.
   */
  async nodesByIds(
    def: NodeTypeDef,
    props: Iterable<string>,
    ids: readonly string[],
  ): Promise<NodeTable | null> {
    if (!this.firstRead(def)) return null;
    const wanted = [...new Set(props)].filter((p) => p !== 'id');
    if (ids.length === 0) return new NodeTable(def, [], new Map(wanted.map((p) => [p, []])));
    const key = def.constraints.key[0];
    const keyType = key === undefined ? undefined : typeOfColumn(def, key);
    const keyIsString = keyType?.kind === 'scalar' && keyType.name === 'String';
    const handle = await this.ctx.openPinned(def.tableKey, this.pin(def.tableKey));
    const raw = await handle.scanColumns({
      columns: ['id', ...wanted],
      where: idInPredicate(ids, keyIsString ? key : 'id'),
    });
    return this.nodesFromColumns(def, wanted, raw);
  }

  /**
   * May this query read part of the table version? Yes on the first query that reads
   * it (uncached, not inside a transaction), as often as that query likes; a later
   * query loads and caches whole columns.
   */
  private firstRead(def: NodeTypeDef): boolean {
    if (this.ctx.overlay?.(def.tableKey)) return false;
    const key = keyOfPin(def.tablePath, this.pin(def.tableKey));
    const { cache } = this.ctx;
    if (cache.has(`col\u0000${key}\u0000id`)) return false;
    if (!this.partial.has(key)) {
      if (cache.has(`seen\u0000${key}`)) return false;
      cache.set(`seen\u0000${key}`, true, 64);
      this.partial.add(key);
    }
    this.tablesRead.add(def.tableKey);
    return true;
  }

  /**
   * Typed columns of the whole table version (typed-columns.ts) for a vectorised
   * aggregate, with its row count: from the cache, from cached query-value columns,
   * or read raw from Lance in one scan (no `id`, no JS value per row). Null inside a
   * transaction that staged rows of the table, or when a column has no typed form.
   */
  async typedColumns(
    def: NodeTypeDef,
    props: string[],
  ): Promise<{ size: number; columns: Map<string, TypedColumn> } | null> {
    if (this.ctx.overlay?.(def.tableKey)) return null;
    this.tablesRead.add(def.tableKey);
    const pin = this.pin(def.tableKey);
    const key = keyOfPin(def.tablePath, pin);
    const { cache } = this.ctx;
    const ids = cache.get<string[]>(`col\u0000${key}\u0000id`);
    // Columns combine only from one source — the cached query-value columns (one row
    // order, realigned on load) or one raw scan — so every row index means one node.
    const fromValues = new Map<string, TypedColumn>();
    const fromScan = new Map<string, TypedColumn>();
    const scans = new Set<number>();
    for (const p of props) {
      const values = ids ? cache.get<QueryValue[]>(`col\u0000${key}\u0000${p}`) : undefined;
      const typed = values ? typedFromValues(values, typeOfColumn(def, p)) : null;
      if (typed) fromValues.set(p, typed);
      const scanned = cache.get<{ scan: number; typed: TypedColumn }>(`tcol\u0000${key}\u0000${p}`);
      if (scanned) {
        fromScan.set(p, scanned.typed);
        scans.add(scanned.scan);
      }
    }
    if (ids && fromValues.size === props.length) return { size: ids.length, columns: fromValues };
    let size = cache.get<number>(`rows\u0000${key}`);
    if (size !== undefined && fromScan.size === props.length && scans.size <= 1)
      return { size, columns: fromScan };
    const handle = await this.ctx.openPinned(def.tableKey, pin);
    const columns = new Map<string, TypedColumn>();
    if (props.length === 0) size = await handle.countRows();
    else {
      // All of them in one scan, so every column has the same row order.
      const scan = await handle.scanRaw({ columns: props });
      const serial = ++rawScans;
      size = scan.rows;
      for (const p of props) {
        const typed = typedFromChunks(scan.columns.get(p)!, typeOfColumn(def, p), scan.rows);
        if (!typed) return null;
        columns.set(p, typed);
        cache.set(`tcol\u0000${key}\u0000${p}`, { scan: serial, typed }, typedBytes(typed));
      }
    }
    cache.set(`rows\u0000${key}`, size, 64);
    return { size, columns };
  }

  /** Does a transaction overlay (staged rows) apply to this table? */
  hasOverlay(tableKey: string): boolean {
    return this.ctx.overlay?.(tableKey) !== undefined;
  }

  /** The table's handle at its pin (counted as read). */
  async handle(def: NodeTypeDef): Promise<TableHandle> {
    this.tablesRead.add(def.tableKey);
    return this.ctx.openPinned(def.tableKey, this.pin(def.tableKey));
  }

  /** The indexes of the table at its pin (a pinned version never changes: cached). */
  async indexes(def: NodeTypeDef): Promise<TableIndexInfo[]> {
    const pin = this.pin(def.tableKey);
    return this.ctx.cache.getOrBuild(`ix\u0000${keyOfPin(def.tablePath, pin)}`, async () => {
      const list = await (await this.ctx.openPinned(def.tableKey, pin)).listIndexes();
      return { value: list, bytes: 256 * (list.length + 1) };
    });
  }

  /** A node table of rows a search returned (`id` plus the named properties). */
  nodesFromColumns(
    def: NodeTypeDef,
    props: Iterable<string>,
    raw: Map<string, unknown[]>,
  ): NodeTable {
    const columns = new Map<string, QueryValue[]>();
    for (const p of new Set(props)) {
      if (p === 'id') continue;
      const type = typeOfColumn(def, p);
      columns.set(
        p,
        raw.get(p)!.map((v) => toQueryValue(type, v)),
      );
    }
    return new NodeTable(def, raw.get('id') as string[], columns);
  }

  /** A node table with (at least) the named properties loaded. */
  async nodeTable(def: NodeTypeDef, props: Iterable<string>): Promise<NodeTable> {
    this.tablesRead.add(def.tableKey);
    const wanted = [...new Set(props)].filter((p) => p !== 'id');
    const committed = await this.committedNodes(def, wanted);
    const overlay = this.ctx.overlay?.(def.tableKey);
    return overlay ? overlayNodes(def, committed, wanted, overlay) : committed;
  }

  private async committedNodes(def: NodeTypeDef, wanted: string[]): Promise<NodeTable> {
    const pin = this.pin(def.tableKey);
    const base = `col\u0000${keyOfPin(def.tablePath, pin)}`;
    const { cache } = this.ctx;
    let ids = cache.get<string[]>(`${base}\u0000id`);
    const missing = wanted.filter((p) => !cache.has(`${base}\u0000${p}`));
    const loaded = new Map<string, QueryValue[]>();
    if (!ids || missing.length > 0) {
      const handle = await this.ctx.openPinned(def.tableKey, pin);
      const scanned = await scanColumns(handle, def, ['id', ...missing]);
      const scannedIds = scanned.get('id') as string[];
      let order: number[] | null = null;
      if (ids && !sameOrder(ids, scannedIds)) order = realign(ids, scannedIds);
      if (!ids) {
        ids = scannedIds;
        cache.set(`${base}\u0000id`, ids, columnBytes(ids));
      }
      for (const p of missing) {
        let values = scanned.get(p)!;
        if (order) values = order.map((i) => values[i]);
        loaded.set(p, values);
        cache.set(`${base}\u0000${p}`, values, columnBytes(values));
      }
    }
    const columns = new Map<string, QueryValue[]>();
    for (const p of wanted) {
      const values = loaded.get(p) ?? cache.get<QueryValue[]>(`${base}\u0000${p}`);
      // Evicted between the check and now: read it again, uncached.
      columns.set(p, values ?? (await this.reload(def, pin, ids, p)));
    }
    const idIndexKey = `idx\u0000${keyOfPin(def.tablePath, pin)}`;
    let idIndex = cache.get<Map<string, number>>(idIndexKey);
    if (!idIndex) {
      idIndex = new Map();
      for (let i = 0; i < ids.length; i++) idIndex.set(ids[i], i);
      cache.set(idIndexKey, idIndex, 80 * ids.length + 64);
    }
    return new NodeTable(def, ids, columns, idIndex);
  }

  private async reload(
    def: NodeTypeDef,
    pin: TablePin,
    ids: string[],
    prop: string,
  ): Promise<QueryValue[]> {
    const handle = await this.ctx.openPinned(def.tableKey, pin);
    const scanned = await scanColumns(handle, def, ['id', prop]);
    const scannedIds = scanned.get('id') as string[];
    const values = scanned.get(prop)!;
    return sameOrder(ids, scannedIds) ? values : realign(ids, scannedIds).map((i) => values[i]);
  }

  /**
   * An edge table's rows (ids, endpoints and the named properties) at its pin, for an
   * edge-bound traversal: cached per (table version, property set); with a
   * transaction's staged edges (then not cached). `near`: the nodes the traversal
   * starts from — on the first read of an uncached version, when they are few, only
   * the edges touching them are read (Lance filters `src`/`dst`), as the node scans'
   * first reads push their predicates; the second read loads and caches the table.
   */
  async edgeTable(
    def: EdgeTypeDef,
    props: Iterable<string>,
    near?: { ids: readonly string[]; side: 'src' | 'dst' | 'both' },
  ): Promise<EdgeTable> {
    this.tablesRead.add(def.tableKey);
    const pin = this.pin(def.tableKey);
    const wanted = [...new Set(props)].filter((p) => p !== 'id' && p !== 'src' && p !== 'dst');
    const read = async (where?: string): Promise<EdgeTable> => {
      const handle = await this.ctx.openPinned(def.tableKey, pin);
      const names = ['id', 'src', 'dst', ...wanted];
      const cols = where
        ? await pushedColumns(handle, def, names, where)
        : await scanColumns(handle, def, names);
      const columns = new Map(wanted.map((p) => [p, cols.get(p)!]));
      const [ids, src, dst] = ['id', 'src', 'dst'].map((c) => cols.get(c) as string[]);
      return new EdgeTable(def, ids, src, dst, columns);
    };
    // No start node (no rows): no edge to read.
    if (near?.ids.length === 0)
      return new EdgeTable(def, [], [], [], new Map(wanted.map((p) => [p, []])));
    const overlay = this.ctx.overlay?.(def.tableKey);
    if (overlay) return overlayEdges(await read(), wanted, overlay);
    const version = keyOfPin(def.tablePath, pin);
    const key = `etab\u0000${version}\u0000${wanted.sort().join('\u0000')}`;
    const { cache } = this.ctx;
    if (near && near.ids.length <= PUSHED_EDGE_SOURCES && !cache.has(key)) {
      if (!cache.has(`seen\u0000etab\u0000${version}`)) {
        cache.set(`seen\u0000etab\u0000${version}`, true, 64);
        const sides = near.side === 'both' ? (['src', 'dst'] as const) : [near.side];
        return read(sides.map((c) => idInPredicate(near.ids, c)).join(' OR '));
      }
    }
    return cache.getOrBuild(key, async () => {
      const table = await read();
      return { value: table, bytes: table.bytes };
    });
  }

  /** The graph index of an edge table at its pin, `direction` loaded; with a transaction's staged edges (or without the repo's graph indexes) built here from the table. */
  async graphIndex(def: EdgeTypeDef, direction: Direction | 'both'): Promise<GraphIndex> {
    this.tablesRead.add(def.tableKey);
    const pin = this.pin(def.tableKey);
    const overlay = this.ctx.overlay?.(def.tableKey);
    if (!overlay && this.ctx.graphs) return this.ctx.graphs.get(def, pin, direction);
    const handle = await this.ctx.openPinned(def.tableKey, pin);
    const cols = await scanColumns(handle, def, ['id', 'src', 'dst']);
    const ids = cols.get('id') as string[];
    const src: string[] = [];
    const dst: string[] = [];
    const s = cols.get('src') as string[];
    const d = cols.get('dst') as string[];
    for (let i = 0; i < ids.length; i++) {
      if (overlay && (overlay.deletes.has(ids[i]) || overlay.isUpserted(ids[i]))) continue;
      src.push(s[i]);
      dst.push(d[i]);
    }
    for (const r of overlay?.upserts ?? []) {
      src.push(String(r.src));
      dst.push(String(r.dst));
    }
    return buildFromStrings(src, dst, def.from === def.to);
  }
}

function sameOrder(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** For each id of `target`, its position in `scanned`. */
function realign(target: string[], scanned: string[]): number[] {
  const pos = new Map<string, number>();
  scanned.forEach((id, i) => pos.set(id, i));
  return target.map((id) => {
    const i = pos.get(id);
    if (i === undefined) throw new Error(`internal: id ${id} vanished between two scans`);
    return i;
  });
}

/** Committed rows minus deleted and re-staged ids, then the staged rows. */
function overlayNodes(
  def: NodeTypeDef,
  committed: NodeTable,
  wanted: string[],
  overlay: TableOverlay,
): NodeTable {
  const ids: string[] = [];
  const columns = new Map<string, QueryValue[]>(wanted.map((p) => [p, []]));
  for (let i = 0; i < committed.size; i++) {
    const id = committed.ids[i];
    if (overlay.deletes.has(id) || overlay.isUpserted(id)) continue;
    ids.push(id);
    for (const p of wanted) columns.get(p)!.push(committed.column(p)[i]);
  }
  for (const r of overlay.upserts) {
    ids.push(String(r.id));
    for (const p of wanted) columns.get(p)!.push(toQueryValue(typeOfColumn(def, p), r[p]));
  }
  return new NodeTable(def, ids, columns);
}

/** Committed edges minus deleted and re-staged ids, then the staged edges. */
function overlayEdges(committed: EdgeTable, wanted: string[], overlay: TableOverlay): EdgeTable {
  const ids: string[] = [];
  const src: string[] = [];
  const dst: string[] = [];
  const columns = new Map<string, QueryValue[]>(wanted.map((p) => [p, []]));
  const push = (id: string, s: string, d: string, value: (p: string) => QueryValue): void => {
    ids.push(id);
    src.push(s);
    dst.push(d);
    for (const p of wanted) columns.get(p)!.push(value(p));
  };
  for (let i = 0; i < committed.size; i++) {
    const id = committed.ids[i];
    if (overlay.deletes.has(id) || overlay.isUpserted(id)) continue;
    push(id, committed.src[i], committed.dst[i], (p) => committed.column(p)[i]);
  }
  for (const r of overlay.upserts)
    push(String(r.id), String(r.src), String(r.dst), (p) =>
      toQueryValue(typeOfColumn(committed.def, p), r[p]),
    );
  return new EdgeTable(committed.def, ids, src, dst, columns);
}
