/**
 * The graph index of one edge table at one version: dense integer ids for the
 * endpoint nodes (sorted dictionaries, id-dictionary.ts) and CSR (out: src → dst) /
 * CSC (in: dst → src) adjacency in typed arrays. An edge between one node type
 * (From == To) shares one id space for both ends, so multi-hop traversal stays in
 * it; a cross-type edge has one space per end.
 *
 * An index is a **base** — a whole version's adjacency, built from the edge table's
 * `src`/`dst` columns (graph-build.ts) or loaded from its file (graph-file.ts) — plus,
 * for a later version, a **delta**: the edges that version added and removed
 * (graph-delta.ts), laid over the base without copying it. The base's arrays may load
 * lazily, one direction at a time: `prepare(direction)` before walking it.
 */
import type { IdDictionary } from './id-dictionary.js';

export type Direction = 'out' | 'in';

export interface Adjacency {
  /** Node d's neighbours are targets[offsets[d], offsets[d + 1]), in edge order. */
  offsets: Uint32Array;
  targets: Uint32Array;
}

/** A row offset deleted in a version (or never an edge): its slot in `EdgeRows`. */
export const NO_EDGE = 0xffffffff;

/** A fragment as a base version had it: what later versions are compared with. */
export interface FragmentRef {
  id: number;
  dataFiles: string[];
  physicalRows: number;
  /** The deletion file's name, null when the fragment had none. */
  deletion: string | null;
}

/**
 * Each edge row of a base version by its Lance row address: fragment i's row r is
 * slot `start[i] + r` (fragments in `GraphBase.fragments` order); src/dst hold its
 * dense ends, NO_EDGE for rows the version had deleted.
 */
export interface EdgeRows {
  start: Uint32Array;
  src: Uint32Array;
  dst: Uint32Array;
}

/** Loads a base's arrays on demand (a file), or hands back what a build made. */
export interface BaseSource {
  adjacency(direction: Direction): Promise<Adjacency>;
  rows(): Promise<EdgeRows>;
}

/** A whole version's index: dictionaries now, adjacency and edge rows when asked. */
export class GraphBase {
  private readonly loaded: { out?: Adjacency; in?: Adjacency; rows?: EdgeRows } = {};

  constructor(
    readonly src: IdDictionary,
    readonly dst: IdDictionary,
    readonly edgeCount: number,
    readonly fragments: FragmentRef[],
    private readonly source: BaseSource,
    preloaded: { out?: Adjacency; in?: Adjacency; rows?: EdgeRows } = {},
  ) {
    Object.assign(this.loaded, preloaded);
  }

  get shared(): boolean {
    return this.src === this.dst;
  }

  async adjacency(direction: Direction): Promise<Adjacency> {
    return (this.loaded[direction] ??= await this.source.adjacency(direction));
  }

  /** The adjacency of a direction already loaded (`prepare` first). */
  loadedAdjacency(direction: Direction): Adjacency {
    const a = this.loaded[direction];
    if (!a) throw new Error(`internal: the ${direction} adjacency of a graph index is not loaded`);
    return a;
  }

  async rows(): Promise<EdgeRows> {
    return (this.loaded.rows ??= await this.source.rows());
  }

  /** Bytes held now: dictionaries (and their decoded strings, counted up front) and loaded arrays. */
  get bytes(): number {
    const dict = (d: IdDictionary): number => 3 * d.byteLength + 64 * d.size;
    let n = dict(this.src) + (this.shared ? 0 : dict(this.dst));
    for (const a of [this.loaded.out, this.loaded.in])
      if (a) n += a.offsets.byteLength + a.targets.byteLength;
    const r = this.loaded.rows;
    if (r) n += r.start.byteLength + r.src.byteLength + r.dst.byteLength;
    return n;
  }
}

/** One id space: a base dictionary plus ids a delta added (dense ids after the base's). */
export class IdSpace {
  private readonly extraDense = new Map<string, number>();
  private all: string[] | undefined;

  constructor(
    readonly dict: IdDictionary,
    readonly extra: readonly string[] = [],
  ) {
    extra.forEach((id, i) => this.extraDense.set(id, dict.size + i));
  }

  get size(): number {
    return this.dict.size + this.extra.length;
  }

  find(id: string): number | undefined {
    const d = this.dict.find(id);
    return d >= 0 ? d : this.extraDense.get(id);
  }

  id(d: number): string {
    return d < this.dict.size ? this.dict.id(d) : this.extra[d - this.dict.size];
  }

  ids(): readonly string[] {
    if (this.extra.length === 0) return this.dict.all();
    return (this.all ??= [...this.dict.all(), ...this.extra]);
  }
}

/** What a later version changed, in the base's dense ids (extended by new ids). */
export interface GraphDelta {
  srcSpace: IdSpace;
  dstSpace: IdSpace;
  added: { out: Map<number, number[]>; in: Map<number, number[]> };
  /** Per node, the neighbours removed and how many parallel edges to each. */
  removed: { out: Map<number, Map<number, number>>; in: Map<number, Map<number, number>> };
  addedCount: number;
  removedCount: number;
  /** Rough bytes of the maps above. */
  bytes: number;
}

/** A version's edge rows (its fragments in order), in the dense ids of an index with its delta. */
export interface VersionRows {
  fragments: FragmentRef[];
  start: Uint32Array;
  src: Uint32Array;
  dst: Uint32Array;
}

export class GraphIndex {
  /** For a patched index: the version's edge rows, to fold the delta into a new base. */
  versionRows?: () => Promise<VersionRows>;
  readonly srcSpace: IdSpace;
  readonly dstSpace: IdSpace;
  /** BFS marks per id space, stamped per source (no clearing between sources). */
  private readonly marks = new Map<IdSpace, { stamps: Uint32Array; stamp: number }>();

  constructor(
    readonly base: GraphBase,
    /** The version's fragments (the base's when there is no delta). */
    readonly fragments: FragmentRef[],
    readonly delta: GraphDelta | null = null,
  ) {
    if (delta) {
      this.srcSpace = delta.srcSpace;
      this.dstSpace = delta.dstSpace;
    } else {
      this.srcSpace = new IdSpace(base.src);
      this.dstSpace = base.shared ? this.srcSpace : new IdSpace(base.dst);
    }
  }

  get edgeCount(): number {
    return this.base.edgeCount + (this.delta ? this.delta.addedCount - this.delta.removedCount : 0);
  }

  get bytes(): number {
    return this.base.bytes + (this.delta?.bytes ?? 0) + 256;
  }

  /** Loads what walking `direction` needs ('both': an undirected walk, both arrays). */
  async prepare(direction: Direction | 'both'): Promise<void> {
    if (direction !== 'in') await this.base.adjacency('out');
    if (direction !== 'out') await this.base.adjacency('in');
  }

  /** Distinct endpoint ids on one side (`out` starts from src ids, `in` from dst ids). */
  nodeCount(side: 'src' | 'dst'): number {
    return (side === 'src' ? this.srcSpace : this.dstSpace).size;
  }

  private spaces(direction: Direction): { start: IdSpace; end: IdSpace } {
    return direction === 'out'
      ? { start: this.srcSpace, end: this.dstSpace }
      : { start: this.dstSpace, end: this.srcSpace };
  }

  /** Calls `visit` for each neighbour of dense node `u` (parallel edges repeat), in edge order. */
  private forEachNeighbor(direction: Direction, u: number, visit: (t: number) => void): void {
    const adj = this.base.loadedAdjacency(direction);
    const delta = this.delta;
    const baseSize = adj.offsets.length - 1;
    if (u < baseSize) {
      const removed = delta?.removed[direction].get(u);
      const left = removed ? new Map(removed) : null;
      for (let k = adj.offsets[u]; k < adj.offsets[u + 1]; k++) {
        const t = adj.targets[k];
        if (left) {
          const n = left.get(t);
          if (n) {
            left.set(t, n - 1);
            continue;
          }
        }
        visit(t);
      }
    }
    const added = delta?.added[direction].get(u);
    if (added) for (const t of added) visit(t);
  }

  /** Neighbour ids one hop from `id` (parallel edges repeat), in edge order. */
  neighbors(id: string, direction: Direction): string[] {
    const { start, end } = this.spaces(direction);
    const d = start.find(id);
    if (d === undefined) return [];
    const out: string[] = [];
    this.forEachNeighbor(direction, d, (t) => out.push(end.id(t)));
    return out;
  }

  private mark(space: IdSpace): { stamps: Uint32Array; stamp: number } {
    let m = this.marks.get(space);
    if (!m || m.stamps.length < space.size) {
      m = { stamps: new Uint32Array(space.size), stamp: 0 };
      this.marks.set(space, m);
    }
    if (++m.stamp === 0xffffffff) {
      m.stamps.fill(0);
      m.stamp = 1;
    }
    return m;
  }

  /**
   * Breadth-first from `id`: every node whose shortest distance lies in
   * [minHops, maxHops] (null = unbounded), each once, nearer hops first. Over an
   * edge between one node type the source is at distance 0, so never its own
   * destination.
   */
  reach(id: string, direction: Direction, minHops: number, maxHops: number | null): string[] {
    const { end } = this.spaces(direction);
    return this.reachDense(id, direction, minHops, maxHops).map((d) => end.id(d));
  }

  /** The ids of the end space of `direction`, by dense id (what `reachDense` returns). */
  endIds(direction: Direction): readonly string[] {
    return this.spaces(direction).end.ids();
  }

  /** The id of dense id `d` of the end space of `direction`. */
  endId(direction: Direction, d: number): string {
    return this.spaces(direction).end.id(d);
  }

  /** The dense id of `id` in the end space of `direction`, if it is an endpoint there. */
  endDense(id: string, direction: Direction): number | undefined {
    return this.spaces(direction).end.find(id);
  }

  /**
   * Breadth-first from `id` along the edge in either direction (an edge from a type to
   * itself: one id space; `prepare('both')` first): the dense ids whose shortest
   * distance lies in [minHops, maxHops], each once, nearer first — a pair linked both
   * ways counts once. The source is at distance 0, never a destination.
   */
  reachUndirected(id: string, minHops: number, maxHops: number | null): number[] {
    const s = this.srcSpace.find(id);
    if (s === undefined) return [];
    const { stamps, stamp } = this.mark(this.srcSpace);
    stamps[s] = stamp;
    const found: number[] = [];
    let frontier = [s];
    for (let hop = 1; hop <= (maxHops ?? Infinity) && frontier.length > 0; hop++) {
      const next: number[] = [];
      const visit = (nb: number): void => {
        if (stamps[nb] === stamp) return;
        stamps[nb] = stamp;
        next.push(nb);
        if (hop >= minHops) found.push(nb);
      };
      for (const node of frontier) {
        this.forEachNeighbor('out', node, visit);
        this.forEachNeighbor('in', node, visit);
      }
      frontier = next;
    }
    return found;
  }

  /** `reach` as dense ids of the end space (no strings made). */
  reachDense(id: string, direction: Direction, minHops: number, maxHops: number | null): number[] {
    const { start, end } = this.spaces(direction);
    const s = start.find(id);
    if (s === undefined) return [];
    const shared = start === end;
    const max = shared ? (maxHops ?? Infinity) : Math.min(maxHops ?? 1, 1);
    const { stamps, stamp } = this.mark(end);
    if (shared) stamps[s] = stamp;
    const found: number[] = [];
    let frontier = [s];
    for (let hop = 1; hop <= max && frontier.length > 0; hop++) {
      const next: number[] = [];
      const visit = (nb: number): void => {
        if (stamps[nb] === stamp) return;
        stamps[nb] = stamp;
        next.push(nb);
        if (hop >= minHops) found.push(nb);
      };
      if (this.delta) for (const node of frontier) this.forEachNeighbor(direction, node, visit);
      else {
        // The common case, without a delta: the loop inlined over the typed arrays.
        const adj = this.base.loadedAdjacency(direction);
        for (const node of frontier)
          for (let k = adj.offsets[node]; k < adj.offsets[node + 1]; k++) visit(adj.targets[k]);
      }
      if (!shared) break;
      frontier = next;
    }
    return found;
  }
}
