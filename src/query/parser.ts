/**
 * Recursive-descent parser for `.gq` files (docs/query-language.md §Grammar;
 * docs/query-language.md has the grammar). Every syntax error is a ParseError at the
 * token where the parser got stuck, saying what it expected there.
 */
import { describeToken, tokenize, type Token } from './lexer.js';
import type {
  AssignNode,
  CompareOp,
  MutationBodyNode,
  OrderItemNode,
  ParamDeclNode,
  Pos,
  QueryAnnotationNode,
  QueryDeclNode,
  QueryFile,
  ReadBodyNode,
  ReturnItemNode,
  StatementNode,
  TypeRef,
  WherePredNode,
} from './ast.js';
import { GqCursor } from './gq-cursor.js';
import { ClauseParser } from './parse-match.js';

/** Mutation predicates take the comparisons only (`starts_with` is a match filter). */
const COMPARE_PUNCT = new Set(['=', '!=', '<', '<=', '>', '>=']);

class Parser {
  private readonly c: GqCursor;
  /** The parameters of the query being parsed (the clause parser asks). */
  private params = new Set<string>();

  constructor(
    tokens: Token[],
    source: string,
    private readonly file: string,
  ) {
    this.c = new GqCursor(tokens, source, file);
  }

  parseFile(): QueryFile {
    const queries: QueryDeclNode[] = [];
    while (this.c.peek().kind !== 'eof') {
      if (!this.c.isKeyword('query'))
        this.c.fail(`expected 'query', found ${describeToken(this.c.peek())}`);
      queries.push(this.parseQuery());
    }
    return { file: this.file, queries };
  }

  private parseQuery(): QueryDeclNode {
    const kw = this.c.next();
    const name = this.c.expectIdent('the query name');
    this.c.expectPunct('(', `after the query name '${name.text}' (write '()' for no parameters)`);
    const params: ParamDeclNode[] = [];
    if (!this.c.isPunct(')')) {
      for (;;) {
        params.push(this.parseParam());
        if (this.c.isPunct(',')) {
          this.c.next();
          continue;
        }
        this.c.expectPunct(')', "or ',' in the parameter list");
        break;
      }
    } else this.c.next();
    this.params = new Set(params.map((p) => p.name));
    const annotations: QueryAnnotationNode[] = [];
    while (this.c.isPunct('@')) annotations.push(this.parseAnnotation(name.text, annotations));
    this.c.expectPunct('{', `to open the body of query '${name.text}'`);
    const first = this.c.peek();
    let body: ReadBodyNode | MutationBodyNode;
    if (this.c.isKeyword('match')) body = this.parseReadBody();
    else if (this.c.isKeyword('insert') || this.c.isKeyword('update') || this.c.isKeyword('delete'))
      body = this.parseMutationBody();
    else
      return this.c.fail(
        `expected 'match', 'insert', 'update' or 'delete' in the body of query '${name.text}', found ${describeToken(first)}`,
      );
    if (this.c.peek().kind === 'eof')
      this.c.fail(
        `unexpected end of file: the body of query '${name.text}' is not closed (missing '}')`,
      );
    this.c.expectPunct('}', `to close the body of query '${name.text}'`);
    return {
      name: name.text,
      pos: this.c.pos(kw),
      namePos: this.c.pos(name),
      params,
      annotations,
      body,
    };
  }

  private parseParam(): ParamDeclNode {
    const v = this.c.peek();
    if (v.kind !== 'var')
      this.c.fail(`expected a parameter ($name: Type), found ${describeToken(v)}`);
    this.c.next();
    if (v.text === '_') this.c.fail(`'$_' is the wildcard variable and cannot be a parameter`, v);
    this.c.expectPunct(':', `after parameter '$${v.text}' ($${v.text}: Type)`);
    const type = this.parseTypeRef();
    let optional = false;
    if (this.c.isPunct('?')) {
      this.c.next();
      optional = true;
    }
    return { name: v.text, type, optional, pos: this.c.pos(v) };
  }

  private parseTypeRef(): TypeRef {
    const t = this.c.peek();
    if (this.c.isPunct('[')) {
      this.c.next();
      const element = this.c.nested('a list type', () => this.parseTypeRef());
      if (element.kind !== 'scalar')
        this.c.fail('list parameters hold scalars only ([String], [I64], …)', t);
      this.c.expectPunct(']', 'to close the list type');
      return { kind: 'list', element, pos: this.c.pos(t) };
    }
    if (t.kind !== 'ident')
      this.c.fail(
        `expected a parameter type (String, I64, Vector(n), [T], …), found ${describeToken(t)}`,
      );
    this.c.next();
    if (t.text === 'Vector') {
      this.c.expectPunct('(', 'after Vector (Vector(n))');
      const dim = this.c.peek();
      if (dim.kind !== 'number' || !/^\d+$/.test(dim.text))
        this.c.fail(
          `expected the vector dimension (a positive integer), found ${describeToken(dim)}`,
        );
      this.c.next();
      this.c.expectPunct(')', 'to close Vector(n)');
      return { kind: 'vector', dim: Number(dim.text), pos: this.c.pos(t) };
    }
    return { kind: 'scalar', name: t.text, pos: this.c.pos(t) };
  }

  /** `@name(args)`; `@description("…")` and `@instruction("…")` take one string, once per query. */
  private parseAnnotation(query: string, prior: QueryAnnotationNode[]): QueryAnnotationNode {
    const at = this.c.next();
    const name = this.c.peek();
    if (name.kind !== 'ident' || name.line !== at.line || name.column !== at.column + 1) {
      this.c.fail(`expected an annotation name right after '@', found ${describeToken(name)}`);
    }
    this.c.next();
    const args: Array<string | number | boolean> = [];
    if (this.c.isPunct('(')) {
      this.c.next();
      while (!this.c.isPunct(')')) {
        const a = this.c.peek();
        if (a.kind === 'string') args.push(a.text);
        else if (a.kind === 'number') args.push(Number(a.text));
        else if (a.kind === 'ident' && (a.text === 'true' || a.text === 'false'))
          args.push(a.text === 'true');
        else
          this.c.fail(
            `expected an annotation argument (a string, number or boolean), found ${describeToken(a)}`,
          );
        this.c.next();
        if (this.c.isPunct(',')) {
          this.c.next();
          continue;
        }
        if (!this.c.isPunct(')'))
          this.c.fail(
            `expected ',' or ')' in the arguments of @${name.text}, found ${describeToken(this.c.peek())}`,
          );
      }
      this.c.next();
    }
    const ann = { name: name.text, args, pos: this.c.pos(at) };
    if (name.text === 'description' || name.text === 'instruction') {
      if (args.length !== 1 || typeof args[0] !== 'string')
        this.c.fail(`@${name.text} takes one string: @${name.text}("…")`, at);
      if (prior.some((a) => a.name === name.text))
        this.c.fail(`query '${query}' has a second @${name.text}`, at);
    }
    return ann;
  }

  // ── read bodies ────────────────────────────────────────────────

  private parseReadBody(): ReadBodyNode {
    const matchKw = this.c.next();
    this.c.expectPunct('{', "after 'match'");
    const match = new ClauseParser(this.c, this.params).parseClauses('match');
    if (!this.c.isKeyword('return'))
      this.c.fail(
        `expected 'return { … }' after the match block, found ${describeToken(this.c.peek())}`,
      );
    const retKw = this.c.next();
    this.c.expectPunct('{', "after 'return'");
    const returns: ReturnItemNode[] = [];
    while (!this.c.isPunct('}')) {
      if (this.c.peek().kind === 'eof')
        this.c.fail("unexpected end of file: the return block is not closed (missing '}')");
      const start = this.c.peek();
      const expr = this.c.parseExpr();
      let alias: string | null = null;
      let aliasPos: Pos | null = null;
      if (this.c.isKeyword('as')) {
        this.c.next();
        const a = this.c.expectIdent("an alias name after 'as'");
        alias = a.text;
        aliasPos = this.c.pos(a);
      }
      returns.push({ expr, alias, aliasPos, pos: this.c.pos(start) });
      this.c.skipComma();
    }
    if (returns.length === 0) this.c.fail('the return block needs at least one expression');
    this.c.next();
    const order: OrderItemNode[] = [];
    let orderPos: Pos | null = null;
    if (this.c.isKeyword('order')) {
      orderPos = this.c.pos(this.c.next());
      this.c.expectPunct('{', "after 'order'");
      while (!this.c.isPunct('}')) {
        if (this.c.peek().kind === 'eof')
          this.c.fail("unexpected end of file: the order block is not closed (missing '}')");
        const start = this.c.peek();
        const expr = this.c.parseExpr();
        let direction: 'asc' | 'desc' = 'asc';
        if (this.c.isKeyword('asc') || this.c.isKeyword('desc'))
          direction = this.c.next().text as 'asc' | 'desc';
        order.push({ expr, direction, pos: this.c.pos(start) });
        this.c.skipComma();
      }
      if (order.length === 0) this.c.fail('the order block needs at least one expression');
      this.c.next();
    }
    let limit: ReadBodyNode['limit'] = null;
    if (this.c.isKeyword('limit')) {
      this.c.next();
      const n = this.c.peek();
      if (n.kind !== 'number' || !/^-?\d+$/.test(n.text))
        this.c.fail(`expected an integer after 'limit', found ${describeToken(n)}`);
      this.c.next();
      limit = { value: Number(n.text), text: n.text, pos: this.c.pos(n) };
    }
    return {
      kind: 'read',
      match,
      matchPos: this.c.pos(matchKw),
      returns,
      returnPos: this.c.pos(retKw),
      order,
      orderPos,
      limit,
    };
  }

  // ── mutation bodies ────────────────────────────────────────────

  private parseMutationBody(): MutationBodyNode {
    const statements: StatementNode[] = [];
    while (this.c.isKeyword('insert') || this.c.isKeyword('update') || this.c.isKeyword('delete')) {
      statements.push(this.parseStatement());
      this.c.skipComma();
    }
    if (!this.c.isPunct('}') && this.c.peek().kind !== 'eof') {
      this.c.fail(
        `expected 'insert', 'update', 'delete' or '}' in a mutation body, found ${describeToken(this.c.peek())}`,
      );
    }
    return { kind: 'mutation', statements };
  }

  private parseStatement(): StatementNode {
    const kw = this.c.next();
    const type = this.c.expectIdent(`a type name after '${kw.text}'`);
    const pos = this.c.pos(kw);
    if (kw.text === 'insert') {
      if (!this.c.isPunct('{'))
        this.c.fail(
          `expected '{' with the values of the new ${type.text}, found ${describeToken(this.c.peek())}`,
        );
      return {
        kind: 'insert',
        type: type.text,
        typePos: this.c.pos(type),
        values: this.parseAssignments(),
        pos,
      };
    }
    if (kw.text === 'update') {
      if (!this.c.isKeyword('set'))
        this.c.fail(
          `expected 'set { … }' after 'update ${type.text}', found ${describeToken(this.c.peek())}`,
        );
      this.c.next();
      if (!this.c.isPunct('{'))
        this.c.fail(`expected '{' after 'set', found ${describeToken(this.c.peek())}`);
      const set = this.parseAssignments();
      return {
        kind: 'update',
        type: type.text,
        typePos: this.c.pos(type),
        set,
        where: this.parseWhere(`update ${type.text}`),
        pos,
      };
    }
    return {
      kind: 'delete',
      type: type.text,
      typePos: this.c.pos(type),
      where: this.parseWhere(`delete ${type.text}`),
      pos,
    };
  }

  private parseAssignments(): AssignNode[] {
    this.c.next(); // '{'
    const out: AssignNode[] = [];
    while (!this.c.isPunct('}')) {
      if (this.c.peek().kind === 'eof')
        this.c.fail("unexpected end of file: the value block is not closed (missing '}')");
      const p = this.c.expectIdent('a property name (name: value)');
      this.c.expectPunct(':', `after property name '${p.text}'`);
      out.push({ prop: p.text, value: this.c.parseExpr(), pos: this.c.pos(p) });
      this.c.skipComma();
    }
    this.c.next();
    return out;
  }

  private compareOp(): CompareOp | null {
    const t = this.c.peek();
    if (t.kind === 'punct' && COMPARE_PUNCT.has(t.text)) {
      this.c.next();
      return t.text as CompareOp;
    }
    if (this.c.isKeyword('contains')) {
      this.c.next();
      return 'contains';
    }
    return null;
  }

  private parseWhere(owner: string): WherePredNode[] {
    if (!this.c.isKeyword('where'))
      this.c.fail(
        `expected 'where <property> <op> <value>' after '${owner}', found ${describeToken(this.c.peek())}`,
      );
    this.c.next();
    const preds: WherePredNode[] = [];
    for (;;) {
      const p = this.c.expectIdent('a property name in the where condition');
      const op = this.compareOp();
      if (op === null)
        this.c.fail(
          `expected a comparison operator (= != < <= > >= contains) after '${p.text}', found ${describeToken(this.c.peek())}`,
        );
      preds.push({ prop: p.text, op, value: this.c.parseExpr(), pos: this.c.pos(p) });
      if (this.c.isKeyword('and')) {
        this.c.next();
        continue;
      }
      return preds;
    }
  }
}

export function parseQueries(source: string, file: string): QueryFile {
  return new Parser(tokenize(source, file), source, file).parseFile();
}
