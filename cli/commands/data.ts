/**
 * `load` and `export`: JSONL data files in and out of a repo (docs/writes.md §JSONL load).
 * Registration only (light): the actions are in
 * data-actions.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import type { LoadMode } from '../../src/index.js';
import { DEFAULT_BRANCH } from '../../src/light.js';
import { lazyAction } from '../lazy-action.js';
import { remoteOptions } from '../remote-options.js';

const actions = () => import('./data-actions.js');

export function registerDataCommands(program: Command): void {
  /** The options `load` and `ingest` share. */
  const loadOptions = (cmd: Command, defaultMode: LoadMode): Command =>
    cmd
      .requiredOption('--data <file.jsonl>', 'the JSONL data file')
      .option('--mode <mode>', 'overwrite | append | merge', defaultMode)
      .option('--actor <actor>', 'who is loading (recorded in the journal)')
      .option('--message <text>', 'commit message')
      .option('--no-progress', 'no progress bar (it is only shown on a TTY anyway)')
      .option('--chunk-rows <n>', 'rows per table per Lance commit of a chunked load')
      .option(
        '--chunk-bytes <n>',
        'files larger than this many bytes load in chunks (append, merge; default 64 MiB)',
      )
      .argument('[repo]', 'repo directory')
      .option('--uri <repo>', 'repo directory')
      .option('--json', 'print JSON');

  loadOptions(
    program
      .command('load')
      .description(
        'load a JSONL data file as one operation (nothing is published if any line is bad)',
      )
      .option('--branch <branch>', 'branch to load into', DEFAULT_BRANCH)
      .option(
        '--if-commit <id>',
        'load only if the branch head is still this commit; a lost race exits 4 (precondition_failure)',
      ),
    'append',
  ).action(lazyAction(actions, 'load'));

  loadOptions(
    program
      .command('ingest')
      .description(
        'load a JSONL file into a branch, creating the branch (from --from) if it does not exist',
      )
      .requiredOption('--branch <branch>', 'branch to load into (created if missing)')
      .option('--from <branch>', 'parent of the branch when it is created', DEFAULT_BRANCH),
    'merge',
  ).action(lazyAction(actions, 'ingest'));

  remoteOptions(program.command('export'))
    .description(
      'print the graph as JSONL in the load format (nodes, then edges; deterministic order)',
    )
    .option('--branch <branch>', 'branch to export (default main)')
    .option('--version <n>', 'a manifest version of the branch')
    .option('--commit <id>', 'a commit')
    .option(
      '--type <type>',
      'only this node/edge type (repeat for several)',
      (v: string, acc: string[] = []) => [...acc, v],
    )
    .option('--out <file.jsonl>', 'write to a file (atomically) instead of stdout')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'with --out: print a JSON summary')
    .action(lazyAction(actions, 'exportData'));
}
