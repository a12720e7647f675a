/**
 * The Journal: the SQLite catalog + write-ahead log of one repo (docs/journal.md).
 *
 * Every change is an event. A write runs in one `BEGIN IMMEDIATE` transaction:
 *  1. load the working set: the few rows the command's decider needs (`commandNeeds`,
 *     working-set.ts) — the branch row and its head pins, the operation and its
 *     leases, the leases of the tables it touches — straight from SQL, so it is
 *     always current across processes and never the history;
 *  2. decide: the pure decider (decide.ts) validates against that slice — CAS on
 *     pins, leases, branches — and returns the events (or a typed refusal);
 *  3. append the events, load what evolve() reads for them (`eventNeeds`), apply
 *     evolve's recipe to the slice (in place: it is this transaction's own) and write
 *     the rows that changed (projections.ts `writeChangedRows`).
 * So evolve() alone defines what an event does; SQL projections follow from it.
 *
 * Reads go straight to the SQL projections.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { LancelogError } from '../errors.js';
import { checkJournalOnOpen } from './health.js';
import { MAIN_BRANCH, validateBranchName } from './branch-names.js';
import { newId, nowUs } from './clock.js';
import {
  decideAcquireLeases,
  decideBegin,
  decideCreateBranch,
  decideDeleteBranch,
  decideHeartbeat,
  decideInit,
  decidePublish,
  decideRecordFork,
  decideReleaseLeases,
  type JournalCommand,
} from './decide.js';
import type {
  CommittedVersion,
  EventBody,
  FileDigest,
  EventPayloads,
  OperationKind,
  Phase,
  RecoveryClass,
  RecoveryDecision,
} from './events.js';
import { JournalWriter } from './journal-core.js';
import { openDatabase } from './migrations.js';
import type { Snapshot, VerifyReport } from './queries.js';

export const JOURNAL_FILE = '_lancelog.db';

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

function byTableKey<T extends { tableKey: string }>(a: T, b: T): number {
  return a.tableKey < b.tableKey ? -1 : a.tableKey > b.tableKey ? 1 : 0;
}

/** The `op.begun` of an operation (owner: this process unless given). */
export interface BeginArgs {
  opId: string;
  kind: OperationKind;
  branch: string;
  actor: string;
  owner?: { pid: number; host: string };
}

function beginCommand(b: BeginArgs): Extract<JournalCommand, { type: 'begin' }> {
  const owner = b.owner ?? { pid: process.pid, host: hostname() };
  return { type: 'begin', opId: b.opId, kind: b.kind, branch: b.branch, actor: b.actor, owner };
}

function leaseCommand(
  opId: string,
  tables: LeaseRequest[],
  owner: LeaseOwner,
): Extract<JournalCommand, { type: 'acquireLeases' }> {
  const sorted = [...tables].sort((a, b) =>
    a.branch < b.branch ? -1 : a.branch > b.branch ? 1 : byTableKey(a, b),
  );
  return { type: 'acquireLeases', opId, tables: sorted, owner, heartbeatUs: nowUs() };
}

type OpEvent = { body: EventBody; tableKey: string | null };

function commitStartedEvent(tableKey: string): OpEvent {
  return { body: { kind: 'table.commit_started', payload: { table_key: tableKey } }, tableKey };
}

function committedEvent(c: CommittedVersion): OpEvent {
  const files = c.files ? { files: c.files.map((f) => ({ ...f })) } : {};
  const payload = { table_key: c.tableKey, version: c.version, ...files };
  return { body: { kind: 'table.committed', payload }, tableKey: c.tableKey };
}

/** `op.intent_recorded` (tables in key order), then each `commitStarted` table's `table.commit_started`. */
function intentEvents(tables: IntentTable[], commitStarted: readonly string[]): OpEvent[] {
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

export class Journal extends JournalWriter {
  private constructor(path: string, db: Database.Database, readOnly: boolean) {
    super(path, db, readOnly);
  }

  /** A fresh operation id (ULID) for an operation whose `op.begun` is recorded later (`startOperation`). */
  static newOperationId(): string {
    return newId();
  }

  // ---------------------------------------------------------------- lifecycle

  /** Creates `<repoDir>/_lancelog.db`: repo.initialized → manifest 1 of `main` with `tables`, and the initial commit. */
  static create(
    repoDir: string,
    init: {
      tables: Array<{ tableKey: string; version: number; files?: readonly FileDigest[] }>;
      actor: string;
      message?: string;
      /** The schema fingerprint, recorded in the same transaction (`schema.recorded`). */
      schemaHash?: string;
    },
  ): Journal {
    const path = join(repoDir, JOURNAL_FILE);
    if (existsSync(path))
      throw new LancelogError('JournalExists', `${path} already exists`, { path });
    mkdirSync(repoDir, { recursive: true });
    const journal = new Journal(path, openDatabase(path, { create: true }), false);
    try {
      journal.run(
        {
          type: 'init',
          path,
          opId: newId(),
          commitId: newId(),
          tables: init.tables,
          actor: init.actor,
          message: init.message ?? 'initialize repository',
          ...(init.schemaHash !== undefined ? { schemaHash: init.schemaHash } : {}),
        },
        decideInit,
      );
    } catch (err) {
      journal.close();
      throw err;
    }
    return journal;
  }

  /** Opens an existing journal (migrating it forward unless read-only). JournalMissing if there is none. */
  static open(repoDir: string, opts: { readOnly?: boolean } = {}): Journal {
    const path = join(repoDir, JOURNAL_FILE);
    if (!existsSync(path))
      throw new LancelogError(
        'JournalMissing',
        `no journal at ${path} (not a lancelog repo, or created before the journal existed)`,
        { path },
      );
    const db = checkJournalOnOpen(
      path,
      () => openDatabase(path, { readOnly: opts.readOnly }),
      opts.readOnly ?? false,
    );
    return new Journal(path, db, opts.readOnly ?? false);
  }

  /** Records the schema fingerprint the repo's data is now written under. */
  recordSchema(hash: string, reason: 'adopted' | 'changed'): void {
    this.appendEvents([
      {
        opId: newId(),
        branch: MAIN_BRANCH,
        tableKey: null,
        body: { kind: 'schema.recorded', payload: { hash, reason } },
      },
    ]);
  }

  /** Records the Lance versions a cleanup operation removed (`versions.cleaned`). */
  recordCleanedVersions(
    opId: string,
    tables: Array<{
      tableKey: string;
      lanceBranch: string | null;
      versions: number[];
      bytesRemoved: number;
    }>,
  ): void {
    this.appendEvents([
      {
        opId,
        branch: MAIN_BRANCH,
        tableKey: null,
        body: {
          kind: 'versions.cleaned',
          payload: {
            tables: tables.map((t) => ({
              table_key: t.tableKey,
              lance_branch: t.lanceBranch,
              versions: t.versions,
              bytes_removed: t.bytesRemoved,
            })),
          },
        },
      },
    ]);
  }

  // ---------------------------------------------------------------- write protocol

  /** Step 1: a new operation on a live branch. Returns its op id (ULID). */
  beginOperation(args: Omit<BeginArgs, 'opId'> & { opId?: string }): string {
    const opId = args.opId ?? newId();
    this.run(beginCommand({ ...args, opId }), decideBegin, { durable: false });
    return opId;
  }

  /**
   * Step 3: leases on every (table, branch), in sorted order, in one transaction.
   * LeaseHeld if another operation holds one; ExpectedVersionMismatch if a pin moved
   * since the writer read it. Either way nothing is written. Re-acquiring a lease
   * the operation already holds refreshes it.
   */
  acquireLeases(
    opId: string,
    tables: LeaseRequest[],
    owner: LeaseOwner = { pid: process.pid, host: hostname(), leaseId: newId() },
  ): LeaseOwner {
    this.run(leaseCommand(opId, tables, owner), decideAcquireLeases, { durable: false });
    return owner;
  }

  /**
   * Steps 1 and 3 in one relaxed transaction (`op.begun`, `lease.acquired`), for a
   * writer with work to do under the lease before its intent (a lazy fork). Refusals
   * as beginOperation and acquireLeases; nothing is written then.
   */
  beginWithLeases(begin: BeginArgs, tables: LeaseRequest[], owner: LeaseOwner): void {
    this.runSteps([beginCommand(begin), leaseCommand(begin.opId, tables, owner)], {
      durable: false,
    });
  }

  /**
   * Steps 1 and 3 and Phase A's journal part in ONE fsync'd transaction: `op.begun`,
   * `lease.acquired`, `op.intent_recorded` and the `table.commit_started` of each
   * `commitStarted` table, in that order, each decided by its own decider against the
   * state the previous ones left. A refusal (BranchNotFound, LeaseHeld,
   * ExpectedVersionMismatch) writes nothing. Why this is safe: docs/journal.md
   * "Durability".
   */
  startOperation(
    begin: BeginArgs,
    leases: LeaseRequest[],
    owner: LeaseOwner,
    intent: IntentTable[],
    commitStarted: readonly string[],
  ): void {
    this.runSteps([
      beginCommand(begin),
      leaseCommand(begin.opId, leases, owner),
      { type: 'opEvents', opId: begin.opId, events: intentEvents(intent, commitStarted) },
    ]);
  }

  /**
   * An operation whose `op.begun` was never recorded ended before reaching Lance, in
   * one transaction: `op.begun` then `op.failed` + `op.rolled_back` (a staging failure,
   * a refused start), or `op.completed` (nothing to commit) when `failure` is null.
   */
  recordUnstartedOperation(
    begin: BeginArgs,
    failure: { error: { code: string; message: string }; phase: Phase } | null,
  ): void {
    const events: EventBody[] = failure
      ? [
          {
            kind: 'op.failed',
            payload: { error: { ...failure.error }, phase: failure.phase },
          },
          { kind: 'op.rolled_back', payload: { tables: [] } },
        ]
      : [{ kind: 'op.completed', payload: {} }];
    this.runSteps([
      beginCommand(begin),
      {
        type: 'opEvents',
        opId: begin.opId,
        events: events.map((body) => ({ body, tableKey: null })),
      },
    ]);
  }

  /** Refreshes the heartbeat of every lease `opId` holds. Returns how many; appends nothing when none. */
  heartbeat(opId: string): number {
    return this.run({ type: 'heartbeat', opId, heartbeatUs: nowUs() }, decideHeartbeat, {
      durable: false,
    });
  }

  /** Gives back every lease `opId` holds without publishing. No-op when it holds none. */
  releaseLeases(opId: string): void {
    this.run({ type: 'releaseLeases', opId }, decideReleaseLeases);
  }

  /**
   * Phase A: the intent (same content as the sidecar). With `commitStarted`, those
   * tables' `table.commit_started` go in the same transaction (one fsync fewer per
   * write; nothing can happen between them).
   */
  recordIntent(
    opId: string,
    tables: IntentTable[],
    opts: { commitStarted?: string | readonly string[] } = {},
  ): void {
    const started = opts.commitStarted ?? [];
    this.opEvents(opId, intentEvents(tables, typeof started === 'string' ? [started] : started));
  }

  /** Phase B: about to commit `tableKey` in Lance. */
  tableCommitStarted(opId: string, tableKey: string): void {
    this.opEvents(opId, [commitStartedEvent(tableKey)]);
  }

  /**
   * Phase B: the Lance commit of `tableKey` landed at `version`, with the digests of the
   * `files` it created; `nextCommitStarted`: that table's `table.commit_started` too.
   * `durable: false`: not fsync'd (the protocol's record of a commit, docs/journal.md).
   */
  tableCommitted(
    opId: string,
    tableKey: string,
    version: number,
    opts: { nextCommitStarted?: string; files?: readonly FileDigest[]; durable?: boolean } = {},
  ): void {
    const next = opts.nextCommitStarted;
    this.opEvents(
      opId,
      [
        committedEvent({ tableKey, version, files: opts.files }),
        ...(next ? [commitStartedEvent(next)] : []),
      ],
      { durable: opts.durable ?? true },
    );
  }

  /**
   * Phase C, the commit point, in one BEGIN IMMEDIATE transaction: every pin must
   * equal its expectedVersion (else ExpectedVersionMismatch, nothing changes) and no
   * other operation may lease a published table (LeaseHeld). Writes manifest
   * version head+1 with the full pin set (untouched tables keep their pins), the
   * commit (parent = the branch's head commit), op.published, and releases the
   * operation's leases.
   */
  publish(req: PublishRequest): PublishResult {
    const committed = req.committed ?? [];
    return this.run(
      {
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
      },
      decidePublish,
    );
  }

  /**
   * Phase D: sidecar gone; the operation is done (releases any lease left). `committed`:
   * Lance commits recorded (`table.committed`) first, in the same transaction.
   */
  completeOperation(
    opId: string,
    opts: { committed?: ReadonlyArray<{ tableKey: string; version: number }> } = {},
  ): void {
    this.opEvents(opId, [
      ...(opts.committed ?? []).map(committedEvent),
      { body: { kind: 'op.completed', payload: {} }, tableKey: null },
    ]);
  }

  /** The operation failed in `phase`; it stays in flight (leases held) until rolledBack() or recovery. */
  failOperation(opId: string, error: { code: string; message: string }, phase: Phase): void {
    this.opEvent(opId, {
      kind: 'op.failed',
      payload: { error: { code: error.code, message: error.message }, phase },
    });
  }

  /** In-process rollback done: each table restored from → to (terminal; releases leases). */
  rolledBack(opId: string, tables: VersionMove[]): void {
    this.opEvent(opId, {
      kind: 'op.rolled_back',
      payload: {
        tables: [...tables]
          .sort(byTableKey)
          .map((t) => ({ table_key: t.tableKey, from: t.from, to: t.to })),
      },
    });
  }

  // ---------------------------------------------------------------- recovery events (op of kind Recovery)

  recoveryClassified(recoveryOpId: string, originalOpId: string, tables: ClassifiedTable[]): void {
    this.opEvent(recoveryOpId, {
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
    });
  }

  recoveryDecided(recoveryOpId: string, originalOpId: string, decision: RecoveryDecision): void {
    this.opEvent(recoveryOpId, {
      kind: 'recovery.decided',
      payload: { original_op_id: originalOpId, decision },
    });
  }

  /** Writes the audit row and resolves the original operation (see evolve.ts). */
  recoveryApplied(
    recoveryOpId: string,
    originalOpId: string,
    decision: RecoveryDecision,
    tables: VersionMove[],
  ): void {
    this.opEvent(recoveryOpId, {
      kind: 'recovery.applied',
      payload: {
        original_op_id: originalOpId,
        decision,
        tables: [...tables]
          .sort(byTableKey)
          .map((t) => ({ table_key: t.tableKey, from: t.from, to: t.to })),
      },
    });
  }

  // ---------------------------------------------------------------- branches

  /**
   * Creates a branch from a branch (at its head or a manifest version) or from a
   * commit. Lazy: manifest 1 of the new branch = the source pins; nothing is copied.
   */
  createBranch(
    name: string,
    from: { fromBranch?: string; manifestVersion?: number } | { commitId: string } = {},
  ): Snapshot {
    validateBranchName(name);
    this.run({ type: 'createBranch', opId: newId(), name, from }, decideCreateBranch);
    return this.snapshot({ branch: name });
  }

  /**
   * Soft-deletes a branch. Refuses `main`, branches other live branches were forked
   * from, and branches with operations in flight. Returns the Lance branches the
   * branch owns (its forks) so the caller deletes them from storage.
   */
  deleteBranch(name: string): Array<{ tableKey: string; lanceBranch: string }> {
    if (name === MAIN_BRANCH)
      throw new LancelogError('InvalidBranchName', 'branch main cannot be deleted', { name });
    return this.run({ type: 'deleteBranch', opId: newId(), name }, decideDeleteBranch);
  }

  /**
   * Lazy fork: the first write of `tableKey` on `branch` created Lance branch
   * `lanceBranch` from `fromVersion`. Idempotent for the same Lance branch.
   */
  recordFork(
    branch: string,
    tableKey: string,
    lanceBranch: string,
    fromVersion: number,
    opId?: string,
  ): void {
    this.run(
      {
        type: 'recordFork',
        opId: opId ?? newId(),
        branch,
        tableKey,
        lanceBranch,
        fromVersion,
      },
      decideRecordFork,
    );
  }
}

/** Replay vs stored projections + SQLite integrity check (see Journal.verify). */
export function verifyJournal(journal: Journal): VerifyReport {
  return journal.verify();
}

export type { EventPayloads };
export type {
  TablePin,
  Snapshot,
  SnapshotRef,
  EventFilter,
  CommitFilter,
  VerifyReport,
  BranchInfo,
} from './queries.js';
