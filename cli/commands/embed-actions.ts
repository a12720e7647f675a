/**
 * The actions of `embed`: fill, recompute or strip the @embed vectors of a JSONL file
 * offline (docs/cli.md). Loaded when one of these commands runs (registered in embed.ts).
 */
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

export async function embed(opts: EmbedOpts): Promise<void> {
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
}
