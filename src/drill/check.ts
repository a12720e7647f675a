/**
 * The outside checks of docs/architecture.md §Invariants, run in a process that never wrote to the repo:
 * a read-only look first (what is pending), then a read-write open (Full recovery),
 * then I1…I6. The expected states come from the workload's model, never from the engine.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Repo } from '../repo.js';
import { exportJsonl } from '../write/export.js';
import { RECOVERY_ACTOR } from '../recovery/sweep.js';
import { SIDECAR_DIR } from '../write/sidecar.js';
import { pidExists } from '../recovery/liveness.js';

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

export async function checkRepo(spec: CheckSpec): Promise<CheckResult> {
  const inv: Record<Invariant, boolean> = {
    I1: false,
    I2: false,
    I3: false,
    I4: false,
    I5: false,
    I6: false,
  };
  const problems: string[] = [];
  let decision = '-';
  let visible: number | null = null;
  const n = spec.models.length - 1;

  // What is pending, seen read-only (changes nothing).
  let pending: Array<{ opId: string; kind: string }> = [];
  try {
    const ro = await Repo.open(spec.dir, { readOnly: true });
    try {
      pending = ro.pendingRecovery().filter((p) => p.kind !== 'Recovery');
    } finally {
      await ro.close();
    }
  } catch (err) {
    problems.push(`read-only open failed: ${(err as Error).message}`);
  }

  let repo: Repo;
  try {
    repo = await Repo.open(spec.dir);
  } catch (err) {
    problems.push(
      `read-write open (recovery) failed: [${(err as { code?: string }).code}] ${(err as Error).message}`,
    );
    return {
      ok: false,
      invariants: inv,
      decision: 'open failed',
      visible,
      problems,
      pendingBefore: pending.length,
    };
  }
  try {
    const audit = repo.recoveryAudit();
    const forPending = pending.map((p) => audit.filter((a) => a.originalOpId === p.opId).at(-1));
    decision = forPending.map((a) => a?.decision ?? '?').join('+') || '-';

    // I1: HEAD == pin for every (table, branch).
    const report = await repo.verify();
    const badI1 = report.i1.filter((x) => !x.ok);
    inv.I1 = badI1.length === 0;
    for (const x of badI1)
      problems.push(`I1: ${x.tableKey} on ${x.branch}: pin ${x.pin}, HEAD ${x.head}`);

    // I2 / I3 through export.
    const lines = await exportLines(repo, spec.branch);
    const matches: number[] = [];
    for (let k = 0; k <= n; k++) if (same(lines, spec.models[k])) matches.push(k);
    const allowed = matches.filter((k) => k <= Math.min(spec.acked + 1, n));
    visible = allowed.length ? Math.max(...allowed) : matches.length ? matches[0] : null;
    inv.I2 = allowed.length > 0;
    if (!inv.I2)
      problems.push(
        matches.length
          ? `I2: visible state is M${matches[0]} but only ${spec.acked} op(s) were acknowledged and op ${spec.acked} crashed`
          : `I2: visible state of ${spec.branch} matches no model state (a mix): ${JSON.stringify(lines).slice(0, 400)}`,
      );
    inv.I3 = allowed.some((k) => k >= spec.acked);
    if (!inv.I3 && inv.I2)
      problems.push(`I3: only M${visible} is visible but ${spec.acked} op(s) were acknowledged`);
    // A decision must agree with what is visible.
    const last = forPending.at(-1)?.decision;
    if (inv.I2 && spec.acked < n && visible !== null && last) {
      const expect = last === 'RollBack' ? spec.acked : spec.acked + 1;
      // Several model states can render identically (e.g. an overwrite that rewrites the
      // same rows): the decision agrees when the expected state is among the matches.
      if (
        (last === 'RollBack' || last === 'RollForward' || last === 'Cleanup') &&
        !allowed.includes(expect)
      ) {
        inv.I2 = false;
        problems.push(
          `I2: recovery decided ${last} but M${visible} is visible (expected M${expect})`,
        );
      }
    }
    for (const o of spec.others) {
      const got = await exportLines(repo, o.branch);
      if (!same(got, o.lines)) {
        inv.I2 = false;
        problems.push(`I2: branch ${o.branch}, which no drill op wrote, changed`);
      }
    }

    // I4: nothing left over.
    const sidecars = existsSync(join(spec.dir, SIDECAR_DIR))
      ? readdirSync(join(spec.dir, SIDECAR_DIR))
      : [];
    const deadLeases = repo.journal
      .listLeases()
      .filter((l) => !pidExists(l.ownerPid) || l.ownerPid === process.pid);
    const stillPending = repo.pendingRecovery();
    inv.I4 =
      sidecars.length === 0 &&
      deadLeases.length === 0 &&
      report.differences.length === 0 &&
      stillPending.length === 0;
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

    // I6: every recovered operation has its audit row and lancelog:recovery commit.
    inv.I6 = true;
    pending.forEach((p, i) => {
      const row = forPending[i];
      if (!row) {
        inv.I6 = false;
        problems.push(`I6: no audit row for recovered operation ${p.opId}`);
        return;
      }
      if (!row.commitId) {
        inv.I6 = false;
        problems.push(`I6: audit row of ${p.opId} has no commit`);
        return;
      }
      const actor = repo.getCommit(row.commitId).actor;
      if (actor !== RECOVERY_ACTOR) {
        inv.I6 = false;
        problems.push(`I6: recovery commit ${row.commitId} has actor ${actor}`);
      }
    });

    // I5: the next write to every touched table succeeds.
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
      inv.I5 = true;
      if (!spec.light) {
        const after = await repo.verify();
        inv.I5 = after.ok;
        if (!after.ok)
          problems.push(`I5: verify after the follow-up write: ${after.differences.join('; ')}`);
      }
    } catch (err) {
      problems.push(
        `I5: follow-up write failed: [${(err as { code?: string }).code}] ${(err as Error).message}`,
      );
    }
  } finally {
    await repo.close();
  }
  return {
    ok: Object.values(inv).every(Boolean),
    invariants: inv,
    decision,
    visible,
    problems,
    pendingBefore: pending.length,
  };
}
