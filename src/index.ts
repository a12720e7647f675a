/**
 * Lancelog's public API. The CLI and embedding applications import only this module
 * (and the crash-drill harness, which has its own entry: src/drill/index.ts, exported
 * as 'lancelog/drill').
 */
export { Repo, SCHEMA_FILE, DEFAULT_ACTOR } from './repo.js';
export { DEFAULT_BRANCH } from './defaults.js';
export type {
  InitOptions,
  InitResult,
  OpenOptions,
  TableSummary,
  ReadAt,
  ScanOptions,
  VerifyResult,
} from './repo.js';
export type {
  Snapshot,
  TablePin,
  CommitRow,
  BranchInfo,
  EventFilter,
  JournalEvent,
  OperationRow,
  EventKind,
} from './journal/index.js';
export { EVENT_KINDS } from './journal/index.js';
export { Transaction } from './write/transaction.js';
export { ValidationError } from './write/protocol/index.js';
export type { Filter, Condition, FilterOp } from './write/protocol/index.js';
export { RecoveryAborted, RECOVERY_ACTOR } from './recovery/sweep.js';
export type {
  RecoveryReport,
  RecoveryEntry,
  RecoveryMode,
  ObservedTable,
} from './recovery/sweep.js';
export {
  RECOVERY_CLASSES,
  RECOVERY_DECISIONS,
  classifyTable,
  decide,
} from './recovery/classify.js';
export type { RecoveryClass, RecoveryDecision } from './recovery/classify.js';
export { explainDecision, CLASS_MEANING } from './recovery/explain.js';
export type { ClassifiedTable } from './recovery/explain.js';
export type { RecoveryAuditEntry } from './repo.js';
export type { OperationOptions, OperationOutcome } from './write/protocol/index.js';
export { VECTOR_INDEX_MIN_ROWS, wantedIndexes } from './write/indexes.js';
export type {
  EnsureIndexesResult,
  BuiltIndex,
  IndexProgress,
  IndexListRow,
  IndexStatus,
  IndexKind,
} from './write/indexes.js';
export type { GraphFileCheck, GraphIndexListRow, GraphIndexReport } from './repo/graph.js';
export {
  FAILPOINTS,
  armFailpoint,
  disarmFailpoint,
  disarmAllFailpoints,
  parseFailpointSpec,
  FailpointError,
} from './failpoints.js';
export type { FailpointName, FailpointAction } from './failpoints.js';
export {
  LancelogError,
  ParseError,
  SchemaError,
  RepoError,
  StorageError,
  UsageError,
  asSystemError,
  systemErrorCode,
  type ErrorCode,
} from './errors.js';
export { ERROR_CODES, exitStatusOf, isErrorCode, type ErrorCodeSpec } from './error-codes.js';
export { compileSchema, catalogToJSON, typeText, planSchemaChange } from './schema/index.js';
export type { PlanStep, SchemaPlan, StepKind, StepSafety } from './schema/index.js';
export type {
  Catalog,
  NodeTypeDef,
  EdgeTypeDef,
  PropertyDef,
  PropType,
  TypeDef,
  TableKey,
} from './schema/types.js';
export { lancelogVersion, packageRoot } from './version.js';
export {
  parseQueries,
  checkQueries,
  compileQueries,
  compileQuery,
  explain as explainQuery,
  planToJSON,
  lintQueries,
  describeOperation,
  bindParams,
  parseParamsJson,
  QueryError,
  ParamError,
} from './query/index.js';
export type {
  CheckedQuery,
  LintIssue,
  QueryLintResult,
  QueryOperation,
  GraphFact,
  ResultField,
  ValueKind,
  QueryPlan,
  ReadPlan,
  MutationPlan,
  ReadOp,
  MutationOp,
  IrExpr,
  ValueExpr,
  Assignment,
  Predicate,
  ParamInfo,
  ParamType,
  QueryValue,
  ValueType,
  QueryMeta,
  CompareOp,
  QueryFile,
} from './query/index.js';
export {
  ReadCache,
  DEFAULT_READ_CACHE_BYTES,
  ReadError,
  formatValue,
  columnTypeText,
  parseTypeText,
} from './read/index.js';
export type {
  ReadResult,
  ResultRow,
  ResultValue,
  ReadTarget,
  ReadStats,
  QueryArgs,
  QuerySource,
  Change,
  ChangeOp,
  DiffFilter,
  DiffResult,
  DiffStats,
  EntityVersion,
  OutValue,
  OutObject,
  ColumnType,
} from './read/index.js';
export { valueTypeText } from './query/values.js';
export { parseJsonExact, shortestFloat32, stringifyJsonExact } from './json-exact.js';
export { writeStreamAtomic } from './fs-atomic.js';
export { loadJsonl, LOAD_MODES } from './write/load/load.js';
export type { LoadMode, LoadInput, LoadOptions, LoadResult } from './write/load/load.js';
export { exportJsonl } from './write/export/export.js';
export {
  commitChanges,
  pollChanges,
  changeBaseline,
  DEFAULT_PAGE_CHANGES,
  MAX_PAGE_CHANGES,
} from './repo/changes.js';
export type {
  ChangeBlock,
  ChangeCause,
  CommitChangesPage,
  PollOptions,
  PollPage,
  BaselineResult,
} from './repo/changes.js';
export { snapshotChanges } from './repo/snapshot-changes.js';
export { readBlob } from './repo/blob.js';
export type { BlobCell, BlobSelector, BlobRepo, ByteRange } from './repo/blob.js';
export { followChanges, JournalWatch } from './repo/change-follow.js';
export type { FollowOptions } from './repo/change-follow.js';
export type { ChangeFilter, EntityChange, EntityImage, EntityKind } from './repo/change-blocks.js';
export type { ExportSource, ExportResult, ExportOptions } from './write/export/export.js';
export { DataFileError, InvariantBroken, SIDECAR_DIR } from './write/protocol/index.js';
export { MergeConflictsError, MERGE_CONFLICT_KINDS } from './write/merge/merge-plan.js';
export type { MergeConflict, MergeConflictKind } from './write/merge/merge-plan.js';
export type { MergeOptions, MergeResult, MergeOutcome } from './write/merge/merge.js';
export { doctor, DOCTOR_ACTOR } from './doctor.js';
export {
  eventDetail,
  isoFromUs,
  operationTimeline,
  phaseOf,
  type OperationTimeline,
} from './repo/operation-timeline.js';
export type {
  OptimizeResult,
  OptimizeTableReport,
  CleanupOptions,
  CleanupResult,
  CleanupTableReport,
} from './write/maintenance/maintenance.js';
export type { SchemaApplyOptions, SchemaApplyResult } from './write/schema-apply/schema-apply.js';
export type { Violation as SchemaViolation } from './write/schema-apply/schema-validate.js';
export type { DoctorReport, DoctorProblem, DoctorProblemKind } from './doctor.js';
export {
  createEmbeddingClient,
  mockEmbedding,
  EmbeddingFailed,
  EmbeddingNotConfigured,
  EmbeddingConfigInvalid,
} from './embed/index.js';
export type { EmbeddingClient, EmbeddingClientOptions, EmbeddingProvider } from './embed/index.js';
export { embedJsonlFile } from './write/load/embed-file.js';
export type { EmbedFileMode, EmbedFileOptions, EmbedFileResult } from './write/load/embed-file.js';
