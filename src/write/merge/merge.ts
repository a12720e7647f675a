/**
 * `repo.merge`: merges one branch into another as one operation of the write protocol
 * (kind `BranchMerge`, docs/branches-commits.md "Merge"): leases on every table it
 * writes, sidecar and intent, one Lance commit per changed table on the target's own
 * Lance line, one publish whose commit has the source head as its second parent.
 *
 * Outcomes: `AlreadyUpToDate` (the source head is an ancestor of the target head, or
 * every change of the source is already on the target: nothing is written),
 * `FastForward` (the target has not changed since the merge base: it takes the source's
 * state) and `Merged` (three-way merge). A fast-forward also writes the source's change
 * set as one commit per table on the target's Lance line instead of re-pinning the
 * target onto the source's Lance branches: main's writes always go to the main Lance
 * line (a pin naming another line would break the next write's HEAD == pin check), and
 * a target pinned onto the source's forks would lose its data when the source branch
 * is deleted (deleting a branch deletes the Lance branches it owns).
 */
import type { Journal, Snapshot } from '../../journal/index.js';
import { DEFAULT_BRANCH } from '../../defaults.js';
import { RepoError } from '../../errors.js';
import type { DiffContext } from '../../read/diff.js';
import { planMerge, MergeConflictsError, type TableMerge } from './merge-plan.js';
import { runWrite, type OperationContext, type TableAction } from '../protocol/index.js';

export type MergeOutcome = 'AlreadyUpToDate' | 'FastForward' | 'Merged';

export interface MergeOptions {
  source: string;
  target?: string;
  actor?: string;
  message?: string;
}

export interface MergeResult {
  outcome: MergeOutcome;
  source: string;
  target: string;
  /** The newest common ancestor of the two heads. */
  baseCommitId: string;
  sourceCommitId: string;
  /** The commit the merge published (null when nothing was written). */
  commitId: string | null;
  manifestVersion: number | null;
  opId: string | null;
  /** Rows written per table. */
  tables: Array<{ tableKey: string; upserts: number; deletes: number }>;
}

/** Every ancestor of a commit (itself included) through both parents, with its time. */
function ancestors(journal: Journal, id: string): Map<string, number> {
  const seen = new Map<string, number>();
  const todo = [id];
  while (todo.length > 0) {
    const c = journal.getCommit(todo.pop()!);
    if (seen.has(c.id)) continue;
    seen.set(c.id, c.timeUs);
    if (c.parentId) todo.push(c.parentId);
    if (c.mergedParentId) todo.push(c.mergedParentId);
  }
  return seen;
}

/** The newest common ancestor of two commits (ties broken by the larger ULID). */
export function mergeBase(journal: Journal, a: string, b: string): string {
  const left = ancestors(journal, a);
  let best: { id: string; timeUs: number } | null = null;
  for (const [id, timeUs] of ancestors(journal, b)) {
    if (!left.has(id)) continue;
    if (!best || timeUs > best.timeUs || (timeUs === best.timeUs && id > best.id))
      best = { id, timeUs };
  }
  // Every commit descends from the initial commit, so two commits always share one.
  if (!best) throw new RepoError('InternalError', `commits ${a} and ${b} share no ancestor`, {});
  return best.id;
}

function actionOf(t: TableMerge): TableAction {
  return {
    def: t.def,
    commits: 'one',
    async commit(handle) {
      const r = await handle.mergeInsert({
        upserts: [...t.upserts.values()],
        deleteIds: [...t.deletes],
      });
      return r.version;
    },
  };
}

function summary(tables: TableMerge[]): MergeResult['tables'] {
  return tables.map((t) => ({
    tableKey: t.def.tableKey,
    upserts: t.upserts.size,
    deletes: t.deletes.size,
  }));
}

function upToDate(source: string, target: string, base: string, src: Snapshot): MergeResult {
  return {
    outcome: 'AlreadyUpToDate',
    source,
    target,
    baseCommitId: base,
    sourceCommitId: src.commitId,
    commitId: null,
    manifestVersion: null,
    opId: null,
    tables: [],
  };
}

interface MergeDecision {
  outcome: MergeOutcome;
  base: string;
  src: Snapshot;
  tables: TableMerge[];
}

/**
 * Plans the merge on the target snapshot the operation holds, decided again there (the
 * branches may have moved since the caller looked). Conflicts throw MergeConflicts.
 */
async function decideMerge(
  ctx: OperationContext & DiffContext,
  source: string,
  target: string,
  tgt: Snapshot,
): Promise<MergeDecision> {
  const src = ctx.journal.snapshot({ branch: source });
  const base = mergeBase(ctx.journal, tgt.commitId, src.commitId);
  const baseSnap = ctx.journal.snapshot({ commitId: base });
  const plan =
    base === src.commitId
      ? { tables: [], conflicts: [] }
      : await planMerge(ctx, baseSnap, tgt, src);
  if (plan.conflicts.length > 0) throw new MergeConflictsError(plan.conflicts, { source, target });
  const outcome: MergeOutcome =
    plan.tables.length === 0 ? 'AlreadyUpToDate' : base === tgt.commitId ? 'FastForward' : 'Merged';
  return { outcome, base, src, tables: plan.tables };
}

/** Merges `source` into `target` (default main). Conflicts throw MergeConflicts and write nothing. */
export async function mergeBranches(
  ctx: OperationContext & DiffContext,
  opts: MergeOptions,
): Promise<MergeResult> {
  const target = opts.target ?? DEFAULT_BRANCH;
  const { source } = opts;
  if (source === target)
    throw new RepoError('InvalidMerge', `cannot merge branch ${source} into itself`, {
      source,
      target,
    });
  const src0 = ctx.journal.snapshot({ branch: source });
  const tgt0 = ctx.journal.snapshot({ branch: target });
  const base0 = mergeBase(ctx.journal, tgt0.commitId, src0.commitId);
  // Nothing to do: no operation is started (nothing journaled).
  if (base0 === src0.commitId) return upToDate(source, target, base0, src0);

  // Set by the plan callback (the protocol runs it once).
  let decided = null as MergeDecision | null;
  const outcome = await runWrite(
    ctx,
    'BranchMerge',
    {
      branch: target,
      actor: opts.actor,
      message: opts.message ?? `merge ${source} into ${target}`,
    },
    async (tgt) => {
      const d = await decideMerge(ctx, source, target, tgt);
      decided = d;
      return {
        actions: d.tables.map(actionOf),
        value: d.outcome,
        mergedParentId: d.tables.length > 0 ? d.src.commitId : null,
      };
    },
  );
  const d = decided!;
  if (d.outcome === 'AlreadyUpToDate')
    return { ...upToDate(source, target, d.base, d.src), opId: outcome.opId };
  return {
    outcome: d.outcome,
    source,
    target,
    baseCommitId: d.base,
    sourceCommitId: d.src.commitId,
    commitId: outcome.commitId,
    manifestVersion: outcome.manifestVersion,
    opId: outcome.opId,
    tables: summary(d.tables),
  };
}
