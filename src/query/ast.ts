/** Syntax tree of a `.gq` file, before any semantic check. Positions are 1-based. */

export interface Pos {
  line: number;
  column: number;
}

/** A parameter type as written: `String`, `I64`, `Vector(4)`, `[String]`. */
export type TypeRef =
  | { kind: 'scalar'; name: string; pos: Pos }
  | { kind: 'vector'; dim: number; pos: Pos }
  | { kind: 'list'; element: TypeRef; pos: Pos };

export interface ParamDeclNode {
  name: string;
  type: TypeRef;
  optional: boolean;
  pos: Pos;
}

export interface QueryAnnotationNode {
  name: string;
  args: Array<string | number | boolean>;
  pos: Pos;
}

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'contains';
/** A match filter's operator: a comparison, or `starts_with` (strings only). */
export type FilterOp = CompareOp | 'starts_with';

export type LiteralNode =
  | { kind: 'string'; value: string }
  | { kind: 'int'; text: string }
  | { kind: 'float'; text: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'null' };

export type ExprNode =
  /** `$name`: a match variable, `$_`, or a parameter (resolved by the type checker). */
  | { kind: 'var'; name: string; pos: Pos }
  | { kind: 'prop'; var: string; prop: string; pos: Pos; propPos: Pos }
  | { kind: 'literal'; lit: LiteralNode; pos: Pos }
  | { kind: 'list'; items: ExprNode[]; pos: Pos }
  /** `name(args)`: aggregates, search/rank functions, `date`, `datetime`, `now`. */
  | { kind: 'call'; fn: string; args: ExprNode[]; pos: Pos }
  /** A bare identifier: a reference to a `return` alias (only meaningful in `order`). */
  | { kind: 'alias'; name: string; pos: Pos };

export interface VarRefNode {
  name: string;
  pos: Pos;
}

export interface PropMatchNode {
  prop: string;
  value: ExprNode;
  pos: Pos;
}

export type ClauseNode =
  | {
      kind: 'binding';
      var: VarRefNode;
      type: string;
      typePos: Pos;
      props: PropMatchNode[];
      pos: Pos;
    }
  | {
      kind: 'traversal';
      src: VarRefNode;
      /** `$a $w:edge $b`: the variable bound to the matched edge. */
      edgeVar: VarRefNode | null;
      edge: string;
      edgePos: Pos;
      /** `$a <edge> $b`: either direction. */
      undirected: boolean;
      minHops: number;
      maxHops: number | null;
      hopsPos: Pos | null;
      dst: VarRefNode;
      pos: Pos;
    }
  | {
      kind: 'filter';
      left: ExprNode;
      op: FilterOp | null;
      opPos: Pos | null;
      right: ExprNode | null;
      pos: Pos;
    }
  | { kind: 'not'; clauses: ClauseNode[]; pos: Pos };

export interface ReturnItemNode {
  expr: ExprNode;
  alias: string | null;
  aliasPos: Pos | null;
  pos: Pos;
}
export interface OrderItemNode {
  expr: ExprNode;
  direction: 'asc' | 'desc';
  pos: Pos;
}

export interface ReadBodyNode {
  kind: 'read';
  match: ClauseNode[];
  matchPos: Pos;
  returns: ReturnItemNode[];
  returnPos: Pos;
  order: OrderItemNode[];
  orderPos: Pos | null;
  limit: { value: number; text: string; pos: Pos } | null;
}

export interface AssignNode {
  prop: string;
  value: ExprNode;
  pos: Pos;
}
export interface WherePredNode {
  prop: string;
  op: CompareOp;
  value: ExprNode;
  pos: Pos;
}

export type StatementNode =
  | { kind: 'insert'; type: string; typePos: Pos; values: AssignNode[]; pos: Pos }
  | {
      kind: 'update';
      type: string;
      typePos: Pos;
      set: AssignNode[];
      where: WherePredNode[];
      pos: Pos;
    }
  | { kind: 'delete'; type: string; typePos: Pos; where: WherePredNode[]; pos: Pos };

export interface MutationBodyNode {
  kind: 'mutation';
  statements: StatementNode[];
}

export interface QueryDeclNode {
  name: string;
  pos: Pos;
  namePos: Pos;
  params: ParamDeclNode[];
  annotations: QueryAnnotationNode[];
  body: ReadBodyNode | MutationBodyNode;
}

export interface QueryFile {
  file: string;
  queries: QueryDeclNode[];
}
