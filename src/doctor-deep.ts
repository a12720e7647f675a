/**
 * `lancelog doctor --deep` (docs/cli.md, docs/recovery.md "doctor"): the scrub's damage
 * (src/repo/scrub.ts) and the graph index files as doctor problems, and their repairs
 * (src/repo/scrub-repair.ts; the bad graph index files removed).
 */
import { relative } from 'node:path';
import type { DoctorProblem, DoctorScrub } from './doctor-report.js';
import type { Repo } from './repo.js';
import type { GraphFileCheck } from './repo/graph.js';
import { scrub, type DamagedVersion, type ScrubReport } from './repo/scrub.js';
import {
  describeRepair,
  planRepairs,
  runRepair,
  versionKey,
  type BranchRepair,
} from './repo/scrub-repair.js';

/** One `damaged-version` problem: what is damaged, what cannot be read, what a repair does. */
function damagedProblem(d: DamagedVersion, plans: BranchRepair[]): DoctorProblem {
  const key = versionKey(d);
  const mine = plans.filter((p) => p.touched.includes(key));
  const impossible = mine.filter((p) => p.impossible && d.heads.includes(p.branch));
  const files = d.files.map((f) => f.path).join(', ');
  const commits = [...new Set(d.commits.map((c) => c.commitId))];
  return {
    kind: 'damaged-version',
    message: `${d.tableKey}${d.lanceBranch ? ` (Lance branch ${d.lanceBranch})` : ''} version ${d.version}: ${d.files.map((f) => f.message).join('; ')}; ${
      d.unreadable
        ? `commits that can no longer be read: ${commits.join(', ')}${d.heads.length ? ` (the head of ${d.heads.join(', ')})` : ''}`
        : 'reads of it still work (only its transaction file is damaged)'
    }`,
    repairable: impossible.length === 0,
    instructions:
      impossible.length > 0
        ? `no manifest version of ${impossible.map((p) => p.branch).join(', ')} pins only readable versions: restore ${files} from a backup (or delete the branch)`
        : `'lancelog doctor --deep --repair --confirm' will ${mine.map(describeRepair).join('; ')}; to lose nothing, restore ${files} from a backup instead`,
    tableKey: d.tableKey,
    lanceBranch: d.lanceBranch,
    version: d.version,
    files: d.files.map((f) => ({ path: f.path, problem: f.problem, message: f.message })),
    commits,
    heads: d.heads,
    ...(d.heads.length ? { branch: d.heads[0] } : {}),
  };
}

export interface DeepFindings {
  report: ScrubReport;
  plans: BranchRepair[];
  problems: DoctorProblem[];
}

/** One `bad-graph-index-file` problem: a derived file reads skip, which a repair removes. */
function graphFileProblem(dir: string, g: GraphFileCheck): DoctorProblem {
  const path = relative(dir, g.file);
  const problem = g.problem ?? g.state;
  return {
    kind: 'bad-graph-index-file',
    message: `graph index file ${path} of ${g.tableKey}${g.lanceBranch ? ` (Lance branch ${g.lanceBranch})` : ''} version ${g.version} is ${g.state}: ${problem}`,
    repairable: true,
    instructions: `'lancelog doctor --deep --repair' removes it (derived data: reads rebuild or patch the graph, 'lancelog index ensure' writes the file again); no data is lost`,
    tableKey: g.tableKey,
    lanceBranch: g.lanceBranch,
    version: g.version,
    files: [{ path, problem: g.state, message: problem }],
  };
}

/** `--deep`: the scrub, the graph index files, and the repairs they would take. */
export async function deepCheck(repo: Repo, checks: string[]): Promise<DeepFindings> {
  const report = await scrub(repo);
  checks.push('every file of every pinned version: exists, size, sha256');
  const plans = planRepairs(repo.journal, report);
  const problems = report.damaged.filter((d) => !d.known).map((d) => damagedProblem(d, plans));
  const graphs = await repo.checkGraphIndexFiles();
  checks.push("graph index files: whole, and of the version's fragments");
  for (const g of graphs) if (g.state !== 'ok') problems.push(graphFileProblem(repo.dir, g));
  return { report, plans, problems };
}

/** `--deep --repair`: removes the bad graph index files (after any re-pin, which can make more). */
export async function removeBadGraphFiles(repo: Repo, problems: DoctorProblem[]): Promise<void> {
  const mine = problems.filter((p) => p.kind === 'bad-graph-index-file');
  if (mine.length === 0) return;
  const removed = new Set(
    (await repo.checkGraphIndexFiles({ remove: true }))
      .filter((g) => g.removed)
      .map((g) => relative(repo.dir, g.file)),
  );
  for (const p of mine) p.repaired = removed.has(p.files![0].path) ? 'removed' : 'already gone';
}

export function scrubSummary(r: ScrubReport): DoctorScrub {
  const { versions, files, bytes, hashed, withoutChecksum, ms } = r;
  const known = r.damaged
    .filter((d) => d.known)
    .map((d) => ({
      tableKey: d.tableKey,
      lanceBranch: d.lanceBranch,
      version: d.version,
      commits: [...new Set(d.commits.map((c) => c.commitId))],
    }));
  return { versions, files, bytes, hashed, withoutChecksum, ms, known };
}

/** `--deep --repair --confirm`: each branch's Repair operation; marks the problems it handled. */
export async function repairDamage(
  repo: Repo,
  plans: BranchRepair[],
  problems: DoctorProblem[],
  repinned: Map<string, string>,
): Promise<void> {
  const done = new Map<string, string[]>();
  for (const plan of plans) {
    const what = await runRepair(repo, plan);
    if (plan.target) repinned.set(plan.branch, what);
    for (const key of plan.touched)
      done.set(key, [...(done.get(key) ?? []), `${plan.branch}: ${what}`]);
  }
  for (const p of problems.filter((x) => x.kind === 'damaged-version')) {
    const key = versionKey({
      tableKey: p.tableKey!,
      lanceBranch: p.lanceBranch ?? null,
      version: p.version!,
    });
    p.repaired = (done.get(key) ?? ['nothing to do']).join('; ');
  }
}

/**
 * A head table Lance cannot open (`table-unreadable`, which plain `--repair` cannot fix)
 * whose pinned version the scrub found damaged, on a branch a deep repair re-pins past
 * it: that re-pin is its repair (it removes the unopenable manifests it re-pins away
 * from), so with `--deep` it is repairable, with `--confirm`.
 */
export function subsumeUnreadable(problems: DoctorProblem[], deep: DeepFindings): void {
  for (const p of problems.filter((x) => x.kind === 'table-unreadable')) {
    const damaged = deep.report.damaged.find(
      (d) =>
        !d.known &&
        d.unreadable &&
        d.tableKey === p.tableKey &&
        d.version === p.pin &&
        d.heads.includes(p.branch!),
    );
    const plan = deep.plans.find((r) => r.branch === p.branch && r.target && !r.impossible);
    if (!damaged || !plan) continue;
    p.repairable = true;
    p.instructions = `the scrub found why (the damaged-version problem of ${p.tableKey} version ${damaged.version}): 'lancelog doctor --deep --repair --confirm' will ${describeRepair(plan)}; to lose nothing, restore the table from a backup instead`;
  }
}
