/**
 * `drill`: crash-recovery drills (docs/drills.md) — the matrix, or randomized cases.
 * Registration only (light): the actions are in
 * drill-actions.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import { WRITERS as DRILL_WRITERS } from '../../src/drill/model.js';
import { lazyAction } from '../lazy-action.js';

const actions = () => import('./drill-actions.js');

export function registerDrillCommands(program: Command): void {
  program
    .command('drill')
    .description(
      'crash-recovery drills: SIGKILL a writer at each failpoint (or at random points), recover, check I1–I6',
    )
    .argument(
      '[repo]',
      'directory for the drill repos (default: a temp dir; must not be an existing repo)',
    )
    .option(
      '--all',
      'the full matrix: every failpoint × writer × branch × one/multi-table (the default)',
    )
    .option('--writer <writer>', `only this writer (${DRILL_WRITERS.join(', ')})`)
    .option('--at <failpoint>', 'only this failpoint')
    .option('--cases <n>', 'randomized drills: run n cases')
    .option('--seed <s>', 'randomized drills: the seed (default 1)')
    .option('--case <k>', 'randomized drills: only case k (exact mode: a process per crash)')
    .option(
      '--exact',
      'randomized drills: a process per case killed by the crash failpoint itself (slower)',
    )
    .option('--json', 'print JSON')
    .option('--keep', "keep every case's repo (failed cases' repos are always kept)")
    .action(lazyAction(actions, 'drill'));
}
