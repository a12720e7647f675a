/**
 * The Journal: the SQLite catalog + write-ahead log of one repo (docs/journal.md).
 *
 * Every change is an event. A write runs in one `BEGIN IMMEDIATE` transaction:
 *  1. catch up: evolve the cached state with events other processes appended,
 *  2. validate against that (now exact) state — CAS on pins, leases, branches,
 *  3. append the event(s); for each, evolveWithPatches() gives the new state and
 *     the patches that writePatches() turns into projection rows.
 * So evolve() alone defines what an event does; SQL projections follow from it.
 * The cache is only committed to `this` after SQLite committed.
 *
 * Reads go straight to the SQL projections (always fresh across processes).
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
  parseBody,
  type EventBody,
  type EventPayloads,
  type JournalEvent,
  type OperationKind,
  type Phase,
  type RecoveryClass,
  type RecoveryDecision,
} from './events.js';
import type { Patch } from 'immer';
import { evolveWithPatches, replay } from './evolve.js';
import { openDatabase } from './migrations.js';
import { prepared, readProjections, writePatches } from './projections.js';
import {
  EVENT_COLUMNS,
  JournalReader,
  rowToEvent,
  type Snapshot,
  type VerifyReport,
} from './queries.js';
import { allRows, getRow } from './layout.js';
import {
  branchOf,
  headPins,
  leasesOf,
  operationOf,
  TERMINAL_STATES,
  type BranchRow,
  type CommitRow,
  type ForkRow,
  type JournalState,
  type LeaseRow,
  type ManifestRow,
  type OperationRow,
} from './state.js';

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
  postCommitVersion: number;
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

interface Cache {
  state: JournalState;
  lastSeq: number;
  lastTimeUs: number;
}
interface Tx {
  readonly state: JournalState;
  append(opId: string, branch: string, tableKey: string | null, body: EventBody): JournalEvent;
}

function byTableKey<T extends { tableKey: string }>(a: T, b: T): number {
  return a.tableKey < b.tableKey ? -1 : a.tableKey > b.tableKey ? 1 : 0;
}

export class Journal extends JournalReader {
  private cache: Cache | undefined;
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
      journal.write((tx) => {
        if (branchOf(tx.state, MAIN_BRANCH))
          throw new LancelogError('JournalExists', `${path} is already initialized`, { path });
        const tables = [...init.tables]
          .sort(byTableKey)
          .map((t) => ({ table_key: t.tableKey, version: t.version }));
        tx.append(newId(), MAIN_BRANCH, null, {
          kind: 'repo.initialized',
          payload: {
            tables,
            commit_id: newId(),
            actor: init.actor,
            message: init.message ?? 'initialize repository',
          },
        });
        if (init.schemaHash !== undefined)
          tx.append(newId(), MAIN_BRANCH, null, {
            kind: 'schema.recorded',
            payload: { hash: init.schemaHash, reason: 'init' },
          });
      });
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

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ---------------------------------------------------------------- write core

  /**
   * Runs `fn` in one BEGIN IMMEDIATE transaction over a caught-up state (see the module
   * comment). Projection rows are written once per transaction, from the patches of all
   * its events (an operation row touched by three events is written once).
   *
   * `durable: false` commits without fsync (SQLite `synchronous=NORMAL` for this one
   * transaction): the commit survives a process crash, and the next durable
   * transaction's fsync of the WAL makes it durable too; only a power loss before that
   * can drop it. Used for events whose loss then is harmless because nothing of the
   * operation reached Lance without a later durable event: `op.begun`, leases and
   * heartbeats (docs/journal.md "Durability").
   */
  private write<T>(fn: (tx: Tx) => T, opts: { durable?: boolean } = {}): T {
    if (this.readOnly)
      throw new LancelogError('JournalReadOnly', `${this.path} was opened read-only`, {
        path: this.path,
      });
    const run = this.db.transaction(() => {
      const cache = this.caughtUp();
      const before = cache.state;
      const patches: Patch[] = [];
      const tx: Tx = {
        get state() {
          return cache.state;
        },
        append: (opId, branch, tableKey, body) => {
          const parsed = parseBody(body); // zod at the boundary, on append
          // Never let time run backwards in the log, even across processes with skewed clocks.
          const timeUs = Math.max(nowUs(), cache.lastTimeUs);
          const info = prepared(
            this.db,
            'INSERT INTO events (op_id, time_us, kind, branch, table_key, payload) VALUES (?, ?, ?, ?, ?, ?)',
          ).run(opId, timeUs, parsed.kind, branch, tableKey, JSON.stringify(parsed.payload));
          const event = {
            seq: Number(info.lastInsertRowid),
            opId,
            timeUs,
            branch,
            tableKey,
            ...parsed,
          } as JournalEvent;
          const [next, eventPatches] = evolveWithPatches(cache.state, event);
          for (const p of eventPatches) patches.push(p);
          cache.state = next;
          cache.lastSeq = event.seq;
          cache.lastTimeUs = timeUs;
          return event;
        },
      };
      const result = fn(tx);
      if (patches.length > 0) writePatches(this.db, before, cache.state, patches);
      return { result, cache };
    });
    const relaxed = opts.durable === false;
    if (relaxed) prepared(this.db, 'PRAGMA synchronous = NORMAL').run();
    try {
      const { result, cache } = run.immediate();
      this.cache = cache; // only now: a rolled-back transaction leaves the old cache
      return result;
    } catch (err) {
      // A full disk, a read-only or damaged file: a typed error naming the journal.
      throw asSystemError(err, `cannot write to the journal ${this.path}`, { path: this.path });
    } finally {
      if (relaxed) prepared(this.db, 'PRAGMA synchronous = FULL').run();
    }
  }

  /** The cached state advanced past every event in the DB. Call inside a transaction. */
  private caughtUp(): Cache {
    let cache: Cache;
    if (!this.cache) {
      const last = this.db
        .prepare('SELECT COALESCE(MAX(seq), 0) AS seq, COALESCE(MAX(time_us), 0) AS t FROM events')
        .get() as { seq: number; t: number };
      cache = { state: readProjections(this.db), lastSeq: last.seq, lastTimeUs: last.t };
    } else {
      cache = { ...this.cache };
    }
    const newer = (
      prepared(this.db, `SELECT ${EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq`).all(
        cache.lastSeq,
      ) as Record<string, unknown>[]
    ).map(rowToEvent);
    if (newer.length > 0) {
      cache.state = replay(newer, cache.state);
      cache.lastSeq = newer.at(-1)!.seq;
      cache.lastTimeUs = Math.max(cache.lastTimeUs, ...newer.map((e) => e.timeUs));
    }
    return cache;
  }

  private static liveBranch(state: JournalState, name: string): BranchRow {
    const b = branchOf(state, name);
    if (!b || b.deleted)
      throw new LancelogError('BranchNotFound', `branch ${JSON.stringify(name)} does not exist`, {
        branch: name,
      });
    return b;
  }

  private static liveOperation(state: JournalState, opId: string): OperationRow {
    const op = operationOf(state, opId);
    if (!op)
      throw new LancelogError('OperationNotFound', `operation ${opId} does not exist`, {
        op_id: opId,
      });
    if (TERMINAL_STATES.includes(op.state))
      throw new LancelogError('OperationFinished', `operation ${opId} is already ${op.state}`, {
        op_id: opId,
        state: op.state,
      });
    return op;
  }

  /** Appends one event of a live operation (on the operation's branch). */
  private opEvent(opId: string, body: EventBody, tableKey: string | null = null): JournalEvent {
    return this.opEvents(opId, [{ body, tableKey }])[0];
  }

  /** Appends events of a live operation in one transaction (one fsync). */
  private opEvents(
    opId: string,
    events: Array<{ body: EventBody; tableKey: string | null }>,
  ): JournalEvent[] {
    return this.write((tx) => {
      const branch = Journal.liveOperation(tx.state, opId).branch;
      return events.map((e) => tx.append(opId, branch, e.tableKey, e.body));
    });
  }

  private static commitStartedEvent(tableKey: string): { body: EventBody; tableKey: string } {
    return { body: { kind: 'table.commit_started', payload: { table_key: tableKey } }, tableKey };
  }

  private static checkLeaseAndPin(
    state: JournalState,
    opId: string,
    branch: string,
    tableKey: string,
    expected: number | null,
  ): void {
    const lease = getRow<LeaseRow>(state, 'leases', [branch, tableKey]);
    if (lease && lease.opId !== opId) {
      throw new LancelogError(
        'LeaseHeld',
        `${tableKey} on branch ${branch} is leased by operation ${lease.opId} (pid ${lease.ownerPid} on ${lease.ownerHost})`,
        {
          table_key: tableKey,
          branch,
          owner: {
            op_id: lease.opId,
            pid: lease.ownerPid,
            host: lease.ownerHost,
            lease_id: lease.leaseId,
            heartbeat_us: lease.heartbeatUs,
          },
        },
      );
    }
    const actual = headPins(state, branch).find((p) => p.tableKey === tableKey)?.version ?? null;
    if (actual !== expected) {
      throw new LancelogError(
        'ExpectedVersionMismatch',
        `${tableKey} on branch ${branch} is pinned at version ${actual ?? 'none'}, expected ${expected ?? 'none'}`,
        {
          table_key: tableKey,
          branch,
          expected,
          actual,
        },
      );
    }
  }

  /** Records the schema fingerprint the repo's data is now written under. */
  recordSchema(hash: string, reason: 'adopted' | 'changed'): void {
    this.write((tx) =>
      tx.append(newId(), MAIN_BRANCH, null, { kind: 'schema.recorded', payload: { hash, reason } }),
    );
  }

  // ---------------------------------------------------------------- write protocol

  /** Generic append, for kinds without a named method. Validates the payload only — no CAS, lease or state checks. */
  appendEvent(
    opId: string,
    branch: string,
    body: { kind: string; payload: unknown },
    tableKey: string | null = null,
  ): JournalEvent {
    return this.write((tx) => tx.append(opId, branch, tableKey, parseBody(body)));
  }

  /** Step 1: a new operation on a live branch. Returns its op id (ULID). */
  beginOperation(args: {
    kind: OperationKind;
    branch: string;
    actor: string;
    owner?: { pid: number; host: string };
  }): string {
    return this.write(
      (tx) => {
        Journal.liveBranch(tx.state, args.branch);
        const opId = newId();
        const owner = args.owner ?? { pid: process.pid, host: hostname() };
        tx.append(opId, args.branch, null, {
          kind: 'op.begun',
          payload: { kind: args.kind, branch: args.branch, actor: args.actor, owner },
        });
        return opId;
      },
      { durable: false },
    );
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
    this.write(
      (tx) => {
        const op = Journal.liveOperation(tx.state, opId);
        for (const t of sorted) {
          Journal.liveBranch(tx.state, t.branch);
          Journal.checkLeaseAndPin(tx.state, opId, t.branch, t.tableKey, t.expectedVersion);
        }
        tx.append(opId, op.branch, null, {
          kind: 'lease.acquired',
          payload: {
            tables: sorted.map((t) => ({ table_key: t.tableKey, branch: t.branch })),
            owner,
            heartbeat_us: nowUs(),
          },
        });
      },
      { durable: false },
    );
    return owner;
  }

  /** Refreshes the heartbeat of every lease `opId` holds. Returns how many; appends nothing when none. */
  heartbeat(opId: string): number {
    return this.write(
      (tx) => {
        const op = Journal.liveOperation(tx.state, opId);
        const held = leasesOf(tx.state, opId).length;
        if (held > 0)
          tx.append(opId, op.branch, null, {
            kind: 'lease.heartbeat',
            payload: { heartbeat_us: nowUs() },
          });
        return held;
      },
      { durable: false },
    );
  }

  /** Gives back every lease `opId` holds without publishing. No-op when it holds none. */
  releaseLeases(opId: string): void {
    this.write((tx) => {
      const held = leasesOf(tx.state, opId);
      const op = operationOf(tx.state, opId);
      if (held.length === 0 || !op) return;
      tx.append(opId, op.branch, null, {
        kind: 'lease.released',
        payload: { tables: held.map((l) => ({ table_key: l.tableKey, branch: l.branch })) },
      });
    });
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
    const tables = [...req.tables].sort(byTableKey);
    const dup = tables.find((t, i) => i > 0 && tables[i - 1].tableKey === t.tableKey);
    if (dup)
      throw new LancelogError(
        'InvalidArgument',
        `table ${dup.tableKey} is listed twice in one publish`,
        { table_key: dup.tableKey },
      );
    return this.write((tx) => {
      const branch = Journal.liveBranch(tx.state, req.branch);
      const opId = req.opId ?? newId();
      if (req.opId !== undefined && operationOf(tx.state, opId))
        Journal.liveOperation(tx.state, opId);
      for (const t of tables)
        Journal.checkLeaseAndPin(tx.state, opId, req.branch, t.tableKey, t.expectedVersion);
      const manifestVersion = branch.headManifestVersion + 1;
      const commitId = newId();
      // The last table's commit is recorded with the publish that makes it visible.
      if (req.committed)
        tx.append(opId, req.branch, req.committed.tableKey, {
          kind: 'table.committed',
          payload: { table_key: req.committed.tableKey, version: req.committed.version },
        });
      tx.append(opId, req.branch, null, {
        kind: 'op.published',
        payload: {
          manifest_version: manifestVersion,
          commit_id: commitId,
          pins: tables.map((t) => ({
            table_key: t.tableKey,
            version: t.newVersion,
            lance_branch: t.lanceBranch,
          })),
          actor: req.actor,
          message: req.message ?? null,
          merged_parent_id: req.mergedParentId ?? null,
        },
      });
      // Completed in the same transaction: the sidecar is deleted afterwards, and a
      // sidecar a crash leaves behind is stale (its operation is finished) and removed by recovery.
      if (req.complete) tx.append(opId, req.branch, null, { kind: 'op.completed', payload: {} });
      return { manifestVersion, commitId, opId };
    });
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
    this.write((tx) => {
      const existing = branchOf(tx.state, name);
      if (existing) {
        const deleted = existing.deleted;
        throw new LancelogError(
          'BranchExists',
          `branch ${JSON.stringify(name)} ${deleted ? 'existed and was deleted; branch names are not reused' : 'already exists'}`,
          { branch: name, deleted },
        );
      }
      let fromBranch: string;
      let fromMv: number;
      if ('commitId' in from) {
        const commit = getRow<CommitRow>(tx.state, 'commits', [from.commitId]);
        if (!commit)
          throw new LancelogError('CommitNotFound', `commit ${from.commitId} does not exist`, {
            commit_id: from.commitId,
          });
        fromBranch = commit.branch;
        fromMv = commit.manifestVersion;
      } else {
        fromBranch = from.fromBranch ?? MAIN_BRANCH;
        const src = Journal.liveBranch(tx.state, fromBranch);
        fromMv = from.manifestVersion ?? src.headManifestVersion;
        if (!getRow<ManifestRow>(tx.state, 'manifests', [fromBranch, fromMv])) {
          throw new LancelogError(
            'ManifestVersionNotFound',
            `branch ${fromBranch} has no manifest version ${fromMv}`,
            { branch: fromBranch, manifest_version: fromMv },
          );
        }
      }
      tx.append(newId(), name, null, {
        kind: 'branch.created',
        payload: { name, from_branch: fromBranch, from_manifest_version: fromMv },
      });
    });
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
    return this.write((tx) => {
      Journal.liveBranch(tx.state, name);
      const children = allRows<BranchRow>(tx.state, 'branches')
        .filter((b) => !b.deleted && b.parentBranch === name)
        .map((b) => b.name);
      if (children.length > 0)
        throw new LancelogError(
          'BranchInUse',
          `branch ${name} cannot be deleted: ${children.join(', ')} were forked from it`,
          { branch: name, children },
        );
      const busy = allRows<OperationRow>(tx.state, 'operations')
        .filter((o) => o.branch === name && !TERMINAL_STATES.includes(o.state))
        .map((o) => o.opId);
      if (busy.length > 0)
        throw new LancelogError(
          'BranchInUse',
          `branch ${name} has operations in flight: ${busy.join(', ')}`,
          { branch: name, operations: busy },
        );
      const owned = allRows<ForkRow>(tx.state, 'forks')
        .filter((f) => f.branch === name)
        .sort(byTableKey)
        .map((f) => ({ tableKey: f.tableKey, lanceBranch: f.lanceBranch }));
      tx.append(newId(), name, null, { kind: 'branch.deleted', payload: { name } });
      return owned;
    });
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
    this.write((tx) => {
      Journal.liveBranch(tx.state, branch);
      const existing = getRow<ForkRow>(tx.state, 'forks', [branch, tableKey]);
      if (existing) {
        if (existing.lanceBranch === lanceBranch) return;
        throw new LancelogError(
          'ForkExists',
          `${tableKey} on branch ${branch} is already forked to Lance branch ${existing.lanceBranch}`,
          { branch, table_key: tableKey, lance_branch: existing.lanceBranch },
        );
      }
      tx.append(opId ?? newId(), branch, tableKey, {
        kind: 'table.forked',
        payload: { table_key: tableKey, lance_branch: lanceBranch, from_version: fromVersion },
      });
    });
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
