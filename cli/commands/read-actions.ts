/**
 * The actions of `read`: run a named `.gq` read query against one published snapshot of a
 * repo. Loaded when one of these commands runs (registered in read.ts).
 */
import type { Command } from 'commander';
import { parseParamsJson, UsageError } from '../../src/index.js';
import { readSourceFile } from '../files.js';
import { renderRead, type ReadFormat } from '../read-output.js';
import { resolveTarget, type Target, type TargetOpts } from '../target.js';
import { withGraph } from '../with-graph.js';

interface ReadOpts extends TargetOpts {
  query: string;
  name: string;
  params?: string;
  paramsFile?: string;
  branch?: string;
  version?: number;
  commit?: string;
  format?: ReadFormat;
  json?: boolean;
  uri?: string;
}

/** The format: --json is --format json; otherwise a table on a terminal and JSON Lines elsewhere. */
function chooseFormat(opts: ReadOpts, cmd: Command, configured?: ReadFormat): ReadFormat {
  if (opts.json && opts.format !== undefined && opts.format !== 'json')
    cmd.error(
      `error: --json is --format json; it cannot be combined with --format ${opts.format}`,
      {
        exitCode: 2,
        code: 'lancelog.conflictingOption',
      },
    );
  if (opts.json) return 'json';
  return opts.format ?? configured ?? (process.stdout.isTTY ? 'table' : 'jsonl');
}

/** Table width: the terminal's, else $COLUMNS, else no limit. */
export function tableWidth(): number | null {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : null;
}

function targetOf(repoArg: string | undefined, opts: ReadOpts, cmd: Command): Target {
  try {
    return resolveTarget(repoArg, opts);
  } catch (err) {
    if (err instanceof UsageError)
      cmd.error(`error: ${err.message}`, { exitCode: 2, code: 'lancelog.missingRepo' });
    throw err;
  }
}

export async function read(
  repoArg: string | undefined,
  opts: ReadOpts,
  cmd: Command,
): Promise<void> {
  const target = targetOf(repoArg, opts, cmd);
  const format = chooseFormat(opts, cmd, target.output);
  const source = readSourceFile(opts.query, 'query file');
  const params =
    opts.paramsFile !== undefined
      ? parseParamsJson(readSourceFile(opts.paramsFile, 'params file'), opts.name, opts.paramsFile)
      : parseParamsJson(opts.params ?? '{}', opts.name, '--params');
  const doc = await withGraph(target, true, (graph) =>
    graph.query({
      source,
      file: opts.query,
      name: opts.name,
      params,
      ...(opts.branch !== undefined ? { branch: opts.branch } : {}),
      ...(opts.version !== undefined ? { version: opts.version } : {}),
      ...(opts.commit !== undefined ? { commit: opts.commit } : {}),
    }),
  );
  process.stdout.write(renderRead(doc, format, tableWidth()));
}

/** `query` with no subcommand: a read (`--query` and `--name` are required then). */
export async function query(
  repoArg: string | undefined,
  opts: Partial<ReadOpts>,
  cmd: Command,
): Promise<void> {
  for (const [key, flag] of [
    ['query', '--query <f.gq>'],
    ['name', '--name <query>'],
  ] as const)
    if (opts[key] === undefined)
      cmd.error(`error: required option '${flag}' not specified`, {
        exitCode: 2,
        code: 'commander.missingMandatoryOptionValue',
      });
  await read(repoArg, opts as ReadOpts, cmd);
}
