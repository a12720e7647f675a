/**
 * Tokenizer for `.pg` schema files. Hand-written so every token carries an exact
 * line/column and every lexical error can point at the offending character.
 */
import { ParseError } from '../errors.js';

export type TokenKind = 'ident' | 'string' | 'number' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Identifier name, punctuation text, decoded string value, or number source text. */
  text: string;
  line: number;
  column: number;
  /** Offset of the token's first character in the source. */
  offset: number;
}

const PUNCT = ['->', '..', '{', '}', '(', ')', '[', ']', ':', ',', '?', '@', '*', '='];

function isIdentStart(ch: string): boolean {
  return /[A-Za-z_]/.test(ch);
}
function isIdentPart(ch: string): boolean {
  return /[A-Za-z0-9_]/.test(ch);
}
function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}

export function tokenize(source: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let column = 1;
  const fail = (message: string, l = line, c = column): never => {
    throw new ParseError(message, { file, line: l, column: c }, source);
  };
  const advance = (n: number): void => {
    for (let k = 0; k < n; k++) {
      if (source[i] === '\n') { line++; column = 1; } else column++;
      i++;
    }
  };
  while (i < source.length) {
    const ch = source[i];
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n' || ch === '\uFEFF') { advance(1); continue; }
    if (ch === '/' && source[i + 1] === '/') {
      while (i < source.length && source[i] !== '\n') advance(1);
      continue;
    }
    if (ch === '/' && source[i + 1] === '*') {
      const startLine = line;
      const startCol = column;
      advance(2);
      while (i < source.length && !(source[i] === '*' && source[i + 1] === '/')) advance(1);
      if (i >= source.length) fail('unterminated block comment (missing */)', startLine, startCol);
      advance(2);
      continue;
    }
    const start = { line, column, offset: i };
    if (isIdentStart(ch)) {
      let j = i + 1;
      // Enum values such as `data-eng` or `phase-1` contain dashes; a dash belongs
      // to the identifier only when a letter or digit follows (so `A->B` still lexes as an arrow).
      while (j < source.length && (isIdentPart(source[j]) || (source[j] === '-' && /[A-Za-z0-9]/.test(source[j + 1] ?? '')))) j++;
      tokens.push({ kind: 'ident', text: source.slice(i, j), ...start });
      advance(j - i);
      continue;
    }
    if (isDigit(ch) || (ch === '-' && isDigit(source[i + 1]))) {
      let j = i + 1;
      while (isDigit(source[j])) j++;
      // A fraction needs a digit after the dot, so `0..5` lexes as 0 .. 5.
      if (source[j] === '.' && isDigit(source[j + 1])) {
        j++;
        while (isDigit(source[j])) j++;
      }
      if (source[j] === 'e' || source[j] === 'E') {
        let k = j + 1;
        if (source[k] === '+' || source[k] === '-') k++;
        if (isDigit(source[k])) {
          j = k;
          while (isDigit(source[j])) j++;
        }
      }
      tokens.push({ kind: 'number', text: source.slice(i, j), ...start });
      advance(j - i);
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      let value = '';
      for (;;) {
        const c = source[j];
        if (c === undefined || c === '\n') fail('unterminated string literal (missing closing ")', start.line, start.column);
        if (c === '"') break;
        if (c === '\\') {
          const e = source[j + 1];
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', '/': '/' };
          if (e !== undefined && e in map) { value += map[e]; j += 2; continue; }
          // Regexes in @check keep their backslashes: `\d` stays `\d`.
          value += c;
          j++;
          continue;
        }
        value += c;
        j++;
      }
      tokens.push({ kind: 'string', text: value, ...start });
      advance(j + 1 - i);
      continue;
    }
    const punct = PUNCT.find((p) => source.startsWith(p, i));
    if (punct) {
      tokens.push({ kind: 'punct', text: punct, ...start });
      advance(punct.length);
      continue;
    }
    fail(`unexpected character '${ch}'`);
  }
  tokens.push({ kind: 'eof', text: '', line, column, offset: i });
  return tokens;
}

export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof': return 'end of file';
    case 'string': return `string "${t.text}"`;
    case 'number': return `number ${t.text}`;
    case 'ident': return `'${t.text}'`;
    default: return `'${t.text}'`;
  }
}
