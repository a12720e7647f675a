/**
 * The change feed: `commit changes` (the entity changes of one commit against its first
 * parent) and `changes poll|baseline` (docs/branches-commits.md "The change feed").
 * Registration only (light): the actions are in feed-actions.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';
import { collect } from '../options.js';

const actions = () => import('./feed-actions.js');

function filterOptions(c: Command): Command {
  return c
    .option('--kind <k>', 'only node or edge changes (repeatable)', collect, [] as string[])
    .option('--type <T>', 'only this node or edge type (repeatable)', collect, [] as string[])
    .option('--op <op>', 'only insert, update or delete (repeatable)', collect, [] as string[])
    .option('--limit <n>', 'changes per page fetched (default 1000)');
}

export function registerFeedCommands(program: Command): void {
  const commit = program.commands.find((c) => c.name() === 'commit');
  if (!commit) throw new Error('the commit command must be registered before commit changes');
  filterOptions(
    commit
      .command('changes')
      .description(
        'the entity changes one commit made against its first parent: nodes before edges, then type, id, op; exact before/after images',
      )
      .argument('<id>', 'commit id (ULID)')
      .argument('[repo]', 'repo directory'),
  )
    .option('--page-token <t>', 'print exactly this one page (raw), with its next_page_token')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'commitChanges'));

  const changes = program
    .command('changes')
    .description('the change feed: commit blocks in first-parent order on one branch');
  filterOptions(
    changes
      .command('poll')
      .description(
        'the commits after a start or a cursor up to the head captured now; prints the cursor to resume from after the last complete commit',
      )
      .argument('[repo]', 'repo directory'),
  )
    .option('--branch <name>', 'the branch followed (default main)')
    .option('--start <s>', 'now (default), beginning, or after:<commit id>')
    .option('--cursor <c>', 'resume after the commit a previous poll ended at')
    .option('--follow', 'keep delivering commits as they are published (JSON Lines with --json)')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'poll'));
  filterOptions(
    changes
      .command('baseline')
      .description(
        'an exact snapshot of the branch at its head (load format) written durably to --out, then the cursor that resumes right after it',
      )
      .argument('[repo]', 'repo directory'),
  )
    .requiredOption('--out <file>', 'the snapshot file (replaced atomically once complete)')
    .option('--branch <name>', 'the branch (default main)')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'baseline'));
}
