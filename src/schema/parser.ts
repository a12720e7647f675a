/**
 * Recursive-descent parser for `.pg` files (docs/schema-language.md).
 * Every syntax error is a ParseError at the token where the parser got stuck,
 * saying what it expected there.
 */
import { TokenCursor } from '../lang/cursor.js';
import { describeToken, tokenize, type Token } from './lexer.js';
import type {
  AnnotationArg,
  AnnotationNode,
  BodyItem,
  Declaration,
  EdgeDecl,
  InterfaceDecl,
  NodeDecl,
  Pos,
  PropertyNode,
  SchemaFile,
  TypeNode,
} from './ast.js';

class Parser extends TokenCursor<Token> {
  constructor(tokens: Token[], source: string, file: string) {
    super(tokens, source, file, describeToken);
  }

  parseFile(): SchemaFile {
    const declarations: Declaration[] = [];
    while (this.peek().kind !== 'eof') declarations.push(this.parseDeclaration());
    return { file: this.file, declarations };
  }

  private parseDeclaration(): Declaration {
    const t = this.peek();
    if (t.kind === 'ident') {
      if (t.text === 'node') return this.parseNode();
      if (t.text === 'edge') return this.parseEdge();
      if (t.text === 'interface') return this.parseInterface();
    }
    return this.fail(`expected 'node', 'edge' or 'interface', found ${describeToken(t)}`);
  }

  private typeName(what: string): Token {
    const t = this.expectIdent(`${what} name`);
    if (!/^[A-Z][A-Za-z0-9_]*$/.test(t.text))
      this.fail(
        `${what} name '${t.text}' must start with an upper-case letter and contain only letters, digits and '_'`,
        t,
      );
    return t;
  }

  private parseInterface(): InterfaceDecl {
    const kw = this.next();
    const name = this.typeName('interface');
    const body = this.parseBody(`interface ${name.text}`);
    for (const item of body) {
      if (item.kind === 'constraint') {
        this.fail(
          `interface ${name.text} may only declare properties; put '@${item.annotation.name}(…)' on the nodes that implement it`,
          this.tokenAt(item.pos),
        );
      }
    }
    return { kind: 'interface', name: name.text, body, pos: this.pos(kw) };
  }

  private tokenAt(pos: Pos): Token {
    return this.tokens.find((t) => t.line === pos.line && t.column === pos.column) ?? this.peek();
  }

  private parseNode(): NodeDecl {
    const kw = this.next();
    const name = this.typeName('node');
    const annotations = this.parseAnnotations();
    const impls: NodeDecl['implements'] = [];
    if (this.peek().kind === 'ident' && this.peek().text === 'implements') {
      this.next();
      do {
        const n = this.typeName('interface');
        impls.push({ name: n.text, pos: this.pos(n) });
      } while (this.isPunct(',') && this.next());
      annotations.push(...this.parseAnnotations());
    }
    if (!this.isPunct('{'))
      this.fail(
        `expected '{' to open the body of node ${name.text}, found ${describeToken(this.peek())}`,
      );
    const body = this.parseBody(`node ${name.text}`);
    return {
      kind: 'node',
      name: name.text,
      annotations,
      implements: impls,
      body,
      pos: this.pos(kw),
    };
  }

  private parseEdge(): EdgeDecl {
    const kw = this.next();
    const name = this.typeName('edge');
    this.expectPunct(':', `after edge name ${name.text} (edge ${name.text}: From -> To)`);
    const from = this.typeName('source node type');
    this.expectPunct('->', `between the endpoint types of edge ${name.text}`);
    const to = this.typeName('target node type');
    const annotations = this.parseAnnotations();
    let body: BodyItem[] = [];
    if (this.isPunct('{')) body = this.parseBody(`edge ${name.text}`);
    return {
      kind: 'edge',
      name: name.text,
      from: { name: from.text, pos: this.pos(from) },
      to: { name: to.text, pos: this.pos(to) },
      annotations,
      body,
      pos: this.pos(kw),
    };
  }

  private parseBody(owner: string): BodyItem[] {
    this.expectPunct('{', `to open the body of ${owner}`);
    const items: BodyItem[] = [];
    for (;;) {
      const t = this.peek();
      if (this.isPunct('}')) {
        this.next();
        return items;
      }
      if (t.kind === 'eof')
        this.fail(`unexpected end of file: the body of ${owner} is not closed (missing '}')`);
      if (this.isPunct('@')) {
        const annotation = this.parseAnnotation();
        items.push({ kind: 'constraint', annotation, pos: annotation.pos });
        continue;
      }
      if (t.kind === 'ident') {
        items.push(this.parseProperty());
        this.skipSeparator();
        continue;
      }
      this.fail(
        `expected a property (name: Type), a constraint (@…) or '}' in ${owner}, found ${describeToken(t)}`,
      );
    }
  }

  private skipSeparator(): void {
    if (this.isPunct(',')) this.next();
  }

  private parseProperty(): PropertyNode {
    const name = this.next();
    if (!/^[a-z_][A-Za-z0-9_]*$/.test(name.text)) {
      this.fail(
        `property name '${name.text}' must start with a lower-case letter or '_' and contain only letters, digits and '_'`,
        name,
      );
    }
    this.expectPunct(':', `after property name '${name.text}'`);
    const type = this.parseType();
    let nullable = false;
    if (this.isPunct('?')) {
      this.next();
      nullable = true;
    }
    // Annotations on the property's own line belong to it; an `@…` on a later line
    // is a body-line constraint such as `@unique(a, b)`.
    const annotations: AnnotationNode[] = [];
    while (this.isPunct('@') && this.peek().line === this.tokens[this.i - 1].line)
      annotations.push(this.parseAnnotation());
    return { kind: 'property', name: name.text, type, nullable, annotations, pos: this.pos(name) };
  }

  private parseType(): TypeNode {
    const t = this.peek();
    if (this.isPunct('[')) {
      this.next();
      const element = this.nested('a list type', () => this.parseType());
      if (this.isPunct('?'))
        this.fail('list elements cannot be nullable; write [T]? for a nullable list');
      this.expectPunct(']', 'to close the list type');
      return { kind: 'list', element, pos: this.pos(t) };
    }
    if (t.kind !== 'ident')
      this.fail(
        `expected a type (String, I32, Vector(n), [T], enum(…), …), found ${describeToken(t)}`,
      );
    this.next();
    if (t.text === 'Vector') {
      this.expectPunct('(', 'after Vector (Vector(n))');
      const dim = this.peek();
      if (dim.kind !== 'number' || !/^-?\d+$/.test(dim.text))
        this.fail(`expected the vector dimension (an integer), found ${describeToken(dim)}`);
      this.next();
      this.expectPunct(')', 'to close Vector(n)');
      return { kind: 'vector', dim: Number(dim.text), dimText: dim.text, pos: this.pos(t) };
    }
    if (t.text === 'enum') {
      this.expectPunct('(', 'after enum (enum(a, b, c))');
      const values: Array<{ value: string; pos: Pos }> = [];
      if (this.isPunct(')')) this.fail('an enum needs at least one value');
      for (;;) {
        const v = this.peek();
        if (v.kind !== 'ident' && v.kind !== 'number' && v.kind !== 'string')
          this.fail(`expected an enum value, found ${describeToken(v)}`);
        this.next();
        values.push({ value: v.text, pos: this.pos(v) });
        if (this.isPunct(',')) {
          this.next();
          continue;
        }
        this.expectPunct(')', "or ',' in the enum value list");
        break;
      }
      return { kind: 'enum', values, pos: this.pos(t) };
    }
    return { kind: 'named', name: t.text, pos: this.pos(t) };
  }

  private parseAnnotations(): AnnotationNode[] {
    const out: AnnotationNode[] = [];
    while (this.isPunct('@')) out.push(this.parseAnnotation());
    return out;
  }

  private parseAnnotation(): AnnotationNode {
    const at = this.next();
    const name = this.peek();
    if (name.kind !== 'ident' || name.line !== at.line || name.column !== at.column + 1) {
      this.fail(`expected an annotation name right after '@', found ${describeToken(name)}`);
    }
    this.next();
    const args: AnnotationArg[] = [];
    let hasParens = false;
    // The '(' must touch the name: `@key (x)` is not an argument list in any fixture.
    if (this.isPunct('(') && this.peek().offset === name.offset + name.text.length) {
      hasParens = true;
      this.next();
      if (!this.isPunct(')')) {
        for (;;) {
          args.push(this.parseAnnotationArg());
          if (this.isPunct(',')) {
            this.next();
            continue;
          }
          this.expectPunct(')', `or ',' in the arguments of @${name.text}`);
          break;
        }
      } else this.next();
    }
    return { name: name.text, args, hasParens, pos: this.pos(at) };
  }

  private parseAnnotationArg(): AnnotationArg {
    const t = this.peek();
    const pos = this.pos(t);
    if (this.isPunct('..')) {
      this.next();
      return this.finishRange(null, pos);
    }
    if (t.kind === 'number') {
      this.next();
      if (this.isPunct('..')) {
        this.next();
        return this.finishRange(Number(t.text), pos);
      }
      return { kind: 'number', value: Number(t.text), text: t.text, pos };
    }
    if (t.kind === 'string') {
      this.next();
      return { kind: 'string', value: t.text, pos };
    }
    if (t.kind === 'ident') {
      this.next();
      return { kind: 'ident', value: t.text, pos };
    }
    return this.fail(
      `expected an annotation argument (a name, a string, a number or a range min..max), found ${describeToken(t)}`,
    );
  }

  private finishRange(min: number | null, pos: Pos): AnnotationArg {
    const t = this.peek();
    if (t.kind === 'number') {
      this.next();
      return { kind: 'range', min, max: Number(t.text), maxStar: false, pos };
    }
    if (this.isPunct('*')) {
      this.next();
      return { kind: 'range', min, max: null, maxStar: true, pos };
    }
    if (min === null) this.fail(`expected the upper bound of the range, found ${describeToken(t)}`);
    return { kind: 'range', min, max: null, maxStar: false, pos };
  }
}

export function parseSchema(source: string, file: string): SchemaFile {
  return new Parser(tokenize(source, file), source, file).parseFile();
}
