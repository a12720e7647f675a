/**
 * `recover` and `recovery list`: run or plan recovery, and read its audit trail.
 * Registration only (light): the actions are in
 * recovery-actions.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';
import { localOnly } from '../remote-options.js';

const actions = () => import('./recovery-actions.js');

export function registerRecoveryCommands(program: Command): void {
  localOnly(program.command('recover'))
    .description('recover what crashed writers left behind (Full); --dry-run only shows the plan')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option(
      '--dry-run',
      "print each pending operation's observation, classes, decision and planned actions; change nothing",
    )
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'recover'));

  const recovery = program.command('recovery').description('the recovery audit trail');
  recovery
    .command('list')
    .description(
      'every recovery: original operation, actor, writer kind, decision, per-table versions, commit',
    )
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'recoveryList'));
}
