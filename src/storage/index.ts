/**
 * storage/: the only module allowed to import @lancedb/lancedb (docs/architecture.md §Layers).
 * Everything crossing this boundary uses the project's apache-arrow instance, except
 * staged record batches (write/pending-rows.ts): those are built here in lancedb's
 * instance, read back only through `columnToJs`/`rowOfBatch`, and handed back whole
 * to a commit, so a large load is never converted between instances.
 */
export { TableStore, MAIN_BRANCH } from './table-store.js';
export type { SyncStats } from './lance-sync.js';
export { TableLineFiles } from './table-line-files.js';
export type { TableFiles } from './table-files.js';
export { inParallel, relativeName } from './lance-files.js';
export type {
  FileCheck,
  FileDigest,
  FileProblem,
  FileProblemKind,
  LanceFileKind,
  NeededFile,
} from './lance-files.js';
export type { FragmentInfo } from './lance-manifest.js';
export { readDeletionVector } from './lance-deletions.js';
export type { OpenTableOptions, BranchInfo } from './table-store.js';
export type {
  TableHandle,
  ScanOptions,
  MergeInsertArgs,
  MergeInsertResult,
  TableVersionInfo,
  IndexSpec,
  TableIndexInfo,
  SearchOptions,
  FragmentStats,
  CompactResult,
  PruneResult,
  RawChunk,
  RawScan,
  RawScanOptions,
  NumberArray,
} from './table-handle.js';
export { FTS_TOKENIZER } from './table-handle.js';
export { sqlIdent, sqlString, idInPredicate } from './sql.js';
export { BatchSpill } from './batch-spill.js';
export { RawLance, RawLanceTable, rawArrowTable } from './baseline.js';
export {
  rowsToLance,
  columnToJs,
  rowOfBatch,
  batchToRows,
  lanceTableOf,
  schemaToLance,
} from './arrow-bridge.js';
export { removedRowIds, decodeRowIds } from './lance-lineage.js';
export { decodeRoaring, decodeArrowDeletions, decodeLz4Frame } from './lance-deletion-file.js';
export type { LineageVersion, LineageFragment } from './lance-lineage.js';
export { isS3Uri, parseS3Uri, s3Location, lanceStorageOptions } from './s3-location.js';
export type { S3Location } from './s3-location.js';
export { S3Objects } from './s3-objects.js';
