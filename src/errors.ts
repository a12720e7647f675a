/**
 * One typed error hierarchy with stable string codes (docs/architecture.md §Errors).
 * `code` is part of the public contract: the CLI prints it, tests assert it.
 */
export class LancelogError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.details = details;
  }
  toJSON(): { error: string; code: string; details: Record<string, unknown> } {
    return { error: this.message, code: this.code, details: this.details };
  }
}

/** A position in a source file; line and column are 1-based. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** Renders the offending source line with a caret under the column. */
export function excerptAt(source: string, line: number, column: number): string {
  const text = source.split(/\r?\n/)[line - 1] ?? '';
  const gutter = `${line} | `;
  return `${gutter}${text}\n${' '.repeat(gutter.length + Math.max(0, column - 1))}^`;
}

/** Syntax error in a .pg or .gq file. */
export class ParseError extends LancelogError {
  constructor(message: string, pos: SourcePosition, source: string) {
    const excerpt = excerptAt(source, pos.line, pos.column);
    super('ParseError', `${pos.file}:${pos.line}:${pos.column}: ${message}\n${excerpt}`, {
      file: pos.file,
      line: pos.line,
      column: pos.column,
      excerpt,
      reason: message,
    });
  }
}

/**
 * A semantic error in a schema: `code` names the rule (e.g. `UnknownEndpointType`),
 * `declaration` names the type or edge it was found in.
 */
export class SchemaError extends LancelogError {
  constructor(
    code: string,
    message: string,
    pos: SourcePosition & { declaration: string },
    source?: string,
  ) {
    const excerpt = source === undefined ? undefined : excerptAt(source, pos.line, pos.column);
    super(
      code,
      `${pos.file}:${pos.line}:${pos.column}: ${message} (in ${pos.declaration})${excerpt ? `\n${excerpt}` : ''}`,
      {
        file: pos.file,
        line: pos.line,
        column: pos.column,
        declaration: pos.declaration,
        reason: message,
        ...(excerpt ? { excerpt } : {}),
      },
    );
  }
}

/** The repo (or a table inside it) is not in the state an operation needs. */
export class RepoError extends LancelogError {}

/** A storage-layer failure, naming the table key and path. */
export class StorageError extends LancelogError {}

/** User input (CLI flags, API arguments) that is malformed. */
export class UsageError extends LancelogError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('UsageError', message, details);
  }
}
