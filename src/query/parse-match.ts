/**
 * Match clauses of a `.gq` read (docs/query-language.md §Grammar): bindings,
 * traversals (directed, undirected `<edge>`, edge-bound `$w:edge`, hop bounds),
 * filters and `not { }`. Parses on the query's cursor (gq-cursor.ts).
 */
import { describeToken, type Token } from './lexer.js';
import type { ClauseNode, FilterOp, PropMatchNode, VarRefNode } from './ast.js';
import type { GqCursor } from './gq-cursor.js';

const COMPARE_PUNCT = new Set(['=', '!=', '<', '<=', '>', '>=']);

/** Infix string operators: after a declared parameter they make a filter, never a traversal. */
const STRING_OPS = new Set(['contains', 'starts_with']);

export class ClauseParser {
  /**
   * @param params the query's declared parameter names: `$q contains $p.name` is a
   *   filter when `$q` is one (a parameter is never a traversal endpoint).
   */
  constructor(
    private readonly c: GqCursor,
    private readonly params: ReadonlySet<string>,
  ) {}

  /** Clauses up to and including the closing '}'. */
  parseClauses(owner: string): ClauseNode[] {
    const c = this.c;
    const clauses: ClauseNode[] = [];
    for (;;) {
      if (c.isPunct('}')) {
        if (clauses.length === 0) c.fail(`the ${owner} block needs at least one clause`);
        c.next();
        return clauses;
      }
      if (c.peek().kind === 'eof')
        c.fail(`unexpected end of file: the ${owner} block is not closed (missing '}')`);
      clauses.push(this.parseClause());
      c.skipComma();
    }
  }

  private parseClause(): ClauseNode {
    const c = this.c;
    const t = c.peek();
    if (c.isKeyword('not') && c.isPunct('{', c.peek(1))) {
      c.next();
      c.next();
      const clauses = c.nested("a 'not' block", () => this.parseClauses('not'));
      return { kind: 'not', clauses, pos: c.pos(t) };
    }
    if (t.kind === 'var' && this.startsTraversal(t)) return this.parseTraversal();
    if (t.kind === 'var' && c.isPunct(':', c.peek(1))) return this.parseBinding();
    const left = c.parseExpr();
    const opTok = c.peek();
    const op = this.filterOp();
    if (op === null)
      return { kind: 'filter', left, op: null, opPos: null, right: null, pos: c.pos(t) };
    const right = c.parseExpr();
    return { kind: 'filter', left, op, opPos: c.pos(opTok), right, pos: c.pos(t) };
  }

  /** Is `<` `ident` `>` at `offset`: an undirected edge? */
  private undirectedAt(offset: number): boolean {
    const c = this.c;
    return (
      c.isPunct('<', c.peek(offset)) &&
      c.peek(offset + 1).kind === 'ident' &&
      c.isPunct('>', c.peek(offset + 2))
    );
  }

  /** After the edge (the token at `offset`): the destination variable, or hop bounds. */
  private endsTraversal(offset: number): boolean {
    const c = this.c;
    const t = c.peek(offset);
    // `$b` ends a traversal, but `$b: T` starts the next clause (a binding).
    if (t.kind === 'var') return !c.isPunct(':', c.peek(offset + 1));
    return c.isPunct('{', t) && c.peek(offset + 1).kind === 'number';
  }

  /**
   * `$a edge $b`, `$a <edge> $b`, `$a $w:edge $b` or `$a $w:<edge> $b` (hop bounds
   * optional). A plain edge name counts when it is on the same line as `$a` or is
   * followed by the destination or hop bounds; otherwise `$a` ends a clause and the
   * identifier starts the next one (`not { … }`, `search(…)`). An edge binding needs
   * `$w` on the line of `$a` and a destination after the edge (else `$a` is a clause
   * and `$w: T` a binding).
   */
  private startsTraversal(src: Token): boolean {
    const c = this.c;
    const after = c.peek(1);
    if (this.undirectedAt(1)) return true;
    if (after.kind === 'var' && c.isPunct(':', c.peek(2)) && after.line === src.line) {
      if (this.undirectedAt(3)) return true;
      return c.peek(3).kind === 'ident' && this.endsTraversal(4);
    }
    if (after.kind !== 'ident') return false;
    if (STRING_OPS.has(after.text) && this.params.has(src.text)) return false;
    return after.line === src.line || this.endsTraversal(2);
  }

  /** A match filter's operator: a comparison, `contains` or `starts_with`. */
  private filterOp(): FilterOp | null {
    const c = this.c;
    const t = c.peek();
    if (t.kind === 'punct' && COMPARE_PUNCT.has(t.text)) {
      c.next();
      return t.text as FilterOp;
    }
    if (c.isKeyword('contains') || c.isKeyword('starts_with')) return c.next().text as FilterOp;
    return null;
  }

  private varRef(t: Token): VarRefNode {
    return { name: t.text, pos: this.c.pos(t) };
  }

  private parseBinding(): ClauseNode {
    const c = this.c;
    const v = c.next();
    c.next(); // ':'
    const type = c.expectIdent(`a node type name after '$${v.text}:'`);
    const props: PropMatchNode[] = [];
    if (c.isPunct('{')) {
      c.next();
      while (!c.isPunct('}')) {
        if (c.peek().kind === 'eof')
          c.fail(
            `unexpected end of file: the property match of '$${v.text}' is not closed (missing '}')`,
          );
        const p = c.expectIdent('a property name (name: value)');
        c.expectPunct(':', `after property name '${p.text}'`);
        props.push({ prop: p.text, value: c.parseExpr(), pos: c.pos(p) });
        c.skipComma();
      }
      c.next();
    }
    return {
      kind: 'binding',
      var: this.varRef(v),
      type: type.text,
      typePos: c.pos(type),
      props,
      pos: c.pos(v),
    };
  }

  private parseTraversal(): ClauseNode {
    const c = this.c;
    const src = c.next();
    let edgeVar: VarRefNode | null = null;
    if (c.peek().kind === 'var') {
      edgeVar = this.varRef(c.next());
      c.next(); // ':'
    }
    const undirected = c.isPunct('<');
    if (undirected) c.next();
    const edge = c.expectIdent(edgeVar ? `an edge name after '$${edgeVar.name}:'` : 'an edge name');
    if (undirected) c.expectPunct('>', `to close the undirected edge <${edge.text}>`);
    const hops = this.parseHops();
    const dst = c.peek();
    if (dst.kind !== 'var')
      c.fail(
        `expected the target variable of traversal '${edge.text}' ($a ${edge.text} $b), found ${describeToken(dst)}`,
      );
    c.next();
    return {
      kind: 'traversal',
      src: this.varRef(src),
      edgeVar,
      edge: edge.text,
      edgePos: c.pos(edge),
      undirected,
      ...hops,
      dst: this.varRef(dst),
      pos: c.pos(src),
    };
  }

  /** Optional hop bounds `{n}`, `{min,max}`, `{min,}`. */
  private parseHops(): Pick<
    Extract<ClauseNode, { kind: 'traversal' }>,
    'minHops' | 'maxHops' | 'hopsPos'
  > {
    const c = this.c;
    if (!(c.isPunct('{') && c.peek(1).kind === 'number'))
      return { minHops: 1, maxHops: 1, hopsPos: null };
    const hopsPos = c.pos(c.next());
    const lo = c.next();
    if (!/^\d+$/.test(lo.text))
      c.fail(`expected a non-negative integer hop count, found ${describeToken(lo)}`, lo);
    const minHops = Number(lo.text);
    let maxHops: number | null = minHops;
    if (c.isPunct(',')) {
      c.next();
      const hi = c.peek();
      if (hi.kind === 'number') {
        if (!/^\d+$/.test(hi.text))
          c.fail(`expected a non-negative integer hop count, found ${describeToken(hi)}`);
        c.next();
        maxHops = Number(hi.text);
      } else maxHops = null;
    }
    c.expectPunct('}', 'to close the hop bounds ({min,max})');
    return { minHops, maxHops, hopsPos };
  }
}
