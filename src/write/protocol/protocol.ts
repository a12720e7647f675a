/**
 * The write protocol (docs/architecture.md §Life of a write), one code path for every writer:
 * lease → Phase A intent (sidecar + journal) → Phase B one Lance commit per table →
 * Phase C atomic publish → Phase D cleanup. A failure after Phase B began is undone
 * in-process while the leases are still held. A crash leaves sidecar, journal and
 * leases for recovery. Phase B is src/write/protocol/table-commits.ts; Phase C/D and the
 * in-process rollback are src/write/protocol/publish.ts.
 */
import { hostname } from 'node:os';
import type { Catalog } from '../../schema/types.js';
import { schemaFingerprint } from '../../schema/index.js';
import type { BeginArgs, Journal, Snapshot } from '../../journal/index.js';
import { LancelogError, RepoError } from '../../errors.js';
import { failpoint } from '../../failpoints.js';
import { lanceBranchFor } from './lance-branch.js';
import { deleteSidecar, writeSidecar, SIDECAR_SCHEMA_VERSION } from './sidecar.js';
import type { StagedOperation } from './staging/staging.js';
import { commitAll, prepareTable } from './table-commits.js';
import { publishMoves, rollBackInProcess, sortedByTable } from './publish.js';
import type {
  CommitResult,
  OperationInfo,
  PlannedTable,
  ProtocolRun,
  PublishExtras,
  TableAction,
  WriteContext,
} from './protocol-types.js';

export type {
  CommitResult,
  OperationInfo,
  PublishExtras,
  TableAction,
  TableCommitStep,
  TableMove,
  WriteContext,
} from './protocol-types.js';
export { PHASE_B_CONCURRENCY } from './table-commits.js';

export const HEARTBEAT_INTERVAL_MS = 2_000;

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

function beginOf(op: OperationInfo): BeginArgs {
  return { opId: op.opId, kind: op.kind, branch: op.branch, actor: op.actor };
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

/** The version a single-commit table lands at; null (unknown) for a multi-commit one. */
function postCommitOf(t: PlannedTable): number | null {
  return t.commits === 'one' ? t.pin.version + 1 : null;
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
