/**
 * `read`: run a named `.gq` read query against one published snapshot of a repo.
 * Registration only (light): the actions are in
 * read-actions.ts, loaded when a command runs.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { READ_FORMATS } from '../read-formats.js';
import { lazyAction } from '../lazy-action.js';
import { remoteOptions } from '../remote-options.js';

const actions = () => import('./read-actions.js');

function positiveInt(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new InvalidArgumentError('expected a manifest version (an integer >= 1)');
  return Number(text);
}

/** The options of a read: `read` (all of them), and `query` when it runs one (#35). */
export function readOptions(cmd: Command, required: boolean): Command {
  const source = required
    ? cmd
        .requiredOption('--query <f.gq>', 'the .gq file')
        .requiredOption('--name <query>', 'the read query to run')
    : cmd
        .option('--query <f.gq>', 'the .gq file (required to run a query)')
        .option('--name <query>', 'the read query to run (required to run a query)');
  return remoteOptions(
    source
      .addOption(
        new Option(
          '--params <json>',
          'parameters as a JSON object (64-bit integers exact)',
        ).conflicts('paramsFile'),
      )
      .option('--params-file <file>', 'parameters from a JSON file')
      .option('--branch <branch>', 'branch to read (default main)')
      .addOption(
        new Option('--version <n>', 'a manifest version of the branch (time travel)')
          .argParser(positiveInt)
          .conflicts('commit'),
      )
      .option('--commit <id>', 'a commit to read (time travel)')
      .addOption(
        new Option(
          '--format <format>',
          'output format (default: table on a terminal, else jsonl)',
        ).choices(READ_FORMATS),
      )
      .option('--json', 'print one JSON object (same as --format json)')
      .argument('[repo]', 'repo directory')
      .option('--uri <repo>', 'repo directory'),
  );
}

export function registerReadCommands(program: Command): void {
  readOptions(
    program
      .command('read')
      .description(
        'run a named .gq read query on one published snapshot and print its rows (also: query)',
      ),
    true,
  ).action(lazyAction(actions, 'read'));
}
