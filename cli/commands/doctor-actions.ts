/**
 * The actions of `lancelog doctor [--deep] [--repair [--confirm]]`: check a repo, and fix what can be fixed
 * without losing acknowledged data. Loaded when one of these commands runs (registered in
 * doctor.ts).
 */
import { doctor, type DoctorReport } from '../../src/index.js';
import { printResult } from '../output.js';
import { resolveRepo } from '../repo-arg.js';

function scrubLines(r: DoctorReport): string[] {
  const s = r.scrub;
  if (!s) return [];
  const mb = s.bytes / 1e6;
  const lines = [
    `scrub: ${s.versions} version(s), ${s.files} file(s), ${mb.toFixed(1)} MB in ${(s.ms / 1000).toFixed(2)} s (${(mb / Math.max(s.ms / 1000, 1e-3)).toFixed(1)} MB/s); ${s.hashed} checked against their sha256, ${s.withoutChecksum} without a recorded checksum (written before checksums: existence and size only)`,
  ];
  for (const k of s.known)
    lines.push(
      `known damage (recorded by a repair): ${k.tableKey}${k.lanceBranch ? `@${k.lanceBranch}` : ''} v${k.version}; commits that cannot be read: ${k.commits.join(', ')}`,
    );
  return lines;
}

export function formatDoctorReport(r: DoctorReport): string {
  const lines = [`checked: ${r.checks.join(', ')}`, ...scrubLines(r)];
  if (r.ok) lines.push('no problems found');
  for (const p of r.problems) {
    lines.push(`${p.repairable ? 'repairable' : 'NOT repairable'} [${p.kind}]: ${p.message}`);
    lines.push(p.repaired ? `  repaired: ${p.repaired}` : `  what to do: ${p.instructions}`);
  }
  return lines.join('\n');
}

export async function doctorAction(
  repoArg: string | undefined,
  opts: { uri?: string; json?: boolean; repair?: boolean; deep?: boolean; confirm?: boolean },
): Promise<void> {
  const report = await doctor(resolveRepo(repoArg, opts), {
    repair: opts.repair ?? false,
    deep: opts.deep ?? false,
    confirm: opts.confirm ?? false,
  });
  printResult(opts, report, () => formatDoctorReport(report));
  // Exit 1 while a problem remains (found and not repaired).
  if (!report.ok && !report.repaired) process.exitCode = 1;
}
