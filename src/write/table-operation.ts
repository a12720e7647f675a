/**
 * The write protocol's entry for writers that are not a staged row upsert — index
 * builds, optimize, schema changes, merges, chunked loads: the caller plans one
 * `TableAction` per table from the snapshot, and the protocol runs lease → intent →
 * Phase B (each action's commits) → one publish → cleanup, exactly as for a mutation.
 */
import { Journal, type OperationKind, type Snapshot } from '../journal/index.js';
import { failpoint } from '../failpoints.js';
import { commitTables, type PublishExtras, type TableAction } from './protocol.js';
import {
  assertIfCommit,
  recordStageFailure,
  type OperationContext,
  type OperationOptions,
  type OperationOutcome,
} from './operation.js';

export type { TableAction, TableCommitStep } from './protocol.js';

export interface TablePlan<T> {
  actions: TableAction[];
  value: T;
  /** Second parent of the commit this publish makes (a merge). */
  mergedParentId?: string | null;
  /** A schema change the publish records (`lancelog schema apply`; PublishExtras). */
  schemaChange?: PublishExtras['schemaChange'];
}

/**
 * plan(snapshot) (a failure here is `op.begun` + `op.failed` in phase 'stage' +
 * `op.rolled_back`, nothing else written) → the protocol over the planned actions. No actions: the operation
 * completes and nothing is published (`commitId` null).
 */
export async function runTableOperation<T>(
  ctx: OperationContext,
  kind: OperationKind,
  opts: OperationOptions,
  plan: (snapshot: Snapshot) => Promise<TablePlan<T>>,
): Promise<OperationOutcome<T>> {
  const branch = opts.branch ?? 'main';
  const actor = opts.actor ?? 'lancelog';
  const snapshot = ctx.journal.snapshot({ branch });
  assertIfCommit(snapshot, opts);
  // op.begun is journaled with the leases and intent (one transaction, protocol.ts).
  const opId = Journal.newOperationId();
  ctx.activeOps.add(opId);
  try {
    let planned: TablePlan<T>;
    try {
      await failpoint('write.after_begin', { opId });
      planned = await plan(snapshot);
    } catch (err) {
      recordStageFailure(ctx, { opId, kind, branch, actor }, err);
      throw err;
    }
    const result = await commitTables(
      ctx,
      { opId, begun: false, kind, branch, actor, message: opts.message, ifCommit: opts.ifCommit },
      planned.actions,
      snapshot,
      {
        mergedParentId: planned.mergedParentId ?? null,
        ...(planned.schemaChange ? { schemaChange: planned.schemaChange } : {}),
      },
    );
    return { ...result, opId, value: planned.value, affectedNodes: 0, affectedEdges: 0 };
  } finally {
    ctx.activeOps.delete(opId);
  }
}
