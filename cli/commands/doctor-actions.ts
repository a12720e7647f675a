/**
 * The actions of `lancelog doctor [--repair]`: check a repo, and fix what can be fixed
 * without losing acknowledged data. Loaded when one of these commands runs (registered in
 * doctor.ts).
 */
import { doctor, type DoctorReport } from '../../src/index.js';
import { printResult } from '../output.js';
import { resolveRepo } from '../repo-arg.js';

export function formatDoctorReport(r: DoctorReport): string {
  const lines = [`checked: ${r.checks.join(', ')}`];
  if (r.ok) lines.push('no problems found');
  for (const p of r.problems) {
    lines.push(`${p.repairable ? 'repairable' : 'NOT repairable'} [${p.kind}]: ${p.message}`);
    lines.push(p.repaired ? `  repaired: ${p.repaired}` : `  what to do: ${p.instructions}`);
  }
  return lines.join('\n');
}

export async function doctorAction(
  repoArg: string | undefined,
  opts: { uri?: string; json?: boolean; repair?: boolean },
): Promise<void> {
  const report = await doctor(resolveRepo(repoArg, opts), { repair: opts.repair ?? false });
  printResult(opts, report, () => formatDoctorReport(report));
  // Exit 1 while a problem remains (found and not repaired).
  if (!report.ok && !report.repaired) process.exitCode = 1;
}
