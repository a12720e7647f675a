/**
 * The write protocol (docs/architecture.md §Life of a write), one code path for every writer:
 * lease → Phase A intent (sidecar + journal) → Phase B one Lance commit per table →
 * Phase C atomic publish → Phase D cleanup. A failure after Phase B began is undone
 * in-process while the leases are still held. A crash leaves sidecar, journal and
 * leases for recovery.
 */
import { hostname } from 'node:os';
import type { Catalog, TypeDef } from '../schema/types.js';
import { schemaFingerprint } from '../schema/index.js';
import type { TableHandle, TableStore } from '../storage/index.js';
import type { BeginArgs, Journal, OperationKind, TablePin, Snapshot } from '../journal/index.js';
import { LancelogError, RepoError } from '../errors.js';
import { failpoint } from '../failpoints.js';
import { lanceBranchFor } from './lance-branch.js';
import { deleteSidecar, writeSidecar, SIDECAR_SCHEMA_VERSION } from './sidecar.js';
import { syncLanceCommit, type LanceCommitRange } from './sync-commit.js';
import type { StagedOperation } from './staging.js';

/** What Phase B tells a table action about where it starts and lets it journal. */
export interface TableCommitStep {
  /** The published pin the table starts from (Lance HEAD == pin was checked under the lease). */
  pin: number;
  /**
   * Journals an intermediate Lance commit (`table.committed`). A 'many' action calls it
   * after every Lance commit except the last; the protocol records the last one itself.
   */
  committed(version: number): void;
}

/** One table's share of an operation: the Lance commit(s) Phase B makes on it. */
export interface TableAction {
  def: TypeDef;
  /**
   * 'one': exactly one Lance commit, which must land at pin + 1 (asserted). 'many': zero
   * or more commits, the final version > pin (asserted) or, when it made none, the pin
   * itself: such a table is not published (optimize or cleanup finding nothing to
   * compact); recovery never rolls a 'many' table forward (its intent has no
   * post-commit version).
   */
  commits: 'one' | 'many';
  /** Makes the commit(s) on `handle`, open on the operation's Lance branch at the pin. */
  commit(handle: TableHandle, step: TableCommitStep): Promise<number>;
}

/** Extra facts the publish records. */
export interface PublishExtras {
  /** The second parent of the commit the publish makes (a merge). */
  mergedParentId?: string | null;
  /**
   * A schema change (`lancelog schema apply`, docs/schema-language.md §Evolution): the
   * new schema (recorded with `schema.recorded` in the publish transaction), the tables
   * its new types got (created empty before the publish, pinned by it) and the tables
   * of its dropped types (no longer pinned). With it the operation always publishes,
   * also when no table moved.
   */
  schemaChange?: {
    hash: string;
    source: string;
    newTables: Array<{ tableKey: string; version: number }>;
    unpin: Array<{ tableKey: string; expectedVersion: number }>;
  };
}

export const HEARTBEAT_INTERVAL_MS = 2_000;

export interface WriteContext {
  dir: string;
  store: TableStore;
  journal: Journal;
  /**
   * The catalog the writer staged with: checked under the leases against the journal's
   * recorded schema, so no write publishes with a catalog a schema change replaced.
   */
  catalog?: Catalog;
}

export interface OperationInfo {
  opId: string;
  /** false: `op.begun` is not journaled yet; the protocol records it in its first transaction. */
  begun?: boolean;
  kind: OperationKind;
  branch: string;
  actor: string;
  message?: string;
}

export interface TableMove {
  tableKey: string;
  from: number;
  to: number;
  lanceBranch: string | null;
}

export interface CommitResult {
  commitId: string | null;
  manifestVersion: number | null;
  tables: TableMove[];
}

interface PlannedTable extends TableAction {
  pin: TablePin;
  lanceBranch: string | null;
  /** Phase B found HEAD == pin under the lease and started this table's commit(s): a rollback restores it. */
  attempted: boolean;
}

type Phase = 'lease' | 'intent' | 'table_commit' | 'publish' | 'cleanup' | 'rollback';

function errorInfo(err: unknown): { code: string; message: string } {
  return err instanceof LancelogError
    ? { code: err.code, message: err.message }
    : { code: 'InternalError', message: err instanceof Error ? err.message : String(err) };
}

/** A staged row operation as table actions: one upsert/delete (or append) commit per table. */
export function stagedActions(staged: StagedOperation): TableAction[] {
  return staged.commitPlan().map((p) => ({
    def: p.def,
    commits: 'one',
    commit: async (handle) =>
      p.appendOnly
        ? await handle.append(p.upserts)
        : (await handle.mergeInsert({ upserts: p.upserts, deleteIds: p.deleteIds })).version,
  }));
}

/** Runs phases lease…D for a staged operation whose `op.begun` is already recorded. */
export async function commitStaged(
  ctx: WriteContext,
  op: OperationInfo,
  staged: StagedOperation,
  snapshot: Snapshot,
): Promise<CommitResult> {
  return commitTables(ctx, op, stagedActions(staged), snapshot);
}

/**
 * Runs phases lease…D for table actions. With `op.begun` false the operation is not in
 * the journal yet: its `op.begun` goes into the protocol's first transaction (with the
 * leases, and — when no table needs a lazy fork — the intent: one fsync'd transaction,
 * docs/journal.md "Durability"). Expected versions are the pins of `snapshot`
 * (captured before the operation staged anything).
 */
export async function commitTables(
  ctx: WriteContext,
  op: OperationInfo,
  actions: TableAction[],
  snapshot: Snapshot,
  extras: PublishExtras = {},
): Promise<CommitResult> {
  const { journal } = ctx;
  const plan = planTables(op, actions, snapshot);
  if (plan.length === 0 && !extras.schemaChange) {
    if (op.begun === false) journal.recordUnstartedOperation(beginOf(op), null);
    else journal.completeOperation(op.opId);
    return { commitId: null, manifestVersion: null, tables: [] };
  }
  const run: ProtocolRun = {
    phase: 'lease',
    begun: op.begun !== false,
    sidecarWritten: false,
    phaseBStarted: false,
    published: false,
    unrecorded: [],
  };
  let heartbeat: NodeJS.Timeout | undefined;
  try {
    await startProtocol(ctx, op, plan, run);
    heartbeat = setInterval(() => {
      try {
        journal.heartbeat(op.opId);
      } catch {
        /* the op finished meanwhile */
      }
    }, HEARTBEAT_INTERVAL_MS);
    heartbeat.unref();
    run.phase = 'table_commit';
    run.phaseBStarted = true;
    const moves = await commitAll(ctx, op, plan, run.unrecorded);
    run.phase = 'publish';
    return await publishMoves(ctx, op, plan, moves, run, extras);
  } catch (err) {
    // After the publish the operation is visible and completed: nothing to undo; a
    // sidecar left behind is stale and recovery removes it.
    if (run.published) throw err;
    if (!run.begun) {
      // Refused before anything was journaled (a lease held, a pin moved, HEAD != pin).
      journal.recordUnstartedOperation(beginOf(op), { error: errorInfo(err), phase: run.phase });
      throw err;
    }
    // The journal records every Lance version this operation made, also one it now undoes.
    for (const c of sortedByTable(run.unrecorded))
      journal.tableCommitted(op.opId, c.tableKey, c.version);
    journal.failOperation(op.opId, errorInfo(err), run.phase);
    if (!run.phaseBStarted) {
      if (run.sidecarWritten) deleteSidecar(ctx.dir, op.opId);
      journal.rolledBack(op.opId, []);
      throw err;
    }
    await rollBackInProcess(ctx, op, plan);
    throw err;
  } finally {
    if (heartbeat) clearInterval(heartbeat);
  }
}

/** Where a protocol run is, for its failure path. */
interface ProtocolRun {
  phase: Phase;
  /** `op.begun` is in the journal. */
  begun: boolean;
  sidecarWritten: boolean;
  phaseBStarted: boolean;
  published: boolean;
  /** Final Lance commits not journaled yet: recorded with the publish, or before `op.failed`. */
  unrecorded: Array<{ tableKey: string; version: number }>;
}

function beginOf(op: OperationInfo): BeginArgs {
  return { opId: op.opId, kind: op.kind, branch: op.branch, actor: op.actor };
}

function sortedByTable<T extends { tableKey: string }>(xs: T[]): T[] {
  return [...xs].sort((a, b) => (a.tableKey < b.tableKey ? -1 : a.tableKey > b.tableKey ? 1 : 0));
}

/** One action per table, in table-key order, each with its pin and Lance branch. */
function planTables(op: OperationInfo, actions: TableAction[], snapshot: Snapshot): PlannedTable[] {
  const keys = new Set(actions.map((a) => a.def.tableKey));
  if (keys.size !== actions.length)
    throw new RepoError('DuplicateTableAction', 'an operation commits each table in one action', {
      table_keys: actions.map((a) => a.def.tableKey),
    });
  const sorted = [...actions].sort((a, b) => (a.def.tableKey < b.def.tableKey ? -1 : 1));
  return sorted.map((p) => {
    const pin = snapshot.pins.find((x) => x.tableKey === p.def.tableKey);
    if (!pin)
      throw new RepoError('TableNotPinned', `${p.def.tableKey} has no pin on ${op.branch}`, {
        table_key: p.def.tableKey,
      });
    const lanceBranch = op.branch === 'main' ? null : lanceBranchFor(op.branch);
    return { ...p, pin, lanceBranch, attempted: false };
  });
}

function needsFork(t: PlannedTable): boolean {
  return t.lanceBranch !== null && t.pin.lanceBranch !== t.lanceBranch;
}

/**
 * Leases, intent and sidecar. Fast path (no lazy fork, every Lance HEAD at its pin):
 * `op.begun` + leases + intent + every table's `table.commit_started` in ONE fsync'd
 * transaction. HEAD == pin is checked before the lease there: the transaction's CAS
 * (pins unchanged, no other lease) means no writer that follows the protocol moved a
 * table since, and Phase B checks HEAD again under the lease before committing.
 * Otherwise (a fork to make, or a HEAD off its pin): leases first (with `op.begun`
 * when it is not recorded yet, one relaxed transaction), the fork and HEAD check
 * under the lease, then the intent. Then the sidecar.
 */
async function startProtocol(
  ctx: WriteContext,
  op: OperationInfo,
  plan: PlannedTable[],
  run: ProtocolRun,
): Promise<void> {
  const { journal, store } = ctx;
  const leases = plan.map((t) => ({
    tableKey: t.def.tableKey,
    branch: op.branch,
    expectedVersion: t.pin.version,
  }));
  const owner = { pid: process.pid, host: hostname(), leaseId: op.opId };
  const intent = plan.map((t) => ({
    tableKey: t.def.tableKey,
    lanceBranch: t.lanceBranch,
    expectedVersion: t.pin.version,
    postCommitVersion: postCommitOf(t),
  }));
  const started = plan.map((t) => t.def.tableKey);
  const fast =
    !run.begun &&
    !plan.some(needsFork) &&
    (
      await Promise.all(
        plan.map((t) =>
          store.isHead(t.def.tableKey, t.def.tablePath, t.pin.version, t.lanceBranch ?? undefined),
        ),
      )
    ).every(Boolean);
  if (fast) {
    journal.startOperation(beginOf(op), leases, owner, intent, started);
    run.begun = true;
  } else {
    if (run.begun) journal.acquireLeases(op.opId, leases, owner);
    else journal.beginWithLeases(beginOf(op), leases, owner);
    run.begun = true;
    for (const t of plan) await prepareTable(ctx, op, t);
  }
  if (ctx.catalog) assertCatalogCurrent(journal, ctx.catalog, op);
  await failpoint('write.after_lease', { opId: op.opId });
  run.phase = 'intent';
  if (!fast) journal.recordIntent(op.opId, intent, { commitStarted: started });
  writeSidecar(ctx.dir, {
    schema_version: SIDECAR_SCHEMA_VERSION,
    op_id: op.opId,
    kind: op.kind,
    branch: op.branch,
    actor: op.actor,
    created_us: Date.now() * 1000,
    owner: { pid: process.pid, host: hostname() },
    tables: plan.map((t) => ({
      table_key: t.def.tableKey,
      table_path: t.def.tablePath,
      lance_branch: t.lanceBranch,
      expected_version: t.pin.version,
      post_commit_version: postCommitOf(t),
    })),
  });
  run.sidecarWritten = true;
  await failpoint('write.after_intent', { opId: op.opId });
}

/** How many tables Phase B commits at once (each commit is independent; Lance I/O overlaps). */
export const PHASE_B_CONCURRENCY = 4;

/**
 * Phase B: every table's commit(s), up to PHASE_B_CONCURRENCY tables at once, tables
 * started in table-key order (so `write.before_table_commit` is hit in that order).
 * Each table's new files are fsync'd right after its commit (docs/recovery.md
 * "Durability"), overlapping the other tables' commits. After a failure no further
 * table starts, and every commit in flight settles before the error is thrown, so the
 * in-process rollback sees every version this operation made.
 */
async function commitAll(
  ctx: WriteContext,
  op: OperationInfo,
  plan: PlannedTable[],
  unrecorded: Array<{ tableKey: string; version: number }>,
): Promise<TableMove[]> {
  const moves: TableMove[] = new Array<TableMove>(plan.length);
  const errors: unknown[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.length && errors.length === 0) {
      const t = plan[next++];
      try {
        await failpoint('write.before_table_commit', { opId: op.opId, table: t.def.tableKey });
        const version = await commitTable(ctx, op, t);
        unrecorded.push({ tableKey: t.def.tableKey, version });
        const move = {
          tableKey: t.def.tableKey,
          from: t.pin.version,
          to: version,
          lanceBranch: t.lanceBranch,
        };
        moves[plan.indexOf(t)] = move;
        await failpoint('write.after_table_commit', { opId: op.opId, table: t.def.tableKey });
        // Power-loss durability: the commit's Lance files reach disk before any pin names them.
        if (version !== t.pin.version) await syncLanceCommit(ctx.store, commitRanges(plan, [move]));
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PHASE_B_CONCURRENCY, plan.length) }, worker));
  if (errors.length > 0) throw errors[0];
  return moves;
}

/** Phase C (the publish, with the last commits and op.completed) and Phase D (sidecar). */
async function publishMoves(
  ctx: WriteContext,
  op: OperationInfo,
  plan: PlannedTable[],
  moves: TableMove[],
  run: ProtocolRun,
  extras: PublishExtras,
): Promise<CommitResult> {
  const { journal } = ctx;
  const committed = sortedByTable(run.unrecorded);
  // A 'many' table that made no commit keeps its pin and is not published.
  const moved = moves.filter((m) => m.to !== m.from);
  await failpoint('write.before_publish', { opId: op.opId });
  const change = extras.schemaChange;
  if (moved.length === 0 && !change) {
    journal.completeOperation(op.opId, { committed });
    run.published = true; // terminal: nothing left to undo
    deleteSidecar(ctx.dir, op.opId, { durable: false });
    return { commitId: null, manifestVersion: null, tables: [] };
  }
  const result = journal.publish({
    opId: op.opId,
    branch: op.branch,
    actor: op.actor,
    message: op.message ?? null,
    mergedParentId: extras.mergedParentId ?? null,
    tables: [
      ...moved.map((m) => ({
        tableKey: m.tableKey,
        expectedVersion: m.from as number | null,
        newVersion: m.to,
        lanceBranch: m.lanceBranch,
      })),
      ...(change?.newTables ?? []).map((t) => ({
        tableKey: t.tableKey,
        expectedVersion: null,
        newVersion: t.version,
        lanceBranch: null,
      })),
    ],
    committed,
    complete: true,
    ...(change
      ? { unpin: change.unpin, schema: { hash: change.hash, source: change.source } }
      : {}),
  });
  run.published = true;
  await failpoint('write.after_publish', { opId: op.opId });
  run.phase = 'cleanup';
  deleteSidecar(ctx.dir, op.opId, { durable: false });
  await failpoint('write.after_cleanup', { opId: op.opId });
  return { commitId: result.commitId, manifestVersion: result.manifestVersion, tables: moved };
}

/** The version a single-commit table lands at; null (unknown) for a multi-commit one. */
function postCommitOf(t: PlannedTable): number | null {
  return t.commits === 'one' ? t.pin.version + 1 : null;
}

/** What syncLanceCommit must make durable for each moved table of the plan. */
function commitRanges(plan: PlannedTable[], moves: TableMove[]): LanceCommitRange[] {
  return moves.map((m) => {
    const t = plan.find((p) => p.def.tableKey === m.tableKey)!;
    return {
      tableKey: m.tableKey,
      tablePath: t.def.tablePath,
      lanceBranch: m.lanceBranch,
      from: m.from,
      to: m.to,
      forked: t.lanceBranch !== null && t.pin.lanceBranch !== t.lanceBranch,
    };
  });
}

/**
 * Under the lease: fork the table's Lance branch on first write to a branch (lazy
 * fork) and check Lance HEAD == pin (else the table needs recovery first).
 */
async function prepareTable(ctx: WriteContext, op: OperationInfo, t: PlannedTable): Promise<void> {
  const { store, journal } = ctx;
  const { tableKey, tablePath } = t.def;
  if (t.lanceBranch !== null && t.pin.lanceBranch !== t.lanceBranch) {
    // Nothing published references this Lance branch yet (the pin still points at
    // the parent's data), so a leftover from a failed first write can be replaced.
    const existing = await store.listBranches(tableKey, tablePath);
    if (existing.some((b) => b.name === t.lanceBranch))
      await store.deleteBranch(tableKey, tablePath, t.lanceBranch);
    await store.createBranch(
      tableKey,
      tablePath,
      t.lanceBranch,
      t.pin.version,
      t.pin.lanceBranch ?? undefined,
    );
    // The fork is durable before the journal names it (table.forked is fsync'd).
    await syncLanceCommit(store, [
      {
        tableKey,
        tablePath,
        lanceBranch: t.lanceBranch,
        from: t.pin.version,
        to: t.pin.version,
        forked: true,
      },
    ]);
    if (!journal.listForks(op.branch).some((f) => f.tableKey === tableKey))
      journal.recordFork(op.branch, tableKey, t.lanceBranch, t.pin.version, op.opId);
  }
  if (!(await store.isHead(tableKey, tablePath, t.pin.version, t.lanceBranch ?? undefined))) {
    throw headNotAtPin(
      journal,
      op,
      t,
      await store.headVersion(tableKey, tablePath, t.lanceBranch ?? undefined),
    );
  }
}

/**
 * Lance HEAD is not the published pin. With another operation in flight on the
 * branch, recovery decides; with none, `recover` has nothing to do and the error
 * says what `lancelog doctor` finds (`lance-ahead-of-pin`, which `doctor --repair`
 * fixes, or `lost-published-version`), so the two never disagree.
 */
function headNotAtPin(
  journal: WriteContext['journal'],
  op: OperationInfo,
  t: PlannedTable,
  head: number,
): RepoError {
  const { tableKey } = t.def;
  const pin = t.pin.version;
  const inFlight = journal
    .inFlightOperations()
    .some((o) => o.opId !== op.opId && o.branch === op.branch);
  const finding = head > pin ? 'lance-ahead-of-pin' : 'lost-published-version';
  const todo = inFlight
    ? "run 'lancelog recover' (or reopen the repo read-write) first"
    : finding === 'lance-ahead-of-pin'
      ? `no operation is in flight, so 'lancelog recover' has nothing to do: 'lancelog doctor' finds ${finding}; run 'lancelog doctor --repair <repo>' to restore the table to its pin`
      : `no operation is in flight: 'lancelog doctor' finds ${finding} (a published Lance version is missing); see docs/recovery.md "doctor"`;
  return new RepoError(
    'RecoveryRequired',
    `${tableKey} on branch ${op.branch}: Lance HEAD is ${head} but the published pin is ${pin}; ${todo}`,
    { table_key: tableKey, branch: op.branch, head, pin, ...(inFlight ? {} : { doctor: finding }) },
  );
}

/**
 * Phase B for one table: its action's Lance commit(s). Main and already-published Lance
 * branches commit through the store's kept-open writer (no table open per write);
 * a Lance branch forked by this very operation is not published yet and may still
 * be replaced by a later first write, so it gets a handle of its own.
 */
async function commitTable(ctx: WriteContext, op: OperationInfo, t: PlannedTable): Promise<number> {
  const { store } = ctx;
  const { tableKey, tablePath } = t.def;
  const branch = t.lanceBranch ?? undefined;
  const kept = t.lanceBranch === null || t.pin.lanceBranch === t.lanceBranch;
  const handle = kept
    ? await store.writerAt(tableKey, tablePath, t.pin.version, branch)
    : await store.openTable(tableKey, tablePath, branch ? { branch } : {});
  try {
    const at = await handle.version();
    if (at !== t.pin.version) throw headNotAtPin(ctx.journal, op, t, at);
    t.attempted = true;
    let last = t.pin.version;
    const version = await t.commit(handle, {
      pin: t.pin.version,
      committed: (v) => {
        assertCommitted(t, v > last, v, `after ${last}`);
        last = v;
        ctx.journal.tableCommitted(op.opId, tableKey, v);
      },
    });
    // The promise each action makes (TableAction.commits), checked before anything is published.
    if (t.commits === 'one') assertCommitted(t, version === t.pin.version + 1, version, 'pin + 1');
    else {
      const none = version === t.pin.version && last === t.pin.version;
      assertCommitted(t, version > last || none, version, `after ${last}`);
      // No commit: HEAD must still be the pin (nothing committed behind the action's back).
      if (none && (await handle.version()) !== t.pin.version)
        assertCommitted(t, false, await handle.version(), `the pin (the action made no commit)`);
    }
    return version;
  } catch (err) {
    // What a failed commit left in the writer's state is unknown: open afresh next time.
    if (kept) store.dropWriter(tablePath, branch);
    throw err;
  } finally {
    handle.close();
  }
}

function assertCommitted(t: PlannedTable, holds: boolean, version: number, want: string): void {
  if (holds) return;
  throw new RepoError(
    'CommitVersionUnexpected',
    `${t.def.tableKey}: a Lance commit from pin ${t.pin.version} landed at version ${version}, expected ${want}`,
    { table_key: t.def.tableKey, pin: t.pin.version, version, expected: want },
  );
}

/** Restores every table this operation moved and publishes the restored versions (I1 again). */
async function rollBackInProcess(
  ctx: WriteContext,
  op: OperationInfo,
  plan: PlannedTable[],
): Promise<void> {
  const { store, journal } = ctx;
  const moves: TableMove[] = [];
  // A table whose commit never started is left alone: if its HEAD is off the pin,
  // that is not this operation's doing (doctor's lance-ahead-of-pin).
  for (const t of plan.filter((p) => p.attempted)) {
    const handle = await store.openTable(
      t.def.tableKey,
      t.def.tablePath,
      t.lanceBranch ? { branch: t.lanceBranch } : {},
    );
    try {
      const head = await handle.version();
      if (head !== t.pin.version) {
        const restored = await handle.restore(t.pin.version);
        moves.push({
          tableKey: t.def.tableKey,
          from: t.pin.version,
          to: restored,
          lanceBranch: t.lanceBranch,
        });
      }
    } finally {
      handle.close();
    }
  }
  await syncLanceCommit(store, commitRanges(plan, moves));
  await failpoint('write.before_rollback_publish', { opId: op.opId });
  if (moves.length > 0) {
    journal.publish({
      opId: op.opId,
      branch: op.branch,
      actor: op.actor,
      message: `rollback of failed operation ${op.opId}`,
      tables: moves.map((m) => ({
        tableKey: m.tableKey,
        expectedVersion: m.from,
        newVersion: m.to,
        lanceBranch: m.lanceBranch,
      })),
    });
  }
  journal.rolledBack(
    op.opId,
    moves.map((m) => ({ tableKey: m.tableKey, from: m.from, to: m.to })),
  );
  deleteSidecar(ctx.dir, op.opId);
}

/**
 * Under the leases: the journal's recorded schema must be the one the writer staged
 * with. A schema change leases every table until its publish records the new schema,
 * so a writer holding a lease sees either the old schema (the change waits for the
 * lease) or the new one (then this refuses: the writer's catalog is stale).
 */
function assertCatalogCurrent(journal: Journal, catalog: Catalog, op: OperationInfo): void {
  const recorded = journal.recordedSchemaHash();
  const mine = schemaFingerprint(catalog);
  if (recorded === null || recorded === mine) return;
  throw new RepoError(
    'SchemaChanged',
    `operation ${op.opId} (${op.kind}) was staged with a schema that 'lancelog schema apply' has replaced (recorded ${recorded.slice(0, 12)}…, this process has ${mine.slice(0, 12)}…): reopen the repo and retry`,
    { recorded, current: mine, op_id: op.opId },
  );
}
