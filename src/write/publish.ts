/**
 * The write protocol's ends (src/write/protocol.ts): Phase C (the atomic publish) and
 * Phase D (sidecar cleanup) after Phase B, or the in-process rollback of a failed one.
 */
import { failpoint } from '../failpoints.js';
import { recordCommits } from './commit-record.js';
import { deleteSidecar } from './sidecar.js';
import { syncLanceCommit } from './sync-commit.js';
import { commitRanges } from './table-commits.js';
import type {
  CommitResult,
  OperationInfo,
  PlannedTable,
  ProtocolRun,
  PublishExtras,
  TableMove,
  WriteContext,
} from './protocol-types.js';

export function sortedByTable<T extends { tableKey: string }>(xs: T[]): T[] {
  return [...xs].sort((a, b) => (a.tableKey < b.tableKey ? -1 : a.tableKey > b.tableKey ? 1 : 0));
}

/** Phase C (the publish, with the last commits and op.completed) and Phase D (sidecar). */
export async function publishMoves(
  ctx: WriteContext,
  op: OperationInfo,
  plan: PlannedTable[],
  moves: TableMove[],
  run: ProtocolRun,
  extras: PublishExtras,
): Promise<CommitResult> {
  const { journal } = ctx;
  const change = extras.schemaChange;
  // A schema change's new tables: their first version's file digests, with the publish.
  const committed = sortedByTable([
    ...run.unrecorded,
    ...(change?.newTables ?? []).filter((t) => t.files !== undefined),
  ]);
  // A 'many' table that made no commit keeps its pin and is not published.
  const moved = moves.filter((m) => m.to !== m.from);
  await failpoint('write.before_publish', { opId: op.opId });
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
    ...(op.ifCommit !== undefined ? { expectedHeadCommit: op.ifCommit } : {}),
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

/** Restores every table this operation moved and publishes the restored versions (I1 again). */
export async function rollBackInProcess(
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
  await recordCommits(store, journal, op.opId, commitRanges(plan, moves));
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
