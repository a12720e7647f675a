/**
 * Semantic analysis: `.pg` syntax tree → typed Catalog. Every rule violation is a
 * SchemaError whose code names the rule and whose details name the declaration,
 * line and column (docs/schema-language.md lists the codes).
 */
import { SchemaError, type ErrorCode } from '../errors.js';
import type {
  AnnotationArg,
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
import { parseSchema } from './parser.js';
import type {
  Annotation,
  Cardinality,
  Catalog,
  Constraints,
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
const NUMERIC: ReadonlySet<string> = new Set(['I32', 'I64', 'U32', 'U64', 'F32', 'F64']);
const KEY_SCALARS: ReadonlySet<string> = new Set(['String', 'I32', 'I64', 'U32', 'U64']);
const CONSTRAINTS = new Set(['key', 'unique', 'index', 'range', 'check', 'card']);
/** Columns every node/edge table has; a property may not reuse them. */
const NODE_COLUMNS = new Set(['id']);
const EDGE_COLUMNS = new Set(['id', 'src', 'dst']);

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
            'UnknownType',
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

  private compileNode(d: NodeDecl, interfaces: Map<string, InterfaceDef>): NodeTypeDef {
    const decl = `node ${d.name}`;
    const own = this.ownProperties(d.body, decl, NODE_COLUMNS);
    const properties = this.mergedProperties(own, d.implements, interfaces, decl);
    const constraints = emptyConstraints();
    const annotations: Annotation[] = [];
    const embed: NodeTypeDef['embed'] = [];
    const props = new Map(properties.map((p) => [p.name, p]));
    // Interface property annotations are copied in with the property.
    const propAnnotations: Array<{ prop: string; ann: AnnotationNode }> = [];
    for (const impl of d.implements)
      propAnnotations.push(...(this.interfaceAnnotations.get(impl.name) ?? []));
    for (const { node } of own)
      propAnnotations.push(...node.annotations.map((ann) => ({ prop: node.name, ann })));
    for (const header of d.annotations) {
      if (CONSTRAINTS.has(header.name)) {
        this.error(
          'MisplacedConstraint',
          `@${header.name} belongs on a property or a body line, not on the node header`,
          header.pos,
          decl,
        );
      }
      annotations.push(toAnnotation(header));
    }
    for (const { prop, ann } of propAnnotations) {
      this.applyPropertyAnnotation('node', prop, ann, props, constraints, decl, embed);
    }
    for (const item of d.body) {
      if (item.kind !== 'constraint') continue;
      const ann = item.annotation;
      if (!CONSTRAINTS.has(ann.name)) {
        annotations.push(toAnnotation(ann));
        continue;
      }
      this.applyBodyConstraint('node', ann, props, constraints, decl);
    }
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

  private compileEdge(
    d: EdgeDecl,
    nodeNames: Set<string>,
    interfaces: Map<string, InterfaceDef>,
  ): EdgeTypeDef {
    const decl = `edge ${d.name}`;
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
    const own = this.ownProperties(d.body, decl, EDGE_COLUMNS);
    const properties = own.map((o) => o.def);
    const constraints = emptyConstraints();
    const annotations: Annotation[] = [];
    const props = new Map(properties.map((p) => [p.name, p]));
    let card: Cardinality = { min: 0, max: null };
    let cardSeen: AnnotationNode | undefined;
    for (const header of d.annotations) {
      if (header.name === 'card') {
        if (cardSeen)
          this.error(
            'DuplicateConstraint',
            `@card is given twice (first at line ${cardSeen.pos.line})`,
            header.pos,
            decl,
          );
        cardSeen = header;
        card = this.cardinality(header, decl);
        continue;
      }
      if (CONSTRAINTS.has(header.name)) {
        this.error(
          'MisplacedConstraint',
          `@${header.name} belongs on a property or a body line, not on the edge header`,
          header.pos,
          decl,
        );
      }
      annotations.push(toAnnotation(header));
    }
    for (const { node } of own) {
      for (const ann of node.annotations)
        this.applyPropertyAnnotation('edge', node.name, ann, props, constraints, decl, []);
    }
    for (const item of d.body) {
      if (item.kind !== 'constraint') continue;
      const ann = item.annotation;
      if (ann.name === 'card')
        this.error(
          'MisplacedConstraint',
          '@card goes after the target type on the edge header: edge E: A -> B @card(min..max)',
          ann.pos,
          decl,
        );
      if (!CONSTRAINTS.has(ann.name)) {
        annotations.push(toAnnotation(ann));
        continue;
      }
      this.applyBodyConstraint('edge', ann, props, constraints, decl);
    }
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
      constraints,
      annotations,
    };
  }

  private cardinality(ann: AnnotationNode, decl: string): Cardinality {
    const arg = ann.args[0];
    if (ann.args.length !== 1 || arg.kind !== 'range') {
      this.error(
        'InvalidCardinality',
        '@card takes one range: @card(min..max), @card(1..) or @card(0..*)',
        ann.pos,
        decl,
      );
    }
    const min = arg.min ?? 0;
    if (
      !Number.isSafeInteger(min) ||
      min < 0 ||
      (arg.max !== null && (!Number.isSafeInteger(arg.max) || arg.max < 0))
    ) {
      this.error('InvalidCardinality', '@card bounds must be non-negative integers', arg.pos, decl);
    }
    if (arg.max !== null && min > arg.max)
      this.error(
        'InvalidCardinality',
        `@card(${min}..${arg.max}): min is greater than max`,
        arg.pos,
        decl,
      );
    return { min, max: arg.max };
  }

  /** `name: T @key`, `@unique`, `@index`, `@range(min..max)`, `@check("re")`, or a custom annotation kept as metadata. */
  private applyPropertyAnnotation(
    kind: 'node' | 'edge',
    prop: string,
    ann: AnnotationNode,
    props: Map<string, PropertyDef>,
    c: Constraints,
    decl: string,
    embed: NodeTypeDef['embed'],
  ): void {
    const def = props.get(prop)!;
    switch (ann.name) {
      case 'key':
      case 'unique':
      case 'index':
        if (ann.args.length > 0)
          this.error(
            'InvalidConstraint',
            `@${ann.name} on a property takes no arguments; use a body line @${ann.name}(a, b) for several properties`,
            ann.pos,
            decl,
          );
        this.addSetConstraint(kind, ann.name, [prop], ann.pos, props, c, decl);
        return;
      case 'range': {
        const arg = ann.args[0];
        if (ann.args.length !== 1 || arg.kind !== 'range')
          this.error(
            'InvalidConstraint',
            '@range on a property takes one range: @range(min..max)',
            ann.pos,
            decl,
          );
        this.addRange(kind, prop, arg, ann.pos, props, c, decl);
        return;
      }
      case 'check': {
        const arg = ann.args[0];
        if (ann.args.length !== 1 || arg.kind !== 'string')
          this.error(
            'InvalidConstraint',
            '@check on a property takes one regex string: @check("^[a-z]+$")',
            ann.pos,
            decl,
          );
        this.addCheck(kind, prop, arg.value, arg.pos, props, c, decl);
        return;
      }
      case 'card':
        this.error(
          'MisplacedConstraint',
          '@card goes after the target type on the edge header: edge E: A -> B @card(min..max)',
          ann.pos,
          decl,
        );
      // falls through: unreachable, error() throws
      default: {
        def.annotations.push(toAnnotation(ann));
        if (ann.name === 'embed' && def.type.kind === 'vector') {
          const src = ann.args[0];
          if (src && (src.kind === 'string' || src.kind === 'ident'))
            embed.push({ property: prop, source: src.value });
        }
      }
    }
  }

  /** Body lines: `@key(p)`, `@unique(a, b)`, `@index(a)`, `@range(p, min..max)`, `@check(p, "re")`. */
  private applyBodyConstraint(
    kind: 'node' | 'edge',
    ann: AnnotationNode,
    props: Map<string, PropertyDef>,
    c: Constraints,
    decl: string,
  ): void {
    switch (ann.name) {
      case 'key':
      case 'unique':
      case 'index': {
        if (ann.args.length === 0)
          this.error(
            'InvalidConstraint',
            `@${ann.name}(…) as a body line names the properties it applies to`,
            ann.pos,
            decl,
          );
        const names: string[] = [];
        for (const a of ann.args) {
          if (a.kind !== 'ident')
            this.error('InvalidConstraint', `@${ann.name}(…) takes property names`, a.pos, decl);
          names.push(a.value);
        }
        if (ann.name === 'key' && names.length > 1)
          this.error(
            'MultipleKeys',
            '@key names exactly one property (composite keys are not supported)',
            ann.pos,
            decl,
          );
        this.addSetConstraint(
          kind,
          ann.name,
          names,
          ann.args[0].pos,
          props,
          c,
          decl,
          ann.args.map((a) => a.pos),
        );
        return;
      }
      case 'range': {
        const [p, r] = ann.args;
        if (ann.args.length !== 2 || p.kind !== 'ident' || r.kind !== 'range')
          this.error(
            'InvalidConstraint',
            '@range as a body line is @range(property, min..max)',
            ann.pos,
            decl,
          );
        this.addRange(kind, p.value, r, p.pos, props, c, decl);
        return;
      }
      case 'check': {
        const [p, re] = ann.args;
        if (ann.args.length !== 2 || p.kind !== 'ident' || re.kind !== 'string')
          this.error(
            'InvalidConstraint',
            '@check as a body line is @check(property, "regex")',
            ann.pos,
            decl,
          );
        this.requireProperty(p.value, p.pos, props, kind, decl, 'check');
        this.addCheck(kind, p.value, re.value, re.pos, props, c, decl);
        return;
      }
      default:
        this.error('InvalidConstraint', `@${ann.name} is not a constraint`, ann.pos, decl);
    }
  }

  private requireProperty(
    name: string,
    pos: Pos,
    props: Map<string, PropertyDef>,
    kind: 'node' | 'edge',
    decl: string,
    constraint: string,
  ): PropertyDef | undefined {
    if (props.has(name)) return props.get(name);
    if (
      kind === 'edge' &&
      (name === 'src' || name === 'dst') &&
      (constraint === 'unique' || constraint === 'index')
    )
      return undefined;
    const known = [...props.keys()];
    this.error(
      'UnknownConstraintProperty',
      `@${constraint} names '${name}', which is not a property of ${decl}${known.length ? ` (properties: ${known.join(', ')})` : ''}`,
      pos,
      decl,
    );
  }

  private addSetConstraint(
    kind: 'node' | 'edge',
    name: string,
    names: string[],
    pos: Pos,
    props: Map<string, PropertyDef>,
    c: Constraints,
    decl: string,
    positions?: Pos[],
  ): void {
    names.forEach((n, i) =>
      this.requireProperty(n, positions?.[i] ?? pos, props, kind, decl, name),
    );
    if (new Set(names).size !== names.length)
      this.error('InvalidConstraint', `@${name} names a property twice`, pos, decl);
    if (name === 'key') {
      if (kind === 'edge')
        this.error(
          'KeyOnEdge',
          'edges have no @key; their identity is the generated id (use @unique(src, dst) to forbid parallel edges)',
          pos,
          decl,
        );
      const def = props.get(names[0])!;
      if (def.nullable)
        this.error(
          'KeyOnNullableProperty',
          `@key property '${def.name}' is nullable; a key must always be present (drop the '?')`,
          pos,
          decl,
        );
      if (def.type.kind === 'list')
        this.error(
          'KeyOnListProperty',
          `@key property '${def.name}' is a list; a key must be a single value`,
          pos,
          decl,
        );
      if (
        def.type.kind !== 'enum' &&
        !(def.type.kind === 'scalar' && KEY_SCALARS.has(def.type.name))
      ) {
        this.error(
          'InvalidKeyType',
          `@key property '${def.name}' is ${describe(def)}; a key must be String, an integer or an enum`,
          pos,
          decl,
        );
      }
      if (!c.key.includes(names[0])) c.key.push(names[0]);
      return;
    }
    const list = name === 'unique' ? c.unique : c.index;
    if (!list.some((s) => s.length === names.length && s.every((x, i) => x === names[i])))
      list.push(names);
  }

  private addRange(
    kind: 'node' | 'edge',
    prop: string,
    arg: Extract<AnnotationArg, { kind: 'range' }>,
    pos: Pos,
    props: Map<string, PropertyDef>,
    c: Constraints,
    decl: string,
  ): void {
    if (kind === 'edge')
      this.error('ConstraintNotAllowed', '@range applies to node properties only', pos, decl);
    const def = this.requireProperty(prop, pos, props, kind, decl, 'range')!;
    if (!(def.type.kind === 'scalar' && NUMERIC.has(def.type.name))) {
      this.error(
        'RangeOnNonNumeric',
        `@range needs a numeric property, but '${prop}' is ${describe(def)}`,
        pos,
        decl,
      );
    }
    if (arg.maxStar)
      this.error(
        'InvalidConstraint',
        '@range uses an empty bound for "open", e.g. @range(0..), not *',
        arg.pos,
        decl,
      );
    if (arg.min === null && arg.max === null)
      this.error('InvalidConstraint', '@range needs at least one bound', arg.pos, decl);
    if (arg.min !== null && arg.max !== null && arg.min > arg.max)
      this.error(
        'InvalidRange',
        `@range(${arg.min}..${arg.max}): min is greater than max`,
        arg.pos,
        decl,
      );
    c.range.push({ property: prop, min: arg.min, max: arg.max });
  }

  private addCheck(
    kind: 'node' | 'edge',
    prop: string,
    pattern: string,
    pos: Pos,
    props: Map<string, PropertyDef>,
    c: Constraints,
    decl: string,
  ): void {
    if (kind === 'edge')
      this.error('ConstraintNotAllowed', '@check applies to node properties only', pos, decl);
    const def = this.requireProperty(prop, pos, props, kind, decl, 'check')!;
    const isString =
      (def.type.kind === 'scalar' && def.type.name === 'String') ||
      (def.type.kind === 'list' &&
        def.type.element.kind === 'scalar' &&
        def.type.element.name === 'String');
    if (!isString)
      this.error(
        'CheckOnNonString',
        `@check needs a String property, but '${prop}' is ${describe(def)}`,
        pos,
        decl,
      );
    try {
      new RegExp(pattern, 'u');
    } catch (err) {
      this.error(
        'InvalidCheckRegex',
        `@check pattern "${pattern}" is not a valid regular expression: ${(err as Error).message}`,
        pos,
        decl,
      );
    }
    c.check.push({ property: prop, pattern });
  }
}

function emptyConstraints(): Constraints {
  return { key: [], unique: [], index: [], range: [], check: [] };
}

function toAnnotation(ann: AnnotationNode): Annotation {
  return {
    name: ann.name,
    args: ann.args.map((a) => {
      switch (a.kind) {
        case 'range':
          return `${a.min ?? ''}..${a.maxStar ? '*' : (a.max ?? '')}`;
        case 'number':
          return a.value;
        default:
          return a.value;
      }
    }),
  };
}

function typeText(t: PropType): string {
  switch (t.kind) {
    case 'scalar':
      return t.name;
    case 'vector':
      return `Vector(${t.dim})`;
    case 'enum':
      return `enum(${t.values.join(', ')})`;
    case 'list':
      return `[${typeText(t.element)}]`;
  }
}

function describe(p: PropertyDef): string {
  return `${typeText(p.type)}${p.nullable ? '?' : ''}`;
}

function sameProperty(a: PropertyDef, b: PropertyDef): boolean {
  return describe(a) === describe(b);
}

export { typeText };

/** Compiles `.pg` source text into a Catalog, or throws ParseError / SchemaError. */
export function compileSchema(source: string, file = '<schema>'): Catalog {
  const ast = parseSchema(source, file);
  const compiler = new Compiler(source, file);
  const catalog = compiler.compile(ast.declarations);
  return catalog;
}
