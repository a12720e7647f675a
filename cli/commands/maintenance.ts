/**
 * `optimize` and `cleanup`: Lance compaction and version GC (docs/maintenance.md).
 * Registration only (light): the actions are in
 * maintenance-actions.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';
import { localOnly } from '../remote-options.js';
import { DEFAULT_BRANCH } from '../../src/light.js';

const actions = () => import('./maintenance-actions.js');

export function registerMaintenanceCommands(program: Command): void {
  localOnly(program.command('optimize'))
    .description(
      'compact every table of a branch (Lance compaction), one journaled operation per table; data and history unchanged',
    )
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--branch <branch>', 'the branch whose tables to compact', DEFAULT_BRANCH)
    .option('--actor <actor>', 'who runs it (recorded in the journal)')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'optimize'));

  localOnly(program.command('cleanup'))
    .description(
      'remove old Lance versions (version GC) that no live branch, young commit or in-flight operation needs; a preview unless --confirm',
    )
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .requiredOption('--keep <n>', 'commits kept readable per live branch (≥ 1)')
    .option('--older-than <duration>', 'also keep everything younger than this (30m, 12h, 7d, 2w)')
    .option('--confirm', 'really remove (without it: a preview)')
    .option('--actor <actor>', 'who runs it (recorded in the journal)')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'cleanup'));
}
