/**
 * `change`: run a `.gq` mutation against a repo as one atomic operation.
 * Registration only (light): the actions are in
 * change-actions.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';
import { remoteOptions } from '../remote-options.js';
import { DEFAULT_ACTOR, DEFAULT_BRANCH } from '../../src/light.js';

const actions = () => import('./change-actions.js');

export function registerChangeCommands(program: Command): void {
  // `mutate` is the reference's name; `change` is kept.
  for (const name of ['change', 'mutate'])
    remoteOptions(
      program
        .command(name)
        .description(
          `run a named .gq mutation (insert/update/delete) atomically (also: ${name === 'change' ? 'mutate' : 'change'})`,
        )
        .requiredOption('--query <f.gq>', 'the .gq file')
        .requiredOption('--name <query>', 'the mutation to run')
        .option('--params <json>', 'parameters as a JSON object (64-bit integers may be strings)')
        .option('--params-file <file>', 'parameters from a JSON file')
        .option('--branch <branch>', 'branch to write to', DEFAULT_BRANCH)
        .option(
          '--actor <actor>',
          'who is making the change (recorded in the commit; a server records its caller)',
          DEFAULT_ACTOR,
        )
        .option(
          '--if-commit <id>',
          'run only if the branch head is still this commit (compare-and-swap); a lost race exits 4 (precondition_failure)',
        )
        .argument('[repo]', 'repo directory')
        .option('--uri <repo>', 'repo directory')
        .option('--json', 'print JSON'),
    ).action(lazyAction(actions, 'change'));
}
