/**
 * What changed: `diff` (row changes between any two states), `history` (one entity's
 * versions along a branch) and `branch merge`. Thin over the Repo API.
 * Registration only (light): the actions are in
 * changes-actions.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';
import { collect } from '../options.js';

const actions = () => import('./changes-actions.js');

function registerMerge(program: Command): void {
  // `branch` is registered by history.ts; merge joins it.
  const branch = program.commands.find((c) => c.name() === 'branch');
  if (!branch) throw new Error('the branch command must be registered before branch merge');
  branch
    .command('merge')
    .description(
      'merge a branch into another (default main): three-way against the newest common ancestor; all conflicts reported, nothing written on conflict',
    )
    .argument('<source>', 'the branch to merge')
    .argument('[repo]', 'repo directory')
    .option('--into <target>', 'the branch to merge into (default main)')
    .option('--actor <name>', 'actor recorded in the merge commit')
    .option('--message <text>', 'commit message')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'merge'));
}

export function registerChangesCommands(program: Command): void {
  registerMerge(program);
  program
    .command('diff')
    .description(
      'every row inserted, updated and deleted between two states (REF: commit id, branch, or branch@manifestVersion)',
    )
    .argument('[repo]', 'repo directory')
    .requiredOption('--from <ref>', 'the old state')
    .requiredOption('--to <ref>', 'the new state')
    .option('--uri <repo>', 'repo directory')
    .option('--type <T>', 'only this node or edge type (repeatable)', collect, [] as string[])
    .option('--op <op>', 'only insert, update or delete (repeatable)', collect, [] as string[])
    .option('--json', 'print JSON (with the changed properties of updates)')
    .action(lazyAction(actions, 'diff'));

  program
    .command('history')
    .description(
      "every commit of a branch's history that changed one node or edge, with its values after the change",
    )
    .argument('[repo]', 'repo directory')
    .requiredOption('--type <T>', 'node or edge type')
    .requiredOption('--id <id>', 'the node key (or id) or edge id')
    .option('--branch <name>', 'branch (default main)')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'history'));
}
