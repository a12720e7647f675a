/**
 * The journal layer: SQLite catalog + write-ahead log (docs/journal.md).
 * The only module of Lancelog that imports better-sqlite3.
 */
export { Journal, JOURNAL_FILE, verifyJournal } from './journal.js';
export type {
  TablePin,
  Snapshot,
  SnapshotRef,
  BeginArgs,
  LeaseOwner,
  LeaseRequest,
  PublishTable,
  PublishRequest,
  PublishResult,
  IntentTable,
  VersionMove,
  ClassifiedTable,
  EventFilter,
  CommitFilter,
  VerifyReport,
  BranchInfo,
} from './journal.js';
export {
  eventPayloadSchemas,
  EVENT_KINDS,
  OperationKind,
  Phase,
  RecoveryClass,
  RecoveryDecision,
  parsePayload,
  isEventKind,
} from './events.js';
export type {
  EventKind,
  EventPayloads,
  EventBody,
  EventEnvelope,
  JournalEvent,
  FileDigest,
  CommittedVersion,
} from './events.js';
export { evolve, replay } from './evolve.js';
export { decide, commandNeeds } from './decide.js';
export { preconditionFailed } from './precondition.js';
export type { EventDraft, JournalCommand, Decision } from './decide.js';
export { selectNeeds, eventNeeds } from './working-set.js';
export type { Need, ReadCount } from './working-set.js';
export {
  emptyState,
  TERMINAL_STATES,
  branchOf,
  operationOf,
  pinsAt,
  headPins,
  leasesOf,
} from './state.js';
export { getRow, rowsUnder, allRows, byTableKey, PROJECTIONS } from './layout.js';
export type {
  JournalState,
  ProjectionTree,
  BranchRow,
  PinRow,
  ManifestRow,
  CommitRow,
  OperationRow,
  OperationState,
  LeaseRow,
  ForkRow,
  RecoveryAuditRow,
} from './state.js';
export { diffStates } from './projections.js';
export { JOURNAL_SCHEMA_VERSION, BUSY_TIMEOUT_MS, migrationsDir } from './migrations.js';
export { MAIN_BRANCH, validateBranchName } from './branch-names.js';
export { generateEventJsonSchema } from './schema-json.js';
export { cleanedVersionKey } from './queries.js';
export { KeySpill, type SpilledRow } from './key-spill.js';
export { SortSpill } from './sort-spill.js';
