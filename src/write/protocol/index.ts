/**
 * The write protocol's one entry (docs/architecture.md §Life of a write). Every writer
 * beside this folder — mutations and transactions, loads, merges, index builds,
 * maintenance, schema changes, export, the embed pre-pass — imports only this module;
 * so do recovery and the API. The protocol imports no writer.
 *
 * - `runWrite` (run.ts): one operation, phase by phase.
 * - Staging (staging/): the row store a row writer's body fills, with the schema's rules.
 * - Sidecars (sidecar.ts): the intent file recovery reads.
 */
export {
  runWrite,
  syncLanceCommit,
  projectionMismatch,
  HEARTBEAT_INTERVAL_MS,
  PHASE_B_CONCURRENCY,
  type LanceCommitRange,
} from './run.js';
export { recordCommit, recordCommits, type CommitRange } from './commit-record.js';
export type {
  CommitResult,
  OperationContext,
  OperationOptions,
  OperationOutcome,
  SchemaChange,
  TableAction,
  TableCommitStep,
  TableMove,
  WriteBody,
  WritePlan,
} from './types.js';
export {
  SIDECAR_DIR,
  SIDECAR_SCHEMA_VERSION,
  SidecarSchemaError,
  deleteSidecar,
  listSidecars,
  readSidecar,
  sidecarPath,
  writeSidecar,
  writeSidecarFile,
  type Sidecar,
} from './sidecar.js';
export { DataFileError, InvariantBroken, OutcomeUnknown, ValidationError } from './errors.js';
export {
  StagedOperation,
  stagingAt,
  newTableChanges,
  type CommittedReader,
  type PinnedTables,
  type Row,
  type RowOrigin,
  type StoredValue,
  type TableChanges,
} from './staging/staging.js';
export type { Filter, Condition, FilterOp } from './staging/filter.js';
export { canonicalValue, coerceType, jsonValue, utcMidnight } from './staging/values.js';
export {
  EmbedWindow,
  embedJobs,
  embedTargetsOf,
  lazyEmbeddingClient,
  runEmbedJobs,
  sourceText,
  type EmbedJob,
} from './staging/embed-fill.js';
