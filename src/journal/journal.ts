/**
 * The Journal: the SQLite catalog + write-ahead log of one repo (docs/journal.md).
 * A facade over two objects that share one connection (handle.ts): the reader
 * (queries.ts: queries over the SQL projections and the event log) and the writer
 * (writer.ts: one transaction per command). The named commands below turn a
 * caller's request (requests.ts) into a decider's command and run it on the writer.
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
  type EventDraft,
} from './decide.js';
import type {
  EventBody,
  EventPayloads,
  FileDigest,
  JournalEvent,
  Phase,
  RecoveryDecision,
} from './events.js';
import type { JournalHandle } from './handle.js';
import { openDatabase } from './migrations.js';
import {
  JournalReader,
  type BranchInfo,
  type CommitFilter,
  type DamageRecords,
  type EventFilter,
  type JournalReads,
  type Snapshot,
  type SnapshotRef,
  type TablePin,
  type VerifyReport,
} from './queries.js';
import {
  beginCommand,
  classifiedEvent,
  cleanedVersionsEvent,
  commitStartedEvent,
  committedEvent,
  intentEvents,
  leaseCommand,
  movesPayload,
  publishCommand,
  unstartedEvents,
  type BeginArgs,
  type ClassifiedTable,
  type CleanedTable,
  type IntentTable,
  type LeaseOwner,
  type LeaseRequest,
  type PublishRequest,
  type PublishResult,
  type VersionMove,
} from './requests.js';
import type {
  CommitRow,
  ForkRow,
  JournalState,
  LeaseRow,
  OperationRow,
  RecoveryAuditRow,
} from './state.js';
import { JournalWriter, type JournalWrites } from './writer.js';
import type { ReadCount } from './working-set.js';

export const JOURNAL_FILE = '_lancelog.db';

export class Journal {
  readonly path: string;
  readonly readOnly: boolean;
  /** The connection the reader and the writer share; the facade owns it (close). */
  private readonly db: Database.Database;
  private readonly reader: JournalReads;
  private readonly writer: JournalWrites;

  private constructor(handle: JournalHandle) {
    this.path = handle.path;
    this.readOnly = handle.readOnly;
    this.db = handle.db;
    this.reader = new JournalReader(handle);
    this.writer = new JournalWriter(handle);
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
    const journal = new Journal({
      path,
      db: openDatabase(path, { create: true }),
      readOnly: false,
    });
    try {
      journal.writer.run(
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
    return new Journal({ path, db, readOnly: opts.readOnly ?? false });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Working-set rows and statements this handle's writes have read so far (tests: a write reads no history). */
  workingSetReads(): ReadCount {
    return this.writer.workingSetReads();
  }

  // ---------------------------------------------------------------- appends without a named command

  /** Generic append, for kinds without a named method. Validates the payload only — no CAS, lease or state checks. */
  appendEvent(
    opId: string,
    branch: string,
    body: { kind: string; payload: unknown },
    tableKey: string | null = null,
  ): JournalEvent {
    return this.appendEvents([{ opId, branch, tableKey, body: body as EventBody }])[0];
  }

  /**
   * The escape hatch for several events in one transaction (one fsync): each payload
   * is parsed with its kind's zod schema; no CAS, lease or state checks.
   */
  appendEvents(events: readonly EventDraft[]): JournalEvent[] {
    return this.writer.appendEvents(events);
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
  recordCleanedVersions(opId: string, tables: CleanedTable[]): void {
    this.appendEvents([
      { opId, branch: MAIN_BRANCH, tableKey: null, body: cleanedVersionsEvent(tables) },
    ]);
  }

  // ---------------------------------------------------------------- write protocol

  /** Step 1: a new operation on a live branch. Returns its op id (ULID). */
  beginOperation(args: Omit<BeginArgs, 'opId'> & { opId?: string }): string {
    const opId = args.opId ?? newId();
    this.writer.run(beginCommand({ ...args, opId }), decideBegin, { durable: false });
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
    this.writer.run(leaseCommand(opId, tables, owner), decideAcquireLeases, { durable: false });
    return owner;
  }

  /**
   * Steps 1 and 3 in one relaxed transaction (`op.begun`, `lease.acquired`), for a
   * writer with work to do under the lease before its intent (a lazy fork). Refusals
   * as beginOperation and acquireLeases; nothing is written then.
   */
  beginWithLeases(begin: BeginArgs, tables: LeaseRequest[], owner: LeaseOwner): void {
    this.writer.runSteps([beginCommand(begin), leaseCommand(begin.opId, tables, owner)], {
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
    this.writer.runSteps([
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
    this.writer.runSteps([
      beginCommand(begin),
      { type: 'opEvents', opId: begin.opId, events: unstartedEvents(failure) },
    ]);
  }

  /** Refreshes the heartbeat of every lease `opId` holds. Returns how many; appends nothing when none. */
  heartbeat(opId: string): number {
    return this.writer.run({ type: 'heartbeat', opId, heartbeatUs: nowUs() }, decideHeartbeat, {
      durable: false,
    });
  }

  /** Gives back every lease `opId` holds without publishing. No-op when it holds none. */
  releaseLeases(opId: string): void {
    this.writer.run({ type: 'releaseLeases', opId }, decideReleaseLeases);
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
    this.writer.opEvents(
      opId,
      intentEvents(tables, typeof started === 'string' ? [started] : started),
    );
  }

  /** Phase B: about to commit `tableKey` in Lance. */
  tableCommitStarted(opId: string, tableKey: string): void {
    this.writer.opEvents(opId, [commitStartedEvent(tableKey)]);
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
    this.writer.opEvents(
      opId,
      [
        committedEvent({ tableKey, version, files: opts.files }),
        ...(next !== undefined ? [commitStartedEvent(next)] : []),
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
    return this.writer.run(publishCommand(req), decidePublish);
  }

  /**
   * Phase D: sidecar gone; the operation is done (releases any lease left). `committed`:
   * Lance commits recorded (`table.committed`) first, in the same transaction.
   */
  completeOperation(
    opId: string,
    opts: { committed?: ReadonlyArray<{ tableKey: string; version: number }> } = {},
  ): void {
    this.writer.opEvents(opId, [
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
    this.opEvent(opId, { kind: 'op.rolled_back', payload: { tables: movesPayload(tables) } });
  }

  // ---------------------------------------------------------------- recovery events (op of kind Recovery)

  recoveryClassified(recoveryOpId: string, originalOpId: string, tables: ClassifiedTable[]): void {
    this.opEvent(recoveryOpId, classifiedEvent(originalOpId, tables));
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
      payload: { original_op_id: originalOpId, decision, tables: movesPayload(tables) },
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
    this.writer.run({ type: 'createBranch', opId: newId(), name, from }, decideCreateBranch);
    return this.reader.snapshot({ branch: name });
  }

  /**
   * Soft-deletes a branch. Refuses `main`, branches other live branches were forked
   * from, and branches with operations in flight. Returns the Lance branches the
   * branch owns (its forks) so the caller deletes them from storage.
   */
  deleteBranch(name: string): Array<{ tableKey: string; lanceBranch: string }> {
    if (name === MAIN_BRANCH)
      throw new LancelogError('InvalidBranchName', 'branch main cannot be deleted', { name });
    return this.writer.run({ type: 'deleteBranch', opId: newId(), name }, decideDeleteBranch);
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
    this.writer.run(
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

  /** Appends one event of a live operation. */
  private opEvent(opId: string, body: EventBody, tableKey: string | null = null): void {
    this.writer.opEvents(opId, [{ body, tableKey }]);
  }

  // ---------------------------------------------------------------- reads (the reader's, queries.ts)

  /** Live branches (or all, including deleted ones). */
  listBranches(opts: { includeDeleted?: boolean } = {}): BranchInfo[] {
    return this.reader.listBranches(opts);
  }

  getBranch(name: string): BranchInfo {
    return this.reader.getBranch(name);
  }

  /** The pin set of a branch at a manifest version (default: its head), or at a commit. */
  snapshot(ref: SnapshotRef): Snapshot {
    return this.reader.snapshot(ref);
  }

  /** The pins at the head of a live branch. */
  latestPins(branch: string): TablePin[] {
    return this.reader.latestPins(branch);
  }

  /** Commits, newest first (with `branch`: its first-parent history from its head). */
  listCommits(filter: CommitFilter = {}): CommitRow[] {
    return this.reader.listCommits(filter);
  }

  getCommit(id: string): CommitRow {
    return this.reader.getCommit(id);
  }

  /** Events matching the filter, each payload re-validated; ascending by seq unless order = 'desc'. */
  listEvents(filter: EventFilter = {}): JournalEvent[] {
    return this.reader.listEvents(filter);
  }

  getOperation(opId: string): OperationRow {
    return this.reader.getOperation(opId);
  }

  /** Operations neither completed nor rolled back, oldest first: what recovery must look at. */
  inFlightOperations(): OperationRow[] {
    return this.reader.inFlightOperations();
  }

  listLeases(filter: { opId?: string } = {}): LeaseRow[] {
    return this.reader.listLeases(filter);
  }

  /** Lance branches created by lazy forks (of one branch, or all). */
  listForks(branch?: string): ForkRow[] {
    return this.reader.listForks(branch);
  }

  listRecoveryAudit(filter: { originalOpId?: string } = {}): RecoveryAuditRow[] {
    return this.reader.listRecoveryAudit(filter);
  }

  /** Every projection as stored. */
  readProjections(): JournalState {
    return this.reader.readProjections();
  }

  /** The newest recorded schema: fingerprint, text (when a change recorded it), the one before. */
  recordedSchema(): { hash: string; source: string | null; previousHash: string | null } | null {
    return this.reader.recordedSchema();
  }

  /** The newest recorded schema fingerprint, or null for a repo from before them. */
  recordedSchemaHash(): string | null {
    return this.reader.recordedSchemaHash();
  }

  /** Every Lance version cleanup removed (`cleanedVersionKey` → the cleanup's op id). */
  cleanedVersions(): Map<string, string> {
    return this.reader.cleanedVersions();
  }

  /** The damage repairs recorded (`repair.damage_recorded`; queries.ts). */
  damageRecords(): DamageRecords {
    return this.reader.damageRecords();
  }

  /** What every Lance file was written as, per table key and path (queries.ts). */
  fileRecords(): Map<string, Map<string, FileDigest>> {
    return this.reader.fileRecords();
  }

  /** Replay vs stored projections, plus PRAGMA integrity_check (queries.ts). */
  verify(): VerifyReport {
    return this.reader.verify();
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
export type {
  BeginArgs,
  ClassifiedTable,
  IntentTable,
  LeaseOwner,
  LeaseRequest,
  PublishRequest,
  PublishResult,
  PublishTable,
  VersionMove,
} from './requests.js';
