/**
 * Error construction for storage/. Every StorageError names table_key and table_path
 * (callers and the audit trail need to know *which* table failed), and lance's own
 * message is kept in details.cause because its text is the only diagnostic we have.
 */
import {
  LancelogError,
  StorageError,
  systemError,
  systemErrorCode,
  type ErrorCode,
  type SystemCode,
} from '../errors.js';

export interface TableRef {
  tableKey: string;
  tablePath: string;
}

/**
 * The branch codes storage shares with the journal (a repo branch and a Lance branch of
 * one table): their class in the error-code table is the journal's, `LancelogError`.
 */
const BRANCH_CODES = ['BranchExists', 'BranchNotFound', 'InvalidBranchName'] as const;
export type BranchCode = (typeof BRANCH_CODES)[number];

function isBranchCode(code: string): code is BranchCode {
  return (BRANCH_CODES as readonly string[]).includes(code);
}

export function storageError(
  code: Exclude<ErrorCode, BranchCode | SystemCode>,
  message: string,
  ref: TableRef,
  extra: Record<string, unknown> = {},
): StorageError {
  return new StorageError(code, message, {
    table_key: ref.tableKey,
    table_path: ref.tablePath,
    ...extra,
  });
}

/** A branch code about a Lance branch of one table, as its table class (not a StorageError). */
export function branchError(
  code: BranchCode,
  message: string,
  ref: TableRef,
  extra: Record<string, unknown> = {},
): LancelogError {
  return new LancelogError(code, message, {
    table_key: ref.tableKey,
    table_path: ref.tablePath,
    ...extra,
  });
}

function isBranchError(err: unknown): boolean {
  return err instanceof LancelogError && isBranchCode(err.code);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * lancedb reports missing datasets, versions and branches only as message text
 * ("... was not found", "Not found: .../_versions"); there are no error classes to test.
 */
export function isNotFound(err: unknown): boolean {
  return /not found/i.test(errorMessage(err));
}

/**
 * Runs one lancedb call; a StorageError or a branch error passes through. Anything
 * else becomes `notFoundCode` when lance says "not found" and the caller knows what
 * "not found" means at that point, a system code (DiskFull, ReadOnlyRepo,
 * PermissionDenied) in its own class, or StorageFailure.
 */
export async function guard<T>(
  ref: TableRef,
  action: string,
  fn: () => Promise<T>,
  notFoundCode?: Exclude<ErrorCode, SystemCode>,
  extra: Record<string, unknown> = {},
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StorageError || isBranchError(err)) throw err;
    const message = `${action} failed for ${ref.tableKey} (${ref.tablePath}): ${errorMessage(err)}`;
    const details = { action, cause: errorMessage(err), ...extra };
    if (notFoundCode !== undefined && isNotFound(err))
      throw isBranchCode(notFoundCode)
        ? branchError(notFoundCode, message, ref, details)
        : storageError(notFoundCode, message, ref, details);
    // A full disk, a read-only or forbidden file: say so, as the code's own class.
    const systemCode = systemErrorCode(err);
    if (systemCode !== undefined)
      throw systemError(systemCode, message, {
        table_key: ref.tableKey,
        table_path: ref.tablePath,
        ...details,
      });
    throw storageError('StorageFailure', message, ref, details);
  }
}
