/**
 * The `.gq` token cursor the parser's parts share (parser.ts: files, queries, bodies
 * and mutations; parse-match.ts: match clauses): token helpers and expressions, which
 * every part parses. One cursor per file; the parts hold it (composition), so they
 * all move one position.
 */
import { TokenCursor } from '../lang/cursor.js';
import { describeToken, type Token } from './lexer.js';
import type { ExprNode, Pos } from './ast.js';

export class GqCursor extends TokenCursor<Token> {
  constructor(tokens: Token[], source: string, file: string) {
    super(tokens, source, file, describeToken);
  }

  override peek(offset = 0): Token {
    return super.peek(offset);
  }
  override next(): Token {
    return super.next();
  }
  override pos(t: Token): Pos {
    return super.pos(t);
  }
  override isPunct(text: string, t: Token = this.peek()): boolean {
    return super.isPunct(text, t);
  }
  override expectPunct(text: string, what?: string): Token {
    return super.expectPunct(text, what);
  }
  override expectIdent(what: string): Token {
    return super.expectIdent(what);
  }

  isKeyword(text: string, t = this.peek()): boolean {
    return t.kind === 'ident' && t.text === text;
  }

  skipComma(): void {
    if (this.isPunct(',')) this.next();
  }

  parseExpr(): ExprNode {
    const t = this.peek();
    const pos = this.pos(t);
    if (t.kind === 'var') {
      this.next();
      if (this.isPunct('.')) {
        this.next();
        const p = this.peek();
        if (p.kind !== 'ident')
          this.fail(`expected a property name after '$${t.text}.', found ${describeToken(p)}`);
        this.next();
        return { kind: 'prop', var: t.text, prop: p.text, pos, propPos: this.pos(p) };
      }
      return { kind: 'var', name: t.text, pos };
    }
    if (t.kind === 'string') {
      this.next();
      return { kind: 'literal', lit: { kind: 'string', value: t.text }, pos };
    }
    if (t.kind === 'number') {
      this.next();
      const isInt = /^-?\d+$/.test(t.text);
      return {
        kind: 'literal',
        lit: isInt ? { kind: 'int', text: t.text } : { kind: 'float', text: t.text },
        pos,
      };
    }
    if (this.isPunct('[')) return this.nested('a list literal', () => this.parseListLiteral(pos));
    if (t.kind === 'ident') {
      if (t.text === 'true' || t.text === 'false') {
        this.next();
        return { kind: 'literal', lit: { kind: 'bool', value: t.text === 'true' }, pos };
      }
      if (t.text === 'null') {
        this.next();
        return { kind: 'literal', lit: { kind: 'null' }, pos };
      }
      this.next();
      if (this.isPunct('('))
        return this.nested('a function call', () => this.parseCall(t.text, pos));
      return { kind: 'alias', name: t.text, pos };
    }
    return this.fail(
      `expected an expression ($var, $var.prop, a literal or a function call), found ${describeToken(t)}`,
    );
  }

  /** `[a, b, …]`, at the '['. */
  private parseListLiteral(pos: Pos): ExprNode {
    this.next();
    const items: ExprNode[] = [];
    while (!this.isPunct(']')) {
      if (this.peek().kind === 'eof')
        this.fail("unexpected end of file: list literal is not closed (missing ']')");
      items.push(this.parseExpr());
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      if (!this.isPunct(']'))
        this.fail(`expected ',' or ']' in the list literal, found ${describeToken(this.peek())}`);
    }
    this.next();
    return { kind: 'list', items, pos };
  }

  /** `fn(a, b, …)`, at the '(' after the function name. */
  private parseCall(fn: string, pos: Pos): ExprNode {
    this.next();
    const args: ExprNode[] = [];
    while (!this.isPunct(')')) {
      if (this.peek().kind === 'eof')
        this.fail(`unexpected end of file: the arguments of ${fn}( are not closed (missing ')')`);
      args.push(this.parseExpr());
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      if (!this.isPunct(')'))
        this.fail(
          `expected ',' or ')' in the arguments of ${fn}, found ${describeToken(this.peek())}`,
        );
    }
    this.next();
    return { kind: 'call', fn, args, pos };
  }
}
