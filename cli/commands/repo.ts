/**
 * `init`, `schema show/plan/apply`, `version`: creating a repo, looking at and changing its schema.
 * Registration only (light): the actions are in
 * repo-actions.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import { lancelogVersion } from '../../src/light.js';
import { printResult } from '../output.js';
import { lazyAction } from '../lazy-action.js';
import { remoteOptions } from '../remote-options.js';

const actions = () => import('./repo-actions.js');

export function registerRepoCommands(program: Command): void {
  program
    .command('init')
    .description(
      'create a repo: store the schema and create one empty Lance table per node and edge type',
    )
    .requiredOption('--schema <file.pg>', 'the .pg schema file')
    .argument(
      '[repo]',
      'repo directory (must not exist or be empty), or s3://bucket/prefix for the tables with --journal',
    )
    .option('--uri <repo>', 'repo directory (alternative to the positional argument)')
    .option(
      '--journal <dir>',
      'with s3://bucket/prefix: the local directory of its SQLite journal (one machine; docs/deployment.md)',
    )
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'init'));

  const schema = program
    .command('schema')
    .description('inspect the schema of a repo and plan changes to it');
  remoteOptions(schema.command('show'))
    .description('print the compiled schema (catalog) of a repo')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print the catalog as deterministic JSON')
    .action(lazyAction(actions, 'schemaShow'));

  remoteOptions(schema.command('plan'))
    .description(
      "list the steps from the repo's schema to a new one, each safe, needs-validation or unsupported (changes nothing)",
    )
    .requiredOption('--schema <file.pg>', 'the new .pg schema file')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print the plan as JSON')
    .action(lazyAction(actions, 'schemaPlan'));

  schema
    .command('apply')
    .description(
      "change the repo's schema in place: check the existing data against the new rules, then migrate it as one journaled operation (repo-wide: only while main is the only branch)",
    )
    .requiredOption('--schema <file.pg>', 'the new .pg schema file')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--actor <name>', 'actor recorded with the commit')
    .option('-m, --message <text>', 'commit message')
    .option('--json', 'print the result as JSON')
    .action(lazyAction(actions, 'schemaApply'));

  program
    .command('version')
    .description('print the lancelog version')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      // Inline, not lazy: `version` must stay as cheap as `--help` (no API load).
      const info = { lancelog: lancelogVersion(), node: process.version };
      printResult(opts, info, () => `lancelog ${info.lancelog} (node ${info.node})`);
    });
}
