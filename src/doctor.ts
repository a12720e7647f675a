/**
 * `lancelog doctor [--repair]` (issue 16 part 4): a way out of every state.
 *
 * Checks, in order, stopping where a later check cannot run:
 *   1. the journal file is SQLite (header) and passes `integrity_check`;
 *   2. replaying the journal reproduces its projections (`journal verify`);
 *   3. `_schema.pg` matches the recorded schema fingerprint;
 *   4. operations in flight (what `recover` handles);
 *   5. I1 on every table of every live branch: Lance HEAD == pin.
 * Each finding has a `kind`, whether `--repair` can fix it without losing
 * acknowledged data, and what to do otherwise. `--repair` fixes:
 *   - `operation-in-flight`: runs recovery (Full);
 *   - `schema-unrecorded`: records the current schema's fingerprint (`adopted`);
 *   - `lance-ahead-of-pin` (no operation in flight): restores the table to its pin
 *     and publishes the restored version as one journaled `Repair` operation — the
 *     versions past the pin were never published, so nothing acknowledged is lost;
 *   - `lost-published-version`: re-pins the branch to its newest manifest version that
 *     Lance has completely, as a journaled `Repair` operation listing the lost commits
 *     (acknowledged data is lost here by necessity: Lance no longer has it);
 * and refuses the rest with instructions (a damaged journal, drift).
 * With `deep`, the scrub (src/repo/scrub.ts) checks every file of every pinned version
 * too; `--repair --confirm` then re-pins a branch whose head is damaged and records the
 * damage (src/repo/scrub-repair.ts): `damaged-version`. The scrub checks the graph
 * index files too (derived data): `bad-graph-index-file`, which `--repair` removes
 * (reads rebuild or patch them, `index ensure` writes them again).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LancelogError, RepoError } from './errors.js';
import { JOURNAL_FILE, Journal } from './journal/index.js';
import { checkHeader } from './journal/health.js';
import { Repo, SCHEMA_FILE, type VerifyResult } from './repo.js';
import { syncLanceCommit } from './write/protocol/index.js';
import { DOCTOR_ACTOR } from './repo/scrub-repair.js';
import type { DoctorProblem, DoctorProblemKind, DoctorReport } from './doctor-report.js';
import {
  deepCheck,
  removeBadGraphFiles,
  repairDamage,
  scrubSummary,
  subsumeUnreadable,
  type DeepFindings,
} from './doctor-deep.js';
import type { BranchRepair } from './repo/scrub-repair.js';

export { DOCTOR_ACTOR };
export type {
  DoctorProblem,
  DoctorProblemKind,
  DoctorReport,
  DoctorScrub,
} from './doctor-report.js';

const RESTORE_BACKUP =
  'restore _lancelog.db from a backup (the Lance tables are intact; the journal is the catalog of their published versions)';

/** Journal-level checks on the raw file; returns the problems (empty: readable and intact). */
function checkJournalFile(dir: string, checks: string[]): DoctorProblem[] {
  const path = join(dir, JOURNAL_FILE);
  try {
    checkHeader(path);
  } catch (err) {
    return [journalProblem('journal-not-sqlite', err, dir)];
  }
  checks.push('journal header');
  let journal: Journal;
  try {
    journal = Journal.open(dir, { readOnly: true });
  } catch (err) {
    return [journalProblem('journal-unreadable', err, dir)];
  }
  try {
    const report = journal.verify();
    checks.push('journal integrity_check', 'journal replay');
    if (report.integrity !== 'ok')
      return [
        {
          kind: 'journal-corrupt',
          message: `SQLite integrity_check: ${report.integrity}`,
          repairable: false,
          instructions: RESTORE_BACKUP,
        },
      ];
    if (!report.ok)
      return [
        {
          kind: 'journal-inconsistent',
          message: `replaying the journal does not give its projections: ${report.differences.slice(0, 3).join('; ')}`,
          repairable: false,
          instructions: `${RESTORE_BACKUP}; report this as a bug with the output of 'lancelog journal verify --json'`,
        },
      ];
    return [];
  } catch (err) {
    return [journalProblem('journal-corrupt', err, dir)];
  } finally {
    journal.close();
  }
}

/**
 * Why a journal that is there could not be opened: SQLite creates its -shm file even to
 * read, so a read-only directory, a permission or a full disk stop doctor before it
 * can look inside — the journal is not known to be damaged, and a backup is not the cure.
 */
const NOT_WRITABLE: Record<string, (dir: string) => string> = {
  ReadOnlyRepo: (dir) =>
    `the repo is on a read-only file system (or its files are read-only), and SQLite must create the journal's -shm file even to read it: remount it read-write, or check a copy ('cp -a ${dir} <copy>' then 'lancelog doctor <copy>'); nothing shows the journal is damaged`,
  PermissionDenied: (dir) =>
    `this user may not write ${dir}, and SQLite must create the journal's -shm file even to read it: run doctor as the repo's owner or fix the permissions; nothing shows the journal is damaged`,
  DiskFull: () =>
    'the file system holding the repo is full: free space, then run doctor again; nothing shows the journal is damaged',
};

function journalProblem(kind: DoctorProblemKind, err: unknown, dir: string): DoctorProblem {
  const message = err instanceof Error ? err.message : String(err);
  const notWritable = err instanceof LancelogError ? NOT_WRITABLE[err.code] : undefined;
  if (notWritable)
    return {
      kind: 'repo-not-writable',
      message,
      repairable: false,
      instructions: notWritable(dir),
    };
  return { kind, message, repairable: false, instructions: RESTORE_BACKUP };
}

/** Schema fingerprint, in-flight operations and I1, on a repo the journal checks passed. */
async function checkRepo(repo: Repo, checks: string[]): Promise<DoctorProblem[]> {
  const problems: DoctorProblem[] = [];
  if (repo.journal.recordedSchemaHash() === null)
    problems.push({
      kind: 'schema-unrecorded',
      message: 'the journal records no schema fingerprint (a repo from before fingerprints)',
      repairable: true,
      instructions: `'lancelog doctor --repair' (or any read-write open) records the current ${SCHEMA_FILE}'s`,
    });
  checks.push('schema fingerprint');
  const inFlight = repo.pendingRecovery();
  for (const op of inFlight)
    problems.push({
      kind: 'operation-in-flight',
      message: `operation ${op.opId} (${op.kind} on ${op.branch}) is unfinished`,
      repairable: true,
      instructions: "'lancelog recover' (or 'lancelog doctor --repair') finishes or undoes it",
      opId: op.opId,
      branch: op.branch,
    });
  checks.push('operations in flight');
  const busy = new Set(inFlight.map((o) => o.branch));
  const verify = await repo.verify();
  checks.push('HEAD == pin on every table and branch');
  for (const t of verify.i1) {
    if (t.ok) continue;
    const where = { branch: t.branch, tableKey: t.tableKey, pin: t.pin, head: t.head };
    if (t.error) {
      problems.push(unreadableTable(repo, t, where));
      continue;
    }
    if (t.head !== null && t.head > t.pin && !t.inherited) {
      if (busy.has(t.branch)) continue; // recovery of the in-flight operation decides
      problems.push({
        kind: 'lance-ahead-of-pin',
        message: `${t.tableKey} on ${t.branch}: Lance HEAD ${t.head} is past the published pin ${t.pin} and no operation is in flight`,
        repairable: true,
        instructions: `'lancelog doctor --repair' restores ${t.tableKey} to version ${t.pin} (versions ${t.pin + 1}..${t.head} were never published)`,
        ...where,
      });
    } else {
      problems.push({
        kind: 'lost-published-version',
        message: `${t.tableKey} on ${t.branch}: the published pin ${t.pin} is not in Lance (HEAD ${t.head ?? 'missing'})`,
        repairable: !t.inherited,
        instructions: t.inherited
          ? `the version is missing on the parent's line: run 'lancelog doctor' for the parent branch's problem first`
          : `'lancelog doctor --repair' re-pins ${t.branch} to its newest manifest version that Lance has completely, as a journaled Repair operation listing the commits that are lost; to lose nothing, restore the table directory from a backup instead`,
        ...where,
      });
    }
  }
  return problems;
}

/**
 * A table that is there but whose HEAD Lance cannot read: not a lost version doctor can
 * re-pin past (a restore or a re-pin commits a new version on top of that HEAD), so
 * not repairable; the advice follows the cause.
 */
function unreadableTable(
  repo: Repo,
  t: VerifyResult['i1'][number],
  where: Pick<DoctorProblem, 'branch' | 'tableKey' | 'pin' | 'head'>,
): DoctorProblem {
  const error = t.error!;
  const tableDir = join(repo.dir, `${repo.typeDef(t.tableKey).tablePath}.lance`);
  return {
    kind: 'table-unreadable',
    message: `${t.tableKey} on ${t.branch}: Lance cannot read the table's newest version (${error.code}: ${error.message})`,
    repairable: false,
    instructions:
      error.code === 'PermissionDenied'
        ? `this user may not read ${tableDir}: run doctor as the repo's owner or fix the permissions`
        : `restore ${tableDir} from a backup: '--repair' cannot restore or re-pin a table whose newest files Lance cannot read ('lancelog doctor --deep' tells whether its damage is in files the journal recorded, and then re-pins past it with --repair --confirm, losing the commits it names)`,
    ...where,
  };
}

/** Restores a table that is ahead of its pin, as one journaled Repair operation. */
async function restoreToPin(repo: Repo, p: DoctorProblem): Promise<string> {
  const { journal, store } = repo;
  const def = repo.typeDef(p.tableKey!);
  const pin = repo.pinOf(repo.snapshot({ branch: p.branch }), def.tableKey);
  const opId = journal.beginOperation({ kind: 'Repair', branch: p.branch!, actor: DOCTOR_ACTOR });
  journal.acquireLeases(opId, [
    { tableKey: def.tableKey, branch: p.branch!, expectedVersion: pin.version },
  ]);
  const restored = await store.restoreTo(def.tableKey, def.tablePath, pin.version, pin.lanceBranch);
  // Power-loss durability of the restore before the journal pins it (docs/recovery.md).
  await syncLanceCommit(store, [
    {
      tableKey: def.tableKey,
      tablePath: def.tablePath,
      lanceBranch: pin.lanceBranch,
      from: pin.version,
      to: restored,
      forked: false,
    },
  ]);
  const published = journal.publish({
    opId,
    branch: p.branch!,
    actor: DOCTOR_ACTOR,
    message: `doctor: restore ${def.tableKey} to its pin ${pin.version} (Lance was at ${p.head}; nothing published is lost)`,
    tables: [
      {
        tableKey: def.tableKey,
        expectedVersion: pin.version,
        newVersion: restored,
        lanceBranch: pin.lanceBranch,
      },
    ],
    complete: true,
  });
  return `restored to version ${pin.version} as Lance version ${restored}; commit ${published.commitId}`;
}

/** Whether Lance still has `version` of a table's line. */
async function versionExists(
  repo: Repo,
  tableKey: string,
  version: number,
  lanceBranch: string | null,
): Promise<boolean> {
  const def = repo.typeDef(tableKey);
  try {
    const h = await repo.store.openTable(def.tableKey, def.tablePath, {
      version,
      ...(lanceBranch ? { branch: lanceBranch } : {}),
    });
    h.close();
    return true;
  } catch {
    return false;
  }
}

type BranchSnapshot = ReturnType<Repo['journal']['snapshot']>;

/** The newest manifest version before HEAD whose every pinned table version Lance still has. */
async function newestCompleteManifest(
  repo: Repo,
  branch: string,
  head: BranchSnapshot,
): Promise<BranchSnapshot> {
  let target: BranchSnapshot | undefined;
  for (let mv = head.manifestVersion - 1; mv >= 1 && !target; mv--) {
    const snap = repo.journal.snapshot({ branch, manifestVersion: mv });
    const present = await Promise.all(
      snap.pins.map((p) => versionExists(repo, p.tableKey, p.version, p.lanceBranch)),
    );
    if (present.every(Boolean)) target = snap;
  }
  if (!target)
    throw new LancelogError(
      'RepairImpossible',
      `branch ${branch} has no manifest version whose every table version Lance still has; restore the tables from a backup`,
      { branch },
    );
  return target;
}

/**
 * Brings a table's Lance HEAD back to the pinned version (I1: HEAD == pin at rest):
 * a HEAD past it is restored, and the restore is synced before anything publishes it.
 * Returns the version to publish.
 */
async function restoreHeadToPin(repo: Repo, pin: BranchSnapshot['pins'][number]): Promise<number> {
  const { store } = repo;
  const def = repo.typeDef(pin.tableKey);
  const lanceHead = await store
    .headVersion(def.tableKey, def.tablePath, pin.lanceBranch ?? undefined)
    .catch(() => null);
  let version = pin.version;
  if (lanceHead !== pin.version) {
    version = await store.restoreTo(def.tableKey, def.tablePath, pin.version, pin.lanceBranch);
  }
  if (version !== pin.version)
    await syncLanceCommit(store, [
      {
        tableKey: def.tableKey,
        tablePath: def.tablePath,
        lanceBranch: pin.lanceBranch,
        from: pin.version,
        to: version,
        forked: false,
      },
    ]);
  return version;
}

/**
 * A lost published version: re-pins the branch to its newest manifest version whose
 * every pin Lance still has, as one journaled `Repair` operation whose commit message
 * lists the commits that are lost (those after that manifest version). A table whose
 * HEAD is past the re-pinned version is restored to it first (I1).
 */
async function repinToComplete(repo: Repo, branch: string): Promise<string> {
  const { journal } = repo;
  const head = journal.snapshot({ branch });
  const target = await newestCompleteManifest(repo, branch, head);
  const lost = journal
    .listCommits({ branch })
    .filter((c) => c.manifestVersion > target.manifestVersion)
    .map((c) => c.id);
  const opId = journal.beginOperation({ kind: 'Repair', branch, actor: DOCTOR_ACTOR });
  const moves = [];
  for (const p of target.pins) {
    const current = repo.pinOf(head, p.tableKey);
    const version = await restoreHeadToPin(repo, p);
    if (version !== current.version || p.lanceBranch !== current.lanceBranch)
      moves.push({
        tableKey: p.tableKey,
        expectedVersion: current.version,
        newVersion: version,
        lanceBranch: p.lanceBranch,
      });
  }
  const published = journal.publish({
    opId,
    branch,
    actor: DOCTOR_ACTOR,
    message: `doctor: re-pinned ${branch} to manifest version ${target.manifestVersion} (a published Lance version was lost); lost commits: ${lost.join(', ') || 'none'}`,
    tables: moves,
    complete: true,
  });
  return `re-pinned ${branch} to manifest version ${target.manifestVersion}; lost commits: ${lost.join(', ') || 'none'}; commit ${published.commitId}`;
}

async function repair(
  dir: string,
  problems: DoctorProblem[],
  plans: BranchRepair[] = [],
): Promise<void> {
  // recover: false — the in-flight operations are recovered below, and reported.
  const repo = await Repo.open(dir, { recover: false });
  try {
    if (problems.some((p) => p.kind === 'operation-in-flight')) {
      const report = await repo.recover();
      for (const p of problems.filter((x) => x.kind === 'operation-in-flight')) {
        const op = report.operations.find((o) => o.opId === p.opId);
        p.repaired = op ? `recovery: ${op.decision ?? '-'} (${op.status})` : 'recovered';
      }
    }
    const repinned = new Map<string, string>();
    await repairDamage(repo, plans, problems, repinned);
    await removeBadGraphFiles(repo, problems);
    for (const p of problems) {
      if (p.kind === 'schema-unrecorded') p.repaired = 'fingerprint recorded (adopted) at open';
      if (p.kind === 'lance-ahead-of-pin') p.repaired = await restoreToPin(repo, p);
      if (p.kind === 'table-unreadable') p.repaired = repinned.get(p.branch!) ?? 'nothing to do';
      if (p.kind === 'lost-published-version') {
        if (!repinned.has(p.branch!))
          repinned.set(p.branch!, await repinToComplete(repo, p.branch!));
        p.repaired = repinned.get(p.branch!);
      }
    }
  } finally {
    await repo.close();
  }
}

/**
 * Checks a repo and, with `repair`, fixes what can be fixed without losing acknowledged
 * data. `deep`: the scrub too; its repairs (which drop commits) need `confirm`.
 */
export async function doctor(
  repoDir: string,
  opts: { repair?: boolean; deep?: boolean; confirm?: boolean } = {},
): Promise<DoctorReport> {
  const dir = resolve(repoDir);
  if (!existsSync(join(dir, SCHEMA_FILE)))
    throw new RepoError('NotARepo', `${dir} is not a lancelog repo (no ${SCHEMA_FILE})`, {
      repo: dir,
    });
  const checks: string[] = [];
  let problems = checkJournalFile(dir, checks);
  let deep: DeepFindings | undefined;
  if (problems.length === 0) {
    let repo: Repo | undefined;
    try {
      repo = await Repo.open(dir, { readOnly: true });
    } catch (err) {
      if (!(err instanceof LancelogError) || err.code !== 'SchemaDrift') throw err;
      problems = [
        {
          kind: 'schema-drift',
          message: err.message,
          repairable: false,
          instructions: err.message,
        },
      ];
    }
    if (repo) {
      try {
        problems = await checkRepo(repo, checks);
        if (opts.deep) {
          deep = await deepCheck(repo, checks);
          problems.push(...deep.problems);
          subsumeUnreadable(problems, deep);
        }
      } finally {
        await repo.close();
      }
    }
  }
  const fixable = problems.filter((p) => p.repairable);
  // Repairing damage drops commits from a head or records them as lost: only when confirmed.
  const unconfirmed = !opts.confirm && problems.some((p) => p.kind === 'damaged-version');
  const repaired =
    (opts.repair ?? false) &&
    fixable.length > 0 &&
    fixable.length === problems.length &&
    !unconfirmed;
  if (opts.repair && fixable.length > 0 && !repaired)
    for (const p of fixable)
      p.repaired = unconfirmed
        ? 'not attempted: repairing the damage loses what each problem says; add --confirm'
        : 'not attempted: fix the problems --repair cannot fix first';
  if (repaired) await repair(dir, problems, deep?.plans);
  return {
    repo: dir,
    ok: problems.length === 0,
    checks,
    problems,
    repaired,
    ...(deep ? { scrub: scrubSummary(deep.report) } : {}),
  };
}
