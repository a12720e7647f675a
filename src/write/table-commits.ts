/**
 * Phase B of the write protocol (src/write/protocol.ts): every table's Lance commit(s)
 * under the leases, each checked against its pin and made durable before any pin names
 * it; and, before the intent, the lazy fork and HEAD == pin check of a table.
 */
import { RepoError } from '../errors.js';
import { failpoint } from '../failpoints.js';
import { recordPhaseBCommit } from './commit-record.js';
import { syncLanceCommit, type LanceCommitRange } from './sync-commit.js';
import type { OperationInfo, PlannedTable, TableMove, WriteContext } from './protocol-types.js';

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
export async function commitAll(
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
        // What the commit wrote, for recovery's check before a roll-forward (commit-record.ts).
        if (version !== t.pin.version)
          await recordPhaseBCommit(
            ctx.store,
            ctx.journal,
            op.opId,
            commitRanges(plan, [move])[0],
            unrecorded,
          );
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

/**
 * Under the lease: fork the table's Lance branch on first write to a branch (lazy
 * fork) and check Lance HEAD == pin (else the table needs recovery first).
 */
export async function prepareTable(
  ctx: WriteContext,
  op: OperationInfo,
  t: PlannedTable,
): Promise<void> {
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

/** What syncLanceCommit must make durable for each moved table of the plan. */
export function commitRanges(plan: PlannedTable[], moves: TableMove[]): LanceCommitRange[] {
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
