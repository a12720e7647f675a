import { LancelogError } from '../../errors.js';

/**
 * A row broke a rule of the schema. `details` name the table, the row (id, or the
 * JSONL line), the field and the rule (`type`, `required`, `enum`, `range`, `check`,
 * `unique`, `key`, `endpoint`, `card`, `unknown_field`, `dimension`).
 */
export class ValidationError extends LancelogError {
  constructor(
    message: string,
    details: {
      table: string;
      id?: string;
      line?: number;
      file?: string;
      field?: string;
      rule: string;
      [k: string]: unknown;
    },
  ) {
    const where =
      details.file !== undefined && details.line !== undefined
        ? `${details.file}:${details.line}: `
        : details.line !== undefined
          ? `line ${details.line}: `
          : '';
    super(
      'ValidationError',
      `${where}${details.table}${details.id !== undefined ? ` ${JSON.stringify(details.id)}` : ''}${details.field ? `.${details.field}` : ''}: ${message} (rule ${details.rule})`,
      details,
    );
  }
}

/**
 * A line of a JSONL data file that is not a well-formed record (bad JSON, neither a
 * node nor an edge line, an unknown type, a missing or mistyped top-level field).
 * `details` name the file, the line, the field (`$` = the whole line) and the rule
 * (`json`, `shape`, `required`, `type`, `unknown_field`, `unknown_type`, `unknown_edge`).
 */
export class DataFileError extends LancelogError {
  constructor(
    message: string,
    details: { file: string; line: number; field: string; rule: string; [k: string]: unknown },
  ) {
    super(
      'DataFileError',
      `${details.file}:${details.line}: ${details.field === '$' ? '' : `${details.field}: `}${message} (rule ${details.rule})`,
      details,
    );
  }
}
