/**
 * One operation from begin to end: an op id, staging through a callback, cross-row
 * validation, then the protocol, whose first transaction records `op.begun`. A failure
 * while staging (bad input, validation) is recorded as `op.begun` + `op.failed` +
 * `op.rolled_back` (one transaction) and changes no table.
 */
import type { Catalog, TypeDef } from '../schema/types.js';
import {
  Journal,
  preconditionFailed,
  type BeginArgs,
  type Snapshot,
  type TablePin,
} from '../journal/index.js';
import type { TableHandle } from '../storage/index.js';
import type { EmbeddingClient } from '../embed/index.js';
import { LancelogError, RepoError } from '../errors.js';
import { failpoint } from '../failpoints.js';
import { commitStaged, type CommitResult, type WriteContext } from './protocol.js';
import { StagedOperation, type CommittedReader } from './staging.js';

export interface OperationOptions {
  branch?: string;
  actor?: string;
  message?: string;
  /**
   * A conditional write: run only if the branch head is still this commit, checked
   * before anything is journaled and again atomically in the publish transaction
   * (PreconditionFailed, exit 4 / HTTP 412; nothing is published).
   */
  ifCommit?: string;
}

/** The early check of a conditional write: before anything is journaled. */
export function assertIfCommit(snapshot: Snapshot, opts: OperationOptions): void {
  if (opts.ifCommit !== undefined && snapshot.commitId !== opts.ifCommit)
    throw preconditionFailed(snapshot.branch, opts.ifCommit, snapshot.commitId);
}

export interface OperationOutcome<T> extends CommitResult {
  opId: string;
  value: T;
  affectedNodes: number;
  affectedEdges: number;
}

export interface OperationContext extends WriteContext {
  catalog: Catalog;
  openPinned(tableKey: string, pin: TablePin): Promise<TableHandle>;
  /** Ops of this process in flight (recovery must never touch them). */
  activeOps: Set<string>;
  /**
   * The client that fills `@embed` vectors, created on first use (default: from the
   * environment, `LANCELOG_EMBEDDINGS`; docs/writes.md §Embeddings).
   */
  embeddings?: () => EmbeddingClient;
}

function readerAt(ctx: OperationContext, snapshot: Snapshot): CommittedReader {
  const pinOf = (def: TypeDef): TablePin => {
    const pin = snapshot.pins.find((p) => p.tableKey === def.tableKey);
    if (!pin)
      throw new RepoError('TableNotPinned', `${def.tableKey} has no pin on ${snapshot.branch}`, {
        table_key: def.tableKey,
      });
    return pin;
  };
  const counts = new Map<string, number>();
  return {
    async scan(def, opts) {
      return (await ctx.openPinned(def.tableKey, pinOf(def))).scan(opts);
    },
    async count(def) {
      let n = counts.get(def.tableKey);
      if (n === undefined) {
        n = await (await ctx.openPinned(def.tableKey, pinOf(def))).countRows();
        counts.set(def.tableKey, n);
      }
      return n;
    },
  };
}

/**
 * A failure before the protocol began: `op.begun`, `op.failed` in phase 'stage' and
 * `op.rolled_back`, in one transaction (the operation was not journaled yet); no table
 * was touched.
 */
export function recordStageFailure(ctx: WriteContext, begin: BeginArgs, err: unknown): void {
  const info =
    err instanceof LancelogError
      ? { code: err.code, message: err.message }
      : { code: 'InternalError', message: String(err) };
  ctx.journal.recordUnstartedOperation(begin, { error: info, phase: 'stage' });
}

export async function runOperation<T>(
  ctx: OperationContext,
  kind: 'Mutation' | 'Load',
  opts: OperationOptions,
  stage: (staged: StagedOperation, snapshot: Snapshot) => Promise<T>,
): Promise<OperationOutcome<T>> {
  const branch = opts.branch ?? 'main';
  const actor = opts.actor ?? 'lancelog';
  // The branch must exist before anything is journaled.
  const snapshot = ctx.journal.snapshot({ branch });
  assertIfCommit(snapshot, opts);
  // op.begun is journaled with the leases and intent (one transaction, protocol.ts).
  const opId = Journal.newOperationId();
  ctx.activeOps.add(opId);
  try {
    const staged = new StagedOperation(ctx.catalog, readerAt(ctx, snapshot));
    let value: T;
    try {
      await failpoint('write.after_begin', { opId });
      value = await stage(staged, snapshot);
      await staged.validate();
    } catch (err) {
      recordStageFailure(ctx, { opId, kind, branch, actor }, err);
      throw err;
    }
    const affected = staged.affected();
    const result = await commitStaged(
      ctx,
      { opId, begun: false, kind, branch, actor, message: opts.message, ifCommit: opts.ifCommit },
      staged,
      snapshot,
    );
    return { ...result, opId, value, affectedNodes: affected.nodes, affectedEdges: affected.edges };
  } finally {
    ctx.activeOps.delete(opId);
  }
}
