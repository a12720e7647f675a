/**
 * The Repo's side of graph index files (docs/indexes.md "The graph index"): writing
 * them after `index ensure` and `optimize`, listing them with the other indexes, and
 * removing the files of versions `cleanup` removed.
 */
import type { Catalog, EdgeTypeDef } from '../schema/types.js';
import type { Snapshot, TablePin } from '../journal/index.js';
import type { FragmentInfo, TableHandle, TableStore } from '../storage/index.js';
import {
  checkGraphFile,
  fragmentRef,
  sameFragments,
  GraphFiles,
  GraphIndexes,
  type FragmentRef,
  type GraphFileEntry,
  type GraphSource,
  type ReadCache,
} from '../read/index.js';
import { readDeletionVector } from '../storage/index.js';

/** One edge table's graph index file after `index ensure` / `optimize`. */
export interface GraphIndexReport {
  type: string;
  tableKey: string;
  lanceBranch: string | null;
  version: number;
  /** written: a new file for the pinned version; current: a valid one was there. */
  state: 'written' | 'current';
  ms: number;
}

/** A graph index in `index list`: the same fields as a Lance index's row. */
export interface GraphIndexListRow {
  type: string;
  tableKey: string;
  column: 'src,dst';
  kind: 'graph';
  name: string;
  /** built: the pinned version's file; stale: an older version's (reads patch it); missing; empty. */
  state: 'built' | 'stale' | 'missing' | 'empty';
  rows: number;
  indexedRows: number | null;
  unindexedRows: number | null;
  indexType: 'CSR+CSC' | null;
  builtAtVersion: number | null;
}

const pinIn = (snap: Snapshot, tableKey: string): TablePin => {
  const pin = snap.pins.find((p) => p.tableKey === tableKey);
  if (!pin) throw new Error(`internal: ${tableKey} has no pin on ${snap.branch}`);
  return pin;
};

/** Writes the file of every edge table at the snapshot's pins that lacks a valid one. */
export async function persistGraphIndexes(
  graphs: GraphIndexes,
  catalog: Catalog,
  snap: Snapshot,
): Promise<GraphIndexReport[]> {
  const out: GraphIndexReport[] = [];
  for (const def of catalog.edges) {
    const pin = pinIn(snap, def.tableKey);
    const t0 = performance.now();
    const state = await graphs.persist(def, pin);
    out.push({
      type: def.name,
      tableKey: def.tableKey,
      lanceBranch: pin.lanceBranch,
      version: pin.version,
      state,
      ms: Math.round(performance.now() - t0),
    });
  }
  return out;
}

const liveRows = (fragments: FragmentInfo[]): number =>
  fragments.reduce((n, f) => n + f.physicalRows - (f.deletion?.rows ?? 0), 0);

/** Every edge table's graph index state at a snapshot (no table is opened). */
export async function listGraphIndexes(
  graphs: GraphIndexes,
  files: GraphFiles,
  store: TableStore,
  catalog: Catalog,
  snap: Snapshot,
): Promise<GraphIndexListRow[]> {
  const out: GraphIndexListRow[] = [];
  for (const def of catalog.edges) {
    const pin = pinIn(snap, def.tableKey);
    const fragments = await store.fragmentsAt(
      def.tableKey,
      def.tablePath,
      pin.version,
      pin.lanceBranch ?? undefined,
    );
    const rows = liveRows(fragments);
    const row: GraphIndexListRow = {
      type: def.name,
      tableKey: def.tableKey,
      column: 'src,dst',
      kind: 'graph',
      name: `${def.tablePath.split('/').pop()}.graph`,
      state: rows === 0 ? 'empty' : 'missing',
      rows,
      indexedRows: null,
      unindexedRows: null,
      indexType: null,
      builtAtVersion: null,
    };
    const found = await graphs.fileState(def, pin, fragments);
    if (found && rows > 0)
      Object.assign(row, {
        state: found.version === pin.version ? 'built' : 'stale',
        indexType: 'CSR+CSC',
        builtAtVersion: found.version,
        indexedRows: found.edges,
        unindexedRows: found.version === pin.version ? 0 : null,
      });
    out.push(row);
  }
  return out;
}

/**
 * After `cleanup`: removes the main-line files of versions the table no longer has,
 * and the files of Lance branches that are gone. Returns how many were removed.
 */
export async function removeCleanedGraphFiles(
  files: GraphFiles,
  store: TableStore,
  edges: EdgeTypeDef[],
  openHead: (def: EdgeTypeDef) => Promise<TableHandle>,
): Promise<number> {
  let removed = 0;
  for (const def of edges) {
    const entries = files.list(def.tablePath);
    if (entries.length === 0) continue;
    const live = new Set((await (await openHead(def)).listVersions()).map((v) => v.version));
    const gone = new Map<string | null, number[]>();
    for (const e of entries) {
      const dead =
        e.lanceBranch === null
          ? !live.has(e.version)
          : !(await store.lanceBranchExists(def.tableKey, def.tablePath, e.lanceBranch));
      if (dead) gone.set(e.lanceBranch, [...(gone.get(e.lanceBranch) ?? []), e.version]);
    }
    for (const [line, versions] of gone) removed += files.remove(def.tablePath, line, versions);
  }
  return removed;
}

/** One graph index file as `checkGraphIndexFiles` found it. */
export interface GraphFileCheck {
  tableKey: string;
  file: string;
  lanceBranch: string | null;
  version: number;
  /** ok: whole and valid; invalid: unreadable, damaged or not what its name says (another version's, or of other fragments); orphan: its version is gone. */
  state: 'ok' | 'invalid' | 'orphan';
  problem?: string;
  /** With `remove`: the file was deleted (it is derived; reads rebuild or patch). */
  removed?: boolean;
}

/** One file's state: orphan without its version; invalid unless whole and of the version's fragments. */
async function checkOneGraphFile(
  store: TableStore,
  def: EdgeTypeDef,
  e: GraphFileEntry,
): Promise<Pick<GraphFileCheck, 'state' | 'problem'>> {
  let fragments: FragmentRef[];
  try {
    const at = await store.fragmentsAt(
      def.tableKey,
      def.tablePath,
      e.version,
      e.lanceBranch ?? undefined,
    );
    fragments = at.map(fragmentRef);
  } catch {
    return { state: 'orphan', problem: 'the table no longer has this version' };
  }
  try {
    const header = await checkGraphFile(e.file, {
      tableKey: def.tableKey,
      lanceBranch: e.lanceBranch,
      version: e.version,
    });
    // Whole, but of other rows: Lance numbers the next commit after a repair re-pinned
    // a line as the version the repair dropped. Reads skip such a file; the scrub names it.
    if (!sameFragments(header.fragments, fragments))
      return { state: 'invalid', problem: "its fragments are not the version's (a stale file)" };
    return { state: 'ok' };
  } catch (err) {
    return { state: 'invalid', problem: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Checks every graph index file whole (each section's CRC, sorted dictionaries,
 * ranges) and of the fragments of the version it names: what `doctor --deep` reports;
 * `remove` deletes the invalid and orphaned ones.
 */
export async function checkGraphIndexFiles(
  files: GraphFiles,
  store: TableStore,
  edges: EdgeTypeDef[],
  opts: { remove?: boolean } = {},
): Promise<GraphFileCheck[]> {
  const out: GraphFileCheck[] = [];
  for (const def of edges)
    for (const e of files.list(def.tablePath)) {
      const row: GraphFileCheck = {
        tableKey: def.tableKey,
        file: e.file,
        lanceBranch: e.lanceBranch,
        version: e.version,
        ...(await checkOneGraphFile(store, def, e)),
      };
      if (row.state !== 'ok' && opts.remove)
        row.removed = files.remove(def.tablePath, e.lanceBranch, [e.version]) > 0;
      out.push(row);
    }
  return out;
}

/** A Repo's graph indexes and their files, and what its commands do with them. */
export class RepoGraph {
  readonly files: GraphFiles;
  readonly indexes: GraphIndexes;

  constructor(
    dir: string,
    cache: ReadCache,
    private readonly store: TableStore,
    openPinned: GraphSource['openPinned'],
  ) {
    this.files = new GraphFiles(dir);
    this.indexes = new GraphIndexes({
      cache,
      files: this.files,
      fragmentsAt: (def, pin) =>
        store.fragmentsAt(def.tableKey, def.tablePath, pin.version, pin.lanceBranch ?? undefined),
      deletions: (fragment) => readDeletionVector(fragment.deletion!, store.readFile),
      openPinned,
    });
  }

  /** After `index ensure` / `optimize`: the files of the snapshot's edge tables. */
  persist(catalog: Catalog, snap: Snapshot): Promise<GraphIndexReport[]> {
    return persistGraphIndexes(this.indexes, catalog, snap);
  }

  /** `index list`'s graph rows. */
  list(catalog: Catalog, snap: Snapshot): Promise<GraphIndexListRow[]> {
    return listGraphIndexes(this.indexes, this.files, this.store, catalog, snap);
  }

  /** After a confirmed `cleanup`: the files of versions and lines that are gone. */
  removeCleaned(
    edges: EdgeTypeDef[],
    openHead: (def: EdgeTypeDef) => Promise<TableHandle>,
  ): Promise<number> {
    return removeCleanedGraphFiles(this.files, this.store, edges, openHead);
  }

  check(edges: EdgeTypeDef[], opts: { remove?: boolean }): Promise<GraphFileCheck[]> {
    return checkGraphIndexFiles(this.files, this.store, edges, opts);
  }
}
