/**
 * Finds every in-flight operation (a sidecar, or a journal operation without
 * op.completed / op.rolled_back) and what is known about it: intent, commits,
 * publish, owner. Pure reads.
 */
import type { FileDigest, Journal, JournalEvent } from '../journal/index.js';
import {
  listSidecars,
  readSidecar,
  sidecarPath,
  SidecarSchemaError,
  type Sidecar,
} from '../write/protocol/index.js';
import type { OwnerInfo } from './liveness.js';

export interface IntentEntry {
  tableKey: string;
  lanceBranch: string | null;
  expected: number;
  /** null: a multi-commit table (never rolled forward). */
  postCommit: number | null;
}

export interface PendingOperation {
  opId: string;
  kind: string;
  branch: string;
  actor: string | null;
  startedUs: number;
  inJournal: boolean;
  hasSidecar: boolean;
  intent: IntentEntry[];
  published: boolean;
  /** The journal shows `op.failed`: its caller was told it failed (recovery rolls it back). */
  failed: boolean;
  committed: Map<string, number>;
  /**
   * Per table, the files its last `table.committed` recorded as written (digests), when
   * it recorded them: what recovery checks before rolling the table forward.
   */
  committedFiles: Map<string, { version: number; files: FileDigest[] }>;
  owner: OwnerInfo | null;
  /** Its sidecar exists but cannot be read: recovery must not touch the operation. */
  unreadableSidecar?: UnreadableSidecar;
}

export interface UnreadableSidecar {
  opId: string;
  file: string;
  error: SidecarSchemaError;
}

export interface Pending {
  operations: PendingOperation[];
  /** Sidecars of operations the journal shows as finished: leftovers of a crash in Phase D / rollback. */
  staleSidecars: string[];
  unreadable: UnreadableSidecar[];
}

function fromSidecar(s: Sidecar): IntentEntry[] {
  return s.tables.map((t) => ({
    tableKey: t.table_key,
    lanceBranch: t.lance_branch,
    expected: t.expected_version,
    postCommit: t.post_commit_version,
  }));
}

type InFlightOperation = ReturnType<Journal['inFlightOperations']>[number];

/** Reads every sidecar; one that fails its schema is set aside, never thrown. */
function readSidecars(
  repoDir: string,
  sidecarIds: Set<string>,
): { sidecars: Map<string, Sidecar>; unreadable: UnreadableSidecar[] } {
  const sidecars = new Map<string, Sidecar>();
  const unreadable: UnreadableSidecar[] = [];
  for (const opId of sidecarIds) {
    const file = sidecarPath(repoDir, opId);
    try {
      sidecars.set(opId, readSidecar(file));
    } catch (err) {
      if (err instanceof SidecarSchemaError) unreadable.push({ opId, file, error: err });
      else throw err;
    }
  }
  return { sidecars, unreadable };
}

/** The journal's intent wins; a sidecar stands in when the intent was never journalled. */
function intentOf(events: JournalEvent[], sidecar: Sidecar | undefined): IntentEntry[] {
  const intentEvent = events.find((e) => e.kind === 'op.intent_recorded');
  if (intentEvent && intentEvent.kind === 'op.intent_recorded')
    return intentEvent.payload.tables.map((t) => ({
      tableKey: t.table_key,
      lanceBranch: t.lance_branch,
      expected: t.expected_version,
      postCommit: t.post_commit_version,
    }));
  return sidecar ? fromSidecar(sidecar) : [];
}

/**
 * Who owns the operation, for the liveness check: its leases (with their freshest
 * heartbeat) first, then the owner op.begun recorded, then the sidecar's.
 */
function ownerOf(
  journal: Journal,
  op: InFlightOperation,
  events: JournalEvent[],
  sidecar: Sidecar | undefined,
): OwnerInfo | null {
  const begun = events.find((e) => e.kind === 'op.begun');
  const leases = journal.listLeases({ opId: op.opId });
  const beganOwner = begun && begun.kind === 'op.begun' ? begun.payload.owner : undefined;
  if (leases.length > 0)
    return {
      pid: leases[0].ownerPid,
      host: leases[0].ownerHost,
      heartbeatUs: Math.max(...leases.map((l) => l.heartbeatUs)),
    };
  if (beganOwner) return { pid: beganOwner.pid, host: beganOwner.host, heartbeatUs: op.updatedUs };
  if (sidecar)
    return { pid: sidecar.owner.pid, host: sidecar.owner.host, heartbeatUs: op.updatedUs };
  return null;
}

/** An operation the journal shows in flight, with what its events say it did. */
function fromJournal(
  journal: Journal,
  op: InFlightOperation,
  sidecar: Sidecar | undefined,
  hasSidecar: boolean,
  unreadable: UnreadableSidecar[],
): PendingOperation {
  const events = journal.listEvents({ opId: op.opId, order: 'asc' });
  const intent = intentOf(events, sidecar);
  const committed = new Map<string, number>();
  const committedFiles = new Map<string, { version: number; files: FileDigest[] }>();
  for (const e of events) {
    if (e.kind !== 'table.committed') continue;
    committed.set(e.payload.table_key, e.payload.version);
    if (e.payload.files)
      committedFiles.set(e.payload.table_key, {
        version: e.payload.version,
        files: e.payload.files,
      });
    else committedFiles.delete(e.payload.table_key);
  }
  const owner = ownerOf(journal, op, events, sidecar);
  return {
    opId: op.opId,
    kind: op.kind,
    branch: op.branch,
    actor: op.actor,
    startedUs: op.startedUs,
    inJournal: true,
    hasSidecar,
    intent,
    published: events.some((e) => e.kind === 'op.published'),
    failed: events.some((e) => e.kind === 'op.failed'),
    committed,
    committedFiles,
    owner,
    unreadableSidecar: unreadable.find((u) => u.opId === op.opId),
  };
}

/**
 * The journal does not know the operation (e.g. restored from an older backup):
 * recover it from the sidecar alone.
 */
function fromSidecarOnly(opId: string, sidecar: Sidecar): PendingOperation {
  return {
    opId,
    kind: sidecar.kind,
    branch: sidecar.branch,
    actor: sidecar.actor,
    startedUs: sidecar.created_us,
    inJournal: false,
    hasSidecar: true,
    intent: fromSidecar(sidecar),
    published: false,
    failed: false,
    committed: new Map(),
    committedFiles: new Map(),
    owner: { pid: sidecar.owner.pid, host: sidecar.owner.host, heartbeatUs: null },
  };
}

function knownToJournal(journal: Journal, opId: string): boolean {
  try {
    journal.getOperation(opId);
    return true;
  } catch {
    return false; // not in the journal
  }
}

/** Oldest first; crashed recoveries before everything (they only hold leases). */
function recoveryOrder(a: PendingOperation, b: PendingOperation): number {
  return (a.kind === 'Recovery') !== (b.kind === 'Recovery')
    ? a.kind === 'Recovery'
      ? -1
      : 1
    : a.startedUs - b.startedUs || (a.opId < b.opId ? -1 : 1);
}

export function findPending(repoDir: string, journal: Journal): Pending {
  const sidecarIds = new Set(listSidecars(repoDir));
  const staleSidecars: string[] = [];
  const { sidecars, unreadable } = readSidecars(repoDir, sidecarIds);
  const inFlight = new Map(journal.inFlightOperations().map((op) => [op.opId, op]));
  const operations = [...inFlight.values()].map((op) =>
    fromJournal(journal, op, sidecars.get(op.opId), sidecarIds.has(op.opId), unreadable),
  );
  for (const [opId, sidecar] of sidecars) {
    if (inFlight.has(opId)) continue;
    if (knownToJournal(journal, opId)) staleSidecars.push(opId);
    else operations.push(fromSidecarOnly(opId, sidecar));
  }
  operations.sort(recoveryOrder);
  return { operations, staleSidecars, unreadable };
}
