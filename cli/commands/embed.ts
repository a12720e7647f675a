/** `embed`: fill, recompute or strip the @embed vectors of a JSONL file offline (docs/cli.md). */
import type { Command } from 'commander';
import { compileSchema, embedJsonlFile, UsageError, type EmbedFileMode } from '../../src/index.js';
import { readSourceFile } from '../files.js';
import { printResult } from '../output.js';

interface EmbedOpts {
  input: string;
  output: string;
  schema: string;
  reembedAll?: boolean;
  clean?: boolean;
  type?: string[];
  json?: boolean;
}

function modeOf(opts: EmbedOpts): EmbedFileMode {
  if (opts.reembedAll && opts.clean)
    throw new UsageError('--reembed-all and --clean exclude each other', {
      option: '--clean',
    });
  return opts.clean ? 'clean' : opts.reembedAll ? 'reembed-all' : 'fill';
}

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
    .action(async (opts: EmbedOpts) => {
      const mode = modeOf(opts);
      if (opts.input === opts.output)
        throw new UsageError('--output must differ from --input (the input is streamed)', {
          option: '--output',
          value: opts.output,
        });
      const catalog = compileSchema(readSourceFile(opts.schema, 'schema file'), opts.schema);
      const result = await embedJsonlFile({
        input: opts.input,
        output: opts.output,
        catalog,
        mode,
        ...(opts.type ? { types: opts.type } : {}),
      });
      printResult(
        opts,
        result,
        () =>
          `${result.mode}: ${result.records} records from ${result.input} → ${result.output}; ${result.embedded} vectors computed, ${result.cleaned} removed`,
      );
    });
}
