/**
 * The write protocol: one operation from begin to end, phase by phase, in the order
 * they run (docs/architecture.md §Life of a write). Every writer enters here, through
 * `runWrite`:
 *
 *   1. begin     the branch's snapshot (its pins are the versions every table must
 *                still have at publish) and an operation id
 *   2. stage     the writer's body stages rows or plans one action per table; nothing
 *                has touched Lance; a failure is op.begun + op.failed + op.rolled_back
 *   3. lease     op.begun and a lease on every table (table-key order); a branch's
 *                first write to a table forks its Lance branch; Lance HEAD == pin
 *   4. intent    op.intent_recorded with each table's table.commit_started, then the
 *                sidecar (fsync'd)
 *   5. Phase B   each table's Lance commit(s), up to PHASE_B_CONCURRENCY at once
 *   6. sync      each table's new Lance files fsync'd before any pin names them
 *   7. publish   one SQLite transaction: every pin compared-and-set, the manifest, the
 *                commit, op.published + op.completed — the commit point
 *   8. cleanup   the sidecar is removed
 *
 * A failure after Phase B began is undone in this process (`rollBackInProcess`) while
 * the leases are held; a crash leaves the sidecar, the journal's events and the leases
 * to recovery (src/recovery/). Each phase asserts what it promises (`invariant`): a
 * broken promise is InvariantBroken (or, for a table's version, CommitVersionUnexpected)
 * and stops the operation before anything is published.
 */
import { existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { schemaFingerprint } from '../../schema/index.js';
import { fnv1a64Hex } from '../../schema/fnv.js';
import type { TableStore } from '../../storage/index.js';
import {
  Journal,
  allRows,
  byTableKey,
  leasesOf,
  operationOf,
  replay,
  MAIN_BRANCH,
  preconditionFailed,
  type BeginArgs,
  type ForkRow,
  type IntentTable,
  type OperationKind,
  type Phase,
  type Snapshot,
} from '../../journal/index.js';
import { DEFAULT_ACTOR, DEFAULT_BRANCH } from '../../defaults.js';
import { LancelogError, RepoError, systemError, type SystemCode } from '../../errors.js';
import { failpoint } from '../../failpoints.js';
import { deleteSidecar, writeSidecar } from './sidecar.js';
import { recordCommit, recordCommits } from './commit-record.js';
import { InvariantBroken, OutcomeUnknown, recoveryRequired } from './errors.js';
import type { StagedOperation } from './staging/staging.js';
import type {
  CommitResult,
  OperationContext,
  OperationInfo,
  OperationOptions,
  OperationOutcome,
  PlannedTable,
  ProtocolRun,
  TableAction,
  TableCommits,
  TableMove,
  WriteBody,
  WritePlan,
} from './types.js';

/** How often a writer's leases are renewed while it holds them. */
export const HEARTBEAT_INTERVAL_MS = 2_000;

/** How many tables Phase B commits at once (each commit is independent; Lance I/O overlaps). */
export const PHASE_B_CONCURRENCY = 4;

/**
 * Runs one write: `body` stages or plans it at the branch's snapshot (steps 1–2), the
 * protocol commits it (3–8). Returns what the body returned and what was published.
 */
export async function runWrite<T>(
  ctx: OperationContext,
  kind: OperationKind,
  opts: OperationOptions,
  body: WriteBody<T>,
): Promise<OperationOutcome<T>> {
  const branch = opts.branch ?? DEFAULT_BRANCH;
  // 1. Begin: the branch must exist, and a conditional write's head be the one it names,
  //    before anything is journaled.
  const snapshot = ctx.journal.snapshot({ branch });
  if (opts.ifCommit !== undefined && snapshot.commitId !== opts.ifCommit)
    throw preconditionFailed(branch, opts.ifCommit, snapshot.commitId);
  const op: OperationInfo = {
    opId: Journal.newOperationId(),
    kind,
    branch,
    actor: opts.actor ?? DEFAULT_ACTOR,
    message: opts.message ?? null,
    ...(opts.ifCommit !== undefined ? { ifCommit: opts.ifCommit } : {}),
  };
  ctx.activeOps.add(op.opId);
  try {
    // 2. Stage. op.begun is journaled with the leases (step 3), not before.
    let planned: WritePlan<T>;
    try {
      await failpoint('write.after_begin', { opId: op.opId });
      planned = await body(snapshot);
      // A row write's cross-row rules (keys, unique, endpoints, cardinality), once staging is complete.
      await planned.staged?.validate();
    } catch (err) {
      recordRefusal(() =>
        ctx.journal.recordUnstartedOperation(beginOf(op), {
          error: errorInfo(err),
          phase: 'stage',
        }),
      );
      throw refused(err);
    }
    const affected = planned.staged?.affected() ?? { nodes: 0, edges: 0 };
    const actions = planned.staged ? stagedActions(planned.staged) : (planned.actions ?? []);
    const result = await commit(ctx, op, planTables(op, actions, snapshot), planned);
    return {
      ...result,
      opId: op.opId,
      value: planned.value,
      affectedNodes: affected.nodes,
      affectedEdges: affected.edges,
    };
  } finally {
    ctx.activeOps.delete(op.opId);
  }
}

/** A staged row write as table actions: one upsert/delete (or append) commit per table. */
function stagedActions(staged: StagedOperation): TableAction[] {
  return staged.commitPlan().map((p) => ({
    def: p.def,
    commits: 'one',
    commit: async (handle) =>
      p.appendOnly
        ? await handle.append(p.upserts)
        : (await handle.mergeInsert({ upserts: p.upserts, deleteIds: p.deleteIds })).version,
  }));
}

/** The one sort of an operation's tables: each action with its pin and Lance branch, in table-key order. */
function planTables(op: OperationInfo, actions: TableAction[], snapshot: Snapshot): PlannedTable[] {
  const keys = new Set(actions.map((a) => a.def.tableKey));
  if (keys.size !== actions.length)
    throw new RepoError('DuplicateTableAction', 'an operation commits each table in one action', {
      table_keys: actions.map((a) => a.def.tableKey),
    });
  const lanceBranch = op.branch === MAIN_BRANCH ? null : lanceBranchFor(op.branch);
  return actions
    .map((action) => {
      const pin = snapshot.pins.find((x) => x.tableKey === action.def.tableKey);
      if (!pin)
        throw new RepoError('TableNotPinned', `${action.def.tableKey} has no pin on ${op.branch}`, {
          table_key: action.def.tableKey,
        });
      return { action, def: action.def, tableKey: action.def.tableKey, pin, lanceBranch };
    })
    .sort(byTableKey);
}

/**
 * The Lance branch a Lancelog branch writes to. Lancelog names may contain `/`
 * (Lance's may not), so the readable part is sanitised and a hash of the full name
 * keeps distinct branches distinct. Branch names are never reused once deleted.
 */
export function lanceBranchFor(branch: string): string {
  return `${branch.replace(/[^A-Za-z0-9._-]/g, '_')}-${fnv1a64Hex(branch).slice(0, 8)}`;
}

/** A branch's first write to a table: its Lance branch is not forked (or not published) yet. */
function needsFork(t: PlannedTable): boolean {
  return t.lanceBranch !== null && t.pin.lanceBranch !== t.lanceBranch;
}

/**
 * Steps 3–8 for the planned tables. With no table to commit (and no schema change) the
 * operation begins and completes in one transaction and nothing is published.
 */
async function commit(
  ctx: OperationContext,
  op: OperationInfo,
  plan: PlannedTable[],
  planned: WritePlan<unknown>,
): Promise<CommitResult> {
  const { journal } = ctx;
  if (plan.length === 0 && !planned.schemaChange) {
    journal.recordUnstartedOperation(beginOf(op), null);
    return { commitId: null, manifestVersion: null, tables: [] };
  }
  let run: ProtocolRun = { phase: 'unjournaled' };
  let heartbeat: NodeJS.Timeout | undefined;
  try {
    // 3. Lease.
    const fast = await takeLeases(ctx, op, plan);
    run = { phase: 'lease' };
    if (!fast) for (const t of plan) await forkAndCheckHead(ctx, op, t);
    assertCatalogCurrent(ctx, op);
    await failpoint('write.after_lease', { opId: op.opId });
    // 4. Intent (on the fast path already journaled with the leases), then the sidecar.
    run = { phase: 'intent', sidecar: null };
    if (!fast) journal.recordIntent(op.opId, intentOf(plan), { commitStarted: keysOf(plan) });
    const tables = intentOf(plan).map((t, i) => ({ ...t, tablePath: plan[i].def.tablePath }));
    run = { phase: 'intent', sidecar: writeSidecar(ctx.dir, op, tables) };
    await failpoint('write.after_intent', { opId: op.opId });
    heartbeat = setInterval(() => renewLeases(journal, op.opId), HEARTBEAT_INTERVAL_MS).unref();
    invariant(sidecarOnDisk(run.sidecar), 'sidecar-durable', op, 'intent', {
      expected: `the sidecar ${run.sidecar} on disk before the first Lance commit`,
      actual: 'missing',
    });
    // 5–6. Phase B and sync.
    const commits: TableCommits = {
      attempted: plan.map(() => false),
      versions: plan.map(() => undefined),
      recorded: plan.map(() => false),
    };
    run = { phase: 'table_commit', commits };
    await commitTables(ctx, op, plan, commits);
    // 7. Publish.
    run = { phase: 'publish', commits };
    const moves = movesOf(plan, commits);
    await failpoint('write.before_publish', { opId: op.opId });
    assertPublishable(journal, op, plan);
    const result = publish(journal, op, plan, commits, moves, planned);
    run = { phase: 'published' };
    if (result.commitId === null) {
      deleteSidecar(ctx.dir, op.opId, { durable: false });
      return result;
    }
    await failpoint('write.after_publish', { opId: op.opId });
    // 8. Cleanup: a sidecar a crash leaves now is stale (the op is completed); recovery removes it.
    deleteSidecar(ctx.dir, op.opId, { durable: false });
    await failpoint('write.after_cleanup', { opId: op.opId });
    return result;
  } catch (err) {
    throw await fail(ctx, op, plan, run, err);
  } finally {
    if (heartbeat) clearInterval(heartbeat);
  }
}

function renewLeases(journal: Journal, opId: string): void {
  try {
    journal.heartbeat(opId);
  } catch {
    /* the op finished meanwhile */
  }
}

// ── 3. lease ───────────────────────────────────────────────────────────────────

/**
 * One transaction. Fast path (no lazy fork, every Lance HEAD at its pin): `op.begun` +
 * leases + intent + every table's `table.commit_started`, fsync'd. HEAD == pin is
 * checked before the lease there: the transaction's CAS (pins unchanged, no other
 * lease) means no writer that follows the protocol moved a table since, and Phase B
 * checks HEAD again under the lease before committing. Otherwise `op.begun` + leases
 * (relaxed); the forks and the HEAD check follow under the leases, then the intent.
 * Returns whether the fast path was taken.
 */
async function takeLeases(
  ctx: OperationContext,
  op: OperationInfo,
  plan: PlannedTable[],
): Promise<boolean> {
  const leases = plan.map((t) => ({
    tableKey: t.def.tableKey,
    branch: op.branch,
    expectedVersion: t.pin.version,
  }));
  const owner = { pid: process.pid, host: hostname(), leaseId: op.opId };
  const fast =
    !plan.some(needsFork) &&
    (
      await Promise.all(
        plan.map((t) =>
          ctx.store.isHead(
            t.def.tableKey,
            t.def.tablePath,
            t.pin.version,
            t.lanceBranch ?? undefined,
          ),
        ),
      )
    ).every(Boolean);
  if (fast) ctx.journal.startOperation(beginOf(op), leases, owner, intentOf(plan), keysOf(plan));
  else ctx.journal.beginWithLeases(beginOf(op), leases, owner);
  return fast;
}

/**
 * Under the lease: fork the table's Lance branch on first write to a branch (lazy
 * fork) and check Lance HEAD == pin (else the table needs recovery first).
 */
async function forkAndCheckHead(
  ctx: OperationContext,
  op: OperationInfo,
  t: PlannedTable,
): Promise<void> {
  const { store, journal } = ctx;
  const { tableKey, tablePath } = t.def;
  if (needsFork(t)) {
    const lanceBranch = t.lanceBranch!;
    // Nothing published references this Lance branch yet (the pin still points at
    // the parent's data), so a leftover from a failed first write can be replaced.
    const existing = await store.listBranches(tableKey, tablePath);
    if (existing.some((b) => b.name === lanceBranch))
      await store.deleteBranch(tableKey, tablePath, lanceBranch);
    await store.createBranch(
      tableKey,
      tablePath,
      lanceBranch,
      t.pin.version,
      t.pin.lanceBranch ?? undefined,
    );
    // The fork is durable before the journal names it (table.forked is fsync'd).
    await syncTable(store, t, t.pin.version);
    if (!journal.listForks(op.branch).some((f) => f.tableKey === tableKey))
      journal.recordFork(op.branch, tableKey, lanceBranch, t.pin.version, op.opId);
  }
  if (!(await store.isHead(tableKey, tablePath, t.pin.version, t.lanceBranch ?? undefined)))
    throw headNotAtPin(
      journal,
      op,
      t,
      await store.headVersion(tableKey, tablePath, t.lanceBranch ?? undefined),
    );
}

/** Lance HEAD is not the published pin: the table needs recovery (or doctor) first. */
function headNotAtPin(journal: Journal, op: OperationInfo, t: PlannedTable, head: number) {
  const inFlight = journal
    .inFlightOperations()
    .some((o) => o.opId !== op.opId && o.branch === op.branch);
  return recoveryRequired(t.def.tableKey, op.branch, head, t.pin.version, inFlight);
}

/**
 * Under the leases: the journal's recorded schema must be the one the writer staged
 * with. A schema change leases every table until its publish records the new schema,
 * so a writer holding a lease sees either the old schema (the change waits for the
 * lease) or the new one (then this refuses: the writer's catalog is stale).
 */
function assertCatalogCurrent(ctx: OperationContext, op: OperationInfo): void {
  const recorded = ctx.journal.recordedSchemaHash();
  const mine = schemaFingerprint(ctx.catalog);
  if (recorded === null || recorded === mine) return;
  throw new RepoError(
    'SchemaChanged',
    `operation ${op.opId} (${op.kind}) was staged with a schema that 'lancelog schema apply' has replaced (recorded ${recorded.slice(0, 12)}…, this process has ${mine.slice(0, 12)}…): reopen the repo and retry`,
    { recorded, current: mine, op_id: op.opId },
  );
}

// ── 4. intent ──────────────────────────────────────────────────────────────────

/** The version a single-commit table lands at; null (unknown) for a multi-commit one. */
function postCommitOf(t: PlannedTable): number | null {
  return t.action.commits === 'one' ? t.pin.version + 1 : null;
}

function intentOf(plan: PlannedTable[]): IntentTable[] {
  return plan.map((t) => ({
    tableKey: t.def.tableKey,
    lanceBranch: t.lanceBranch,
    expectedVersion: t.pin.version,
    postCommitVersion: postCommitOf(t),
  }));
}

function keysOf(plan: PlannedTable[]): string[] {
  return plan.map((t) => t.def.tableKey);
}

/** The sidecar was written (temp file, fsync, rename, directory fsync) and is still there. */
function sidecarOnDisk(path: string | null): boolean {
  return path !== null && existsSync(path) && statSync(path).size > 0;
}

// ── 5–6. Phase B and sync ──────────────────────────────────────────────────────

/**
 * Phase B: every table's commit(s), up to PHASE_B_CONCURRENCY tables at once, tables
 * started in table-key order (so `write.before_table_commit` is hit in that order).
 * Each table's new files are fsync'd right after its commit (docs/recovery.md
 * "Durability"), overlapping the other tables' commits. After a failure no further
 * table starts, and every commit in flight settles before the error is thrown, so the
 * in-process rollback sees every version this operation made.
 */
async function commitTables(
  ctx: OperationContext,
  op: OperationInfo,
  plan: PlannedTable[],
  commits: TableCommits,
): Promise<void> {
  const errors: unknown[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.length && errors.length === 0) {
      const i = next++;
      const t = plan[i];
      try {
        await failpoint('write.before_table_commit', { opId: op.opId, table: t.def.tableKey });
        const version = await commitTable(ctx, op, t, () => (commits.attempted[i] = true));
        commits.versions[i] = version;
        // What the commit wrote, for recovery's check before a roll-forward (commit-record.ts).
        if (version !== t.pin.version) {
          await recordCommit(ctx.store, ctx.journal, op.opId, rangeOf(t, version));
          commits.recorded[i] = true;
        }
        await failpoint('write.after_table_commit', { opId: op.opId, table: t.def.tableKey });
        // 6. Power-loss durability: the commit's Lance files reach disk before any pin names them.
        if (version !== t.pin.version) await syncTable(ctx.store, t, version);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PHASE_B_CONCURRENCY, plan.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

/**
 * Phase B for one table: its action's Lance commit(s), each checked against the promise
 * the action made (TableAction.commits). Main and already-published Lance branches
 * commit through the store's kept-open writer (no table open per write); a Lance branch
 * forked by this very operation is not published yet and may still be replaced by a
 * later first write, so it gets a handle of its own. `started` marks the table for the
 * rollback once HEAD == pin is confirmed.
 */
async function commitTable(
  ctx: OperationContext,
  op: OperationInfo,
  t: PlannedTable,
  started: () => void,
): Promise<number> {
  const { store } = ctx;
  const { tableKey, tablePath } = t.def;
  const branch = t.lanceBranch ?? undefined;
  const kept = !needsFork(t);
  const handle = kept
    ? await store.writerAt(tableKey, tablePath, t.pin.version, branch)
    : await store.openTable(tableKey, tablePath, branch ? { branch } : {});
  try {
    const at = await handle.version();
    if (at !== t.pin.version) throw headNotAtPin(ctx.journal, op, t, at);
    started();
    let last = t.pin.version;
    const version = await t.action.commit(handle, {
      pin: t.pin.version,
      committed: (v) => {
        assertCommitted(t, v > last, v, `after ${last}`);
        last = v;
        ctx.journal.tableCommitted(op.opId, tableKey, v);
      },
    });
    // Postcondition: a single commit lands at pin + 1; several move forward (or none keeps the pin).
    if (t.action.commits === 'one')
      assertCommitted(t, version === t.pin.version + 1, version, 'pin + 1');
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

/** A Lance commit range to make durable: a table's versions after `from` up to `to`. */
export interface LanceCommitRange {
  tableKey: string;
  tablePath: string;
  /** Lance branch; null for the table's main line. */
  lanceBranch: string | null;
  /** The published version the commits started from. */
  from: number;
  /** The version about to be published. */
  to: number;
  /** The Lance branch was forked after `from` was published (its fork is not durable yet). */
  forked: boolean;
}

/**
 * Step 6, the durability step before every publish (docs/recovery.md "Durability"):
 * lancedb never fsyncs, so before the journal pins a Lance version, every file the
 * commits created — data, deletion, transaction and index files, version manifests, a
 * new Lance branch's fork manifest and ref — and the directories naming them are
 * fsync'd, all tables in parallel. Also used by recovery (restores and roll-forwards)
 * and `doctor --repair`.
 */
export async function syncLanceCommit(
  store: TableStore,
  ranges: LanceCommitRange[],
): Promise<void> {
  await Promise.all(
    ranges
      .filter((r) => r.to !== r.from || r.forked)
      .map((r) =>
        store.syncVersions(r.tableKey, r.tablePath, {
          ...(r.lanceBranch !== null ? { branch: r.lanceBranch } : {}),
          fromVersion: r.from,
          toVersion: r.to,
          forked: r.forked,
        }),
      ),
  );
}

/** One planned table's versions after its pin, up to `to`. */
function rangeOf(t: PlannedTable, to: number): LanceCommitRange {
  return {
    tableKey: t.def.tableKey,
    tablePath: t.def.tablePath,
    lanceBranch: t.lanceBranch,
    from: t.pin.version,
    to,
    forked: needsFork(t),
  };
}

/** Makes one planned table's versions after its pin, up to `to`, durable. */
function syncTable(store: TableStore, t: PlannedTable, to: number): Promise<void> {
  return syncLanceCommit(store, [rangeOf(t, to)]);
}

// ── 7. publish ─────────────────────────────────────────────────────────────────

/** Every table's move, in table-key order (a 'many' table that made no commit keeps its pin). */
function movesOf(plan: PlannedTable[], commits: TableCommits): TableMove[] {
  return plan.map((t, i) => ({
    tableKey: t.def.tableKey,
    from: t.pin.version,
    to: commits.versions[i]!,
    lanceBranch: t.lanceBranch,
  }));
}

/**
 * The publish's preconditions, checked before it (a broken one rolls the operation
 * back, nothing published): this operation still holds the lease of every table it
 * publishes, and the journal's projections of the operation (its row, its leases, its
 * forks) are what its events make.
 */
function assertPublishable(journal: Journal, op: OperationInfo, plan: PlannedTable[]): void {
  const held = new Set(
    journal.listLeases({ opId: op.opId }).map((l) => `${l.branch}\0${l.tableKey}`),
  );
  const lost = plan.filter((t) => !held.has(`${op.branch}\0${t.def.tableKey}`));
  invariant(lost.length === 0, 'lease-held', op, 'publish', {
    table_key: lost[0]?.def.tableKey,
    expected: `leases on ${keysOf(plan).join(', ')}`,
    actual: `none on ${lost.map((t) => t.def.tableKey).join(', ')}`,
  });
  const mismatch = projectionMismatch(journal, op);
  invariant(mismatch === null, 'projections-match', op, 'publish', mismatch ?? {});
}

/**
 * Where the stored projections of an operation in flight (before its publish: its
 * events then need no other state to replay) differ from its replayed events, or null.
 */
export function projectionMismatch(
  journal: Journal,
  op: Pick<OperationInfo, 'opId' | 'branch'>,
): { projection: string; expected: unknown; actual: unknown } | null {
  const state = replay(journal.listEvents({ opId: op.opId }));
  const sorted = <T extends { branch: string; tableKey: string }>(rows: T[]) =>
    [...rows].sort((a, b) =>
      a.branch < b.branch ? -1 : a.branch > b.branch ? 1 : byTableKey(a, b),
    );
  const pairs: Array<[string, unknown, unknown]> = [
    ['operations', operationOf(state, op.opId) ?? null, journal.getOperation(op.opId)],
    ['leases', sorted(leasesOf(state, op.opId)), sorted(journal.listLeases({ opId: op.opId }))],
    [
      'forks',
      sorted(allRows<ForkRow>(state, 'forks')),
      sorted(journal.listForks(op.branch).filter((f) => f.opId === op.opId)),
    ],
  ];
  for (const [projection, expected, actual] of pairs)
    if (!isDeepStrictEqual(expected, actual)) return { projection, expected, actual };
  return null;
}

/**
 * Phase C, the commit point: every moved table's pin compared-and-set (and a schema
 * change's tables pinned and unpinned), the manifest, the commit, the last Lance
 * commits' `table.committed` and `op.completed`, one transaction. With no table moved
 * and no schema change the operation just completes.
 */
function publish(
  journal: Journal,
  op: OperationInfo,
  plan: PlannedTable[],
  commits: TableCommits,
  moves: TableMove[],
  planned: WritePlan<unknown>,
): CommitResult {
  const change = planned.schemaChange;
  // The commits not recorded in Phase B, and a schema change's new tables with their digests.
  const committed = [
    ...plan.flatMap((t, i) =>
      commits.recorded[i] ? [] : [{ tableKey: t.def.tableKey, version: commits.versions[i]! }],
    ),
    ...(change?.newTables ?? []).filter((t) => t.files !== undefined),
  ];
  const moved = moves.filter((m) => m.to !== m.from);
  if (moved.length === 0 && !change) {
    journal.completeOperation(op.opId, { committed });
    return { commitId: null, manifestVersion: null, tables: [] };
  }
  const result = journal.publish({
    opId: op.opId,
    branch: op.branch,
    actor: op.actor,
    message: op.message,
    mergedParentId: planned.mergedParentId ?? null,
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
    ...(op.ifCommit !== undefined ? { expectedHeadCommit: op.ifCommit } : {}),
    ...(change
      ? { unpin: change.unpin, schema: { hash: change.hash, source: change.source } }
      : {}),
  });
  return { commitId: result.commitId, manifestVersion: result.manifestVersion, tables: moved };
}

// ── failure: in-process rollback ───────────────────────────────────────────────

/**
 * The failure path, by phase; returns the error to give the caller. The rule (docs/
 * recovery.md "Told failed → rolled back"): a caller is told "failed" only once the
 * failure is journaled, so recovery rolls the operation back, never forward.
 * Before anything was journaled: op.begun + op.failed + op.rolled_back in one
 * transaction. Before Phase B: op.failed, the sidecar removed, op.rolled_back. From
 * Phase B on: every Lance version made is journaled, op.failed, then the in-process
 * rollback. Once op.failed is journaled, a failing cleanup or rollback is left to
 * recovery and the caller gets the original error. If op.failed itself cannot be
 * journaled after Phase B began, the outcome is recovery's: OutcomeUnknown. After the
 * publish the operation is visible and completed: nothing to undo (a sidecar left
 * behind is stale; recovery removes it).
 */
async function fail(
  ctx: OperationContext,
  op: OperationInfo,
  plan: PlannedTable[],
  run: ProtocolRun,
  err: unknown,
): Promise<unknown> {
  const { journal } = ctx;
  const error = errorInfo(err);
  switch (run.phase) {
    case 'published':
      return err;
    case 'unjournaled':
      // Refused before anything was journaled (a lease held, a pin moved, HEAD != pin).
      recordRefusal(() => journal.recordUnstartedOperation(beginOf(op), { error, phase: 'lease' }));
      return refused(err);
    case 'lease':
    case 'intent':
      // No Lance commit began: should op.failed not be journaled, recovery finds every
      // table at its pin (NoMovement) and rolls back all the same.
      recordRefusal(() => {
        journal.failOperation(op.opId, error, run.phase);
        if (run.phase === 'intent' && run.sidecar !== null) deleteSidecar(ctx.dir, op.opId);
        journal.rolledBack(op.opId, []);
      });
      return refused(err);
    case 'table_commit':
    case 'publish':
      try {
        // The journal records every Lance version this operation made, also one it now undoes.
        plan.forEach((t, i) => {
          const version = run.commits.versions[i];
          if (version !== undefined && !run.commits.recorded[i])
            journal.tableCommitted(op.opId, t.def.tableKey, version);
        });
        journal.failOperation(op.opId, error, run.phase);
      } catch (journalErr) {
        return await outcomeUnknown(ctx, op, plan, run, err, journalErr);
      }
      try {
        await rollBackInProcess(ctx, op, plan, run.commits);
      } catch {
        // op.failed is journaled: recovery rolls back what this rollback could not.
      }
      return refused(err);
  }
}

/**
 * Journals a refusal when it can. When it cannot (a full disk), nothing the refusal
 * would have recorded is needed: no Lance commit began, so the refusal stands.
 */
function recordRefusal(record: () => void): void {
  try {
    record();
  } catch {
    // See above: recovery rolls back an operation left in flight with no Lance commit.
  }
}

/**
 * A refused write: a system failure's message says "nothing was published", which is
 * true here only (the failure is journaled, or nothing was); elsewhere it is not said.
 */
function refused(err: unknown): unknown {
  const code = err instanceof LancelogError ? systemCodeOf(err.code) : undefined;
  if (code === undefined || !(err instanceof LancelogError)) return err;
  return systemError(code, `${err.message} (nothing was published)`, err.details);
}

function systemCodeOf(code: string): SystemCode | undefined {
  return code === 'DiskFull' || code === 'PermissionDenied' || code === 'ReadOnlyRepo'
    ? code
    : undefined;
}

/**
 * op.failed could not be journaled after Phase B began: what recovery will decide
 * follows from what is on disk (src/recovery/classify.ts, with the lease held so
 * pin == expected): RollForward when every table made its one commit (HEAD == pin + 1),
 * RollBack otherwise. The in-process rollback is not tried: it could not be journaled
 * either, and a half-done restore would only change what recovery sees.
 */
async function outcomeUnknown(
  ctx: OperationContext,
  op: OperationInfo,
  plan: PlannedTable[],
  run: Extract<ProtocolRun, { phase: 'table_commit' | 'publish' }>,
  err: unknown,
  journalErr: unknown,
): Promise<OutcomeUnknown> {
  const { phase } = run;
  const tables = await Promise.all(
    plan.map(async (t, i) => ({
      table_key: t.def.tableKey,
      pin: t.pin.version,
      head: await ctx.store
        .headVersion(t.def.tableKey, t.def.tablePath, t.lanceBranch ?? undefined)
        .catch(() => null),
      // Recovery rolls a table forward only when its table.committed (with the files'
      // checksums) reached the journal: Phase B records it right after the commit.
      whole: t.action.commits === 'one' && run.commits.recorded[i] === true,
    })),
  );
  const forward = tables.every((t) => t.whole && t.head === t.pin + 1);
  return new OutcomeUnknown({
    op_id: op.opId,
    phase,
    recover_decides: forward ? 'RollForward' : 'RollBack',
    tables: tables.map(({ table_key, pin, head }) => ({ table_key, pin, head })),
    cause: errorInfo(err).message,
    journal_cause: errorInfo(journalErr).message,
  });
}

/** Restores every table this operation moved and publishes the restored versions (I1 again). */
async function rollBackInProcess(
  ctx: OperationContext,
  op: OperationInfo,
  plan: PlannedTable[],
  commits: TableCommits,
): Promise<void> {
  const { store, journal } = ctx;
  const moves: Array<TableMove & { table: PlannedTable }> = [];
  await failpoint('write.before_rollback', { opId: op.opId });
  // A table whose commit never started is left alone: if its HEAD is off the pin,
  // that is not this operation's doing (doctor's lance-ahead-of-pin).
  for (const t of plan.filter((_, i) => commits.attempted[i])) {
    const handle = await store.openTable(
      t.def.tableKey,
      t.def.tablePath,
      t.lanceBranch ? { branch: t.lanceBranch } : {},
    );
    try {
      if ((await handle.version()) !== t.pin.version) {
        const restored = await handle.restore(t.pin.version);
        const move = { tableKey: t.def.tableKey, from: t.pin.version, to: restored };
        moves.push({ ...move, lanceBranch: t.lanceBranch, table: t });
      }
    } finally {
      handle.close();
    }
  }
  // The restores' own records (their files' checksums), then their sync and publish.
  await recordCommits(
    store,
    journal,
    op.opId,
    moves.map((m) => ({ ...rangeOf(m.table, m.to), from: m.from })),
  );
  await Promise.all(moves.map((m) => syncTable(store, m.table, m.to)));
  await failpoint('write.before_rollback_publish', { opId: op.opId });
  if (moves.length > 0)
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
  journal.rolledBack(
    op.opId,
    moves.map((m) => ({ tableKey: m.tableKey, from: m.from, to: m.to })),
  );
  deleteSidecar(ctx.dir, op.opId);
}

// ── shared ─────────────────────────────────────────────────────────────────────

function beginOf(op: OperationInfo): BeginArgs {
  return { opId: op.opId, kind: op.kind, branch: op.branch, actor: op.actor };
}

function errorInfo(err: unknown): { code: string; message: string } {
  return err instanceof LancelogError
    ? { code: err.code, message: err.message }
    : { code: 'InternalError', message: err instanceof Error ? err.message : String(err) };
}

/**
 * An assertion of the protocol: a promise one of its phases makes (docs/writes.md
 * §Assertions). Broken, it stops the operation with InvariantBroken before anything is
 * published; the failure path then rolls it back like any other error.
 */
function invariant(
  holds: boolean,
  name: string,
  op: OperationInfo,
  phase: Phase,
  details: Record<string, unknown>,
): asserts holds {
  if (!holds) throw new InvariantBroken(name, { op_id: op.opId, phase, ...details });
}
