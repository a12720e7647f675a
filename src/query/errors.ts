/** Semantic errors in `.gq` files: a stable code, the query it was found in, and a position. */
import { LancelogError, excerptAt, type ErrorCode } from '../errors.js';

export interface QueryErrorPos {
  file: string;
  line: number;
  column: number;
  query: string;
}

/**
 * A `.gq` error at a position of a query — or, with `pos` null, the same code raised by
 * the API for a name a caller gave outside any query (`unknownTypeError`,
 * `unknownPropertyError`): each code has one class (src/error-codes.ts).
 */
export class QueryError extends LancelogError {
  constructor(code: ErrorCode, message: string, pos: QueryErrorPos, source?: string);
  constructor(code: ErrorCode, message: string, pos: null, details: Record<string, unknown>);
  constructor(
    code: ErrorCode,
    message: string,
    pos: QueryErrorPos | null,
    sourceOrDetails?: string | Record<string, unknown>,
  ) {
    if (pos === null) {
      super(code, message, sourceOrDetails as Record<string, unknown>);
      return;
    }
    const source = sourceOrDetails as string | undefined;
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

/** `UnknownType` for a type name given to the API (`repo.scan('Nope')`, an export's types). */
export function unknownTypeError(type: string): QueryError {
  return new QueryError('UnknownType', `no node or edge type '${type}' in the schema`, null, {
    type,
  });
}

/** `UnknownProperty` for a column a filter given to the API names (`tx.scan` conditions). */
export function unknownPropertyError(tableKey: string, column: string): QueryError {
  return new QueryError('UnknownProperty', `${tableKey} has no column '${column}'`, null, {
    table: tableKey,
    column,
  });
}

/** Runtime parameter validation failures (`bindParams`): ParamMissing, ParamType, ParamUnknown, ParamsInvalid. */
export class ParamError extends LancelogError {}
