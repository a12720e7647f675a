/**
 * The actions of `recover` and `recovery list`: run or plan recovery, and read its audit
 * trail. Loaded when one of these commands runs (registered in recovery.ts).
 */
import { Repo, type RecoveryReport } from '../../src/index.js';
import { printResult } from '../output.js';
import { resolveRepo } from '../repo-arg.js';
import { formatTable, isoFromUs } from '../format.js';

interface Opts {
  json?: boolean;
  uri?: string;
}

export function formatRecoveryReport(report: RecoveryReport): string {
  const lines: string[] = [];
  if (
    report.operations.length === 0 &&
    report.staleSidecarsRemoved.length === 0 &&
    report.errors.length === 0
  )
    return 'nothing to recover';
  for (const op of report.operations) {
    lines.push(
      `operation ${op.opId} (${op.kind} on ${op.branch} by ${op.actor ?? '?'}; owner ${op.owner}; from ${op.source})`,
    );
    if (op.tables.length) {
      lines.push(
        formatTable(
          ['table', 'lance branch', 'head', 'pin', 'expected', 'post-commit', 'committed', 'class'],
          op.tables.map((t) => [
            t.tableKey,
            t.lanceBranch,
            t.head,
            t.pin,
            t.expected,
            t.postCommit ?? 'several',
            t.committed,
            t.class,
          ]),
        ).replace(/^/gm, '  '),
      );
    }
    lines.push(
      `  decision: ${op.decision ?? '-'}   status: ${op.status}${op.skippedReason ? ` (${op.skippedReason})` : ''}`,
    );
    for (const a of op.actions) lines.push(`  ${report.dryRun ? 'would' : '-'} ${a}`);
    if (op.commitId) lines.push(`  recovery commit ${op.commitId}`);
  }
  for (const s of report.staleSidecarsRemoved)
    lines.push(
      `${report.dryRun ? 'would remove' : 'removed'} leftover sidecar of finished operation ${s}`,
    );
  for (const e of report.errors) lines.push(`error [${e.code}]: ${e.error}`);
  return lines.join('\n');
}

export async function recover(
  repoArg: string | undefined,
  opts: Opts & { dryRun?: boolean },
): Promise<void> {
  const dir = resolveRepo(repoArg, opts);
  // Open without the automatic recovery so this command reports what it does.
  const repo = await Repo.open(dir, { recover: false, readOnly: opts.dryRun ?? false });
  try {
    const report = await repo.recover({ dryRun: opts.dryRun ?? false });
    printResult(opts, report, () => formatRecoveryReport(report));
  } finally {
    await repo.close();
  }
}

export async function recoveryList(repoArg: string | undefined, opts: Opts): Promise<void> {
  const repo = await Repo.open(resolveRepo(repoArg, opts), { readOnly: true });
  try {
    const rows = repo.recoveryAudit();
    printResult(opts, rows, () =>
      rows.length === 0
        ? 'no recoveries'
        : formatTable(
            ['time', 'original op', 'actor', 'writer', 'decision', 'tables', 'commit'],
            rows.map((r) => [
              isoFromUs(r.timeUs),
              r.originalOpId,
              r.originalActor,
              r.writerKind,
              r.decision,
              r.tables.map((t) => `${t.table_key} ${t.from}→${t.to}`).join(', '),
              r.commitId,
            ]),
          ),
    );
  } finally {
    await repo.close();
  }
}
