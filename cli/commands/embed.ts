/**
 * `embed`: fill, recompute or strip the @embed vectors of a JSONL file offline (docs/cli.md).
 * Registration only (light): the actions are in
 * embed-actions.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import { lazyAction } from '../lazy-action.js';

const actions = () => import('./embed-actions.js');

export function registerEmbedCommand(program: Command): void {
  program
    .command('embed')
    .description(
      'fill the missing @embed vectors of a JSONL data file (or recompute them all, or strip them), streaming; provider from LANCELOG_EMBEDDINGS',
    )
    .requiredOption('--input <in.jsonl>', 'the JSONL data file to read')
    .requiredOption(
      '--output <out.jsonl>',
      'where to write the result (written whole or not at all)',
    )
    .requiredOption('--schema <file.pg>', 'the .pg schema whose @embed annotations apply')
    .option('--reembed-all', 'recompute every vector that has a source text')
    .option('--clean', 'remove the @embed vectors instead of computing them')
    .option(
      '--type <type>',
      'only rows of this node type (repeatable)',
      (v: string, acc: string[] = []) => [...acc, v],
    )
    .option('--json', 'print JSON')
    .action(lazyAction(actions, 'embed'));
}
