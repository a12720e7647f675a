/**
 * The light part of the public API: errors and their codes, failpoint and event-kind
 * names, the package version. Nothing here loads zod,
 * LanceDB, Arrow or SQLite, so the CLI can register every command (names, options, help)
 * from it and load the full API (src/index.ts) only inside a command's action: that keeps
 * `lancelog --help` and `lancelog version` fast (docs/performance.md "Cold start").
 * test/cli/light-entry.test.ts checks that the CLI bundle's start-up chunk stays light.
 */
export {
  LancelogError,
  UsageError,
  asSystemError,
  systemErrorCode,
  type ErrorCode,
} from './errors.js';
export { ERROR_CODES, exitStatusOf, isErrorCode } from './error-codes.js';
export { FAILPOINTS, type FailpointName } from './failpoints.js';
export { EVENT_KIND_NAMES } from './journal/event-kinds.js';
export { lancelogVersion } from './version.js';
export { DEFAULT_ACTOR, DEFAULT_BRANCH } from './defaults.js';
