/**
 * Every error code Lancelog raises, as data: the one class that raises it, the CLI's exit
 * status, the HTTP status a server answers with, and the keys its `details` may carry
 * (snake_case, one casing for every code). `LancelogError` takes only these codes, so a
 * new code does not compile until it is added here; docs/errors.md is generated from this
 * table (`npx tsx scripts/gen-errors-doc.ts`) and a test fails when the page is stale.
 *
 * HTTP statuses: 400 bad input, 401 no or a wrong bearer token (lancelog serve), 403 a write the repo or file system refuses or a policy denies, 404 a thing
 * that does not exist, 409 a conflict with the repo's state (retry or recover), 410 a
 * change feed position whose versions cleanup removed, 412 a failed write precondition, 500
 * storage, journal and internal failures, 501 a query feature not executed yet.
 *
 * The entries live in one module per area (src/error-codes/*.ts); this is the one table
 * they make, and a code belongs to exactly one area.
 */
import type { ErrorCodeSpec } from './error-codes/spec.js';
import { SYSTEM_CODES } from './error-codes/system.js';
import { SCHEMA_CODES } from './error-codes/schema.js';
import { QUERY_CODES } from './error-codes/query.js';
import { DATA_CODES } from './error-codes/data.js';
import { JOURNAL_CODES } from './error-codes/journal.js';
import { STORAGE_CODES } from './error-codes/storage.js';
import { REPO_CODES } from './error-codes/repo.js';
import { SERVER_CODES } from './error-codes/server.js';
import { CHANGES_CODES } from './error-codes/changes.js';
import { CLIENT_CODES } from './error-codes/client.js';

export type { ErrorCodeSpec } from './error-codes/spec.js';

/** The areas' tables, by area (test/errors.test.ts checks no code is in two). */
export const ERROR_CODE_AREAS = {
  system: SYSTEM_CODES,
  schema: SCHEMA_CODES,
  query: QUERY_CODES,
  data: DATA_CODES,
  journal: JOURNAL_CODES,
  storage: STORAGE_CODES,
  repo: REPO_CODES,
  server: SERVER_CODES,
  changes: CHANGES_CODES,
  client: CLIENT_CODES,
} as const;

export const ERROR_CODES = {
  ...SYSTEM_CODES,
  ...SCHEMA_CODES,
  ...QUERY_CODES,
  ...DATA_CODES,
  ...JOURNAL_CODES,
  ...STORAGE_CODES,
  ...REPO_CODES,
  ...SERVER_CODES,
  ...CHANGES_CODES,
  ...CLIENT_CODES,
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The details a code's table entry lists, as a type: a class that raises one code takes
 * its details as `DetailsOf<code>`, so a key the table does not list does not compile.
 */
export type DetailsOf<C extends ErrorCode> = Partial<
  Record<(typeof ERROR_CODES)[C]['details'][number], unknown>
>;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** The CLI's exit status for a failure with `code` (1 for a code Lancelog does not know). */
export function exitStatusOf(code: string): number {
  return isErrorCode(code) ? ERROR_CODES[code].exit : 1;
}
