/**
 * The outside checks of docs/architecture.md §Invariants, run in a process that never wrote to the repo:
 * a read-only look first (what is pending), then a read-write open (Full recovery),
 * then I1…I6. The expected states come from the workload's model, never from the engine.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Repo, type RecoveryAuditEntry, type VerifyResult } from '../repo.js';
import { exportJsonl, SIDECAR_DIR } from '../index.js';
import { RECOVERY_ACTOR } from '../recovery/sweep.js';
import { pidExists } from '../recovery/liveness.js';
import { doctor } from '../doctor.js';

export const INVARIANTS = ['I1', 'I2', 'I3', 'I4', 'I5', 'I6'] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface CheckSpec {
  dir: string;
  branch: string;
  /** Rendered models M0…Mn of `branch`: before the first op, after each op. */
  models: string[][];
  /** Operations acknowledged (returned success) before the crash. */
  acked: number;
  /** Other branches and the lines they must still show. */
  others: Array<{ branch: string; lines: string[] }>;
  /** Table keys the case's operations touch (I5 writes to each); default: every table. */
  touched?: string[];
  /** Skip the verify() after the I5 write (randomized batches: the write succeeding is I5). */
  light?: boolean;
  /**
   * Also scrub the recovered repo (`doctor --deep`): every file every pinned version
   * needs is what was written — recovery published nothing it cannot read (the damage
   * mode of the power-loss drill).
   */
  scrub?: boolean;
}

export interface CheckResult {
  ok: boolean;
  invariants: Record<Invariant, boolean>;
  /** The recovery decision for the crashed operation ('-' when nothing was pending). */
  decision: string;
  /** Which model state is visible: k of M_k, or null for a mix. */
  visible: number | null;
  problems: string[];
  pendingBefore: number;
}

export async function exportLines(repo: Repo, branch: string): Promise<string[]> {
  let text = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  await exportJsonl(repo, sink, { branch });
  return text.split('\n').filter(Boolean);
}

const same = (a: string[], b: string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

type Pending = Array<{ opId: string; kind: string }>;

/** What is pending, seen read-only (changes nothing); a failed open is a problem, with nothing pending. */
async function pendingReadOnly(dir: string, problems: string[]): Promise<Pending> {
  try {
    const ro = await Repo.open(dir, { readOnly: true });
    try {
      return ro.pendingRecovery().filter((p) => p.kind !== 'Recovery');
    } finally {
      await ro.close();
    }
  } catch (err) {
    problems.push(`read-only open failed: ${(err as Error).message}`);
    return [];
  }
}

/** I1: HEAD == pin for every (table, branch). */
function checkI1(report: VerifyResult, problems: string[]): boolean {
  const bad = report.i1.filter((x) => !x.ok);
  for (const x of bad)
    problems.push(`I1: ${x.tableKey} on ${x.branch}: pin ${x.pin}, HEAD ${x.head}`);
  return bad.length === 0;
}

/**
 * I2 / I3 through export: the visible state of the branch is a model state no later
 * than the crashed op's (I2), and not before the acknowledged ones (I3); the recovery
 * decision agrees with it; no other branch changed (I2).
 */
async function checkVisibleState(
  repo: Repo,
  spec: CheckSpec,
  lastDecision: string | undefined,
  problems: string[],
): Promise<{ I2: boolean; I3: boolean; visible: number | null }> {
  const n = spec.models.length - 1;
  const lines = await exportLines(repo, spec.branch);
  const matches: number[] = [];
  for (let k = 0; k <= n; k++) if (same(lines, spec.models[k])) matches.push(k);
  const allowed = matches.filter((k) => k <= Math.min(spec.acked + 1, n));
  const visible = allowed.length ? Math.max(...allowed) : matches.length ? matches[0] : null;
  let I2 = allowed.length > 0;
  if (!I2)
    problems.push(
      matches.length
        ? `I2: visible state is M${matches[0]} but only ${spec.acked} op(s) were acknowledged and op ${spec.acked} crashed`
        : `I2: visible state of ${spec.branch} matches no model state (a mix): ${JSON.stringify(lines).slice(0, 400)}`,
    );
  const I3 = allowed.some((k) => k >= spec.acked);
  if (!I3 && I2)
    problems.push(`I3: only M${visible} is visible but ${spec.acked} op(s) were acknowledged`);
  if (I2 && spec.acked < n && visible !== null && lastDecision)
    I2 = decisionAgrees(lastDecision, spec.acked, allowed, visible, problems);
  if (!(await graphAgrees(repo, spec.branch, lines, problems))) I2 = false;
  for (const o of spec.others) {
    const got = await exportLines(repo, o.branch);
    if (!same(got, o.lines)) {
      I2 = false;
      problems.push(`I2: branch ${o.branch}, which no drill op wrote, changed`);
    }
  }
  return { I2, I3, visible };
}

const WORKS_AT_READ = `query w() { match { $p: Person
  $p worksAt $c } return { $p.name, $c.name } }`;

/**
 * The graph index (its file, a patch of one, or a build) answers traversals as the
 * edge rows say: every exported WorksAt edge, and no other, is a `$p worksAt $c` row.
 */
async function graphAgrees(
  repo: Repo,
  branch: string,
  lines: string[],
  problems: string[],
): Promise<boolean> {
  const want = lines
    .map((l) => JSON.parse(l) as { edge?: string; from?: string; to?: string })
    .filter((r) => r.edge === 'WorksAt')
    .map((r) => `${r.from}->${r.to}`)
    .sort();
  const got = (
    await repo.query({ source: WORKS_AT_READ, file: 'drill.gq', name: 'w', branch })
  ).rows
    .map((r) => `${String(r['p.name'])}->${String(r['c.name'])}`)
    .sort();
  if (same(got, want)) return true;
  problems.push(
    `I2: traversals disagree with the edge rows: ${JSON.stringify({ got, want }).slice(0, 400)}`,
  );
  return false;
}

/** A decision must agree with what is visible: a RollBack shows M_acked, a RollForward or Cleanup M_acked+1. */
function decisionAgrees(
  decision: string,
  acked: number,
  allowed: number[],
  visible: number,
  problems: string[],
): boolean {
  const expect = decision === 'RollBack' ? acked : acked + 1;
  // Several model states can render identically (e.g. an overwrite that rewrites the
  // same rows): the decision agrees when the expected state is among the matches.
  if (
    (decision === 'RollBack' || decision === 'RollForward' || decision === 'Cleanup') &&
    !allowed.includes(expect)
  ) {
    problems.push(
      `I2: recovery decided ${decision} but M${visible} is visible (expected M${expect})`,
    );
    return false;
  }
  return true;
}

/** I4: nothing left over: no sidecar, no lease of a dead owner, no verify difference, nothing pending. */
function checkI4(repo: Repo, dir: string, report: VerifyResult, problems: string[]): boolean {
  const sidecars = existsSync(join(dir, SIDECAR_DIR)) ? readdirSync(join(dir, SIDECAR_DIR)) : [];
  const deadLeases = repo.journal
    .listLeases()
    .filter((l) => !pidExists(l.ownerPid) || l.ownerPid === process.pid);
  const stillPending = repo.pendingRecovery();
  if (sidecars.length) problems.push(`I4: ${SIDECAR_DIR}/ holds ${sidecars.join(', ')}`);
  if (deadLeases.length)
    problems.push(
      `I4: leases of dead owners: ${deadLeases.map((l) => `${l.tableKey}@${l.branch} pid ${l.ownerPid}`).join(', ')}`,
    );
  for (const d of report.differences) problems.push(`I4: verify: ${d}`);
  if (stillPending.length)
    problems.push(
      `I4: still pending after recovery: ${stillPending.map((p) => p.opId).join(', ')}`,
    );
  return (
    sidecars.length === 0 &&
    deadLeases.length === 0 &&
    report.differences.length === 0 &&
    stillPending.length === 0
  );
}

/** I6: every recovered operation has its audit row and lancelog:recovery commit. */
function checkI6(
  repo: Repo,
  pending: Pending,
  forPending: Array<RecoveryAuditEntry | undefined>,
  problems: string[],
): boolean {
  let ok = true;
  pending.forEach((p, i) => {
    const row = forPending[i];
    if (!row) {
      ok = false;
      problems.push(`I6: no audit row for recovered operation ${p.opId}`);
      return;
    }
    if (!row.commitId) {
      ok = false;
      problems.push(`I6: audit row of ${p.opId} has no commit`);
      return;
    }
    const actor = repo.getCommit(row.commitId).actor;
    if (actor !== RECOVERY_ACTOR) {
      ok = false;
      problems.push(`I6: recovery commit ${row.commitId} has actor ${actor}`);
    }
  });
  return ok;
}

/** I5: the next write to every touched table succeeds (and, unless light, leaves verify clean). */
async function checkI5(repo: Repo, spec: CheckSpec, problems: string[]): Promise<boolean> {
  let ok = false;
  try {
    const touched = new Set(spec.touched ?? ['node:Person', 'node:Company', 'edge:WorksAt']);
    const tag = `i5-${Date.now().toString(36)}`;
    if (touched.size > 0) {
      await repo.transaction(
        (tx) => {
          if (touched.has('node:Person') || touched.has('edge:WorksAt'))
            tx.insert('Person', { name: `${tag}-p` });
          if (touched.has('node:Company') || touched.has('edge:WorksAt'))
            tx.insert('Company', { name: `${tag}-c` });
          if (touched.has('edge:WorksAt')) tx.link('WorksAt', `${tag}-p`, `${tag}-c`);
        },
        { branch: spec.branch, actor: 'drill-i5' },
      );
    }
    ok = true;
    if (!spec.light) {
      const after = await repo.verify();
      ok = after.ok;
      if (!after.ok)
        problems.push(`I5: verify after the follow-up write: ${after.differences.join('; ')}`);
    }
  } catch (err) {
    problems.push(
      `I5: follow-up write failed: [${(err as { code?: string }).code}] ${(err as Error).message}`,
    );
  }
  return ok;
}

/** Runs I1…I6 on a repo opened read-write (its recovery done), in the order their problems are reported. */
async function checkRecovered(
  repo: Repo,
  spec: CheckSpec,
  pending: Pending,
  problems: string[],
): Promise<Omit<CheckResult, 'ok' | 'problems' | 'pendingBefore'>> {
  const audit = repo.recoveryAudit();
  const forPending = pending.map((p) => audit.filter((a) => a.originalOpId === p.opId).at(-1));
  const decision = forPending.map((a) => a?.decision ?? '?').join('+') || '-';
  const report = await repo.verify();
  const I1 = checkI1(report, problems);
  const last = forPending.at(-1)?.decision;
  const { I2, I3, visible } = await checkVisibleState(repo, spec, last, problems);
  const I4 = checkI4(repo, spec.dir, report, problems);
  const I6 = checkI6(repo, pending, forPending, problems);
  const I5 = await checkI5(repo, spec, problems);
  return { invariants: { I1, I2, I3, I4, I5, I6 }, decision, visible };
}

const SCRUB = 'scrub: ';

/** `doctor --deep` on the recovered repo: no problem at all. */
async function checkScrub(dir: string, problems: string[]): Promise<void> {
  try {
    const r = await doctor(dir, { deep: true });
    for (const p of r.problems) problems.push(`${SCRUB}[${p.kind}] ${p.message}`);
  } catch (err) {
    problems.push(`${SCRUB}doctor --deep failed: ${(err as Error).message}`);
  }
}

const scrubbedOk = (problems: string[]): boolean => !problems.some((p) => p.startsWith(SCRUB));

export async function checkRepo(spec: CheckSpec): Promise<CheckResult> {
  const problems: string[] = [];
  const pending = await pendingReadOnly(spec.dir, problems);
  let repo: Repo;
  try {
    repo = await Repo.open(spec.dir);
  } catch (err) {
    problems.push(
      `read-write open (recovery) failed: [${(err as { code?: string }).code}] ${(err as Error).message}`,
    );
    return {
      ok: false,
      invariants: { I1: false, I2: false, I3: false, I4: false, I5: false, I6: false },
      decision: 'open failed',
      visible: null,
      problems,
      pendingBefore: pending.length,
    };
  }
  try {
    const checked = await checkRecovered(repo, spec, pending, problems);
    if (spec.scrub) await checkScrub(spec.dir, problems);
    return {
      ok: Object.values(checked.invariants).every(Boolean) && (!spec.scrub || scrubbedOk(problems)),
      invariants: checked.invariants,
      decision: checked.decision,
      visible: checked.visible,
      problems,
      pendingBefore: pending.length,
    };
  } finally {
    await repo.close();
  }
}
