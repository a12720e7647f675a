import type { DetailsOf } from '../../error-codes.js';
import { LancelogError, RepoError } from '../../errors.js';

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

/**
 * A promise of the write protocol did not hold (docs/writes.md §Assertions): the leases
 * at publish, the sidecar before the first Lance commit, the journal's projections of
 * the operation. Raised before the publish, so the operation rolls back and nothing is
 * published. It means a bug or outside interference (something edited the journal or
 * `__recovery/` under a running write), never bad input.
 */
export class InvariantBroken extends LancelogError {
  constructor(
    invariant: string,
    details: Omit<DetailsOf<'InvariantBroken'>, 'invariant'> & { op_id: string; phase: string },
  ) {
    const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
    super(
      'InvariantBroken',
      `write protocol invariant '${invariant}' broken in phase ${details.phase} of operation ${details.op_id}: expected ${show(details.expected)}, found ${show(details.actual)}; nothing was published`,
      { invariant, ...details },
    );
  }
}

/**
 * Lance HEAD of a table is not its published pin (`head`): with another operation in
 * flight on the branch, recovery decides; with none, `recover` has nothing to do and
 * the error says what `lancelog doctor` finds (`lance-ahead-of-pin`, which `doctor
 * --repair` fixes, or `lost-published-version`), so the two never disagree.
 */
export function recoveryRequired(
  tableKey: string,
  branch: string,
  head: number,
  pin: number,
  inFlight: boolean,
): RepoError {
  const finding = head > pin ? 'lance-ahead-of-pin' : 'lost-published-version';
  const todo = inFlight
    ? "run 'lancelog recover' (or reopen the repo read-write) first"
    : finding === 'lance-ahead-of-pin'
      ? `no operation is in flight, so 'lancelog recover' has nothing to do: 'lancelog doctor' finds ${finding}; run 'lancelog doctor --repair <repo>' to restore the table to its pin`
      : `no operation is in flight: 'lancelog doctor' finds ${finding} (a published Lance version is missing); see docs/recovery.md "doctor"`;
  return new RepoError(
    'RecoveryRequired',
    `${tableKey} on branch ${branch}: Lance HEAD is ${head} but the published pin is ${pin}; ${todo}`,
    { table_key: tableKey, branch, head, pin, ...(inFlight ? {} : { doctor: finding }) },
  );
}
