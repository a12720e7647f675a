/**
 * Semantic analysis: `.pg` syntax tree → typed Catalog. Every rule violation is a
 * SchemaError whose code names the rule and whose details name the declaration,
 * line and column (docs/schema-language.md lists the codes).
 */
import { SchemaError, type ErrorCode } from '../errors.js';
import type {
  AnnotationNode,
  BodyItem,
  Declaration,
  EdgeDecl,
  NodeDecl,
  Pos,
  PropertyNode,
  TypeNode,
} from './ast.js';
import { fnv1a64Hex } from './fnv.js';
import { CONSTRAINTS, TypeConstraints, type Fail } from './constraints.js';
import { describe, sameProperty, toAnnotation } from './type-text.js';
import { parseSchema } from './parser.js';
import type {
  Annotation,
  Cardinality,
  Catalog,
  EdgeTypeDef,
  InterfaceDef,
  NodeTypeDef,
  PropertyDef,
  PropType,
  ScalarName,
} from './types.js';

const SCALARS: ReadonlySet<string> = new Set<ScalarName>([
  'String',
  'Blob',
  'Bool',
  'I32',
  'I64',
  'U32',
  'U64',
  'F32',
  'F64',
  'Date',
  'DateTime',
]);
/** Columns every node/edge table has; a property may not reuse them. */
const NODE_COLUMNS = new Set(['id']);
const EDGE_COLUMNS = new Set(['id', 'src', 'dst']);
/**
 * Names no property may take, on any table: a row is a JavaScript object (`__proto__`
 * would set its prototype and its values vanish; `constructor` and `prototype` shadow
 * the object machinery), Lance's own virtual columns (the five the reference engine
 * reserves too: its `is_reserved_storage_system_column`), and the columns Lance's
 * vector, full-text and hybrid searches add to their results.
 */
const RESERVED_NAMES: ReadonlyMap<string, string> = new Map([
  ['__proto__', 'JavaScript object machinery'],
  ['constructor', 'JavaScript object machinery'],
  ['prototype', 'JavaScript object machinery'],
  ['_rowid', "Lance's row id column"],
  ['_rowaddr', "Lance's row address column"],
  ['_rowoffset', "Lance's row offset column"],
  ['_row_created_at_version', "Lance's row version column"],
  ['_row_last_updated_at_version', "Lance's row version column"],
  ['_distance', "the distance column of Lance's vector search"],
  ['_score', "the score column of Lance's full-text search"],
  ['_relevance_score', "the score column of Lance's hybrid search"],
]);

class Compiler {
  /** Property annotations of each interface, copied into the nodes that implement it. */
  private readonly interfaceAnnotations = new Map<
    string,
    Array<{ prop: string; ann: AnnotationNode }>
  >();

  constructor(
    private readonly source: string,
    private readonly file: string,
  ) {}

  error(code: ErrorCode, message: string, pos: Pos, declaration: string): never {
    throw new SchemaError(
      code,
      message,
      { file: this.file, line: pos.line, column: pos.column, declaration },
      this.source,
    );
  }

  /** `error`, bound, for the constraint pass. */
  private readonly fail: Fail = (code, message, pos, declaration) =>
    this.error(code, message, pos, declaration);

  compile(decls: Declaration[]): Catalog {
    const seen = new Map<string, Declaration>();
    for (const d of decls) {
      // Edge names are matched case-insensitively in queries, so the namespace is too.
      const k = d.name.toLowerCase();
      const prior = seen.get(k);
      if (prior) {
        this.error(
          'DuplicateType',
          `${d.kind} '${d.name}' is already declared as ${prior.kind} '${prior.name}' at line ${prior.pos.line}`,
          d.pos,
          `${d.kind} ${d.name}`,
        );
      }
      seen.set(k, d);
    }
    const interfaces = new Map<string, InterfaceDef>();
    for (const d of decls)
      if (d.kind === 'interface') interfaces.set(d.name, this.compileInterface(d));
    const nodeDecls = decls.filter((d): d is NodeDecl => d.kind === 'node');
    const nodeNames = new Set(nodeDecls.map((d) => d.name));
    const nodes = nodeDecls.map((d) => this.compileNode(d, interfaces));
    const edges = decls
      .filter((d): d is EdgeDecl => d.kind === 'edge')
      .map((d) => this.compileEdge(d, nodeNames, interfaces));
    return { file: this.file, interfaces: [...interfaces.values()], nodes, edges };
  }

  private compileInterface(d: Extract<Declaration, { kind: 'interface' }>): InterfaceDef {
    const decl = `interface ${d.name}`;
    const props = this.ownProperties(d.body, decl, NODE_COLUMNS);
    this.interfaceAnnotations.set(
      d.name,
      props.flatMap(({ node }) => node.annotations.map((ann) => ({ prop: node.name, ann }))),
    );
    return { name: d.name, properties: props.map((p) => p.def) };
  }

  private ownProperties(
    body: BodyItem[],
    decl: string,
    reserved: Set<string>,
  ): Array<{ def: PropertyDef; node: PropertyNode }> {
    const out: Array<{ def: PropertyDef; node: PropertyNode }> = [];
    const names = new Map<string, PropertyNode>();
    for (const item of body) {
      if (item.kind !== 'property') continue;
      const prior = names.get(item.name);
      if (prior)
        this.error(
          'DuplicateProperty',
          `property '${item.name}' is declared twice (first at line ${prior.pos.line})`,
          item.pos,
          decl,
        );
      if (reserved.has(item.name)) {
        this.error(
          'ReservedPropertyName',
          `property name '${item.name}' is reserved: every table already has the column(s) ${[...reserved].join(', ')}`,
          item.pos,
          decl,
        );
      }
      const why = RESERVED_NAMES.get(item.name);
      if (why !== undefined)
        this.error(
          'ReservedPropertyName',
          `property name '${item.name}' is reserved (${why})`,
          item.pos,
          decl,
        );
      names.set(item.name, item);
      out.push({
        def: {
          name: item.name,
          type: this.propType(item.type, decl),
          nullable: item.nullable,
          annotations: [],
        },
        node: item,
      });
    }
    return out;
  }

  private propType(t: TypeNode, decl: string): PropType {
    switch (t.kind) {
      case 'named':
        if (!SCALARS.has(t.name)) {
          this.error(
            'UnknownPropertyType',
            `unknown type '${t.name}' (expected one of ${[...SCALARS].join(', ')}, Vector(n), [T] or enum(…))`,
            t.pos,
            decl,
          );
        }
        return { kind: 'scalar', name: t.name as ScalarName };
      case 'vector':
        if (!Number.isSafeInteger(t.dim) || t.dim < 1)
          this.error(
            'InvalidVectorDimension',
            `Vector(${t.dimText}): the dimension must be an integer ≥ 1`,
            t.pos,
            decl,
          );
        return { kind: 'vector', dim: t.dim };
      case 'enum': {
        const values = [...new Set(t.values.map((v) => v.value))].sort();
        return { kind: 'enum', values };
      }
      case 'list': {
        const element = this.propType(t.element, decl);
        if (element.kind !== 'scalar' && element.kind !== 'enum') {
          this.error(
            'InvalidListElement',
            `a list holds scalars or an enum, not ${element.kind === 'list' ? 'another list' : 'a Vector'}`,
            t.element.pos,
            decl,
          );
        }
        return { kind: 'list', element };
      }
    }
  }

  /** Properties of a type: interface properties first (in `implements` order), then its own. */
  private mergedProperties(
    own: Array<{ def: PropertyDef; node: PropertyNode }>,
    impls: Array<{ name: string; pos: Pos }>,
    interfaces: Map<string, InterfaceDef>,
    decl: string,
  ): PropertyDef[] {
    const merged = new Map<string, PropertyDef>();
    const seenImpl = new Set<string>();
    for (const impl of impls) {
      const iface = interfaces.get(impl.name);
      if (!iface) {
        this.error(
          'UnknownInterface',
          `unknown interface '${impl.name}'${interfaces.size ? ` (declared: ${[...interfaces.keys()].join(', ')})` : ' (no interfaces are declared)'}`,
          impl.pos,
          decl,
        );
      }
      if (seenImpl.has(impl.name))
        this.error(
          'DuplicateInterface',
          `interface '${impl.name}' is listed twice`,
          impl.pos,
          decl,
        );
      seenImpl.add(impl.name);
      for (const p of iface.properties) {
        const prior = merged.get(p.name);
        if (prior && !sameProperty(prior, p)) {
          this.error(
            'ConflictingInterfaceProperty',
            `property '${p.name}' is ${describe(prior)} in interface ${prior.fromInterface} but ${describe(p)} in interface ${iface.name}`,
            impl.pos,
            decl,
          );
        }
        if (!prior) merged.set(p.name, { ...p, fromInterface: iface.name });
      }
    }
    for (const { def, node } of own) {
      const prior = merged.get(def.name);
      if (prior && !sameProperty(prior, def)) {
        this.error(
          'ConflictingInterfaceProperty',
          `property '${def.name}' is ${describe(def)} here but ${describe(prior)} in interface ${prior.fromInterface}`,
          node.pos,
          decl,
        );
      }
      merged.set(def.name, prior ? { ...def, fromInterface: prior.fromInterface } : def);
    }
    return [...merged.values()];
  }

  /**
   * Header annotations of a node or edge: custom ones kept as metadata, constraints
   * refused, except an edge's `@card` (at most one; the cardinality, default 0..*).
   */
  private headerAnnotations(
    headers: AnnotationNode[],
    checker: TypeConstraints,
    kind: 'node' | 'edge',
    decl: string,
    annotations: Annotation[],
  ): Cardinality {
    let card: Cardinality = { min: 0, max: null };
    let cardSeen: AnnotationNode | undefined;
    for (const header of headers) {
      if (kind === 'edge' && header.name === 'card') {
        if (cardSeen)
          this.error(
            'DuplicateConstraint',
            `@card is given twice (first at line ${cardSeen.pos.line})`,
            header.pos,
            decl,
          );
        cardSeen = header;
        card = checker.cardinality(header);
        continue;
      }
      if (CONSTRAINTS.has(header.name)) {
        this.error(
          'MisplacedConstraint',
          `@${header.name} belongs on a property or a body line, not on the ${kind} header`,
          header.pos,
          decl,
        );
      }
      annotations.push(toAnnotation(header));
    }
    return card;
  }

  /** Body lines of a node or edge: constraints checked, custom annotations kept as metadata. */
  private bodyLines(body: BodyItem[], checker: TypeConstraints, annotations: Annotation[]): void {
    for (const item of body) {
      if (item.kind !== 'constraint') continue;
      const ann = item.annotation;
      checker.rejectCardLine(ann);
      if (!CONSTRAINTS.has(ann.name)) {
        annotations.push(toAnnotation(ann));
        continue;
      }
      checker.bodyConstraint(ann);
    }
  }

  private compileNode(d: NodeDecl, interfaces: Map<string, InterfaceDef>): NodeTypeDef {
    const decl = `node ${d.name}`;
    const own = this.ownProperties(d.body, decl, NODE_COLUMNS);
    const properties = this.mergedProperties(own, d.implements, interfaces, decl);
    const annotations: Annotation[] = [];
    const props = new Map(properties.map((p) => [p.name, p]));
    const checker = new TypeConstraints('node', decl, props, this.fail);
    // Interface property annotations are copied in with the property.
    const propAnnotations: Array<{ prop: string; ann: AnnotationNode }> = [];
    for (const impl of d.implements)
      propAnnotations.push(...(this.interfaceAnnotations.get(impl.name) ?? []));
    for (const { node } of own)
      propAnnotations.push(...node.annotations.map((ann) => ({ prop: node.name, ann })));
    this.headerAnnotations(d.annotations, checker, 'node', decl, annotations);
    for (const { prop, ann } of propAnnotations) checker.propertyAnnotation(prop, ann);
    this.bodyLines(d.body, checker, annotations);
    const { constraints, embed } = checker;
    if (constraints.key.length > 1) {
      this.error(
        'MultipleKeys',
        `node ${d.name} declares more than one @key (${constraints.key.join(', ')}); a node has one key property`,
        d.pos,
        decl,
      );
    }
    for (const k of constraints.key)
      if (!constraints.index.some((ix) => ix.length === 1 && ix[0] === k))
        constraints.index.unshift([k]);
    const id = fnv1a64Hex(`node:${d.name}`);
    return {
      kind: 'node',
      name: d.name,
      typeId: id,
      tableKey: `node:${d.name}`,
      tablePath: `nodes/${fnv1a64Hex(d.name)}`,
      implements: d.implements.map((i) => i.name),
      properties,
      constraints,
      annotations,
      embed,
    };
  }

  private checkEndpoints(
    d: EdgeDecl,
    nodeNames: Set<string>,
    interfaces: Map<string, InterfaceDef>,
    decl: string,
  ): void {
    for (const end of [d.from, d.to]) {
      if (!nodeNames.has(end.name)) {
        const hint = interfaces.has(end.name)
          ? ` ('${end.name}' is an interface; an edge connects node types)`
          : nodeNames.size
            ? ` (node types: ${[...nodeNames].join(', ')})`
            : '';
        this.error(
          'UnknownEndpointType',
          `edge ${d.name} refers to unknown node type '${end.name}'${hint}`,
          end.pos,
          decl,
        );
      }
    }
  }

  private compileEdge(
    d: EdgeDecl,
    nodeNames: Set<string>,
    interfaces: Map<string, InterfaceDef>,
  ): EdgeTypeDef {
    const decl = `edge ${d.name}`;
    this.checkEndpoints(d, nodeNames, interfaces, decl);
    const own = this.ownProperties(d.body, decl, EDGE_COLUMNS);
    const properties = own.map((o) => o.def);
    const annotations: Annotation[] = [];
    const props = new Map(properties.map((p) => [p.name, p]));
    const checker = new TypeConstraints('edge', decl, props, this.fail);
    const card = this.headerAnnotations(d.annotations, checker, 'edge', decl, annotations);
    for (const { node } of own)
      for (const ann of node.annotations) checker.propertyAnnotation(node.name, ann);
    this.bodyLines(d.body, checker, annotations);
    return {
      kind: 'edge',
      name: d.name,
      typeId: fnv1a64Hex(`edge:${d.name}`),
      tableKey: `edge:${d.name}`,
      tablePath: `edges/${fnv1a64Hex(d.name)}`,
      from: d.from.name,
      to: d.to.name,
      card,
      properties,
      constraints: checker.constraints,
      annotations,
    };
  }
}

export { typeText } from './type-text.js';

/** Compiles `.pg` source text into a Catalog, or throws ParseError / SchemaError. */
export function compileSchema(source: string, file = '<schema>'): Catalog {
  const ast = parseSchema(source, file);
  const compiler = new Compiler(source, file);
  const catalog = compiler.compile(ast.declarations);
  return catalog;
}
