/**
 * What callers of the journal facade (journal.ts) pass — leases, publishes, intents,
 * recovery classifications — and how each becomes a decider's command or an event
 * body. Pure: no SQL, so any journal store shares them.
 */
import { hostname } from 'node:os';
import { newId, nowUs } from './clock.js';
import { byTableKey } from './layout.js';
import type { JournalCommand } from './decide.js';
import {
  filesOf,
  type CommittedVersion,
  type EventBody,
  type OperationKind,
  type Phase,
  type RecoveryClass,
} from './events.js';

export interface LeaseOwner {
  pid: number;
  host: string;
  leaseId: string;
}
/** A lease to take, with the pin version the writer captured at first read (null: table absent). */
export interface LeaseRequest {
  tableKey: string;
  branch: string;
  expectedVersion: number | null;
}
export interface PublishTable {
  tableKey: string;
  expectedVersion: number | null;
  newVersion: number;
  lanceBranch: string | null;
}
export interface PublishRequest {
  /** The publishing operation; omitted → a fresh op id (a bare publish with no protocol events). */
  opId?: string;
  branch: string;
  actor: string;
  message?: string | null;
  /** Second parent of a merge commit. */
  mergedParentId?: string | null;
  tables: PublishTable[];
  /** Lance commits recorded (`table.committed`) in the publish transaction, before `op.published`. */
  committed?: CommittedVersion | ReadonlyArray<CommittedVersion>;
  /** Also record `op.completed` in the publish transaction (the writer's Phase D then only deletes the sidecar). */
  complete?: boolean;
  /** Tables the new manifest no longer pins (a schema change dropped their types). */
  unpin?: Array<{ tableKey: string; expectedVersion: number }>;
  /** A schema change: recorded (`schema.recorded`, reason `changed`) in the publish transaction. */
  schema?: { hash: string; source: string };
  /** A conditional write: the branch head must still be this commit (else PreconditionFailed). */
  expectedHeadCommit?: string;
}
export interface PublishResult {
  manifestVersion: number;
  commitId: string;
  opId: string;
}
export interface IntentTable {
  tableKey: string;
  lanceBranch: string | null;
  expectedVersion: number;
  /** null: the table is committed more than once (a multi-commit writer). */
  postCommitVersion: number | null;
}
export interface VersionMove {
  tableKey: string;
  from: number;
  to: number;
}
export interface ClassifiedTable {
  tableKey: string;
  head: number;
  pin: number;
  expected: number;
  committed: number | null;
  class: RecoveryClass;
}

/** The `op.begun` of an operation (owner: this process unless given). */
export interface BeginArgs {
  opId: string;
  kind: OperationKind;
  branch: string;
  actor: string;
  owner?: { pid: number; host: string };
}

export function beginCommand(b: BeginArgs): Extract<JournalCommand, { type: 'begin' }> {
  const owner = b.owner ?? { pid: process.pid, host: hostname() };
  return { type: 'begin', opId: b.opId, kind: b.kind, branch: b.branch, actor: b.actor, owner };
}

export function leaseCommand(
  opId: string,
  tables: LeaseRequest[],
  owner: LeaseOwner,
): Extract<JournalCommand, { type: 'acquireLeases' }> {
  const sorted = [...tables].sort((a, b) =>
    a.branch < b.branch ? -1 : a.branch > b.branch ? 1 : byTableKey(a, b),
  );
  return { type: 'acquireLeases', opId, tables: sorted, owner, heartbeatUs: nowUs() };
}

export type OpEvent = { body: EventBody; tableKey: string | null };

export function commitStartedEvent(tableKey: string): OpEvent {
  return { body: { kind: 'table.commit_started', payload: { table_key: tableKey } }, tableKey };
}

export function committedEvent(c: CommittedVersion): OpEvent {
  return {
    body: {
      kind: 'table.committed',
      payload: { table_key: c.tableKey, version: c.version, ...filesOf(c) },
    },
    tableKey: c.tableKey,
  };
}

/** `op.intent_recorded` (tables in key order), then each `commitStarted` table's `table.commit_started`. */
export function intentEvents(tables: IntentTable[], commitStarted: readonly string[]): OpEvent[] {
  const intent: EventBody = {
    kind: 'op.intent_recorded',
    payload: {
      tables: [...tables].sort(byTableKey).map((t) => ({
        table_key: t.tableKey,
        lance_branch: t.lanceBranch,
        expected_version: t.expectedVersion,
        post_commit_version: t.postCommitVersion,
      })),
    },
  };
  return [{ body: intent, tableKey: null }, ...commitStarted.map(commitStartedEvent)];
}

/** A table whose old Lance versions a cleanup removed (`versions.cleaned`). */
export interface CleanedTable {
  tableKey: string;
  lanceBranch: string | null;
  versions: number[];
  bytesRemoved: number;
}

export function cleanedVersionsEvent(tables: CleanedTable[]): EventBody {
  return {
    kind: 'versions.cleaned',
    payload: {
      tables: tables.map((t) => ({
        table_key: t.tableKey,
        lance_branch: t.lanceBranch,
        versions: t.versions,
        bytes_removed: t.bytesRemoved,
      })),
    },
  };
}

/** The events that end an operation never started: `op.failed` + `op.rolled_back`, or `op.completed`. */
export function unstartedEvents(
  failure: { error: { code: string; message: string }; phase: Phase } | null,
): OpEvent[] {
  const events: EventBody[] = failure
    ? [
        { kind: 'op.failed', payload: { error: { ...failure.error }, phase: failure.phase } },
        { kind: 'op.rolled_back', payload: { tables: [] } },
      ]
    : [{ kind: 'op.completed', payload: {} }];
  return events.map((body) => ({ body, tableKey: null }));
}

export function publishCommand(req: PublishRequest): Extract<JournalCommand, { type: 'publish' }> {
  const committed = req.committed ?? [];
  return {
    type: 'publish',
    opId: req.opId ?? newId(),
    commitId: newId(),
    branch: req.branch,
    actor: req.actor,
    message: req.message ?? null,
    mergedParentId: req.mergedParentId ?? null,
    tables: [...req.tables].sort(byTableKey),
    committed: Array.isArray(committed) ? committed : [committed],
    complete: req.complete ?? false,
    ...(req.unpin?.length
      ? { unpin: req.unpin.map((t) => ({ ...t, newVersion: 0, lanceBranch: null })) }
      : {}),
    ...(req.schema ? { schema: req.schema } : {}),
    ...(req.expectedHeadCommit !== undefined ? { expectedHeadCommit: req.expectedHeadCommit } : {}),
  };
}

/** Version moves (a rollback's, a recovery's) in table-key order, as event payload rows. */
export function movesPayload(
  tables: VersionMove[],
): Array<{ table_key: string; from: number; to: number }> {
  return [...tables]
    .sort(byTableKey)
    .map((t) => ({ table_key: t.tableKey, from: t.from, to: t.to }));
}

export function classifiedEvent(originalOpId: string, tables: ClassifiedTable[]): EventBody {
  return {
    kind: 'recovery.classified',
    payload: {
      original_op_id: originalOpId,
      tables: [...tables].sort(byTableKey).map((t) => ({
        table_key: t.tableKey,
        head: t.head,
        pin: t.pin,
        expected: t.expected,
        committed: t.committed,
        class: t.class,
      })),
    },
  };
}
