/**
 * The character-level scanning both hand-written lexers share (`.pg` in
 * src/schema/lexer.ts, `.gq` in src/query/lexer.ts): position tracking, trivia
 * (whitespace, `//` and `/* *\/` comments), numbers and string literals, and errors
 * that point at the exact line and column. Pure: no I/O.
 */
import { ParseError } from '../errors.js';

export const isIdentStart = (ch: string | undefined): boolean =>
  ch !== undefined && /[A-Za-z_]/.test(ch);
export const isIdentPart = (ch: string | undefined): boolean =>
  ch !== undefined && /[A-Za-z0-9_]/.test(ch);
export const isDigit = (ch: string | undefined): boolean =>
  ch !== undefined && ch >= '0' && ch <= '9';

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '"': '"',
  '\\': '\\',
  '/': '/',
};

export interface TokenStart {
  line: number;
  column: number;
  offset: number;
}

export class Scanner {
  i = 0;
  line = 1;
  column = 1;

  constructor(
    readonly source: string,
    readonly file: string,
  ) {}

  get ch(): string | undefined {
    return this.source[this.i];
  }
  at(offset: number): string | undefined {
    return this.source[this.i + offset];
  }
  get done(): boolean {
    return this.i >= this.source.length;
  }
  start(): TokenStart {
    return { line: this.line, column: this.column, offset: this.i };
  }

  fail(message: string, line = this.line, column = this.column): never {
    throw new ParseError(message, { file: this.file, line, column }, this.source);
  }

  advance(n: number): void {
    for (let k = 0; k < n; k++) {
      if (this.source[this.i] === '\n') {
        this.line++;
        this.column = 1;
      } else this.column++;
      this.i++;
    }
  }

  /** Skips whitespace and comments; true when it skipped something. */
  skipTrivia(): boolean {
    const ch = this.ch;
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n' || ch === '\uFEFF') {
      this.advance(1);
      return true;
    }
    if (ch === '/' && this.at(1) === '/') {
      while (!this.done && this.ch !== '\n') this.advance(1);
      return true;
    }
    if (ch === '/' && this.at(1) === '*') {
      const { line, column } = this;
      this.advance(2);
      while (!this.done && !(this.ch === '*' && this.at(1) === '/')) this.advance(1);
      if (this.done) this.fail('unterminated block comment (missing */)', line, column);
      this.advance(2);
      return true;
    }
    return false;
  }

  startsNumber(): boolean {
    return isDigit(this.ch) || (this.ch === '-' && isDigit(this.at(1)));
  }

  /**
   * Scans `-?digits[.digits][e±digits]` and returns its text. A fraction needs a digit
   * after the dot, so `0..5` scans as `0` (then `..`).
   */
  scanNumber(): string {
    const src = this.source;
    let j = this.i + 1;
    while (isDigit(src[j])) j++;
    if (src[j] === '.' && isDigit(src[j + 1])) {
      j++;
      while (isDigit(src[j])) j++;
    }
    if (src[j] === 'e' || src[j] === 'E') {
      let k = j + 1;
      if (src[k] === '+' || src[k] === '-') k++;
      if (isDigit(src[k])) {
        j = k;
        while (isDigit(src[j])) j++;
      }
    }
    const text = src.slice(this.i, j);
    this.advance(j - this.i);
    return text;
  }

  /**
   * Scans a `"…"` literal (the scanner is on the opening quote) and returns its value.
   * `unknownEscape`: 'keep' leaves `\d` as `\d` (regexes in `.pg` @check), 'error' refuses it.
   */
  scanString(unknownEscape: 'keep' | 'error'): string {
    const { line, column } = this;
    const src = this.source;
    let j = this.i + 1;
    let value = '';
    for (;;) {
      const c = src[j];
      if (c === undefined || c === '\n')
        this.fail('unterminated string literal (missing closing ")', line, column);
      if (c === '"') break;
      if (c === '\\') {
        const e = src[j + 1];
        if (e !== undefined && e in ESCAPES) {
          value += ESCAPES[e];
          j += 2;
          continue;
        }
        if (unknownEscape === 'error')
          this.fail(
            `unknown escape sequence '\\${e ?? ''}' in string literal`,
            line,
            column + (j - this.i),
          );
      }
      value += c;
      j++;
    }
    this.advance(j + 1 - this.i);
    return value;
  }

  /** The longest of `puncts` (listed longest first) at the current position, consumed. */
  scanPunct(puncts: readonly string[]): string | undefined {
    const p = puncts.find((x) => this.source.startsWith(x, this.i));
    if (p) this.advance(p.length);
    return p;
  }
}
