/**
 * History and audit commands: `snapshot`, `commit list|show`, `branch create|list|delete`,
 * `journal log|show|verify`. Registration only (light); the actions are in
 * history-actions.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import { EVENT_KIND_NAMES } from '../../src/light.js';
import { lazyAction } from '../lazy-action.js';
import { remoteOptions } from '../remote-options.js';
import { collect } from '../options.js';

const actions = () => import('./history-actions.js');

export function registerHistoryCommands(program: Command): void {
  registerSnapshot(program);
  registerCommitCommands(program);
  registerBranchCommands(program);
  registerJournalCommands(program);
}

function registerSnapshot(program: Command): void {
  remoteOptions(program.command('snapshot'))
    .description(
      'the published state of a branch: per table its pinned Lance version, Lance branch and row count',
    )
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--branch <name>', 'branch to read (default main)')
    .option('--version <n>', 'manifest version of the branch (default: its latest)')
    .option('--commit <id>', 'the snapshot a commit published (time travel by commit)')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'snapshot'));
}

function registerCommitCommands(program: Command): void {
  const commit = program.command('commit').description('graph commits: one per publish');
  remoteOptions(commit.command('list'))
    .description(
      "commits, newest first; with --branch, the branch's history (first parents from its head, including inherited commits)",
    )
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--branch <name>', 'only the history of this branch')
    .option(
      '--filter <key=value>',
      'filter (repeatable); supported: actor=<name>',
      collect,
      [] as string[],
    )
    .option('--limit <n>', 'at most n commits')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'commitList'));

  commit
    .command('show')
    .description(
      'one commit: parent(s), actor, operation, the pins it published and what changed since its parent',
    )
    .argument('<id>', 'commit id (ULID)')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'commitShow'));
}

function registerBranchCommands(program: Command): void {
  const branch = program
    .command('branch')
    .description('create, list and delete branches (lazy forks: nothing is copied)');
  remoteOptions(branch.command('create'))
    .description(
      "create a branch from another branch (its latest or a manifest version) or from a commit; it starts with the source's pins",
    )
    .argument('<name>', 'new branch name ([A-Za-z0-9._/-], not main, not starting with __)')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--from <branch>', 'source branch (default main)')
    .option('--version <n>', 'manifest version of the source branch (default: its latest)')
    .option('--commit <id>', 'fork at this commit (must be in the history of --from, when given)')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'branchCreate'));

  remoteOptions(branch.command('list'))
    .description('live branches with their parent and head')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'branchList'));

  remoteOptions(branch.command('delete'))
    .description(
      'delete a branch (not main, not a branch others were forked from) and the Lance branches it owns',
    )
    .argument('<name>', 'branch name')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'branchDelete'));
}

function registerJournalCommands(program: Command): void {
  const journal = program
    .command('journal')
    .description('the event log: browse it, follow one operation, verify it');
  journal
    .command('log')
    .description('journal events, newest first')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--op <id>', 'only events of this operation')
    .option('--kind <kind>', `only events of this kind (${EVENT_KIND_NAMES.join(', ')})`)
    .option(
      '--since <time>',
      'only events at or after this time (ISO-8601, or microseconds since the epoch)',
    )
    .option('--limit <n>', 'at most n events (the newest)')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'journalLog'));

  journal
    .command('show')
    .description(
      'the timeline of one operation: each step with its time and duration, tables touched, outcome, error',
    )
    .argument('<op-id>', 'operation id (ULID)')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'journalShow'));

  journal
    .command('verify')
    .description(
      "replay every event and compare with the stored projections, run SQLite's integrity check, check I1 (Lance HEAD == pin) per table and branch; exit 1 on any difference",
    )
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'journalVerify'));
}
