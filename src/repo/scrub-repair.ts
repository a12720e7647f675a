/**
 * What `lancelog doctor --deep --repair --confirm` does with the damage the scrub found
 * (docs/recovery.md "doctor"): per live branch, one journaled `Repair` operation by
 * `lancelog:doctor` that
 * - re-pins the branch to its newest manifest version whose every pinned version is
 *   readable, when its head pins an unreadable one (Lance restores each table whose
 *   HEAD is elsewhere; the restores are recorded and synced before the publish), and
 * - records the damage (`repair.damage_recorded`): the damaged versions and files, the
 *   commits that can no longer be read, and the commits the re-pin dropped from the
 *   head. Time travel to a commit pinning a recorded unreadable version is then
 *   `VersionDamaged`, and later scrubs report it as known rather than as a problem.
 * The plan is made when the scrub runs, so `doctor` says exactly what a repair loses.
 */
import { LancelogError } from '../errors.js';
import type { Journal, Snapshot, TablePin } from '../journal/index.js';
import type { TypeDef } from '../schema/types.js';
import type { TableStore } from '../storage/index.js';
import { cleanedVersionKey } from '../journal/index.js';
import { recordCommits, syncLanceCommit } from '../write/protocol/index.js';
import type { DamagedVersion, ScrubReport } from './scrub.js';

export const DOCTOR_ACTOR = 'lancelog:doctor';

export interface RepairContext {
  journal: Journal;
  store: TableStore;
  typeDef(tableKey: string): TypeDef;
}

/** One live branch's share of a repair. */
export interface BranchRepair {
  branch: string;
  /** The manifest version the head goes back to; null: the head is readable (record only). */
  target: { manifestVersion: number; commitId: string } | null;
  /** The head pins an unreadable version and no manifest version of the branch is readable. */
  impossible: boolean;
  /** Commits after `target` on this branch: no longer part of its head. */
  dropped: string[];
  /** Commits of the branch's history that pin an unreadable version. */
  unreadable: string[];
  /** The damaged versions recorded by this branch's repair. */
  versions: DamagedVersion[];
  /** Every damaged version in the branch's history (keys as `cleanedVersionKey`). */
  touched: string[];
}

export const versionKey = (d: { tableKey: string; lanceBranch: string | null; version: number }) =>
  cleanedVersionKey(d.tableKey, d.lanceBranch, d.version);

/** The newest manifest version of `branch` that pins no version in `bad`. */
function newestReadable(journal: Journal, branch: string, bad: Set<string>): Snapshot | null {
  const head = journal.snapshot({ branch });
  for (let mv = head.manifestVersion - 1; mv >= 1; mv--) {
    const snap = journal.snapshot({ branch, manifestVersion: mv });
    if (!snap.pins.some((p) => bad.has(versionKey(p)))) return snap;
  }
  return null;
}

/** The repair of every live branch the damage (not yet recorded) touches. */
export function planRepairs(journal: Journal, report: ScrubReport): BranchRepair[] {
  const damaged = report.damaged.filter((d) => !d.known);
  const bad = new Set(damaged.filter((d) => d.unreadable).map(versionKey));
  const recorded = new Set<string>();
  const plans: BranchRepair[] = [];
  const branches = journal.listBranches().map((b) => b.name);
  for (const branch of branches) {
    const history = new Set(journal.listCommits({ branch }).map((c) => c.id));
    const mine = damaged.filter((d) => d.commits.some((c) => history.has(c.commitId)));
    if (mine.length === 0) continue;
    const headBad = mine.some((d) => d.unreadable && d.heads.includes(branch));
    const target = headBad ? newestReadable(journal, branch, bad) : null;
    const dropped = target
      ? journal
          .listCommits({ branch })
          .filter((c) => c.branch === branch && c.manifestVersion > target.manifestVersion)
          .map((c) => c.id)
      : [];
    const unreadable = [
      ...new Set(
        mine
          .filter((d) => d.unreadable)
          .flatMap((d) => d.commits.map((c) => c.commitId).filter((id) => history.has(id))),
      ),
    ];
    plans.push({
      branch,
      target: target && { manifestVersion: target.manifestVersion, commitId: target.commitId },
      impossible: headBad && target === null,
      dropped,
      unreadable,
      versions: mine.filter((d) => !recorded.has(versionKey(d))),
      touched: mine.map(versionKey),
    });
    for (const d of mine) recorded.add(versionKey(d));
  }
  return plans;
}

/**
 * The table's Lance HEAD; when Lance cannot open the newest version (its manifest is
 * what is damaged), that manifest is removed — it is being re-pinned away from, and the
 * repair records it as lost — and the next one tried, down to `floor`.
 */
async function openableHead(
  ctx: RepairContext,
  def: TypeDef,
  lanceBranch: string | null,
  floor: number,
): Promise<number> {
  const { store } = ctx;
  for (;;) {
    try {
      return await store.headVersion(def.tableKey, def.tablePath, lanceBranch ?? undefined);
    } catch (err) {
      if (!(err instanceof LancelogError) || err.code !== 'StorageFailure') throw err;
      const files = store.lineFiles(def.tableKey, def.tablePath, lanceBranch);
      const top = await files.listedHead();
      if (top === null || top <= floor) throw err;
      await files.dropVersionsAbove(top - 1);
      store.dropWriter(def.tablePath, lanceBranch ?? undefined);
    }
  }
}

/** A table's HEAD back at `pin` (a restore when it is elsewhere), recorded and synced; the version to publish. */
async function restoreToPin(ctx: RepairContext, opId: string, pin: TablePin): Promise<number> {
  const { store } = ctx;
  const def = ctx.typeDef(pin.tableKey);
  const lanceHead = await openableHead(ctx, def, pin.lanceBranch, pin.version);
  if (lanceHead === pin.version) return pin.version;
  const version = await store.restoreTo(def.tableKey, def.tablePath, pin.version, pin.lanceBranch);
  const range = {
    tableKey: def.tableKey,
    tablePath: def.tablePath,
    lanceBranch: pin.lanceBranch,
    from: pin.version,
    to: version,
    forked: false,
  };
  await recordCommits(store, ctx.journal, opId, [range]);
  await syncLanceCommit(store, [range]);
  return version;
}

function damagePayload(plan: BranchRepair) {
  return {
    versions: plan.versions.map((d) => ({
      table_key: d.tableKey,
      lance_branch: d.lanceBranch,
      version: d.version,
      files: d.files.map((f) => ({ path: f.path, problem: f.problem })),
      unreadable: d.unreadable,
      commits: [...new Set(d.commits.map((c) => c.commitId))],
    })),
    unreadable_commits: plan.unreadable,
    dropped_commits: plan.dropped,
  };
}

/** What a branch's repair does, in words (the doctor report and the Repair commit). */
export function describeRepair(plan: BranchRepair): string {
  const parts: string[] = [];
  if (plan.target)
    parts.push(
      `re-pin ${plan.branch} to manifest version ${plan.target.manifestVersion} (commit ${plan.target.commitId}), dropping commits ${plan.dropped.join(', ') || 'none'} from its head`,
    );
  parts.push(
    `record ${plan.versions.map((d) => `${d.tableKey} v${d.version}`).join(', ') || 'nothing new'} as damaged; commits that can no longer be read: ${plan.unreadable.join(', ') || 'none'}`,
  );
  return parts.join('; ');
}

/** Runs one branch's repair as a journaled `Repair` operation; returns what it did. */
export async function runRepair(ctx: RepairContext, plan: BranchRepair): Promise<string> {
  const { journal } = ctx;
  const branch = plan.branch;
  // Another branch's repair in this run already recorded everything this one holds.
  if (!plan.target && plan.versions.length === 0) return 'nothing new to record';
  const opId = journal.beginOperation({ kind: 'Repair', branch, actor: DOCTOR_ACTOR });
  journal.appendEvent(opId, branch, {
    kind: 'repair.damage_recorded',
    payload: damagePayload(plan),
  });
  if (!plan.target) {
    journal.completeOperation(opId);
    return describeRepair(plan);
  }
  const head = journal.snapshot({ branch });
  const target = journal.snapshot({ branch, manifestVersion: plan.target.manifestVersion });
  const moves = [];
  for (const p of target.pins) {
    const current = head.pins.find((c) => c.tableKey === p.tableKey);
    const version = await restoreToPin(ctx, opId, p);
    if (!current || version !== current.version || p.lanceBranch !== current.lanceBranch)
      moves.push({
        tableKey: p.tableKey,
        expectedVersion: current?.version ?? null,
        newVersion: version,
        lanceBranch: p.lanceBranch,
      });
  }
  const published = journal.publish({
    opId,
    branch,
    actor: DOCTOR_ACTOR,
    message: `doctor --deep: ${describeRepair(plan)}`,
    tables: moves,
    complete: true,
  });
  return `${describeRepair(plan)}; commit ${published.commitId}`;
}
