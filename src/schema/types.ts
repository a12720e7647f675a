/**
 * Plain types of a compiled schema (the catalog). Produced by `compileSchema`
 * (src/schema/compile.ts); consumed by storage, write, query and the CLI.
 */

/** Scalar type names of the .pg language. */
export type ScalarName =
  'String' | 'Blob' | 'Bool' | 'I32' | 'I64' | 'U32' | 'U64' | 'F32' | 'F64' | 'Date' | 'DateTime';

export type PropType =
  | { kind: 'scalar'; name: ScalarName }
  | { kind: 'vector'; dim: number }
  | { kind: 'enum'; values: string[] } // sorted, deduplicated
  | {
      kind: 'list';
      element: { kind: 'scalar'; name: ScalarName } | { kind: 'enum'; values: string[] };
    };

/** An annotation kept verbatim as metadata (`@embed("text")`, `@description("…")`, …). */
export interface Annotation {
  name: string;
  args: Array<string | number | boolean>;
}

export interface PropertyDef {
  name: string;
  type: PropType;
  nullable: boolean;
  /** Annotations written on the property that are not constraints. */
  annotations: Annotation[];
  /** Interface the property was copied from, if any. */
  fromInterface?: string;
}

export interface RangeConstraint {
  property: string;
  min: number | null;
  max: number | null;
}
export interface CheckConstraint {
  property: string;
  pattern: string;
}

export interface Constraints {
  /** Key property names (nodes only; at most one key is allowed). */
  key: string[];
  /** Each entry is a set of property names that must be unique together. */
  unique: string[][];
  /** Properties (or sets) to index. */
  index: string[][];
  range: RangeConstraint[];
  check: CheckConstraint[];
}

export interface Cardinality {
  min: number;
  max: number | null;
}

export interface NodeTypeDef {
  kind: 'node';
  name: string;
  /** Stable id: fnv1a64 hex of `node:<name>`. */
  typeId: string;
  tableKey: `node:${string}`;
  /** Relative path inside the repo: `nodes/<fnv1a64-hex(name)>`. */
  tablePath: string;
  implements: string[];
  properties: PropertyDef[];
  constraints: Constraints;
  annotations: Annotation[];
  /** `@embed` metadata: vector property -> source property. */
  embed: Array<{ property: string; source: string }>;
}

export interface EdgeTypeDef {
  kind: 'edge';
  name: string;
  typeId: string;
  tableKey: `edge:${string}`;
  /** Relative path inside the repo: `edges/<fnv1a64-hex(name)>`. */
  tablePath: string;
  from: string;
  to: string;
  card: Cardinality;
  properties: PropertyDef[];
  constraints: Constraints;
  annotations: Annotation[];
}

export type TypeDef = NodeTypeDef | EdgeTypeDef;

export interface InterfaceDef {
  name: string;
  properties: PropertyDef[];
}

export interface Catalog {
  /** The source file name the schema came from (for error messages). */
  file: string;
  interfaces: InterfaceDef[];
  /** In declaration order. */
  nodes: NodeTypeDef[];
  edges: EdgeTypeDef[];
}

export type TableKey = `node:${string}` | `edge:${string}`;
