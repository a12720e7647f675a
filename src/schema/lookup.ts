/**
 * The one way to find a type in a catalog: by table key (`node:Person`), by node name
 * (exact), or by edge name (case-insensitive, as `.pg` and `.gq` allow for edges).
 * Input that must name a type (a JSONL line's `type`, a `--type` option) is looked up
 * by name only (`nodeTypeNamed`, `edgeTypeNamed`). `typeIndex` answers the by-name
 * questions from maps, for callers that look up per row or per clause. Every other
 * module finds types through these functions.
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

/** The node type of exactly this name (not a table key). */
export function nodeTypeNamed(catalog: Catalog, name: string): NodeTypeDef | undefined {
  return catalog.nodes.find((n) => n.name === name);
}

/** The edge type of this name, ignoring case (not a table key). */
export function edgeTypeNamed(catalog: Catalog, name: string): EdgeTypeDef | undefined {
  const lower = name.toLowerCase();
  return catalog.edges.find((e) => e.name.toLowerCase() === lower);
}

/** A node type whose name equals `name` ignoring case: the suggestion for a misspelt one. */
export function findNodeTypeIgnoringCase(catalog: Catalog, name: string): NodeTypeDef | undefined {
  const lower = name.toLowerCase();
  return catalog.nodes.find((n) => n.name.toLowerCase() === lower);
}

/** `nodeTypeNamed` and `edgeTypeNamed` over maps built once (a compiled catalog does not change). */
export interface TypeIndex {
  readonly catalog: Catalog;
  nodeNamed(name: string): NodeTypeDef | undefined;
  edgeNamed(name: string): EdgeTypeDef | undefined;
}

export function typeIndex(catalog: Catalog): TypeIndex {
  // First declaration wins, as `find` in declaration order does.
  const nodes = new Map<string, NodeTypeDef>();
  for (const n of catalog.nodes) if (!nodes.has(n.name)) nodes.set(n.name, n);
  const edges = new Map<string, EdgeTypeDef>();
  for (const e of catalog.edges)
    if (!edges.has(e.name.toLowerCase())) edges.set(e.name.toLowerCase(), e);
  return {
    catalog,
    nodeNamed: (name) => nodes.get(name),
    edgeNamed: (name) => edges.get(name.toLowerCase()),
  };
}
