/**
 * `lint` (alias `check`), `query lint`, `query check`, `query explain`: compile `.gq`
 * files against a schema or a repo's catalog.
 * Registration only (light): the actions are in
 * query-actions.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';
import { readOptions } from './read.js';

const actions = () => import('./query-actions.js');
const readActions = () => import('./read-actions.js');

export function registerQueryCommands(program: Command): void {
  program
    .command('lint')
    .alias('check')
    .description(
      "type-check every query of a .gq file against a .pg schema or a repo's schema; per query its errors, warnings and (--json) what it reads and writes",
    )
    .requiredOption('--query <file.gq>', 'the .gq query file')
    .option('--schema <file.pg>', 'the .pg schema file (instead of a repo)')
    .argument('[repo]', 'repo directory (instead of --schema)')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'lintAny'));

  // `query` runs a read (the reference's name; `read` is kept), and holds the compile verbs.
  const query = readOptions(
    program
      .command('query')
      .description(
        'run a named .gq read query (as read), or compile, check and explain .gq files (subcommands)',
      ),
    false,
  ).action(lazyAction(readActions, 'query'));

  query
    .command('lint')
    .description(
      'type-check every query of a .gq file against a .pg schema; report errors and warnings per query',
    )
    .requiredOption('--query <file.gq>', 'the .gq query file')
    .requiredOption('--schema <file.pg>', 'the .pg schema file')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'lint'));

  query
    .command('check')
    .description("type-check every query of a .gq file against a repo's schema")
    .requiredOption('--query <file.gq>', 'the .gq query file')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'check'));

  query
    .command('explain')
    .description('print the typed plan (IR) of one query')
    .requiredOption('--query <file.gq>', 'the .gq query file')
    .requiredOption('--name <query>', 'the query name')
    .option('--schema <file.pg>', 'the .pg schema file (instead of a repo)')
    .argument('[repo]', 'repo directory (instead of --schema)')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print the plan as JSON')
    .action(lazyAction(actions, 'explain'));
}
