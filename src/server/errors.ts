/**
 * The HTTP error contract of the reference API: every failure answers
 * `{ error, code }` with `code` one of ERROR_CODES, plus `manifest_conflict` on a
 * 409 for a publish or lease conflict and `merge_conflicts[]` on a failed merge.
 * Lancelog's own error code and details ride along as `lancelog_code` and `details`.
 */
import { asSystemError, LancelogError } from '../index.js';

export const ERROR_CODES = [
  'unauthorized',
  'forbidden',
  'bad_request',
  'not_found',
  'conflict',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface MergeConflict {
  table_key: string;
  kind: string;
  message: string;
  row_id?: string | null;
}

export interface ErrorBody {
  error: string;
  code: ErrorCode;
  /** Lancelog's own error code (e.g. `ExpectedVersionMismatch`). */
  lancelog_code?: string;
  details?: Record<string, unknown>;
  manifest_conflict?: { table_key: string; expected: number | null; actual: number | null };
  merge_conflicts?: MergeConflict[];
}

/** A failure with an HTTP status: what the server answers. */
export class HttpError extends LancelogError {
  constructor(
    readonly status: number,
    readonly httpCode: ErrorCode,
    lancelogCode: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(lancelogCode, message, details);
  }
}

/** Lancelog codes that mean "no such thing" (an unknown query is a 400: the request's source lacks it). */
const NOT_FOUND = new Set([
  'BranchNotFound',
  'CommitNotFound',
  'ManifestVersionNotFound',
  'OperationNotFound',
  'VersionNotFound',
  'TableNotFound',
]);
/** Lancelog codes that mean "the state moved or is taken": retry or resolve. */
const CONFLICT = new Set([
  'ExpectedVersionMismatch',
  'LeaseHeld',
  'BranchExists',
  'BranchInUse',
  'MergeConflict',
]);
/** Codes that are the server's (or the machine's) fault, not the request's. */
const INTERNAL = new Set([
  'DiskFull',
  'PermissionDenied',
  'ReadOnlyRepo',
  'JournalCorrupt',
  'StorageFailure',
  'InternalError',
  'FailpointError',
  'NotImplemented',
]);

function num(v: unknown): number | null {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
}

/** The status and body for any thrown value. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  if (err instanceof HttpError) {
    return {
      status: err.status,
      body: withDetails({ error: err.message, code: err.httpCode, lancelog_code: err.code }, err),
    };
  }
  const typed = asSystemError(err, 'failed');
  if (!(typed instanceof LancelogError)) {
    const message = typed instanceof Error ? typed.message : String(typed);
    return {
      status: 500,
      body: { error: message, code: 'internal', lancelog_code: 'InternalError' },
    };
  }
  const base = { error: typed.message, lancelog_code: typed.code };
  if (NOT_FOUND.has(typed.code))
    return { status: 404, body: withDetails({ ...base, code: 'not_found' }, typed) };
  if (CONFLICT.has(typed.code)) {
    const body: ErrorBody = withDetails({ ...base, code: 'conflict' }, typed);
    if (typed.code === 'ExpectedVersionMismatch' || typed.code === 'LeaseHeld') {
      body.manifest_conflict = {
        table_key: String(typed.details.table_key ?? ''),
        expected: num(typed.details.expected),
        actual: num(typed.details.actual),
      };
    }
    if (Array.isArray(typed.details.merge_conflicts))
      body.merge_conflicts = typed.details.merge_conflicts as MergeConflict[];
    return { status: 409, body };
  }
  if (typed.code === 'NotImplemented')
    return { status: 501, body: withDetails({ ...base, code: 'internal' }, typed) };
  if (INTERNAL.has(typed.code) || typed.code.startsWith('Journal'))
    return { status: 500, body: withDetails({ ...base, code: 'internal' }, typed) };
  // Everything else a typed error names is the request's fault: a parse, schema,
  // query, parameter, validation or data error (it changed nothing).
  return { status: 400, body: withDetails({ ...base, code: 'bad_request' }, typed) };
}

function withDetails(body: ErrorBody, err: LancelogError): ErrorBody {
  return Object.keys(err.details).length > 0 ? { ...body, details: err.details } : body;
}
