/**
 * The one way to find a type in a catalog: by table key (`node:Person`), by node name
 * (exact), or by edge name (case-insensitive, as `.pg` and `.gq` allow for edges).
 */
import type { Catalog, EdgeTypeDef, NodeTypeDef, TypeDef } from './types.js';

export function findNodeType(catalog: Catalog, nameOrKey: string): NodeTypeDef | undefined {
  return catalog.nodes.find((n) => n.name === nameOrKey || n.tableKey === nameOrKey);
}

export function findEdgeType(catalog: Catalog, nameOrKey: string): EdgeTypeDef | undefined {
  const lower = nameOrKey.toLowerCase();
  return catalog.edges.find((e) => e.name.toLowerCase() === lower || e.tableKey === nameOrKey);
}

/** A node type, else an edge type, named by `nameOrKey`; undefined when the catalog has none. */
export function findType(catalog: Catalog, nameOrKey: string): TypeDef | undefined {
  return findNodeType(catalog, nameOrKey) ?? findEdgeType(catalog, nameOrKey);
}
