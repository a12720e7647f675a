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
import { asSystemError, LancelogError } from '../errors.js';
import { checkJournalOnOpen } from './health.js';
import { MAIN_BRANCH, validateBranchName } from './branch-names.js';
import { newId, nowUs } from './clock.js';
import {
  commandNeeds,
  decideAcquireLeases,
  decideBegin,
  decideCreateBranch,
  decideDeleteBranch,
  decideHeartbeat,
  decideInit,
  decideOpEvents,
  decidePublish,
  decideRecordFork,
  decideReleaseLeases,
  type Decision,
  type EventDraft,
  type JournalCommand,
} from './decide.js';
import {
  parseBody,
  type EventBody,
  type EventPayloads,
  type JournalEvent,
  type OperationKind,
  type Phase,
  type RecoveryClass,
  type RecoveryDecision,
} from './events.js';
import { evolveInPlace } from './evolve.js';
import { openDatabase } from './migrations.js';
import { prepared, rowImage, writeChangedRows } from './projections.js';
import { JournalReader, type Snapshot, type VerifyReport } from './queries.js';
import { emptyState, type JournalState } from './state.js';
import { eventNeeds, loadNeeds, rowsRead, type ReadCount } from './working-set.js';

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
  /** The last table's Lance commit, recorded (`table.committed`) in the publish transaction. */
  committed?: { tableKey: string; version: number };
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

export class Journal extends JournalReader {
  private constructor(
    path: string,
    db: Database.Database,
    readonly readOnly: boolean,
  ) {
    super(path, db);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Creates `<repoDir>/_lancelog.db`: repo.initialized → manifest 1 of `main` with `tables`, and the initial commit. */
  static create(
    repoDir: string,
    init: {
      tables: Array<{ tableKey: string; version: number }>;
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

  /** Working-set rows and statements this handle's writes have read so far (tests: a write reads no history). */
  workingSetReads(): ReadCount {
    return { ...(rowsRead.get(this.db) ?? { rows: 0, statements: 0 }) };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ---------------------------------------------------------------- write core

  /**
   * Runs one command in one BEGIN IMMEDIATE transaction (see the module comment):
   * load its working set, decide, append and evolve the events. A refusal throws
   * before anything is written.
   *
   * `durable: false` commits without fsync (SQLite `synchronous=NORMAL` for this one
   * transaction): the commit survives a process crash, and the next durable
   * transaction's fsync of the WAL makes it durable too; only a power loss before that
   * can drop it. Used for events whose loss then is harmless because nothing of the
   * operation reached Lance without a later durable event: `op.begun`, leases and
   * heartbeats (docs/journal.md "Durability").
   */
  private run<C extends JournalCommand, R>(
    cmd: C,
    decider: (cmd: C, state: JournalState) => Decision<R>,
    opts: { durable?: boolean } = {},
  ): R {
    return this.transact(() => {
      const state = emptyState();
      const loaded = new Set<string>();
      loadNeeds(this.db, commandNeeds(cmd), state, loaded);
      const { events, result } = decider(cmd, state);
      this.appendDrafts(events, state, loaded, { trusted: true });
      return result;
    }, opts);
  }

  private transact<T>(fn: () => T, opts: { durable?: boolean }): T {
    if (this.readOnly)
      throw new LancelogError('JournalReadOnly', `${this.path} was opened read-only`, {
        path: this.path,
      });
    const relaxed = opts.durable === false;
    if (relaxed) prepared(this.db, 'PRAGMA synchronous = NORMAL').run();
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      // A full disk, a read-only or damaged file: a typed error naming the journal.
      throw asSystemError(err, `cannot write to the journal ${this.path}`, { path: this.path });
    } finally {
      if (relaxed) prepared(this.db, 'PRAGMA synchronous = FULL').run();
    }
  }

  /**
   * Inside a transaction: appends the events (time never running backwards along seq,
   * even across processes with skewed clocks), loads what evolve() reads for them into
   * `state`, evolves it with all of them in one draft and writes the patched rows.
   * `trusted`: the bodies come from a decider (typed, built by this module); others
   * are parsed with their kind's zod schema first (the escape hatch's boundary).
   */
  private appendDrafts(
    drafts: readonly EventDraft[],
    state: JournalState,
    loaded: Set<string>,
    opts: { trusted: boolean },
  ): JournalEvent[] {
    if (drafts.length === 0) return [];
    const last = prepared(this.db, 'SELECT time_us FROM events ORDER BY seq DESC LIMIT 1').get() as
      { time_us: number } | undefined;
    let lastTimeUs = last?.time_us ?? 0;
    const insert = prepared(
      this.db,
      'INSERT INTO events (op_id, time_us, kind, branch, table_key, payload) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const events = drafts.map((d) => {
      const body = opts.trusted ? d.body : parseBody(d.body);
      const timeUs = Math.max(nowUs(), lastTimeUs);
      lastTimeUs = timeUs;
      const info = insert.run(
        d.opId,
        timeUs,
        body.kind,
        d.branch,
        d.tableKey,
        JSON.stringify(body.payload),
      );
      const seq = Number(info.lastInsertRowid);
      return { seq, opId: d.opId, timeUs, branch: d.branch, tableKey: d.tableKey, ...body };
    }) as JournalEvent[];
    for (const e of events) loadNeeds(this.db, eventNeeds(e), state, loaded);
    // The working set is this transaction's own: evolve's recipe runs on it in place,
    // and the rows that differ from what was loaded are written.
    const before = rowImage(state);
    evolveInPlace(state, events);
    writeChangedRows(this.db, before, state);
    return events;
  }

  /** Appends one event of a live operation. */
  private opEvent(opId: string, body: EventBody, tableKey: string | null = null): void {
    this.opEvents(opId, [{ body, tableKey }]);
  }

  /** Appends events of a live operation in one transaction (one fsync). */
  private opEvents(
    opId: string,
    events: Array<{ body: EventBody; tableKey: string | null }>,
  ): void {
    this.run({ type: 'opEvents', opId, events }, decideOpEvents);
  }

  private static commitStartedEvent(tableKey: string): { body: EventBody; tableKey: string } {
    return { body: { kind: 'table.commit_started', payload: { table_key: tableKey } }, tableKey };
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
    return this.transact(
      () => this.appendDrafts(events, emptyState(), new Set(), { trusted: false }),
      {},
    );
  }

  /** Step 1: a new operation on a live branch. Returns its op id (ULID). */
  beginOperation(args: {
    kind: OperationKind;
    branch: string;
    actor: string;
    owner?: { pid: number; host: string };
  }): string {
    const opId = newId();
    const owner = args.owner ?? { pid: process.pid, host: hostname() };
    this.run(
      { type: 'begin', opId, kind: args.kind, branch: args.branch, actor: args.actor, owner },
      decideBegin,
      { durable: false },
    );
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
    const sorted = [...tables].sort((a, b) =>
      a.branch < b.branch ? -1 : a.branch > b.branch ? 1 : byTableKey(a, b),
    );
    this.run(
      { type: 'acquireLeases', opId, tables: sorted, owner, heartbeatUs: nowUs() },
      decideAcquireLeases,
      { durable: false },
    );
    return owner;
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
   * Phase A: the intent (same content as the sidecar). With `commitStarted`, the
   * first table's `table.commit_started` goes in the same transaction (one fsync
   * fewer per write; nothing can happen between the two).
   */
  recordIntent(opId: string, tables: IntentTable[], opts: { commitStarted?: string } = {}): void {
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
    this.opEvents(opId, [
      { body: intent, tableKey: null },
      ...(opts.commitStarted !== undefined ? [Journal.commitStartedEvent(opts.commitStarted)] : []),
    ]);
  }

  /** Phase B: about to commit `tableKey` in Lance. */
  tableCommitStarted(opId: string, tableKey: string): void {
    this.opEvents(opId, [Journal.commitStartedEvent(tableKey)]);
  }

  /**
   * Phase B: the Lance commit of `tableKey` landed at `version`. With
   * `nextCommitStarted`, the next table's `table.commit_started` goes in the same
   * transaction.
   */
  tableCommitted(
    opId: string,
    tableKey: string,
    version: number,
    opts: { nextCommitStarted?: string } = {},
  ): void {
    const committed: { body: EventBody; tableKey: string } = {
      body: { kind: 'table.committed', payload: { table_key: tableKey, version } },
      tableKey,
    };
    this.opEvents(opId, [
      committed,
      ...(opts.nextCommitStarted !== undefined
        ? [Journal.commitStartedEvent(opts.nextCommitStarted)]
        : []),
    ]);
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
        committed: req.committed ? [req.committed] : [],
        complete: req.complete ?? false,
        ...(req.unpin?.length
          ? { unpin: req.unpin.map((t) => ({ ...t, newVersion: 0, lanceBranch: null })) }
          : {}),
        ...(req.schema ? { schema: req.schema } : {}),
      },
      decidePublish,
    );
  }

  /** Phase D: sidecar gone; the operation is done (releases any lease left). */
  completeOperation(opId: string): void {
    this.opEvent(opId, { kind: 'op.completed', payload: {} });
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
