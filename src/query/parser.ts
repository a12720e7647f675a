/**
 * Recursive-descent parser for `.gq` files (docs/query-language.md §Grammar;
 * docs/query-language.md has the grammar). Every syntax error is a ParseError at the
 * token where the parser got stuck, saying what it expected there.
 */
import { TokenCursor } from '../lang/cursor.js';
import { describeToken, tokenize, type Token } from './lexer.js';
import type {
  AssignNode,
  ClauseNode,
  CompareOp,
  ExprNode,
  MutationBodyNode,
  OrderItemNode,
  ParamDeclNode,
  Pos,
  QueryAnnotationNode,
  PropMatchNode,
  QueryDeclNode,
  QueryFile,
  ReadBodyNode,
  ReturnItemNode,
  StatementNode,
  TypeRef,
  VarRefNode,
  WherePredNode,
} from './ast.js';

const COMPARE_PUNCT = new Set(['=', '!=', '<', '<=', '>', '>=']);

class Parser extends TokenCursor<Token> {
  constructor(tokens: Token[], source: string, file: string) {
    super(tokens, source, file, describeToken);
  }

  private isKeyword(text: string, t = this.peek()): boolean {
    return t.kind === 'ident' && t.text === text;
  }

  private skipComma(): void {
    if (this.isPunct(',')) this.next();
  }

  parseFile(): QueryFile {
    const queries: QueryDeclNode[] = [];
    while (this.peek().kind !== 'eof') {
      if (!this.isKeyword('query'))
        this.fail(`expected 'query', found ${describeToken(this.peek())}`);
      queries.push(this.parseQuery());
    }
    return { file: this.file, queries };
  }

  private parseQuery(): QueryDeclNode {
    const kw = this.next();
    const name = this.expectIdent('the query name');
    this.expectPunct('(', `after the query name '${name.text}' (write '()' for no parameters)`);
    const params: ParamDeclNode[] = [];
    if (!this.isPunct(')')) {
      for (;;) {
        params.push(this.parseParam());
        if (this.isPunct(',')) {
          this.next();
          continue;
        }
        this.expectPunct(')', "or ',' in the parameter list");
        break;
      }
    } else this.next();
    const annotations: QueryAnnotationNode[] = [];
    while (this.isPunct('@')) annotations.push(this.parseAnnotation());
    this.expectPunct('{', `to open the body of query '${name.text}'`);
    const first = this.peek();
    let body: ReadBodyNode | MutationBodyNode;
    if (this.isKeyword('match')) body = this.parseReadBody();
    else if (this.isKeyword('insert') || this.isKeyword('update') || this.isKeyword('delete'))
      body = this.parseMutationBody();
    else
      return this.fail(
        `expected 'match', 'insert', 'update' or 'delete' in the body of query '${name.text}', found ${describeToken(first)}`,
      );
    if (this.peek().kind === 'eof')
      this.fail(
        `unexpected end of file: the body of query '${name.text}' is not closed (missing '}')`,
      );
    this.expectPunct('}', `to close the body of query '${name.text}'`);
    return {
      name: name.text,
      pos: this.pos(kw),
      namePos: this.pos(name),
      params,
      annotations,
      body,
    };
  }

  private parseParam(): ParamDeclNode {
    const v = this.peek();
    if (v.kind !== 'var')
      this.fail(`expected a parameter ($name: Type), found ${describeToken(v)}`);
    this.next();
    if (v.text === '_') this.fail(`'$_' is the wildcard variable and cannot be a parameter`, v);
    this.expectPunct(':', `after parameter '$${v.text}' ($${v.text}: Type)`);
    const type = this.parseTypeRef();
    let optional = false;
    if (this.isPunct('?')) {
      this.next();
      optional = true;
    }
    return { name: v.text, type, optional, pos: this.pos(v) };
  }

  private parseTypeRef(): TypeRef {
    const t = this.peek();
    if (this.isPunct('[')) {
      this.next();
      const element = this.nested('a list type', () => this.parseTypeRef());
      if (element.kind !== 'scalar')
        this.fail('list parameters hold scalars only ([String], [I64], …)', t);
      this.expectPunct(']', 'to close the list type');
      return { kind: 'list', element, pos: this.pos(t) };
    }
    if (t.kind !== 'ident')
      this.fail(
        `expected a parameter type (String, I64, Vector(n), [T], …), found ${describeToken(t)}`,
      );
    this.next();
    if (t.text === 'Vector') {
      this.expectPunct('(', 'after Vector (Vector(n))');
      const dim = this.peek();
      if (dim.kind !== 'number' || !/^\d+$/.test(dim.text))
        this.fail(
          `expected the vector dimension (a positive integer), found ${describeToken(dim)}`,
        );
      this.next();
      this.expectPunct(')', 'to close Vector(n)');
      return { kind: 'vector', dim: Number(dim.text), pos: this.pos(t) };
    }
    return { kind: 'scalar', name: t.text, pos: this.pos(t) };
  }

  private parseAnnotation(): QueryAnnotationNode {
    const at = this.next();
    const name = this.peek();
    if (name.kind !== 'ident' || name.line !== at.line || name.column !== at.column + 1) {
      this.fail(`expected an annotation name right after '@', found ${describeToken(name)}`);
    }
    this.next();
    const args: Array<string | number | boolean> = [];
    if (this.isPunct('(')) {
      this.next();
      while (!this.isPunct(')')) {
        const a = this.peek();
        if (a.kind === 'string') args.push(a.text);
        else if (a.kind === 'number') args.push(Number(a.text));
        else if (a.kind === 'ident' && (a.text === 'true' || a.text === 'false'))
          args.push(a.text === 'true');
        else
          this.fail(
            `expected an annotation argument (a string, number or boolean), found ${describeToken(a)}`,
          );
        this.next();
        if (this.isPunct(',')) {
          this.next();
          continue;
        }
        if (!this.isPunct(')'))
          this.fail(
            `expected ',' or ')' in the arguments of @${name.text}, found ${describeToken(this.peek())}`,
          );
      }
      this.next();
    }
    return { name: name.text, args, pos: this.pos(at) };
  }

  // ── read bodies ────────────────────────────────────────────────

  private parseReadBody(): ReadBodyNode {
    const matchKw = this.next();
    this.expectPunct('{', "after 'match'");
    const match = this.parseClauses('match');
    if (!this.isKeyword('return'))
      this.fail(
        `expected 'return { … }' after the match block, found ${describeToken(this.peek())}`,
      );
    const retKw = this.next();
    this.expectPunct('{', "after 'return'");
    const returns: ReturnItemNode[] = [];
    while (!this.isPunct('}')) {
      if (this.peek().kind === 'eof')
        this.fail("unexpected end of file: the return block is not closed (missing '}')");
      const start = this.peek();
      const expr = this.parseExpr();
      let alias: string | null = null;
      let aliasPos: Pos | null = null;
      if (this.isKeyword('as')) {
        this.next();
        const a = this.expectIdent("an alias name after 'as'");
        alias = a.text;
        aliasPos = this.pos(a);
      }
      returns.push({ expr, alias, aliasPos, pos: this.pos(start) });
      this.skipComma();
    }
    if (returns.length === 0) this.fail('the return block needs at least one expression');
    this.next();
    const order: OrderItemNode[] = [];
    let orderPos: Pos | null = null;
    if (this.isKeyword('order')) {
      orderPos = this.pos(this.next());
      this.expectPunct('{', "after 'order'");
      while (!this.isPunct('}')) {
        if (this.peek().kind === 'eof')
          this.fail("unexpected end of file: the order block is not closed (missing '}')");
        const start = this.peek();
        const expr = this.parseExpr();
        let direction: 'asc' | 'desc' = 'asc';
        if (this.isKeyword('asc') || this.isKeyword('desc'))
          direction = this.next().text as 'asc' | 'desc';
        order.push({ expr, direction, pos: this.pos(start) });
        this.skipComma();
      }
      if (order.length === 0) this.fail('the order block needs at least one expression');
      this.next();
    }
    let limit: ReadBodyNode['limit'] = null;
    if (this.isKeyword('limit')) {
      this.next();
      const n = this.peek();
      if (n.kind !== 'number' || !/^-?\d+$/.test(n.text))
        this.fail(`expected an integer after 'limit', found ${describeToken(n)}`);
      this.next();
      limit = { value: Number(n.text), text: n.text, pos: this.pos(n) };
    }
    return {
      kind: 'read',
      match,
      matchPos: this.pos(matchKw),
      returns,
      returnPos: this.pos(retKw),
      order,
      orderPos,
      limit,
    };
  }

  /** Clauses up to and including the closing '}'. */
  private parseClauses(owner: string): ClauseNode[] {
    const clauses: ClauseNode[] = [];
    for (;;) {
      if (this.isPunct('}')) {
        if (clauses.length === 0) this.fail(`the ${owner} block needs at least one clause`);
        this.next();
        return clauses;
      }
      if (this.peek().kind === 'eof')
        this.fail(`unexpected end of file: the ${owner} block is not closed (missing '}')`);
      clauses.push(this.parseClause());
      this.skipComma();
    }
  }

  private parseClause(): ClauseNode {
    const t = this.peek();
    if (this.isKeyword('not') && this.isPunct('{', this.peek(1))) {
      this.next();
      this.next();
      const clauses = this.nested("a 'not' block", () => this.parseClauses('not'));
      return { kind: 'not', clauses, pos: this.pos(t) };
    }
    if (t.kind === 'var') {
      const after = this.peek(1);
      if (this.isPunct(':', after)) return this.parseBinding();
      if (after.kind === 'ident' && this.startsTraversal(t, after)) return this.parseTraversal();
    }
    const left = this.parseExpr();
    const opTok = this.peek();
    const op = this.compareOp();
    if (op === null)
      return { kind: 'filter', left, op: null, opPos: null, right: null, pos: this.pos(t) };
    const right = this.parseExpr();
    return { kind: 'filter', left, op, opPos: this.pos(opTok), right, pos: this.pos(t) };
  }

  /**
   * `$a edge $b` (or `$a edge{…} $b`): the edge name on the same line as `$a`, or,
   * across lines, followed by the destination variable or hop bounds. Otherwise
   * `$a` ends a clause and the identifier starts the next one (`not { … }`, `search(…)`).
   */
  private startsTraversal(src: Token, edge: Token): boolean {
    if (edge.line === src.line) return true;
    const next = this.peek(2);
    if (next.kind === 'var') return true;
    return this.isPunct('{', next) && this.peek(3).kind === 'number';
  }

  private compareOp(): CompareOp | null {
    const t = this.peek();
    if (t.kind === 'punct' && COMPARE_PUNCT.has(t.text)) {
      this.next();
      return t.text as CompareOp;
    }
    if (this.isKeyword('contains')) {
      this.next();
      return 'contains';
    }
    return null;
  }

  private varRef(t: Token): VarRefNode {
    return { name: t.text, pos: this.pos(t) };
  }

  private parseBinding(): ClauseNode {
    const v = this.next();
    this.next(); // ':'
    const type = this.expectIdent(`a node type name after '$${v.text}:'`);
    const props: PropMatchNode[] = [];
    if (this.isPunct('{')) {
      this.next();
      while (!this.isPunct('}')) {
        if (this.peek().kind === 'eof')
          this.fail(
            `unexpected end of file: the property match of '$${v.text}' is not closed (missing '}')`,
          );
        const p = this.expectIdent('a property name (name: value)');
        this.expectPunct(':', `after property name '${p.text}'`);
        props.push({ prop: p.text, value: this.parseExpr(), pos: this.pos(p) });
        this.skipComma();
      }
      this.next();
    }
    return {
      kind: 'binding',
      var: this.varRef(v),
      type: type.text,
      typePos: this.pos(type),
      props,
      pos: this.pos(v),
    };
  }

  private parseTraversal(): ClauseNode {
    const src = this.next();
    const edge = this.next();
    let minHops = 1;
    let maxHops: number | null = 1;
    let hopsPos: Pos | null = null;
    if (this.isPunct('{') && this.peek(1).kind === 'number') {
      const open = this.next();
      hopsPos = this.pos(open);
      const lo = this.next();
      if (!/^\d+$/.test(lo.text))
        this.fail(`expected a non-negative integer hop count, found ${describeToken(lo)}`, lo);
      minHops = Number(lo.text);
      maxHops = minHops;
      if (this.isPunct(',')) {
        this.next();
        const hi = this.peek();
        if (hi.kind === 'number') {
          if (!/^\d+$/.test(hi.text))
            this.fail(`expected a non-negative integer hop count, found ${describeToken(hi)}`);
          this.next();
          maxHops = Number(hi.text);
        } else maxHops = null;
      }
      this.expectPunct('}', 'to close the hop bounds ({min,max})');
    }
    const dst = this.peek();
    if (dst.kind !== 'var')
      this.fail(
        `expected the target variable of traversal '${edge.text}' ($a ${edge.text} $b), found ${describeToken(dst)}`,
      );
    this.next();
    return {
      kind: 'traversal',
      src: this.varRef(src),
      edge: edge.text,
      edgePos: this.pos(edge),
      minHops,
      maxHops,
      hopsPos,
      dst: this.varRef(dst),
      pos: this.pos(src),
    };
  }

  // ── expressions ────────────────────────────────────────────────

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

  // ── mutation bodies ────────────────────────────────────────────

  private parseMutationBody(): MutationBodyNode {
    const statements: StatementNode[] = [];
    while (this.isKeyword('insert') || this.isKeyword('update') || this.isKeyword('delete')) {
      statements.push(this.parseStatement());
      this.skipComma();
    }
    if (!this.isPunct('}') && this.peek().kind !== 'eof') {
      this.fail(
        `expected 'insert', 'update', 'delete' or '}' in a mutation body, found ${describeToken(this.peek())}`,
      );
    }
    return { kind: 'mutation', statements };
  }

  private parseStatement(): StatementNode {
    const kw = this.next();
    const type = this.expectIdent(`a type name after '${kw.text}'`);
    const pos = this.pos(kw);
    if (kw.text === 'insert') {
      if (!this.isPunct('{'))
        this.fail(
          `expected '{' with the values of the new ${type.text}, found ${describeToken(this.peek())}`,
        );
      return {
        kind: 'insert',
        type: type.text,
        typePos: this.pos(type),
        values: this.parseAssignments(),
        pos,
      };
    }
    if (kw.text === 'update') {
      if (!this.isKeyword('set'))
        this.fail(
          `expected 'set { … }' after 'update ${type.text}', found ${describeToken(this.peek())}`,
        );
      this.next();
      if (!this.isPunct('{'))
        this.fail(`expected '{' after 'set', found ${describeToken(this.peek())}`);
      const set = this.parseAssignments();
      return {
        kind: 'update',
        type: type.text,
        typePos: this.pos(type),
        set,
        where: this.parseWhere(`update ${type.text}`),
        pos,
      };
    }
    return {
      kind: 'delete',
      type: type.text,
      typePos: this.pos(type),
      where: this.parseWhere(`delete ${type.text}`),
      pos,
    };
  }

  private parseAssignments(): AssignNode[] {
    this.next(); // '{'
    const out: AssignNode[] = [];
    while (!this.isPunct('}')) {
      if (this.peek().kind === 'eof')
        this.fail("unexpected end of file: the value block is not closed (missing '}')");
      const p = this.expectIdent('a property name (name: value)');
      this.expectPunct(':', `after property name '${p.text}'`);
      out.push({ prop: p.text, value: this.parseExpr(), pos: this.pos(p) });
      this.skipComma();
    }
    this.next();
    return out;
  }

  private parseWhere(owner: string): WherePredNode[] {
    if (!this.isKeyword('where'))
      this.fail(
        `expected 'where <property> <op> <value>' after '${owner}', found ${describeToken(this.peek())}`,
      );
    this.next();
    const preds: WherePredNode[] = [];
    for (;;) {
      const p = this.expectIdent('a property name in the where condition');
      const op = this.compareOp();
      if (op === null)
        this.fail(
          `expected a comparison operator (= != < <= > >= contains) after '${p.text}', found ${describeToken(this.peek())}`,
        );
      preds.push({ prop: p.text, op, value: this.parseExpr(), pos: this.pos(p) });
      if (this.isKeyword('and')) {
        this.next();
        continue;
      }
      return preds;
    }
  }
}

export function parseQueries(source: string, file: string): QueryFile {
  return new Parser(tokenize(source, file), source, file).parseFile();
}
