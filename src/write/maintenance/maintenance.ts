/**
 * `lancelog optimize` and `lancelog cleanup` (docs/maintenance.md): Lance compaction
 * and Lance version GC, each table's run one journaled operation of the write
 * protocol (`runWrite` with a table action), so HEAD == pin holds after every step and a crash
 * recovers like any write. Tables are done one at a time (bounded concurrency 1: a
 * compaction holds one table's lease, never the whole repo's).
 */
import type { TypeDef } from '../../schema/types.js';
import { MAIN_BRANCH, type Snapshot, type TablePin } from '../../journal/index.js';
import { DEFAULT_BRANCH } from '../../defaults.js';
import type { FragmentStats, TableVersionInfo } from '../../storage/index.js';
import { RepoError } from '../../errors.js';
import { runWrite, type OperationContext, type OperationOptions } from '../protocol/index.js';
import {
  protectedVersions,
  tableCutoff,
  type BranchHistory,
  type CleanupPolicy,
} from './cleanup-policy.js';

export interface OptimizeTableReport {
  tableKey: string;
  opId: string;
  /** The commit that published the compacted version; null when there was nothing to compact. */
  commitId: string | null;
  fromVersion: number;
  toVersion: number;
  fragmentsBefore: number;
  fragmentsAfter: number;
}

export interface OptimizeResult {
  branch: string;
  tables: OptimizeTableReport[];
}

function allDefs(ctx: OperationContext): TypeDef[] {
  return [...ctx.catalog.nodes, ...ctx.catalog.edges];
}

function pinIn(snapshot: Snapshot, def: TypeDef): TablePin {
  const pin = snapshot.pins.find((p) => p.tableKey === def.tableKey);
  if (!pin)
    throw new RepoError('TableNotPinned', `${def.tableKey} has no pin on ${snapshot.branch}`, {
      tableKey: def.tableKey,
      branch: snapshot.branch,
    });
  return pin;
}

/** Compacts one table as one operation; a table with at most one fragment is left alone. */
async function optimizeTable(
  ctx: OperationContext,
  def: TypeDef,
  opts: OperationOptions,
): Promise<OptimizeTableReport> {
  let before: FragmentStats | undefined;
  let after: FragmentStats | undefined;
  let fromVersion = 0;
  const outcome = await runWrite(ctx, 'Optimize', opts, async (snapshot) => {
    const pin = pinIn(snapshot, def);
    fromVersion = pin.version;
    before = await (await ctx.openPinned(def.tableKey, pin)).fragmentStats();
    if (before.smallFragments < 2) return { actions: [], value: null };
    return {
      value: null,
      actions: [
        {
          def,
          commits: 'many' as const,
          async commit(handle) {
            const res = await handle.compact();
            after = await handle.fragmentStats();
            return res.version;
          },
        },
      ],
    };
  });
  const move = outcome.tables.find((t) => t.tableKey === def.tableKey);
  return {
    tableKey: def.tableKey,
    opId: outcome.opId,
    commitId: outcome.commitId,
    fromVersion,
    toVersion: move?.to ?? fromVersion,
    fragmentsBefore: before?.fragments ?? 0,
    fragmentsAfter: (move ? after?.fragments : undefined) ?? before?.fragments ?? 0,
  };
}

/** Compacts every table of a branch, one operation per table. Data is unchanged. */
export async function optimizeTables(
  ctx: OperationContext,
  opts: OperationOptions,
): Promise<OptimizeResult> {
  const branch = opts.branch ?? DEFAULT_BRANCH;
  ctx.journal.snapshot({ branch }); // BranchNotFound before anything is journaled
  const tables: OptimizeTableReport[] = [];
  for (const def of allDefs(ctx)) tables.push(await optimizeTable(ctx, def, { ...opts, branch }));
  return { branch, tables };
}

// ── cleanup ─────────────────────────────────────────────────────────────────

export interface CleanupOptions {
  keep: number;
  olderThanMs: number | null;
  confirm: boolean;
  actor?: string;
  nowMs?: number;
}

export interface CleanupTableReport {
  tableKey: string;
  /** Lance versions before the cleanup. */
  versionsBefore: number;
  /** The versions a cut-off removes (preview), or that were removed (confirmed). */
  versionsRemoved: number[];
  /** Versions kept because a live branch, a young commit or the head pins them. */
  protectedVersions: number[];
  bytesRemoved: number;
  opId: string | null;
  commitId: string | null;
}

export interface CleanupResult {
  confirmed: boolean;
  keep: number;
  olderThanMs: number | null;
  tables: CleanupTableReport[];
}

/** Every live branch's commits the policy keeps, with their pins. */
function branchHistories(ctx: OperationContext, policy: CleanupPolicy): BranchHistory[] {
  const minTimeUs = policy.olderThanMs === null ? null : (policy.nowMs - policy.olderThanMs) * 1000;
  return ctx.journal.listBranches().map((b) => {
    const commits = ctx.journal.listCommits({ branch: b.name });
    return {
      branch: b.name,
      commits: commits
        .filter((c, i) => i < policy.keep || (minTimeUs !== null && c.timeUs >= minTimeUs))
        .map((c) => ({
          id: c.id,
          timeUs: c.timeUs,
          pins: ctx.journal.snapshot({ commitId: c.id }).pins,
        })),
    };
  });
}

/** The recovery floor: an operation in flight may roll back to any version it began from. */
function assertNothingInFlight(ctx: OperationContext): void {
  const pending = ctx.journal.inFlightOperations();
  if (pending.length > 0)
    throw new RepoError(
      'CleanupBlocked',
      `cleanup refused: ${pending.length} operation(s) in flight (${pending
        .slice(0, 3)
        .map((o) => `${o.kind} ${o.opId}`)
        .join(', ')}); they may restore to old versions. Run 'lancelog recover' or wait`,
      { operations: pending.map((o) => o.opId) },
    );
}

async function mainVersions(ctx: OperationContext, def: TypeDef, pin: TablePin) {
  const list: TableVersionInfo[] = await (await ctx.openPinned(def.tableKey, pin)).listVersions();
  return list.map((v) => ({ version: v.version, timestampMs: v.timestamp.getTime() }));
}

/** Prunes one table's main line as one operation; returns what was removed. */
async function cleanupTable(
  ctx: OperationContext,
  def: TypeDef,
  report: CleanupTableReport,
  cut: { cutoffMs: number; guard: number[] },
  actor: string | undefined,
): Promise<void> {
  let removed: number[] = [];
  let bytes = 0;
  const outcome = await runWrite(
    ctx,
    'Cleanup',
    { branch: MAIN_BRANCH, actor, message: `cleanup ${def.tableKey}` },
    async () => ({
      value: null,
      actions: [
        {
          def,
          commits: 'many' as const,
          async commit(handle, step) {
            const before = new Set((await handle.listVersions()).map((v) => v.version));
            // Compact first, on its own: the prune call below then has nothing to compact,
            // so the clock drift between its cut-off and Lance's stays small.
            const compacted = (await handle.compact()).version;
            const res = await handle.pruneOlderThan(new Date(cut.cutoffMs), cut.guard);
            if (res.version > compacted && compacted > step.pin) step.committed(compacted);
            for (const v of await handle.listVersions()) before.delete(v.version);
            removed = [...before].sort((a, b) => a - b);
            bytes = res.bytesRemoved;
            return res.version;
          },
        },
      ],
    }),
  );
  if (removed.length > 0)
    ctx.journal.recordCleanedVersions(outcome.opId, [
      { tableKey: def.tableKey, lanceBranch: null, versions: removed, bytesRemoved: bytes },
    ]);
  Object.assign(report, {
    versionsRemoved: removed,
    bytesRemoved: bytes,
    opId: outcome.opId,
    commitId: outcome.commitId,
  });
}

/**
 * Lance version GC of every table's main line under the policy (cleanup-policy.ts).
 * Without `confirm` a preview: nothing is written.
 */
export async function cleanupVersions(
  ctx: OperationContext,
  opts: CleanupOptions,
): Promise<CleanupResult> {
  if (!Number.isSafeInteger(opts.keep) || opts.keep < 1)
    throw new RepoError('InvalidArgument', `--keep must be an integer ≥ 1 (got ${opts.keep})`, {
      keep: opts.keep,
    });
  assertNothingInFlight(ctx);
  const policy: CleanupPolicy = {
    keep: opts.keep,
    olderThanMs: opts.olderThanMs,
    nowMs: opts.nowMs ?? Date.now(),
  };
  const kept = protectedVersions(branchHistories(ctx, policy), policy);
  const head = ctx.journal.snapshot({ branch: MAIN_BRANCH });
  const tables: CleanupTableReport[] = [];
  for (const def of allDefs(ctx)) {
    const versions = await mainVersions(ctx, def, pinIn(head, def));
    const protectedSet = kept.get(def.tableKey) ?? new Set<number>();
    const cut = tableCutoff(versions, protectedSet, policy);
    const report: CleanupTableReport = {
      tableKey: def.tableKey,
      versionsBefore: versions.length,
      versionsRemoved: cut.removable,
      protectedVersions: [...protectedSet].sort((a, b) => a - b),
      bytesRemoved: 0,
      opId: null,
      commitId: null,
    };
    tables.push(report);
    if (opts.confirm && cut.cutoffMs !== null)
      await cleanupTable(
        ctx,
        def,
        report,
        { cutoffMs: cut.cutoffMs, guard: cut.guard },
        opts.actor,
      );
  }
  return { confirmed: opts.confirm, keep: opts.keep, olderThanMs: opts.olderThanMs, tables };
}
