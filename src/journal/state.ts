/**
 * The in-memory shape of every projection: plain row types (one per SQL table)
 * and JournalState, which holds each projection as a nested object laid out by
 * layout.ts. Each leaf is one row carrying its own key fields; that regularity is
 * what lets projections.ts turn the reducer's immer patches into SQL generically,
 * so the SQL can never drift from evolve().
 */
import type { OperationKind, RecoveryDecision } from './events.js';
import { allRows, getRow, rowsUnder, type ProjectionTrees } from './layout.js';

export type { ProjectionTree } from './layout.js';

export type OperationState =
  'begun' | 'intent_recorded' | 'committing' | 'published' | 'completed' | 'failed' | 'rolled_back';

/** Terminal states: an operation in one of these is no longer in flight. */
export const TERMINAL_STATES: readonly OperationState[] = ['completed', 'rolled_back'];
/** The other states: an operation in one of these is in flight. */
export const IN_FLIGHT_STATES: readonly OperationState[] = [
  'begun',
  'intent_recorded',
  'committing',
  'published',
  'failed',
];

export interface BranchRow {
  name: string;
  parentBranch: string | null;
  parentManifestVersion: number | null;
  createdUs: number;
  deleted: boolean;
  /** Newest manifest version of the branch (denormalised so publish need not scan). */
  headManifestVersion: number;
  headCommitId: string;
}

export interface PinRow {
  branch: string;
  manifestVersion: number;
  tableKey: string;
  version: number;
  /** null = the table's main Lance branch. */
  lanceBranch: string | null;
}

export interface ManifestRow {
  branch: string;
  manifestVersion: number;
  commitId: string;
  timeUs: number;
}

export interface CommitRow {
  id: string;
  branch: string;
  manifestVersion: number;
  parentId: string | null;
  mergedParentId: string | null;
  actor: string;
  opId: string;
  timeUs: number;
  message: string | null;
}

export interface OperationRow {
  opId: string;
  kind: OperationKind;
  branch: string;
  actor: string;
  state: OperationState;
  startedUs: number;
  updatedUs: number;
  errorCode: string | null;
  errorMessage: string | null;
  errorPhase: string | null;
}

export interface LeaseRow {
  branch: string;
  tableKey: string;
  opId: string;
  ownerPid: number;
  ownerHost: string;
  leaseId: string;
  heartbeatUs: number;
}

export interface ForkRow {
  branch: string;
  tableKey: string;
  lanceBranch: string;
  fromVersion: number;
  opId: string;
  timeUs: number;
}

export interface RecoveryAuditRow {
  recoveryOpId: string;
  originalOpId: string;
  originalActor: string | null;
  writerKind: string | null;
  decision: RecoveryDecision;
  tables: Array<{ table_key: string; from: number; to: number }>;
  timeUs: number;
}

/**
 * Every projection as a nested object laid out by layout.ts (keys, and hash buckets
 * for history-sized projections): branches, pins, manifests, commits, operations,
 * leases, forks, recoveryAudit. Read and write rows through layout.ts accessors.
 */
export type JournalState = ProjectionTrees;

export function emptyState(): JournalState {
  return {
    branches: {},
    pins: {},
    manifests: {},
    commits: {},
    operations: {},
    leases: {},
    forks: {},
    recoveryAudit: {},
  };
}

export function branchOf(state: JournalState, name: string): BranchRow | undefined {
  return getRow<BranchRow>(state, 'branches', [name]);
}

export function operationOf(state: JournalState, opId: string): OperationRow | undefined {
  return getRow<OperationRow>(state, 'operations', [opId]);
}

/** The pins of a branch at a manifest version. */
export function pinsAt(state: JournalState, branch: string, manifestVersion: number): PinRow[] {
  return rowsUnder<PinRow>(state, 'pins', [branch, manifestVersion]);
}

/** The pins of a branch at its head manifest version. */
export function headPins(state: JournalState, branch: string): PinRow[] {
  const b = branchOf(state, branch);
  return b ? pinsAt(state, branch, b.headManifestVersion) : [];
}

/** Every lease held by an operation. */
export function leasesOf(state: JournalState, opId: string): LeaseRow[] {
  return allRows<LeaseRow>(state, 'leases').filter((l) => l.opId === opId);
}
