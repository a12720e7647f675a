/**
 * The pure reducer: what each event does to the projections. This is the single
 * source of truth: the journal runs the same recipe over each write's working set
 * and writes the rows it changed (projections.ts `writeChangedRows`), and replay()
 * rebuilds every projection from events alone.
 *
 * The reducer trusts that the journal validated the event before appending it
 * (CAS, leases, branch existence). It throws JournalCorrupt only for events that
 * cannot apply at all (e.g. a publish on a branch that never existed).
 */
import { Immer } from 'immer';
import { LancelogError } from '../errors.js';
import type { EventKind, JournalEvent } from './events.js';
import { deleteRow, getRow, putRow } from './layout.js';
import {
  branchOf,
  emptyState,
  leasesOf,
  operationOf,
  pinsAt,
  type BranchRow,
  type CommitRow,
  type ForkRow,
  type JournalState,
  type LeaseRow,
  type ManifestRow,
  type OperationRow,
  type OperationState,
  type PinRow,
  type RecoveryAuditRow,
} from './state.js';

/**
 * Our own immer instance, without auto-freeze: freezing walks every new subtree on
 * every event, which made replay quadratic-ish on long journals. The reducer never
 * mutates its input anyway (a test checks purity), and a private instance leaves
 * the global immer settings of the rest of the program alone.
 */
const immer = new Immer({ autoFreeze: false });

function corrupt(event: JournalEvent, why: string): LancelogError {
  return new LancelogError(
    'JournalCorrupt',
    `event #${event.seq} (${event.kind}) cannot apply: ${why}`,
    { seq: event.seq, kind: event.kind },
  );
}

function touchOperation(d: JournalState, event: JournalEvent, state?: OperationState): void {
  const op = operationOf(d, event.opId);
  if (!op) return; // events of ops without op.begun (init, branch admin, bare publish)
  op.updatedUs = event.timeUs;
  if (state) op.state = state;
}

function releaseLeasesOf(d: JournalState, opId: string): void {
  for (const lease of leasesOf(d, opId)) deleteRow(d, 'leases', [lease.branch, lease.tableKey]);
}

/** Adds manifest `mv` of `branch` with `pins` (re-keyed to it) and its commit pointer. */
function addManifest(
  d: JournalState,
  branch: string,
  mv: number,
  pins: Array<Omit<PinRow, 'branch' | 'manifestVersion'>>,
  commitId: string,
  timeUs: number,
): void {
  for (const pin of pins)
    putRow(d, 'pins', {
      branch,
      manifestVersion: mv,
      tableKey: pin.tableKey,
      version: pin.version,
      lanceBranch: pin.lanceBranch,
    } satisfies PinRow);
  putRow(d, 'manifests', { branch, manifestVersion: mv, commitId, timeUs } satisfies ManifestRow);
}

/** The event of kind `K`, narrowed. */
type EventOf<K extends EventKind> = Extract<JournalEvent, { kind: K }>;
/** What one kind of event does to a state (a draft, or the journal's private working set). */
type Recipe<K extends EventKind> = (d: JournalState, event: EventOf<K>) => void;

function repoInitialized(d: JournalState, event: EventOf<'repo.initialized'>): void {
  const p = event.payload;
  const t = event.timeUs;
  if (branchOf(d, event.branch))
    throw corrupt(event, `branch ${event.branch} is already initialized`);
  putRow(d, 'branches', {
    name: event.branch,
    parentBranch: null,
    parentManifestVersion: null,
    createdUs: t,
    deleted: false,
    headManifestVersion: 1,
    headCommitId: p.commit_id,
  } satisfies BranchRow);
  addManifest(
    d,
    event.branch,
    1,
    p.tables.map((tb) => ({ tableKey: tb.table_key, version: tb.version, lanceBranch: null })),
    p.commit_id,
    t,
  );
  putRow(d, 'commits', {
    id: p.commit_id,
    branch: event.branch,
    manifestVersion: 1,
    parentId: null,
    mergedParentId: null,
    actor: p.actor,
    opId: event.opId,
    timeUs: t,
    message: p.message,
  } satisfies CommitRow);
}

function opBegun(d: JournalState, event: EventOf<'op.begun'>): void {
  const p = event.payload;
  putRow(d, 'operations', {
    opId: event.opId,
    kind: p.kind,
    branch: p.branch,
    actor: p.actor,
    state: 'begun',
    startedUs: event.timeUs,
    updatedUs: event.timeUs,
    errorCode: null,
    errorMessage: null,
    errorPhase: null,
  } satisfies OperationRow);
}

function leaseAcquired(d: JournalState, event: EventOf<'lease.acquired'>): void {
  const p = event.payload;
  for (const tb of p.tables) {
    putRow(d, 'leases', {
      branch: tb.branch,
      tableKey: tb.table_key,
      opId: event.opId,
      ownerPid: p.owner.pid,
      ownerHost: p.owner.host,
      leaseId: p.owner.leaseId,
      heartbeatUs: p.heartbeat_us,
    } satisfies LeaseRow);
  }
  touchOperation(d, event);
}

function leaseHeartbeat(d: JournalState, event: EventOf<'lease.heartbeat'>): void {
  for (const lease of leasesOf(d, event.opId)) lease.heartbeatUs = event.payload.heartbeat_us;
  touchOperation(d, event);
}

function leaseReleased(d: JournalState, event: EventOf<'lease.released'>): void {
  for (const tb of event.payload.tables) {
    if (getRow<LeaseRow>(d, 'leases', [tb.branch, tb.table_key])?.opId === event.opId)
      deleteRow(d, 'leases', [tb.branch, tb.table_key]);
  }
  touchOperation(d, event);
}

function opPublished(d: JournalState, event: EventOf<'op.published'>): void {
  const p = event.payload;
  const branch = branchOf(d, event.branch);
  if (!branch) throw corrupt(event, `branch ${event.branch} does not exist`);
  const mv = p.manifest_version;
  // Untouched tables keep their pins: the previous head's pin set, overlaid with the published ones.
  const pins = new Map(
    pinsAt(d, event.branch, branch.headManifestVersion).map((pin) => [
      pin.tableKey,
      { tableKey: pin.tableKey, version: pin.version, lanceBranch: pin.lanceBranch },
    ]),
  );
  for (const key of p.unpinned ?? []) pins.delete(key);
  for (const pin of p.pins)
    pins.set(pin.table_key, {
      tableKey: pin.table_key,
      version: pin.version,
      lanceBranch: pin.lance_branch,
    });
  addManifest(d, event.branch, mv, [...pins.values()], p.commit_id, event.timeUs);
  putRow(d, 'commits', {
    id: p.commit_id,
    branch: event.branch,
    manifestVersion: mv,
    parentId: branch.headCommitId,
    mergedParentId: p.merged_parent_id,
    actor: p.actor,
    opId: event.opId,
    timeUs: event.timeUs,
    message: p.message,
  } satisfies CommitRow);
  branch.headManifestVersion = mv;
  branch.headCommitId = p.commit_id;
  releaseLeasesOf(d, event.opId);
  touchOperation(d, event, 'published');
}

function opFailed(d: JournalState, event: EventOf<'op.failed'>): void {
  touchOperation(d, event, 'failed');
  const op = operationOf(d, event.opId);
  if (op) {
    op.errorCode = event.payload.error.code;
    op.errorMessage = event.payload.error.message;
    op.errorPhase = event.payload.phase;
  }
}

function recoveryApplied(d: JournalState, event: EventOf<'recovery.applied'>): void {
  const p = event.payload;
  const t = event.timeUs;
  const original = operationOf(d, p.original_op_id);
  putRow(d, 'recoveryAudit', {
    recoveryOpId: event.opId,
    originalOpId: p.original_op_id,
    originalActor: original?.actor ?? null,
    writerKind: original?.kind ?? null,
    decision: p.decision,
    tables: p.tables.map((x) => ({ table_key: x.table_key, from: x.from, to: x.to })),
    timeUs: t,
  } satisfies RecoveryAuditRow);
  // Abort touches nothing: the original stays in flight and keeps its leases.
  if (p.decision !== 'Abort') {
    releaseLeasesOf(d, p.original_op_id);
    if (original) {
      original.state = p.decision === 'RollBack' ? 'rolled_back' : 'completed';
      original.updatedUs = t;
    }
  }
  touchOperation(d, event);
}

function branchCreated(d: JournalState, event: EventOf<'branch.created'>): void {
  const p = event.payload;
  const fromManifest = getRow<ManifestRow>(d, 'manifests', [
    p.from_branch,
    p.from_manifest_version,
  ]);
  if (!fromManifest)
    throw corrupt(event, `${p.from_branch}@${p.from_manifest_version} does not exist`);
  // Lazy fork: manifest 1 of the new branch is the parent's pin set, same
  // versions and Lance branches; it points at the parent's commit (no new commit).
  putRow(d, 'branches', {
    name: p.name,
    parentBranch: p.from_branch,
    parentManifestVersion: p.from_manifest_version,
    createdUs: event.timeUs,
    deleted: false,
    headManifestVersion: 1,
    headCommitId: fromManifest.commitId,
  } satisfies BranchRow);
  const pins = pinsAt(d, p.from_branch, p.from_manifest_version).map((pin) => ({
    tableKey: pin.tableKey,
    version: pin.version,
    lanceBranch: pin.lanceBranch,
  }));
  addManifest(d, p.name, 1, pins, fromManifest.commitId, event.timeUs);
}

function branchDeleted(d: JournalState, event: EventOf<'branch.deleted'>): void {
  const b = branchOf(d, event.payload.name);
  if (!b) throw corrupt(event, `branch ${event.payload.name} does not exist`);
  b.deleted = true;
}

function tableForked(d: JournalState, event: EventOf<'table.forked'>): void {
  const p = event.payload;
  putRow(d, 'forks', {
    branch: event.branch,
    tableKey: p.table_key,
    lanceBranch: p.lance_branch,
    fromVersion: p.from_version,
    opId: event.opId,
    timeUs: event.timeUs,
  } satisfies ForkRow);
  touchOperation(d, event);
}

/** Ends the operation's leases and moves it to `state`. */
const releaseAndMove =
  (state: OperationState) =>
  (d: JournalState, event: JournalEvent): void => {
    releaseLeasesOf(d, event.opId);
    touchOperation(d, event, state);
  };

/**
 * One recipe per event kind (tsc checks every kind has one). Kinds with no
 * projection (`schema.recorded`, `versions.cleaned`) are read back from the event
 * log (Journal.recordedSchemaHash, Journal.cleanedVersions).
 */
const RECIPES: { [K in EventKind]: Recipe<K> } = {
  'repo.initialized': repoInitialized,
  'op.begun': opBegun,
  'lease.acquired': leaseAcquired,
  'lease.heartbeat': leaseHeartbeat,
  'lease.released': leaseReleased,
  'op.intent_recorded': (d, event) => touchOperation(d, event, 'intent_recorded'),
  'table.commit_started': (d, event) => touchOperation(d, event, 'committing'),
  'table.committed': (d, event) => touchOperation(d, event, 'committing'),
  'op.published': opPublished,
  'op.completed': releaseAndMove('completed'),
  'op.failed': opFailed,
  'op.rolled_back': releaseAndMove('rolled_back'),
  'recovery.classified': (d, event) => touchOperation(d, event),
  'recovery.decided': (d, event) => touchOperation(d, event),
  'schema.recorded': () => undefined,
  'versions.cleaned': () => undefined,
  'repair.damage_recorded': () => undefined,
  'recovery.applied': recoveryApplied,
  'branch.created': branchCreated,
  'branch.deleted': branchDeleted,
  'table.forked': tableForked,
};

function recipe(d: JournalState, event: JournalEvent): void {
  const apply = (RECIPES as Partial<Record<string, Recipe<EventKind>>>)[event.kind];
  if (!apply) throw new LancelogError('JournalCorrupt', `unhandled event ${JSON.stringify(event)}`);
  apply(d, event as EventOf<EventKind>);
}

/** What `event` does to `state`. Pure: returns a new state, never mutates. */
export function evolve(state: JournalState, event: JournalEvent): JournalState {
  return immer.produce(state, (d) => recipe(d as JournalState, event));
}

/** Rebuilds every projection from the events alone. */
export function replay(
  events: Iterable<JournalEvent>,
  from: JournalState = emptyState(),
): JournalState {
  // One draft for the whole replay: the same recipe per event as evolve(), without
  // finalising an immutable state after every event (that made verify 2× slower).
  return immer.produce(from, (d) => {
    for (const e of events) recipe(d as JournalState, e);
  });
}

/**
 * The same recipe as evolve(), applied to `state` in place (it is mutated): for the
 * journal's private working set, which nothing else references, so immer's copies and
 * patches buy nothing there. The rows to write are then found by comparing the rows
 * before and after (projections.ts `writeChangedRows`).
 */
export function evolveInPlace(state: JournalState, events: readonly JournalEvent[]): void {
  for (const e of events) recipe(state, e);
}
