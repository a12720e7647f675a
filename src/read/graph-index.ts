/**
 * The graph index of one edge table at one version: dense integer ids for the
 * endpoint nodes and CSR (out: src → dst) / CSC (in: dst → src) adjacency in typed
 * arrays. Built from the edge table's `src`/`dst` columns only. An edge between
 * one node type (From == To) shares one id space for both ends, so multi-hop
 * traversal stays in it; a cross-type edge has one space per end.
 */

export type Direction = 'out' | 'in';

interface IdSpace {
  ids: string[];
  dense: Map<string, number>;
}

function idSpace(): IdSpace {
  return { ids: [], dense: new Map() };
}

function denseOf(space: IdSpace, id: string): number {
  let d = space.dense.get(id);
  if (d === undefined) {
    d = space.ids.length;
    space.ids.push(id);
    space.dense.set(id, d);
  }
  return d;
}

/** Counting sort of edges by one end: offsets (n+1) and the other ends, in edge order. */
function adjacency(
  from: Uint32Array,
  to: Uint32Array,
  n: number,
): { offsets: Uint32Array; targets: Uint32Array } {
  const offsets = new Uint32Array(n + 1);
  for (let e = 0; e < from.length; e++) offsets[from[e] + 1]++;
  for (let i = 0; i < n; i++) offsets[i + 1] += offsets[i];
  const fill = offsets.slice(0, n);
  const targets = new Uint32Array(from.length);
  for (let e = 0; e < from.length; e++) targets[fill[from[e]]++] = to[e];
  return { offsets, targets };
}

export class GraphIndex {
  private readonly srcSpace: IdSpace;
  private readonly dstSpace: IdSpace;
  readonly out: { offsets: Uint32Array; targets: Uint32Array };
  readonly in: { offsets: Uint32Array; targets: Uint32Array };
  /** BFS marks per id space, stamped per source (no clearing between sources). */
  private readonly marks = new Map<IdSpace, { stamps: Uint32Array; stamp: number }>();
  readonly edgeCount: number;
  readonly bytes: number;

  private constructor(src: string[], dst: string[], sharedSpace: boolean) {
    const srcSpace = idSpace();
    const dstSpace = sharedSpace ? srcSpace : idSpace();
    const s = new Uint32Array(src.length);
    const d = new Uint32Array(dst.length);
    for (let e = 0; e < src.length; e++) {
      s[e] = denseOf(srcSpace, src[e]);
      d[e] = denseOf(dstSpace, dst[e]);
    }
    const built = GraphIndex.fromDense(srcSpace, dstSpace, s, d);
    this.srcSpace = srcSpace;
    this.dstSpace = dstSpace;
    this.out = built.out as GraphIndex['out'];
    this.in = built.in as GraphIndex['in'];
    this.edgeCount = built.edgeCount;
    this.bytes = built.bytes;
  }

  /**
   * This index plus the edges `src[i] → dst[i]`: what a pure-insert write makes of
   * the next version. New ids join the id spaces; no existing edge is re-read.
   * The original is unchanged (other branches may pin its version).
   */
  withEdges(src: readonly string[], dst: readonly string[]): GraphIndex {
    const shared = this.srcSpace === this.dstSpace;
    const next = Object.create(GraphIndex.prototype) as GraphIndex;
    const copy = (space: IdSpace): IdSpace => ({
      ids: [...space.ids],
      dense: new Map(space.dense),
    });
    const srcSpace = copy(this.srcSpace);
    const dstSpace = shared ? srcSpace : copy(this.dstSpace);
    const total = this.edgeCount + src.length;
    const s = new Uint32Array(total);
    const d = new Uint32Array(total);
    let e = 0;
    for (let node = 0; node < this.srcSpace.ids.length; node++)
      for (let k = this.out.offsets[node]; k < this.out.offsets[node + 1]; k++) {
        s[e] = node;
        d[e++] = this.out.targets[k];
      }
    for (let i = 0; i < src.length; i++) {
      s[e] = denseOf(srcSpace, src[i]);
      d[e++] = denseOf(dstSpace, dst[i]);
    }
    Object.assign(next, GraphIndex.fromDense(srcSpace, dstSpace, s, d));
    return next;
  }

  private static fromDense(
    srcSpace: IdSpace,
    dstSpace: IdSpace,
    s: Uint32Array,
    d: Uint32Array,
  ): Pick<GraphIndex, 'edgeCount' | 'bytes'> & Record<string, unknown> {
    const out = adjacency(s, d, srcSpace.ids.length);
    const inn = adjacency(d, s, dstSpace.ids.length);
    let idBytes = 0;
    for (const id of srcSpace.ids) idBytes += 2 * id.length + 120;
    if (dstSpace !== srcSpace) for (const id of dstSpace.ids) idBytes += 2 * id.length + 120;
    return {
      srcSpace,
      dstSpace,
      out,
      in: inn,
      marks: new Map(),
      edgeCount: s.length,
      bytes:
        idBytes +
        out.offsets.byteLength +
        out.targets.byteLength +
        inn.offsets.byteLength +
        inn.targets.byteLength,
    };
  }

  /** Builds the index of edges `src[i] → dst[i]` (endpoint ids). */
  static build(src: string[], dst: string[], sharedSpace: boolean): GraphIndex {
    return new GraphIndex(src, dst, sharedSpace);
  }

  /** Distinct endpoint ids on one side (`out` starts from src ids, `in` from dst ids). */
  nodeCount(side: 'src' | 'dst'): number {
    return (side === 'src' ? this.srcSpace : this.dstSpace).ids.length;
  }

  private spaces(direction: Direction): { start: IdSpace; end: IdSpace } {
    return direction === 'out'
      ? { start: this.srcSpace, end: this.dstSpace }
      : { start: this.dstSpace, end: this.srcSpace };
  }

  /** Neighbour ids one hop from `id` (parallel edges repeat), in edge order. */
  neighbors(id: string, direction: Direction): string[] {
    const { start, end } = this.spaces(direction);
    const d = start.dense.get(id);
    if (d === undefined) return [];
    const adj = direction === 'out' ? this.out : this.in;
    const out: string[] = [];
    for (let k = adj.offsets[d]; k < adj.offsets[d + 1]; k++) out.push(end.ids[adj.targets[k]]);
    return out;
  }

  private mark(space: IdSpace): { stamps: Uint32Array; stamp: number } {
    let m = this.marks.get(space);
    if (!m || m.stamps.length < space.ids.length) {
      m = { stamps: new Uint32Array(space.ids.length), stamp: 0 };
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
    return this.reachDense(id, direction, minHops, maxHops).map((d) => end.ids[d]);
  }

  /** The ids of the end space of `direction`, by dense id (what `reachDense` returns). */
  endIds(direction: Direction): readonly string[] {
    return this.spaces(direction).end.ids;
  }

  /** The dense id of `id` in the end space of `direction`, if it is an endpoint there. */
  endDense(id: string, direction: Direction): number | undefined {
    return this.spaces(direction).end.dense.get(id);
  }

  /** `reach` as dense ids of the end space (no strings made). */
  reachDense(id: string, direction: Direction, minHops: number, maxHops: number | null): number[] {
    const { start, end } = this.spaces(direction);
    const s = start.dense.get(id);
    if (s === undefined) return [];
    const adj = direction === 'out' ? this.out : this.in;
    const shared = start === end;
    const max = shared ? (maxHops ?? Infinity) : Math.min(maxHops ?? 1, 1);
    const m = this.mark(end);
    const { stamps, stamp } = m;
    if (shared) stamps[s] = stamp;
    const found: number[] = [];
    let frontier = [s];
    for (let hop = 1; hop <= max && frontier.length > 0; hop++) {
      const next: number[] = [];
      for (const node of frontier) {
        const to = adj.offsets[node + 1];
        for (let k = adj.offsets[node]; k < to; k++) {
          const nb = adj.targets[k];
          if (stamps[nb] === stamp) continue;
          stamps[nb] = stamp;
          next.push(nb);
          if (hop >= minHops) found.push(nb);
        }
      }
      if (!shared) break;
      frontier = next;
    }
    return found;
  }
}
