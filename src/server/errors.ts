/**
 * The HTTP error contract of the reference API: every failure answers
 * `{ error, code }` with `code` one of REFERENCE_ERROR_CODES, plus `manifest_conflict`
 * on a 409 for a publish or lease conflict and `merge_conflicts[]` on a failed merge.
 * The status is the one the error-code table gives the Lancelog code
 * (src/error-codes.ts, docs/errors.md); the Lancelog code and its details ride along
 * as `lancelog_code` and `details`.
 */
import { asSystemError, ERROR_CODES, isErrorCode, LancelogError } from '../index.js';
import type { ErrorCode as LancelogCode } from '../index.js';

/** A conflict as `repo.merge` reports it in `MergeConflicts` details (src/write/merge/merge-plan.ts). */
interface RepoConflict {
  table_key: string;
  row_id: string | null;
  kind: string;
  message: string;
}
export const REFERENCE_ERROR_CODES = [
  'unauthorized',
  'forbidden',
  'bad_request',
  'not_found',
  'conflict',
  'internal',
] as const;
export type ErrorCode = (typeof REFERENCE_ERROR_CODES)[number];

export interface MergeConflict {
  table_key: string;
  kind: string;
  message: string;
  row_id?: string | null;
}

export interface ErrorBody {
  error: string;
  /** Left out for 410 and 412, as the reference does (its code list is closed). */
  code?: ErrorCode;
  /** Lancelog's own error code (e.g. `ExpectedVersionMismatch`). */
  lancelog_code?: string;
  details?: Record<string, unknown>;
  manifest_conflict?: { table_key: string; expected: number | null; actual: number | null };
  merge_conflicts?: MergeConflict[];
  /** A conditional write lost: the commit the caller named and the branch's head. */
  precondition_failure?: { expected: string; actual: string | null };
  /** The feed cannot go on contiguously: cleanup removed a version it needs. */
  change_feed_gap?: { cursor: string | null; first_unreadable_commit_id: string };
  /** No exact diff of this commit: `parentless_commit` or `schema_boundary`. */
  change_diff_refusal?: { reason: string; graph_commit_id: string; type_name?: string };
}

/** The reference code of an HTTP status. */
export function referenceCode(status: number): ErrorCode {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  return status >= 500 ? 'internal' : 'bad_request';
}

/** A failure only the server raises (authentication, policy, request shape). */
export class HttpError extends LancelogError {
  constructor(code: LancelogCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
  }
}

function num(v: unknown): number | null {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
}

/** The status and body for any thrown value. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody } {
  const typed = asSystemError(err, 'failed');
  if (!(typed instanceof LancelogError)) {
    const message = typed instanceof Error ? typed.message : String(typed);
    return {
      status: 500,
      body: { error: message, code: 'internal', lancelog_code: 'InternalError' },
    };
  }
  const status = isErrorCode(typed.code) ? ERROR_CODES[typed.code].http : 500;
  const body: ErrorBody = {
    error: typed.message,
    ...(status === 410 || status === 412 ? {} : { code: referenceCode(status) }),
    lancelog_code: typed.code,
  };
  const d = typed.details;
  if (typed.code === 'PreconditionFailed')
    body.precondition_failure = {
      expected: String(d.expected),
      actual: (d.actual as string) ?? null,
    };
  if (typed.code === 'ChangeFeedGap')
    body.change_feed_gap = {
      cursor: (d.cursor as string | null) ?? null,
      first_unreadable_commit_id: String(d.first_unreadable_commit_id),
    };
  if (typed.code === 'ParentlessCommit' || typed.code === 'SchemaBoundary')
    body.change_diff_refusal = {
      reason: String(d.reason),
      graph_commit_id: String(d.commit),
      ...(d.type !== undefined ? { type_name: String(d.type) } : {}),
    };
  if (Object.keys(typed.details).length > 0) body.details = typed.details;
  if (typed.code === 'ExpectedVersionMismatch' || typed.code === 'LeaseHeld') {
    body.manifest_conflict = {
      table_key: String(typed.details.table_key ?? ''),
      expected: num(typed.details.expected),
      actual: num(typed.details.actual),
    };
  }
  if (Array.isArray(typed.details.merge_conflicts))
    body.merge_conflicts = typed.details.merge_conflicts as MergeConflict[];
  else if (typed.code === 'MergeConflicts' && Array.isArray(typed.details.conflicts))
    body.merge_conflicts = (typed.details.conflicts as RepoConflict[]).map((c) => ({
      table_key: c.table_key,
      row_id: c.row_id,
      // The reference spells conflict kinds in snake_case (DivergentInsert → divergent_insert).
      kind: c.kind.replace(/(?<!^)([A-Z])/g, '_$1').toLowerCase() as MergeConflict['kind'],
      message: c.message,
    }));
  return { status, body };
}
