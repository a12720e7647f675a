/**
 * Tokenizer for `.pg` schema files. Hand-written so every token carries an exact
 * line/column and every lexical error can point at the offending character; the
 * scanning shared with the `.gq` lexer lives in src/lang/scanner.ts.
 */
import { isIdentPart, isIdentStart, Scanner } from '../lang/scanner.js';

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

export function tokenize(source: string, file: string): Token[] {
  const tokens: Token[] = [];
  const s = new Scanner(source, file);
  while (!s.done) {
    if (s.skipTrivia()) continue;
    const start = s.start();
    if (isIdentStart(s.ch)) {
      let j = s.i + 1;
      // Enum values such as `data-eng` or `phase-1` contain dashes; a dash belongs
      // to the identifier only when a letter or digit follows (so `A->B` still lexes as an arrow).
      while (
        j < source.length &&
        (isIdentPart(source[j]) || (source[j] === '-' && /[A-Za-z0-9]/.test(source[j + 1] ?? '')))
      )
        j++;
      tokens.push({ kind: 'ident', text: source.slice(s.i, j), ...start });
      s.advance(j - s.i);
      continue;
    }
    if (s.startsNumber()) {
      tokens.push({ kind: 'number', text: s.scanNumber(), ...start });
      continue;
    }
    // Regexes in @check keep their backslashes: `\d` stays `\d`.
    if (s.ch === '"') {
      tokens.push({ kind: 'string', text: s.scanString('keep'), ...start });
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
    case 'ident':
      return `'${t.text}'`;
    default:
      return `'${t.text}'`;
  }
}
