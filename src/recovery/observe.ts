/**
 * Finds every in-flight operation (a sidecar, or a journal operation without
 * op.completed / op.rolled_back) and what is known about it: intent, commits,
 * publish, owner. Pure reads.
 */
import type { Journal, JournalEvent } from '../journal/index.js';
import {
  listSidecars,
  readSidecar,
  sidecarPath,
  SidecarSchemaError,
  type Sidecar,
} from '../write/sidecar.js';
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
  committed: Map<string, number>;
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

export function findPending(repoDir: string, journal: Journal): Pending {
  const sidecarIds = new Set(listSidecars(repoDir));
  const operations: PendingOperation[] = [];
  const staleSidecars: string[] = [];
  const unreadable: UnreadableSidecar[] = [];
  const sidecars = new Map<string, Sidecar>();
  for (const opId of sidecarIds) {
    const file = sidecarPath(repoDir, opId);
    try {
      sidecars.set(opId, readSidecar(file));
    } catch (err) {
      if (err instanceof SidecarSchemaError) unreadable.push({ opId, file, error: err });
      else throw err;
    }
  }
  const inFlight = new Map(journal.inFlightOperations().map((op) => [op.opId, op]));
  for (const op of inFlight.values()) {
    const events = journal.listEvents({ opId: op.opId, order: 'asc' });
    const byKind = (k: JournalEvent['kind']) => events.filter((e) => e.kind === k);
    const begun = byKind('op.begun')[0];
    const intentEvent = byKind('op.intent_recorded')[0];
    const sidecar = sidecars.get(op.opId);
    const intent: IntentEntry[] =
      intentEvent && intentEvent.kind === 'op.intent_recorded'
        ? intentEvent.payload.tables.map((t) => ({
            tableKey: t.table_key,
            lanceBranch: t.lance_branch,
            expected: t.expected_version,
            postCommit: t.post_commit_version,
          }))
        : sidecar
          ? fromSidecar(sidecar)
          : [];
    const committed = new Map<string, number>();
    for (const e of byKind('table.committed'))
      if (e.kind === 'table.committed') committed.set(e.payload.table_key, e.payload.version);
    const leases = journal.listLeases({ opId: op.opId });
    const beganOwner = begun && begun.kind === 'op.begun' ? begun.payload.owner : undefined;
    const owner: OwnerInfo | null =
      leases.length > 0
        ? {
            pid: leases[0].ownerPid,
            host: leases[0].ownerHost,
            heartbeatUs: Math.max(...leases.map((l) => l.heartbeatUs)),
          }
        : beganOwner
          ? { pid: beganOwner.pid, host: beganOwner.host, heartbeatUs: op.updatedUs }
          : sidecar
            ? { pid: sidecar.owner.pid, host: sidecar.owner.host, heartbeatUs: op.updatedUs }
            : null;
    operations.push({
      opId: op.opId,
      kind: op.kind,
      branch: op.branch,
      actor: op.actor,
      startedUs: op.startedUs,
      inJournal: true,
      hasSidecar: sidecarIds.has(op.opId),
      intent,
      published: byKind('op.published').length > 0,
      committed,
      owner,
      unreadableSidecar: unreadable.find((u) => u.opId === op.opId),
    });
  }
  for (const [opId, sidecar] of sidecars) {
    if (inFlight.has(opId)) continue;
    let known = false;
    try {
      journal.getOperation(opId);
      known = true;
    } catch {
      /* not in the journal */
    }
    if (known) {
      staleSidecars.push(opId);
      continue;
    }
    // The journal does not know the operation (e.g. restored from an older backup):
    // recover it from the sidecar alone.
    operations.push({
      opId,
      kind: sidecar.kind,
      branch: sidecar.branch,
      actor: sidecar.actor,
      startedUs: sidecar.created_us,
      inJournal: false,
      hasSidecar: true,
      intent: fromSidecar(sidecar),
      published: false,
      committed: new Map(),
      owner: { pid: sidecar.owner.pid, host: sidecar.owner.host, heartbeatUs: null },
    });
  }
  // Oldest first; crashed recoveries before everything (they only hold leases).
  operations.sort((a, b) =>
    (a.kind === 'Recovery') !== (b.kind === 'Recovery')
      ? a.kind === 'Recovery'
        ? -1
        : 1
      : a.startedUs - b.startedUs || (a.opId < b.opId ? -1 : 1),
  );
  return { operations, staleSidecars, unreadable };
}
