/**
 * storage/: the only module allowed to import @lancedb/lancedb (ARCHITECTURE §1).
 * Everything crossing this boundary uses the project's apache-arrow instance.
 */
export { TableStore, MAIN_BRANCH } from './table-store.js';
export type { OpenTableOptions, BranchInfo } from './table-store.js';
export type {
  TableHandle,
  ScanOptions,
  MergeInsertArgs,
  MergeInsertResult,
  TableVersionInfo,
} from './table-handle.js';
export { sqlString, idInPredicate } from './sql.js';
export { RawLance, RawLanceTable, rawArrowTable } from './baseline.js';
