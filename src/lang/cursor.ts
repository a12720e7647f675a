/**
 * The token cursor both recursive-descent parsers (`.pg`, `.gq`) build on: peek/next,
 * punctuation and identifier expectations, and ParseErrors at the token where the
 * parser got stuck, saying what it expected there. Pure: no I/O.
 */
import { ParseError } from '../errors.js';

export interface CursorToken {
  kind: string;
  text: string;
  line: number;
  column: number;
  offset: number;
}

/**
 * How deep blocks, lists, calls and types may nest in one source. Real queries and
 * schemas nest a handful of levels; the limit keeps a hostile source (`not {` ten
 * thousand times) a ParseError instead of a stack overflow in the parser or in the
 * passes that walk its tree (docs/query-language.md §Grammar).
 */
export const MAX_NESTING_DEPTH = 64;

export abstract class TokenCursor<T extends CursorToken> {
  protected i = 0;
  private depth = 0;

  constructor(
    protected readonly tokens: T[],
    protected readonly source: string,
    protected readonly file: string,
    private readonly describe: (t: T) => string,
  ) {}

  protected peek(offset = 0): T {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
  }
  protected next(): T {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  protected pos(t: T): { line: number; column: number } {
    return { line: t.line, column: t.column };
  }

  fail(message: string, at: CursorToken = this.peek()): never {
    throw new ParseError(
      message,
      { file: this.file, line: at.line, column: at.column },
      this.source,
    );
  }

  /** Runs one nested construct (`what` names it in the error) one level deeper. */
  nested<R>(what: string, parse: () => R): R {
    if (this.depth >= MAX_NESTING_DEPTH)
      this.fail(`${what} nested more than ${MAX_NESTING_DEPTH} levels deep`);
    this.depth++;
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  protected isPunct(text: string, t: CursorToken = this.peek()): boolean {
    return t.kind === 'punct' && t.text === text;
  }

  protected expectPunct(text: string, what?: string): T {
    if (!this.isPunct(text))
      this.fail(`expected '${text}'${what ? ` ${what}` : ''}, found ${this.describe(this.peek())}`);
    return this.next();
  }

  protected expectIdent(what: string): T {
    const t = this.peek();
    if (t.kind !== 'ident') this.fail(`expected ${what}, found ${this.describe(t)}`);
    return this.next();
  }
}
