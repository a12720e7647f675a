/**
 * Error construction for storage/. Every StorageError names table_key and table_path
 * (callers and the audit trail need to know *which* table failed), and lance's own
 * message is kept in details.cause because its text is the only diagnostic we have.
 */
import { StorageError, systemErrorCode, type ErrorCode } from '../errors.js';

export interface TableRef {
  tableKey: string;
  tablePath: string;
}

export function storageError(
  code: ErrorCode,
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
 * Runs one lancedb call; a StorageError passes through, anything else becomes
 * StorageFailure (or `notFoundCode` when lance says "not found" and the caller knows
 * what "not found" means at that point).
 */
export async function guard<T>(
  ref: TableRef,
  action: string,
  fn: () => Promise<T>,
  notFoundCode?: ErrorCode,
  extra: Record<string, unknown> = {},
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StorageError) throw err;
    // A full disk, a read-only or forbidden file: say so (DiskFull, ReadOnlyRepo, PermissionDenied).
    const code =
      notFoundCode !== undefined && isNotFound(err)
        ? notFoundCode
        : (systemErrorCode(err) ?? 'StorageFailure');
    throw storageError(
      code,
      `${action} failed for ${ref.tableKey} (${ref.tablePath}): ${errorMessage(err)}`,
      ref,
      {
        action,
        cause: errorMessage(err),
        ...extra,
      },
    );
  }
}
