/** Syntax tree of a `.pg` file, before any semantic check. Positions are 1-based. */

export interface Pos {
  line: number;
  column: number;
}

export type AnnotationArg =
  | { kind: 'ident'; value: string; pos: Pos }
  | { kind: 'string'; value: string; pos: Pos }
  | { kind: 'number'; value: number; text: string; pos: Pos }
  | { kind: 'range'; min: number | null; max: number | null; maxStar: boolean; pos: Pos };

export interface AnnotationNode {
  name: string;
  args: AnnotationArg[];
  hasParens: boolean;
  pos: Pos;
}

export type TypeNode =
  | { kind: 'named'; name: string; pos: Pos }
  | { kind: 'vector'; dim: number; dimText: string; pos: Pos }
  | { kind: 'list'; element: TypeNode; pos: Pos }
  | { kind: 'enum'; values: Array<{ value: string; pos: Pos }>; pos: Pos };

export interface PropertyNode {
  kind: 'property';
  name: string;
  type: TypeNode;
  nullable: boolean;
  annotations: AnnotationNode[];
  pos: Pos;
}

/** A body line such as `@unique(a, b)` or `@range(age, 0..150)`. */
export interface ConstraintLineNode {
  kind: 'constraint';
  annotation: AnnotationNode;
  pos: Pos;
}

export type BodyItem = PropertyNode | ConstraintLineNode;

export interface InterfaceDecl {
  kind: 'interface';
  name: string;
  body: BodyItem[];
  pos: Pos;
}
export interface NodeDecl {
  kind: 'node';
  name: string;
  annotations: AnnotationNode[];
  implements: Array<{ name: string; pos: Pos }>;
  body: BodyItem[];
  pos: Pos;
}
export interface EdgeDecl {
  kind: 'edge';
  name: string;
  from: { name: string; pos: Pos };
  to: { name: string; pos: Pos };
  annotations: AnnotationNode[];
  body: BodyItem[];
  pos: Pos;
}

export type Declaration = InterfaceDecl | NodeDecl | EdgeDecl;

export interface SchemaFile {
  file: string;
  declarations: Declaration[];
}
