/** Semantic errors in `.gq` files: a stable code, the query it was found in, and a position. */
import { LancelogError, excerptAt, type ErrorCode } from '../errors.js';

export interface QueryErrorPos {
  file: string;
  line: number;
  column: number;
  query: string;
}

export class QueryError extends LancelogError {
  constructor(code: ErrorCode, message: string, pos: QueryErrorPos, source?: string) {
    const excerpt = source === undefined ? undefined : excerptAt(source, pos.line, pos.column);
    super(
      code,
      `${pos.file}:${pos.line}:${pos.column}: ${message} (in query ${pos.query})${excerpt ? `\n${excerpt}` : ''}`,
      {
        file: pos.file,
        line: pos.line,
        column: pos.column,
        query: pos.query,
        reason: message,
        ...(excerpt ? { excerpt } : {}),
      },
    );
  }
}

/** Runtime parameter validation failures (`bindParams`): ParamMissing, ParamType, ParamUnknown, ParamsInvalid. */
export class ParamError extends LancelogError {}
