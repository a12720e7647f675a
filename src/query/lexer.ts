/**
 * Tokenizer for `.gq` query files. Hand-written (like src/schema/lexer.ts) so every
 * token carries an exact line/column and lexical errors point at the offending character.
 */
import { ParseError } from '../errors.js';

export type TokenKind = 'ident' | 'var' | 'string' | 'number' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Identifier name, variable name (without `$`), punctuation, decoded string value, or number source text. */
  text: string;
  line: number;
  column: number;
  offset: number;
}

// Longest first: `!=` before `=`, `<=` before `<`.
const PUNCT = ['!=', '<=', '>=', '{', '}', '(', ')', '[', ']', ':', ',', '?', '@', '.', '=', '<', '>'];

const isIdentStart = (ch: string | undefined): boolean => ch !== undefined && /[A-Za-z_]/.test(ch);
const isIdentPart = (ch: string | undefined): boolean => ch !== undefined && /[A-Za-z0-9_]/.test(ch);
const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '9';

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
      const sl = line;
      const sc = column;
      advance(2);
      while (i < source.length && !(source[i] === '*' && source[i + 1] === '/')) advance(1);
      if (i >= source.length) fail('unterminated block comment (missing */)', sl, sc);
      advance(2);
      continue;
    }
    const start = { line, column, offset: i };
    if (ch === '$') {
      if (!isIdentStart(source[i + 1])) fail(`expected a variable or parameter name after '$'`, line, column + 1);
      let j = i + 1;
      while (isIdentPart(source[j])) j++;
      tokens.push({ kind: 'var', text: source.slice(i + 1, j), ...start });
      advance(j - i);
      continue;
    }
    if (isIdentStart(ch)) {
      let j = i + 1;
      while (isIdentPart(source[j])) j++;
      tokens.push({ kind: 'ident', text: source.slice(i, j), ...start });
      advance(j - i);
      continue;
    }
    if (isDigit(ch) || (ch === '-' && isDigit(source[i + 1]))) {
      let j = i + 1;
      while (isDigit(source[j])) j++;
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
      if (isIdentStart(source[j])) fail(`invalid number '${source.slice(i, j + 1)}'`);
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
          fail(`unknown escape sequence '\\${e ?? ''}' in string literal`, start.line, start.column + (j - i));
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
    case 'var': return `'$${t.text}'`;
    default: return `'${t.text}'`;
  }
}
