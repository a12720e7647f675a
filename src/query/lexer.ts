/**
 * Tokenizer for `.gq` query files. Hand-written (like src/schema/lexer.ts) so every
 * token carries an exact line/column and lexical errors point at the offending character.
 */
import { isIdentPart, isIdentStart, Scanner } from '../lang/scanner.js';

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
const PUNCT = [
  '!=',
  '<=',
  '>=',
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  ':',
  ',',
  '?',
  '@',
  '.',
  '=',
  '<',
  '>',
];

export function tokenize(source: string, file: string): Token[] {
  const tokens: Token[] = [];
  const s = new Scanner(source, file);
  while (!s.done) {
    if (s.skipTrivia()) continue;
    const start = s.start();
    if (s.ch === '$') {
      if (!isIdentStart(s.at(1)))
        s.fail(`expected a variable or parameter name after '$'`, s.line, s.column + 1);
      let j = s.i + 1;
      while (isIdentPart(source[j])) j++;
      tokens.push({ kind: 'var', text: source.slice(s.i + 1, j), ...start });
      s.advance(j - s.i);
      continue;
    }
    if (isIdentStart(s.ch)) {
      let j = s.i + 1;
      while (isIdentPart(source[j])) j++;
      tokens.push({ kind: 'ident', text: source.slice(s.i, j), ...start });
      s.advance(j - s.i);
      continue;
    }
    if (s.startsNumber()) {
      const text = s.scanNumber();
      if (isIdentStart(s.ch)) s.fail(`invalid number '${text}${s.ch}'`, start.line, start.column);
      tokens.push({ kind: 'number', text, ...start });
      continue;
    }
    if (s.ch === '"') {
      tokens.push({ kind: 'string', text: s.scanString('error'), ...start });
      continue;
    }
    const punct = s.scanPunct(PUNCT);
    if (punct) {
      tokens.push({ kind: 'punct', text: punct, ...start });
      continue;
    }
    s.fail(`unexpected character '${s.ch}'`);
  }
  tokens.push({ kind: 'eof', text: '', ...s.start() });
  return tokens;
}

export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of file';
    case 'string':
      return `string "${t.text}"`;
    case 'number':
      return `number ${t.text}`;
    case 'var':
      return `'$${t.text}'`;
    default:
      return `'${t.text}'`;
  }
}
