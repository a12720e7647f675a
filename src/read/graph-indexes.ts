/**
 * Where a query's graph index comes from, cheapest first:
 *
 * 1. the read cache (this process built or loaded it before);
 * 2. the version's own file (`<table>.graph/<line>@<version>.lgi`), checked against the
 *    version's fragments;
 * 3. a patch (graph-delta.ts) of an older version's index of the same line — one this
 *    process holds, else one from a file — by what the version changed since;
 * 4. a build from the table's `src`/`dst` columns (graph-build.ts).
 *
 * Reads never write files: `persist` (called by `index ensure` and `optimize`) writes
 * the pinned version's file, folding a patch into a new base first. Each step that
 * meets something unusable (a missing, stale, partial or corrupt file, a version
 * that is not a patch of the base) falls through to the next one, so an answer
 * never depends on a file being right.
 */
import type { EdgeTypeDef } from '../schema/types.js';
import type { TablePin } from '../journal/index.js';
import type { FragmentInfo, TableHandle } from '../storage/index.js';
import type { ReadCache } from './cache.js';
import { buildFromRaw, materialize } from './graph-build.js';
import { fragmentRef, patch, sameFragments, type DeltaSource } from './graph-delta.js';
import {
  checkGraphFile,
  GraphFileInvalid,
  openGraphFile,
  type GraphFileIdentity,
} from './graph-file.js';
import { GraphIndex, type Direction, type FragmentRef } from './graph-index.js';
import type { GraphFiles } from './graph-store.js';

/** What finding an index needs of the repo. */
export interface GraphSource {
  cache: ReadCache;
  /** Null: no files are read or written (tests of the in-memory paths). */
  files: GraphFiles | null;
  fragmentsAt(def: EdgeTypeDef, pin: TablePin): Promise<FragmentInfo[]>;
  deletions(fragment: FragmentInfo): Promise<Uint32Array>;
  openPinned(tableKey: string, pin: TablePin): Promise<TableHandle>;
}

/** How the last index of each kind was obtained (tests, the bench's profile). */
export type GraphOrigin = 'file' | 'patched-file' | 'patched-memory' | 'built';

/** Versions per line this process holds an index of, newest last (patch bases). */
const RECENT_PER_LINE = 8;

export const graphCacheKey = (def: EdgeTypeDef, pin: TablePin): string =>
  `gi\u0000${def.tablePath}\u0000${pin.lanceBranch ?? ''}\u0000${pin.version}`;

const lineKey = (def: EdgeTypeDef, lanceBranch: string | null): string =>
  `${def.tablePath}\u0000${lanceBranch ?? ''}`;

export class GraphIndexes {
  private readonly recent = new Map<string, number[]>();
  private readonly pendingOrigin = new WeakMap<GraphIndex, GraphOrigin>();
  /** Counts per origin, and the reasons files were passed over (tests, doctor, bench). */
  readonly origins = new Map<GraphOrigin, number>();
  readonly skippedFiles: string[] = [];

  constructor(private readonly src: GraphSource) {}

  get files(): GraphFiles | null {
    return this.src.files;
  }

  /**
   * The file reads of the version would use: its own (valid for exactly its fragments),
   * else the nearest valid older one of its line (patched); null when there is none.
   */
  async fileState(
    def: EdgeTypeDef,
    pin: TablePin,
    fragments: FragmentInfo[],
  ): Promise<{ version: number; edges: number } | null> {
    const files = this.src.files;
    if (!files) return null;
    const exact = await this.fromFile(
      def,
      files.file(def.tablePath, pin.lanceBranch, pin.version),
      pin,
    );
    if (exact && sameFragments(exact.base.fragments, fragments.map(fragmentRef)))
      return { version: pin.version, edges: exact.base.edgeCount };
    for (const entry of files.bases(def.tablePath, pin.lanceBranch, pin.version).slice(0, 3)) {
      const base = await this.fromFile(def, entry.file, entry);
      if (base) return { version: entry.version, edges: base.base.edgeCount };
    }
    return null;
  }

  /**
   * The index of the edge table at `pin`, its `direction` loaded. A file found
   * unusable only when a section is read (a damaged or replaced file) is dropped and
   * the index obtained again without files.
   */
  async get(def: EdgeTypeDef, pin: TablePin, direction: Direction | 'both'): Promise<GraphIndex> {
    const key = graphCacheKey(def, pin);
    const index = await this.cached(key, () => this.resolve(def, pin, true));
    let ready: GraphIndex;
    try {
      ready = await this.prepared(key, index, direction);
    } catch (err) {
      if (!(err instanceof GraphFileInvalid)) throw err;
      this.skippedFiles.push(err.message);
      this.pendingOrigin.delete(index);
      this.src.cache.delete(key);
      const again = await this.cached(key, () => this.resolve(def, pin, false));
      ready = await this.prepared(key, again, direction);
    }
    this.served(def, pin, ready);
    return ready;
  }

  private cached(key: string, make: () => Promise<GraphIndex>): Promise<GraphIndex> {
    return this.src.cache.getOrBuild(key, async () => {
      const value = await make();
      return { value, bytes: value.bytes };
    });
  }

  /** Loads `direction`, then re-counts the entry's bytes (the LRU bound covers loaded arrays). */
  private async prepared(
    key: string,
    index: GraphIndex,
    direction: Direction | 'both',
  ): Promise<GraphIndex> {
    const before = index.bytes;
    await index.prepare(direction);
    if (index.bytes !== before && this.src.cache.get(key) === index)
      this.src.cache.set(key, index, index.bytes);
    return index;
  }

  /** Where an index came from, counted once it served a query (a damaged file may fail later). */
  private note(index: GraphIndex, origin: GraphOrigin): GraphIndex {
    this.pendingOrigin.set(index, origin);
    return index;
  }

  private served(def: EdgeTypeDef, pin: TablePin, index: GraphIndex): void {
    const origin = this.pendingOrigin.get(index);
    if (origin === undefined) return;
    this.pendingOrigin.delete(index);
    this.origins.set(origin, (this.origins.get(origin) ?? 0) + 1);
    this.remember(def, pin);
  }

  /** The line's versions this process holds, newest last: bases for later versions' patches. */
  private remember(def: EdgeTypeDef, pin: TablePin): void {
    const line = lineKey(def, pin.lanceBranch);
    const list = (this.recent.get(line) ?? []).filter((v) => v !== pin.version);
    list.push(pin.version);
    this.recent.set(line, list.slice(-RECENT_PER_LINE));
  }

  private async resolve(def: EdgeTypeDef, pin: TablePin, useFiles: boolean): Promise<GraphIndex> {
    const fragments = await this.src.fragmentsAt(def, pin);
    const refs = fragments.map(fragmentRef);
    const files = useFiles ? this.src.files : null;
    if (files) {
      const exact = await this.fromFile(
        def,
        files.file(def.tablePath, pin.lanceBranch, pin.version),
        pin,
      );
      if (exact && sameFragments(exact.base.fragments, refs)) {
        return this.note(exact, 'file');
      }
      if (exact)
        this.skippedFiles.push(
          `${def.tableKey}@${pin.version}: its fragments are not the version's`,
        );
    }
    const patched = await this.patchFromBases(def, pin, fragments, files);
    if (patched) return patched;
    return this.note(await this.build(def, pin, refs), 'built');
  }

  private async fromFile(
    def: EdgeTypeDef,
    file: string,
    pin: { lanceBranch: string | null; version: number },
  ): Promise<GraphIndex | null> {
    try {
      const base = await openGraphFile(file, {
        tableKey: def.tableKey,
        lanceBranch: pin.lanceBranch,
        version: pin.version,
      });
      return new GraphIndex(base, base.fragments);
    } catch (err) {
      if (!(err instanceof GraphFileInvalid && err.reason === 'missing'))
        this.skippedFiles.push(err instanceof Error ? err.message : String(err));
      return null;
    }
  }

  /** Older indexes of the line this process holds (their bases), newest first. */
  private memoryBases(def: EdgeTypeDef, pin: TablePin): GraphIndex[] {
    const out: GraphIndex[] = [];
    for (const line of new Set([pin.lanceBranch, null])) {
      const versions = this.recent.get(lineKey(def, line)) ?? [];
      for (const v of [...versions].reverse()) {
        if (line === pin.lanceBranch && v >= pin.version) continue;
        const held = this.src.cache.get<GraphIndex>(
          graphCacheKey(def, { ...pin, lanceBranch: line, version: v }),
        );
        if (held && held.base.fragments.length > 0)
          out.push(new GraphIndex(held.base, held.base.fragments));
      }
    }
    return out;
  }

  private async patchFromBases(
    def: EdgeTypeDef,
    pin: TablePin,
    fragments: FragmentInfo[],
    files: GraphFiles | null,
  ): Promise<GraphIndex | null> {
    const source = this.deltaSource(def, pin);
    const tryPatch = async (base: GraphIndex): Promise<GraphIndex | null> => {
      try {
        return await patch(base, fragments, source, Math.max(4096, base.base.edgeCount / 4));
      } catch (err) {
        this.skippedFiles.push(
          `patch of ${def.tableKey}@${pin.version}: ${err instanceof Error ? err.message : String(err)}`,
        );
        return null;
      }
    };
    for (const base of this.memoryBases(def, pin)) {
      const p = await tryPatch(base);
      if (p) return this.note(p, 'patched-memory');
    }
    if (!files) return null;
    // Only the nearest few files: each costs a header and, for removals, the base's rows.
    for (const entry of files.bases(def.tablePath, pin.lanceBranch, pin.version).slice(0, 3)) {
      const base = await this.fromFile(def, entry.file, entry);
      const p = base && (await tryPatch(base));
      if (p) return this.note(p, 'patched-file');
    }
    return null;
  }

  private deltaSource(def: EdgeTypeDef, pin: TablePin): DeltaSource {
    return {
      rowsAfter: async (fragmentId) =>
        (await this.src.openPinned(def.tableKey, pin)).scanRaw({
          columns: ['src', 'dst'],
          withRowAddr: true,
          where: `_rowaddr >= ${(BigInt(fragmentId) + 1n) << 32n}`,
        }),
      deletions: (f) => this.src.deletions(f),
    };
  }

  private async build(
    def: EdgeTypeDef,
    pin: TablePin,
    refs: ReturnType<typeof fragmentRef>[],
  ): Promise<GraphIndex> {
    const handle = await this.src.openPinned(def.tableKey, pin);
    const scan = await handle.scanRaw({ columns: ['src', 'dst'], withRowAddr: true });
    return buildFromRaw(
      scan.columns.get('src')!,
      scan.columns.get('dst')!,
      scan.rowAddrs!,
      refs,
      def.from === def.to,
    );
  }

  /** Is the file whole, valid and of exactly these fragments? */
  private async isCurrent(
    file: string,
    identity: GraphFileIdentity,
    fragments: FragmentRef[],
  ): Promise<boolean> {
    try {
      return sameFragments((await checkGraphFile(file, identity)).fragments, fragments);
    } catch (err) {
      if (!(err instanceof GraphFileInvalid)) throw err;
      if (err.reason !== 'missing') this.skippedFiles.push(err.message);
      return false;
    }
  }

  /**
   * Writes the file of the edge table at `pin` unless a valid one is there; returns
   * what was done. The index written is a base: a patched one is folded first.
   */
  async persist(def: EdgeTypeDef, pin: TablePin): Promise<'current' | 'written'> {
    const files = this.src.files;
    if (!files) return 'current';
    const fragments = (await this.src.fragmentsAt(def, pin)).map(fragmentRef);
    const file = files.file(def.tablePath, pin.lanceBranch, pin.version);
    const identity = { tableKey: def.tableKey, lanceBranch: pin.lanceBranch, version: pin.version };
    if (await this.isCurrent(file, identity, fragments)) return 'current';
    let index: GraphIndex;
    try {
      index = await this.get(def, pin, 'out');
      if (index.base.fragments.length === 0 && fragments.length > 0)
        index = await this.build(def, pin, fragments);
      else if (index.delta || !sameFragments(index.base.fragments, fragments))
        index = materialize(index, await index.versionRows!());
      await files.write(def.tablePath, identity, index);
    } catch (err) {
      // The index came from a file found damaged while it was copied: build it afresh.
      if (!(err instanceof GraphFileInvalid)) throw err;
      this.skippedFiles.push(err.message);
      index = await this.build(def, pin, fragments);
      await files.write(def.tablePath, identity, index);
    }
    this.src.cache.set(graphCacheKey(def, pin), index, index.bytes);
    this.remember(def, pin);
    return 'written';
  }
}
