/**
 * `index ensure` and `index list`: the Lance indexes the schema asks for (docs/indexes.md).
 * Registration only (light): the actions are in
 * indexes-actions.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';
import { DEFAULT_BRANCH } from '../../src/light.js';

const actions = () => import('./indexes-actions.js');

export function registerIndexCommands(program: Command): void {
  const index = program
    .command('index')
    .description('the indexes the schema asks for: BTREE, inverted (full-text) and vector');

  index
    .command('ensure')
    .description('build every missing or stale index as one operation (progress on stderr)')
    .option('--branch <branch>', 'branch whose tables to index', DEFAULT_BRANCH)
    .option(
      '--type <type>',
      'only this node type (repeat for several)',
      (v: string, acc: string[] = []) => [...acc, v],
    )
    .option('--actor <actor>', 'who is building (recorded in the journal)')
    .option('--message <text>', 'commit message')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'indexEnsure'));

  index
    .command('list')
    .description('each index the schema asks for: table, column, type, state, version it covers')
    .option('--branch <branch>', 'branch to list (default main)')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'indexList'));
}
