/** `lancelog doctor [--repair]`: check a repo, and fix what can be fixed without losing acknowledged data. */
import type { Command } from 'commander';
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

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'check the journal, the schema fingerprint, operations in flight and HEAD == pin everywhere; --repair fixes what loses no acknowledged data',
    )
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option(
      '--repair',
      'fix every repairable problem (only when every problem found is repairable)',
    )
    .option('--json', 'print JSON')
    .action(
      async (
        repoArg: string | undefined,
        opts: { uri?: string; json?: boolean; repair?: boolean },
      ) => {
        const report = await doctor(resolveRepo(repoArg, opts), { repair: opts.repair ?? false });
        printResult(opts, report, () => formatDoctorReport(report));
        // Exit 1 while a problem remains (found and not repaired).
        if (!report.ok && !report.repaired) process.exitCode = 1;
      },
    );
}
