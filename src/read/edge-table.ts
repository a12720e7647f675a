/**
 * Edge rows at one version, for an edge-bound traversal (`$a $w:edge $b`): the
 * edges' internal ids, endpoints and the properties the query uses, in one row
 * order, with each node's edges by source and by destination (built on first use).
 * The graph index (graph-index.ts) holds topology only; a bound edge needs its row.
 */
import type { EdgeTypeDef } from '../schema/types.js';
import type { QueryValue } from '../query/types.js';
import { valueBytes } from './values.js';

export class EdgeTable {
  private bySrc: Map<string, number[]> | undefined;
  private byDst: Map<string, number[]> | undefined;

  constructor(
    readonly def: EdgeTypeDef,
    /** The edges' internal ids (the order's last tie-break: docs/query-language.md). */
    readonly ids: string[],
    readonly src: string[],
    readonly dst: string[],
    private readonly columns: Map<string, QueryValue[]>,
  ) {}

  get size(): number {
    return this.ids.length;
  }

  column(name: string): QueryValue[] {
    const c = this.columns.get(name);
    if (!c) throw new Error(`internal: column ${this.def.name}.${name} was not loaded`);
    return c;
  }

  /** The edge as `{ id, src, dst, ...properties }` (loaded properties only). */
  object(pos: number): Record<string, QueryValue> {
    const o: Record<string, QueryValue> = {
      id: this.ids[pos],
      src: this.src[pos],
      dst: this.dst[pos],
    };
    for (const [name, values] of this.columns) o[name] = values[pos];
    return o;
  }

  /** The positions of the edges leaving node `id`, in row order. */
  from(id: string): readonly number[] {
    this.bySrc ??= groupBy(this.src);
    return this.bySrc.get(id) ?? [];
  }

  /** The positions of the edges arriving at node `id`, in row order. */
  to(id: string): readonly number[] {
    this.byDst ??= groupBy(this.dst);
    return this.byDst.get(id) ?? [];
  }

  /** Approximate bytes held (the read cache's size accounting). */
  get bytes(): number {
    let n = 256;
    for (let i = 0; i < this.ids.length; i++)
      n += 2 * (this.ids[i].length + this.src[i].length + this.dst[i].length) + 200;
    for (const values of this.columns.values()) for (const v of values) n += valueBytes(v);
    return n;
  }
}

function groupBy(ends: string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (let e = 0; e < ends.length; e++) {
    const list = out.get(ends[e]);
    if (list) list.push(e);
    else out.set(ends[e], [e]);
  }
  return out;
}
