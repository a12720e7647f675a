/**
 * The constraint pass of the schema compiler: `@key`, `@unique`, `@index`, `@range`,
 * `@check` and `@card`, on properties and as body lines, checked against the type's
 * properties; `@embed` pairings; other annotations kept as metadata.
 */
import type { ErrorCode } from '../errors.js';
import type { AnnotationArg, AnnotationNode, Pos } from './ast.js';
import type { Cardinality, Constraints, NodeTypeDef, PropertyDef } from './types.js';
import { describe, toAnnotation, typeText } from './type-text.js';

/** Throws the SchemaError of a rule violation in declaration `decl` (never returns). */
export type Fail = (code: ErrorCode, message: string, pos: Pos, decl: string) => never;

const NUMERIC: ReadonlySet<string> = new Set(['I32', 'I64', 'U32', 'U64', 'F32', 'F64']);
const KEY_SCALARS: ReadonlySet<string> = new Set(['String', 'I32', 'I64', 'U32', 'U64']);
/** Annotation names that are constraints (the others are kept as metadata). */
export const CONSTRAINTS: ReadonlySet<string> = new Set([
  'key',
  'unique',
  'index',
  'range',
  'check',
  'card',
]);

const CARD_ON_HEADER =
  '@card goes after the target type on the edge header: edge E: A -> B @card(min..max)';

export function emptyConstraints(): Constraints {
  return { key: [], unique: [], index: [], range: [], check: [] };
}

/** The constraints and `@embed` pairings of one node or edge type, collected as its annotations are checked. */
export class TypeConstraints {
  readonly constraints: Constraints = emptyConstraints();
  readonly embed: NodeTypeDef['embed'] = [];

  constructor(
    private readonly kind: 'node' | 'edge',
    private readonly decl: string,
    private readonly props: Map<string, PropertyDef>,
    private readonly fail: Fail,
  ) {}

  private error(code: ErrorCode, message: string, pos: Pos): never {
    return this.fail(code, message, pos, this.decl);
  }

  /** `@card(min..max)` on an edge header. */
  cardinality(ann: AnnotationNode): Cardinality {
    const arg = ann.args[0];
    if (ann.args.length !== 1 || arg.kind !== 'range') {
      this.error(
        'InvalidCardinality',
        '@card takes one range: @card(min..max), @card(1..) or @card(0..*)',
        ann.pos,
      );
    }
    const min = arg.min ?? 0;
    if (
      !Number.isSafeInteger(min) ||
      min < 0 ||
      (arg.max !== null && (!Number.isSafeInteger(arg.max) || arg.max < 0))
    ) {
      this.error('InvalidCardinality', '@card bounds must be non-negative integers', arg.pos);
    }
    if (arg.max !== null && min > arg.max)
      this.error(
        'InvalidCardinality',
        `@card(${min}..${arg.max}): min is greater than max`,
        arg.pos,
      );
    return { min, max: arg.max };
  }

  /** `name: T @key`, `@unique`, `@index`, `@range(min..max)`, `@check("re")`, or a custom annotation kept as metadata. */
  propertyAnnotation(prop: string, ann: AnnotationNode): void {
    const def = this.props.get(prop)!;
    switch (ann.name) {
      case 'key':
      case 'unique':
      case 'index':
        if (ann.args.length > 0)
          this.error(
            'InvalidConstraint',
            `@${ann.name} on a property takes no arguments; use a body line @${ann.name}(a, b) for several properties`,
            ann.pos,
          );
        this.addSetConstraint(ann.name, [prop], ann.pos);
        return;
      case 'range': {
        const arg = ann.args[0];
        if (ann.args.length !== 1 || arg.kind !== 'range')
          this.error(
            'InvalidConstraint',
            '@range on a property takes one range: @range(min..max)',
            ann.pos,
          );
        this.addRange(prop, arg, ann.pos);
        return;
      }
      case 'check': {
        const arg = ann.args[0];
        if (ann.args.length !== 1 || arg.kind !== 'string')
          this.error(
            'InvalidConstraint',
            '@check on a property takes one regex string: @check("^[a-z]+$")',
            ann.pos,
          );
        this.addCheck(prop, arg.value, arg.pos);
        return;
      }
      case 'card':
        this.error('MisplacedConstraint', CARD_ON_HEADER, ann.pos);
      // falls through: unreachable, error() throws
      default: {
        def.annotations.push(toAnnotation(ann));
        if (ann.name === 'embed' && this.kind === 'node')
          this.embed.push({ property: prop, source: this.embedSource(prop, ann) });
      }
    }
  }

  /**
   * `@embed("source")` on a node property: the engine fills this Vector with the
   * embedding of the String `source` (docs/writes.md §Embeddings), so the pairing must
   * be one it can compute — as the reference engine's parser requires.
   */
  private embedSource(prop: string, ann: AnnotationNode): string {
    const def = this.props.get(prop)!;
    const arg = ann.args[0];
    const source = arg && (arg.kind === 'string' || arg.kind === 'ident') ? arg.value : '';
    const src = this.props.get(source);
    const problem =
      def.type.kind !== 'vector'
        ? `@embed goes on a Vector property; ${prop} is ${typeText(def.type)}`
        : this.embed.some((e) => e.property === prop)
          ? `${prop} declares @embed twice`
          : ann.args.length !== 1 || source === ''
            ? '@embed takes one argument: the name of the String property to embed, @embed("text")'
            : !src
              ? `@embed source '${source}' is not a property of this type`
              : src.type.kind !== 'scalar' || src.type.name !== 'String'
                ? `@embed source '${source}' must be a String property, not ${typeText(src.type)}`
                : undefined;
    if (problem !== undefined) this.error('InvalidEmbed', problem, ann.pos);
    return source;
  }

  /** A `@card` body line of an edge is misplaced: it belongs on the header. */
  rejectCardLine(ann: AnnotationNode): void {
    if (this.kind === 'edge' && ann.name === 'card')
      this.error('MisplacedConstraint', CARD_ON_HEADER, ann.pos);
  }

  /** Body lines: `@key(p)`, `@unique(a, b)`, `@index(a)`, `@range(p, min..max)`, `@check(p, "re")`. */
  bodyConstraint(ann: AnnotationNode): void {
    switch (ann.name) {
      case 'key':
      case 'unique':
      case 'index':
        return this.bodySetConstraint(ann);
      case 'range': {
        const [p, r] = ann.args;
        if (ann.args.length !== 2 || p.kind !== 'ident' || r.kind !== 'range')
          this.error(
            'InvalidConstraint',
            '@range as a body line is @range(property, min..max)',
            ann.pos,
          );
        this.addRange(p.value, r, p.pos);
        return;
      }
      case 'check': {
        const [p, re] = ann.args;
        if (ann.args.length !== 2 || p.kind !== 'ident' || re.kind !== 'string')
          this.error(
            'InvalidConstraint',
            '@check as a body line is @check(property, "regex")',
            ann.pos,
          );
        this.requireProperty(p.value, p.pos, 'check');
        this.addCheck(p.value, re.value, re.pos);
        return;
      }
      default:
        this.error('InvalidConstraint', `@${ann.name} is not a constraint`, ann.pos);
    }
  }

  /** `@key(p)`, `@unique(a, b)`, `@index(a)` as a body line. */
  private bodySetConstraint(ann: AnnotationNode): void {
    if (ann.args.length === 0)
      this.error(
        'InvalidConstraint',
        `@${ann.name}(…) as a body line names the properties it applies to`,
        ann.pos,
      );
    const names: string[] = [];
    for (const a of ann.args) {
      if (a.kind !== 'ident')
        this.error('InvalidConstraint', `@${ann.name}(…) takes property names`, a.pos);
      names.push(a.value);
    }
    if (ann.name === 'key' && names.length > 1)
      this.error(
        'MultipleKeys',
        '@key names exactly one property (composite keys are not supported)',
        ann.pos,
      );
    this.addSetConstraint(
      ann.name,
      names,
      ann.args[0].pos,
      ann.args.map((a) => a.pos),
    );
  }

  private requireProperty(name: string, pos: Pos, constraint: string): PropertyDef | undefined {
    if (this.props.has(name)) return this.props.get(name);
    if (
      this.kind === 'edge' &&
      (name === 'src' || name === 'dst') &&
      (constraint === 'unique' || constraint === 'index')
    )
      return undefined;
    const known = [...this.props.keys()];
    this.error(
      'UnknownConstraintProperty',
      `@${constraint} names '${name}', which is not a property of ${this.decl}${known.length ? ` (properties: ${known.join(', ')})` : ''}`,
      pos,
    );
  }

  private addSetConstraint(name: string, names: string[], pos: Pos, positions?: Pos[]): void {
    names.forEach((n, i) => this.requireProperty(n, positions?.[i] ?? pos, name));
    if (new Set(names).size !== names.length)
      this.error('InvalidConstraint', `@${name} names a property twice`, pos);
    if (name === 'key') return this.addKey(names[0], pos);
    const list = name === 'unique' ? this.constraints.unique : this.constraints.index;
    if (!list.some((s) => s.length === names.length && s.every((x, i) => x === names[i])))
      list.push(names);
  }

  private addKey(prop: string, pos: Pos): void {
    if (this.kind === 'edge')
      this.error(
        'KeyOnEdge',
        'edges have no @key; their identity is the generated id (use @unique(src, dst) to forbid parallel edges)',
        pos,
      );
    const def = this.props.get(prop)!;
    if (def.nullable)
      this.error(
        'KeyOnNullableProperty',
        `@key property '${def.name}' is nullable; a key must always be present (drop the '?')`,
        pos,
      );
    if (def.type.kind === 'list')
      this.error(
        'KeyOnListProperty',
        `@key property '${def.name}' is a list; a key must be a single value`,
        pos,
      );
    if (def.type.kind !== 'enum' && !(def.type.kind === 'scalar' && KEY_SCALARS.has(def.type.name)))
      this.error(
        'InvalidKeyType',
        `@key property '${def.name}' is ${describe(def)}; a key must be String, an integer or an enum`,
        pos,
      );
    if (!this.constraints.key.includes(prop)) this.constraints.key.push(prop);
  }

  private addRange(prop: string, arg: Extract<AnnotationArg, { kind: 'range' }>, pos: Pos): void {
    if (this.kind === 'edge')
      this.error('ConstraintNotAllowed', '@range applies to node properties only', pos);
    const def = this.requireProperty(prop, pos, 'range')!;
    if (!(def.type.kind === 'scalar' && NUMERIC.has(def.type.name)))
      this.error(
        'RangeOnNonNumeric',
        `@range needs a numeric property, but '${prop}' is ${describe(def)}`,
        pos,
      );
    if (arg.maxStar)
      this.error(
        'InvalidConstraint',
        '@range uses an empty bound for "open", e.g. @range(0..), not *',
        arg.pos,
      );
    if (arg.min === null && arg.max === null)
      this.error('InvalidConstraint', '@range needs at least one bound', arg.pos);
    if (arg.min !== null && arg.max !== null && arg.min > arg.max)
      this.error(
        'InvalidRange',
        `@range(${arg.min}..${arg.max}): min is greater than max`,
        arg.pos,
      );
    this.constraints.range.push({ property: prop, min: arg.min, max: arg.max });
  }

  private addCheck(prop: string, pattern: string, pos: Pos): void {
    if (this.kind === 'edge')
      this.error('ConstraintNotAllowed', '@check applies to node properties only', pos);
    const def = this.requireProperty(prop, pos, 'check')!;
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
      );
    try {
      new RegExp(pattern, 'u');
    } catch (err) {
      this.error(
        'InvalidCheckRegex',
        `@check pattern "${pattern}" is not a valid regular expression: ${(err as Error).message}`,
        pos,
      );
    }
    this.constraints.check.push({ property: prop, pattern });
  }
}
