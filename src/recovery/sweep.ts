/**
 * The recovery sweep (docs/recovery.md): every in-flight operation, oldest first,
 * each classified against fresh state on its own branch, decided all-or-nothing,
 * and applied as an operation of its own (kind Recovery, actor lancelog:recovery)
 * with events recovery.classified / decided / applied, a graph commit and an
 * audit row. Idempotent: crashing inside recovery and recovering again converges.
 */
import type { DetailsOf } from '../error-codes.js';
import { LancelogError } from '../errors.js';
import { failpoint } from '../failpoints.js';
import type { Catalog, TypeDef } from '../schema/types.js';
import { findType } from '../schema/lookup.js';
import type { Journal, TablePin } from '../journal/index.js';
import type { TableStore } from '../storage/index.js';
import {
  deleteSidecar,
  listSidecars,
  recordCommits,
  syncLanceCommit,
  type LanceCommitRange,
} from '../write/protocol/index.js';
import { commitFileProblems, observeHead, rollBackTable } from './commit-check.js';
import { classifyTable, decide, type RecoveryClass, type RecoveryDecision } from './classify.js';
import { DEFAULT_LEASE_TIMEOUT_MS, ownerState, type OwnerState } from './liveness.js';
import { findPending, type PendingOperation } from './observe.js';

export const RECOVERY_ACTOR = 'lancelog:recovery';

export type RecoveryMode = 'Full' | 'RollForwardOnly';

export interface RecoveryContext {
  dir: string;
  store: TableStore;
  journal: Journal;
  catalog: Catalog;
  activeOps: Set<string>;
  leaseTimeoutMs?: number;
}

export interface ObservedTable {
  tableKey: string;
  lanceBranch: string | null;
  head: number | null;
  pin: number;
  pinLanceBranch: string | null;
  expected: number;
  postCommit: number | null;
  committed: number | null;
  class: RecoveryClass;
  /** Lance could not open the newest version (`head` is the newest by file name). */
  headUnreadable: boolean;
  /** Why the committed version is not rolled forward: its damaged or unrecorded files. */
  damage: string[];
}

export interface RecoveryEntry {
  opId: string;
  kind: string;
  branch: string;
  actor: string | null;
  owner: OwnerState;
  source: 'journal' | 'sidecar' | 'journal+sidecar';
  tables: ObservedTable[];
  decision: RecoveryDecision | null;
  /** What applying the decision does (or did). */
  actions: string[];
  status: 'applied' | 'planned' | 'skipped' | 'aborted';
  skippedReason?: string;
  recoveryOpId?: string;
  commitId?: string;
  moves?: Array<{ tableKey: string; from: number; to: number }>;
}

export interface RecoveryReport {
  mode: RecoveryMode;
  dryRun: boolean;
  operations: RecoveryEntry[];
  staleSidecarsRemoved: string[];
  errors: Array<{ error: string; code: string; details: Record<string, unknown> }>;
}

/** Recovery could not finish; details as the error-code table lists them. */
export class RecoveryAborted extends LancelogError {
  constructor(message: string, details: DetailsOf<'RecoveryAborted'>) {
    super('RecoveryAborted', message, details);
  }
}

function typeOf(catalog: Catalog, tableKey: string): TypeDef {
  const def = findType(catalog, tableKey);
  if (!def)
    throw new RecoveryAborted(
      `an in-flight operation names table ${tableKey}, which the schema does not have`,
      { table_key: tableKey },
    );
  return def;
}

async function observe(ctx: RecoveryContext, op: PendingOperation): Promise<ObservedTable[]> {
  const pins = new Map<string, TablePin>(
    ctx.journal.latestPins(op.branch).map((p) => [p.tableKey, p]),
  );
  const out: ObservedTable[] = [];
  for (const t of op.intent) {
    const def = typeOf(ctx.catalog, t.tableKey);
    const pin = pins.get(t.tableKey);
    if (!pin)
      throw new RecoveryAborted(`${t.tableKey} has no pin on branch ${op.branch}`, {
        table_key: t.tableKey,
        branch: op.branch,
      });
    const { head, unreadable } = await observeHead(ctx.store, def, t.lanceBranch);
    const committed = op.committed.get(t.tableKey) ?? null;
    const obs = {
      tableKey: t.tableKey,
      head: head ?? pin.version,
      pin: pin.version,
      expected: t.expected,
      postCommit: t.postCommit,
      committed,
    };
    // Before a roll-forward: the committed version's files must be what was written.
    const damage =
      classifyTable(obs) === 'RolledPastExpected'
        ? await commitFileProblems(
            ctx.store,
            def,
            t.lanceBranch,
            obs.head,
            op.committedFiles.get(t.tableKey),
          )
        : unreadable !== null && obs.head > pin.version
          ? [unreadable]
          : [];
    out.push({
      tableKey: t.tableKey,
      lanceBranch: t.lanceBranch,
      head,
      pin: pin.version,
      pinLanceBranch: pin.lanceBranch,
      expected: t.expected,
      postCommit: t.postCommit,
      committed,
      class: classifyTable({ ...obs, filesVerified: damage.length === 0 }),
      headUnreadable: unreadable !== null,
      damage,
    });
  }
  return out;
}

function plannedActions(
  decision: RecoveryDecision,
  tables: ObservedTable[],
  op: PendingOperation,
): string[] {
  const actions: string[] = [];
  switch (decision) {
    case 'Cleanup':
      actions.push('the operation was published: finish its cleanup');
      break;
    case 'Abort':
      for (const t of tables.filter((x) => x.class === 'InvariantViolation'))
        actions.push(
          `ABORT: ${t.tableKey} Lance HEAD ${t.head} is below its pin ${t.pin}; touching nothing`,
        );
      break;
    case 'RollForward':
      for (const t of tables)
        if (t.head !== t.pin || t.lanceBranch !== t.pinLanceBranch)
          actions.push(`publish ${t.tableKey} ${t.pin} → ${t.head}`);
      break;
    case 'RollBack':
      if (op.failed)
        actions.push('its caller was told it failed (op.failed): never publish it, roll it back');
      for (const t of tables) {
        if (t.damage.length > 0)
          actions.push(
            `${t.tableKey} version ${t.head} is not rolled forward: ${t.damage.join('; ')}`,
          );
        if (t.head === null || t.head === t.pin) continue;
        const line = t.lanceBranch ? ` (Lance branch ${t.lanceBranch})` : '';
        actions.push(
          t.headUnreadable
            ? `remove the manifests of the unpublished versions ${t.pin + 1}..${t.head} of ${t.tableKey}${line} (Lance cannot open them), so its HEAD is the pin ${t.pin} again`
            : `restore ${t.tableKey}${line} to version ${t.pin} and publish the restored version`,
        );
      }
      if (actions.length === (op.failed ? 1 : 0))
        actions.push('nothing was committed: mark the operation rolled back');
      break;
  }
  if (decision !== 'Abort') {
    if (op.hasSidecar) actions.push(`delete sidecar __recovery/${op.opId}.json`);
    actions.push('release its leases; record a lancelog:recovery commit and an audit row');
  }
  return actions;
}

/** Marks a crashed recovery operation finished (it only ever held leases; its originals are re-run). */
function retireCrashedRecovery(ctx: RecoveryContext, op: PendingOperation): void {
  ctx.journal.failOperation(
    op.opId,
    { code: 'Crashed', message: 'the recovery process died; the recovery is re-run' },
    'recovery',
  );
  ctx.journal.rolledBack(op.opId, []);
}

type Move = { tableKey: string; from: number; to: number; lanceBranch: string | null };

/**
 * Takes over the crashed owner's leases so the observation that follows happens
 * under our own lease (no writer can move the tables while we decide).
 */
function takeOverLeases(ctx: RecoveryContext, op: PendingOperation, recOpId: string): void {
  const { journal } = ctx;
  if (op.inJournal) journal.releaseLeases(op.opId);
  const pins = new Map(journal.latestPins(op.branch).map((p) => [p.tableKey, p]));
  const tableKeys = [...new Set(op.intent.map((t) => t.tableKey))].sort();
  // A published operation (Cleanup) moves no table: it needs no lease, and a newer
  // writer may legitimately hold its tables by now.
  if (tableKeys.length > 0 && !op.published) {
    journal.acquireLeases(
      recOpId,
      tableKeys.map((k) => ({
        tableKey: k,
        branch: op.branch,
        expectedVersion: pins.get(k)?.version ?? null,
      })),
    );
  }
}

/** Journals what each table was observed as (recovery.classified). */
function recordClassified(
  journal: Journal,
  recOpId: string,
  opId: string,
  tables: ObservedTable[],
): void {
  journal.recoveryClassified(
    recOpId,
    opId,
    tables.map((t) => ({
      tableKey: t.tableKey,
      head: t.head ?? t.pin,
      pin: t.pin,
      expected: t.expected,
      committed: t.committed,
      class: t.class,
    })),
  );
}

/** RollForward: every table whose HEAD (or Lance branch) moved past its pin is published as is. */
function rollForwardMoves(tables: ObservedTable[]): Move[] {
  const moves: Move[] = [];
  for (const t of tables) {
    if (t.head !== null && (t.head !== t.pin || t.lanceBranch !== t.pinLanceBranch))
      moves.push({ tableKey: t.tableKey, from: t.pin, to: t.head, lanceBranch: t.lanceBranch });
  }
  return moves;
}

/**
 * RollBack: restores every moved table to its pin, one table at a time (the failpoint
 * after each restore lets drills crash between two tables), and returns the restored
 * versions to publish.
 */
async function rollBackTables(
  ctx: RecoveryContext,
  op: PendingOperation,
  tables: ObservedTable[],
  entry: RecoveryEntry,
): Promise<Move[]> {
  const moves: Move[] = [];
  for (const t of tables) {
    if (t.head === null || t.head === t.pin) continue;
    const def = typeOf(ctx.catalog, t.tableKey);
    const { restored, dropped } = await rollBackTable(ctx.store, def, t);
    if (restored !== null)
      moves.push({ tableKey: t.tableKey, from: t.pin, to: restored, lanceBranch: t.lanceBranch });
    if (dropped.length > 0)
      entry.actions.push(`removed ${t.tableKey}'s unpublished manifests ${dropped.join(', ')}`);
    await failpoint('recovery.after_restore', { opId: op.opId, table: t.tableKey });
  }
  return moves;
}

/**
 * Power-loss durability of what is about to be published: the crashed writer's commits
 * (RollForward: it never reached its own sync) or the restores (RollBack).
 */
async function syncMoves(
  ctx: RecoveryContext,
  tables: ObservedTable[],
  moves: Move[],
): Promise<void> {
  await syncLanceCommit(ctx.store, ranges(ctx, tables, moves));
}

function ranges(ctx: RecoveryContext, tables: ObservedTable[], moves: Move[]): LanceCommitRange[] {
  return moves.map((m) => {
    const t = tables.find((x) => x.tableKey === m.tableKey)!;
    return {
      ...m,
      tablePath: typeOf(ctx.catalog, m.tableKey).tablePath,
      forked: m.lanceBranch !== null && m.lanceBranch !== t.pinLanceBranch,
    };
  });
}

/**
 * Publishes the moves as the recovery's own graph commit, then journals
 * recovery.applied, deletes the crashed operation's sidecar and completes the
 * recovery operation — in that order, so a crash at any point re-runs idempotently.
 */
async function publishMoves(
  ctx: RecoveryContext,
  op: PendingOperation,
  recOpId: string,
  decision: RecoveryDecision,
  moves: Move[],
  entry: RecoveryEntry,
): Promise<void> {
  const { journal } = ctx;
  const published = journal.publish({
    opId: recOpId,
    branch: op.branch,
    actor: RECOVERY_ACTOR,
    message: `recovery of ${op.opId}: ${decision}`,
    tables: moves.map((m) => ({
      tableKey: m.tableKey,
      expectedVersion: m.from,
      newVersion: m.to,
      lanceBranch: m.lanceBranch,
    })),
  });
  entry.commitId = published.commitId;
  await failpoint('recovery.after_publish', { opId: op.opId });
  journal.recoveryApplied(
    recOpId,
    op.opId,
    decision,
    moves.map(({ tableKey, from, to }) => ({ tableKey, from, to })),
  );
  entry.moves = moves.map(({ tableKey, from, to }) => ({ tableKey, from, to }));
  deleteSidecar(ctx.dir, op.opId);
  journal.completeOperation(recOpId);
  entry.status = 'applied';
}

/**
 * Applies one operation's recovery as an operation of its own: take over its leases,
 * re-observe and classify, decide, move the tables (roll forward or restore), sync,
 * publish. Abort journals the decision and touches nothing.
 */
async function apply(
  ctx: RecoveryContext,
  op: PendingOperation,
  entry: RecoveryEntry,
): Promise<void> {
  const { journal } = ctx;
  const recOpId = journal.beginOperation({
    kind: 'Recovery',
    branch: op.branch,
    actor: RECOVERY_ACTOR,
  });
  ctx.activeOps.add(recOpId);
  entry.recoveryOpId = recOpId;
  try {
    takeOverLeases(ctx, op, recOpId);
    const tables = await observe(ctx, op);
    entry.tables = tables;
    recordClassified(journal, recOpId, op.opId, tables);
    await failpoint('recovery.after_classify', { opId: op.opId });
    const decision = decide({
      published: op.published,
      failed: op.failed,
      classes: tables.map((t) => t.class),
    });
    entry.decision = decision;
    entry.actions = plannedActions(decision, tables, op);
    journal.recoveryDecided(recOpId, op.opId, decision);
    if (decision === 'Abort') {
      journal.recoveryApplied(recOpId, op.opId, 'Abort', []);
      journal.completeOperation(recOpId);
      entry.status = 'aborted';
      return;
    }
    const moves =
      decision === 'RollForward'
        ? rollForwardMoves(tables)
        : decision === 'RollBack'
          ? await rollBackTables(ctx, op, tables, entry)
          : [];
    if (decision === 'RollBack')
      await recordCommits(ctx.store, journal, recOpId, ranges(ctx, tables, moves));
    await syncMoves(ctx, tables, moves);
    await failpoint('recovery.before_publish', { opId: op.opId });
    await publishMoves(ctx, op, recOpId, decision, moves, entry);
  } finally {
    // On a throw the recovery operation stays in flight: the next sweep retires it and re-runs.
    ctx.activeOps.delete(recOpId);
  }
}

function newEntry(op: PendingOperation, owner: OwnerState, dryRun: boolean): RecoveryEntry {
  return {
    opId: op.opId,
    kind: op.kind,
    branch: op.branch,
    actor: op.actor,
    owner,
    source:
      op.inJournal && op.hasSidecar ? 'journal+sidecar' : op.inJournal ? 'journal' : 'sidecar',
    tables: [],
    decision: null,
    actions: [],
    status: dryRun ? 'planned' : 'skipped',
  };
}

/**
 * Settles what can be settled without applying a decision (a live owner, an unreadable
 * sidecar, a crashed recovery) and plans the rest. Returns true when the operation's
 * decision should be applied now.
 */
async function triage(
  ctx: RecoveryContext,
  op: PendingOperation,
  entry: RecoveryEntry,
  mode: RecoveryMode,
  dryRun: boolean,
): Promise<boolean> {
  const owner = entry.owner;
  if (owner === 'alive' || owner === 'self-active') {
    entry.status = 'skipped';
    entry.skippedReason =
      owner === 'self-active'
        ? 'the operation is running in this process'
        : `its owner (pid ${op.owner?.pid} on ${op.owner?.host}) is alive`;
    return false;
  }
  if (op.unreadableSidecar) {
    entry.status = 'aborted';
    entry.skippedReason = `its sidecar ${op.unreadableSidecar.file} is unreadable: ${op.unreadableSidecar.error.details.reason as string}`;
    entry.actions = ['touch nothing: fix or remove the sidecar, then recover again'];
    return false;
  }
  if (op.kind === 'Recovery') {
    entry.actions = [
      'a recovery that died: mark it finished and release its leases (its original operation is recovered again)',
    ];
    if (!dryRun) {
      retireCrashedRecovery(ctx, op);
      entry.status = 'applied';
    }
    return false;
  }
  // Plan against the current state (without a lease; apply re-observes under one).
  entry.tables = await observe(ctx, op);
  const decision = decide({
    published: op.published,
    failed: op.failed,
    classes: entry.tables.map((t) => t.class),
  });
  entry.decision = decision;
  entry.actions = plannedActions(decision, entry.tables, op);
  if (
    mode === 'RollForwardOnly' &&
    owner !== 'dead' &&
    (decision === 'RollBack' || decision === 'Abort')
  ) {
    entry.status = 'skipped';
    entry.skippedReason = `${decision} is deferred to the next read-write open (the owner is not provably dead)`;
    return false;
  }
  return !dryRun;
}

/**
 * Adds every Abort decision to the report's errors and, unless dryRun, raises them
 * all at once (after everything else was processed).
 */
function raiseErrors(report: RecoveryReport): void {
  const aborted = report.operations.filter((o) => o.status === 'aborted' && !o.skippedReason);
  for (const a of aborted) {
    report.errors.push(
      new RecoveryAborted(`operation ${a.opId} aborted: ${a.actions.join('; ')}`, {
        op_id: a.opId,
        tables: a.tables,
      }).toJSON(),
    );
  }
  if (!report.dryRun && report.errors.length > 0) {
    throw new RecoveryAborted(
      `recovery could not finish: ${report.errors.map((e) => e.error).join('; ')}`,
      { errors: report.errors, report },
    );
  }
}

/**
 * Runs (or, with dryRun, only plans) recovery. Full applies every decision;
 * RollForwardOnly applies only Cleanup and RollForward unless the owner is provably
 * dead. Operations whose owner is alive are never touched. Unreadable sidecars and
 * Abort decisions are reported and, unless dryRun, raised as RecoveryAborted after
 * everything else was processed.
 */
export async function runRecovery(
  ctx: RecoveryContext,
  opts: { mode: RecoveryMode; dryRun?: boolean },
): Promise<RecoveryReport> {
  const dryRun = opts.dryRun ?? false;
  const leaseTimeoutMs = ctx.leaseTimeoutMs ?? DEFAULT_LEASE_TIMEOUT_MS;
  const pending = findPending(ctx.dir, ctx.journal);
  const report: RecoveryReport = {
    mode: opts.mode,
    dryRun,
    operations: [],
    staleSidecarsRemoved: [],
    errors: [],
  };
  for (const u of pending.unreadable) report.errors.push(u.error.toJSON());
  for (const opId of pending.staleSidecars) {
    if (!dryRun) deleteSidecar(ctx.dir, opId);
    report.staleSidecarsRemoved.push(opId);
  }
  for (const op of pending.operations) {
    const owner = ownerState(op.opId, op.owner, ctx.activeOps, leaseTimeoutMs);
    const entry = newEntry(op, owner, dryRun);
    report.operations.push(entry);
    if (await triage(ctx, op, entry, opts.mode, dryRun)) await apply(ctx, op, entry);
  }
  raiseErrors(report);
  return report;
}

/** The steady-state check refresh() pays when nothing is pending. */
export function recoveryPending(ctx: Pick<RecoveryContext, 'dir' | 'journal'>): boolean {
  return ctx.journal.inFlightOperations().length > 0 || listSidecars(ctx.dir).length > 0;
}
