/** `read`: run a named `.gq` read query against one published snapshot of a repo. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parse as losslessParse, isSafeNumber } from 'lossless-json';
import { ParamError, Repo, UsageError } from '../../src/index.js';
import { readSourceFile } from '../files.js';
import { resolveRepo } from '../repo-arg.js';
import { READ_FORMATS, renderRead, type ReadDocument, type ReadFormat } from '../read-output.js';
import { columnTypeText, formatValue, type OutObject } from '../read-values.js';

interface ReadOpts {
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

function positiveInt(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new InvalidArgumentError('expected a manifest version (an integer >= 1)');
  return Number(text);
}

/**
 * Parameters as JSON: integers beyond 2^53 become bigints (exact, for I64/U64);
 * text that is not JSON is `ParamsInvalid` naming the query and where it came from.
 */
export function parseParams(text: string, query: string, from: string): unknown {
  try {
    return losslessParse(text, undefined, (s: string) =>
      /^-?\d+$/.test(s) && !isSafeNumber(s) ? BigInt(s) : Number(s),
    );
  } catch (err) {
    throw new ParamError(
      'ParamsInvalid',
      `parameters of query ${query} (${from}) are not valid JSON: ${(err as Error).message}`,
      { query, from },
    );
  }
}

/** The format: --json is --format json; otherwise a table on a terminal and JSON Lines elsewhere. */
function chooseFormat(opts: ReadOpts, cmd: Command): ReadFormat {
  if (opts.json && opts.format !== undefined && opts.format !== 'json')
    cmd.error(
      `error: --json is --format json; it cannot be combined with --format ${opts.format}`,
      {
        exitCode: 2,
        code: 'lancelog.conflictingOption',
      },
    );
  if (opts.json) return 'json';
  return opts.format ?? (process.stdout.isTTY ? 'table' : 'jsonl');
}

/** Table width: the terminal's, else $COLUMNS, else no limit. */
function tableWidth(): number | null {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : null;
}

function repoOf(repoArg: string | undefined, opts: ReadOpts, cmd: Command): string {
  try {
    return resolveRepo(repoArg, opts);
  } catch (err) {
    if (err instanceof UsageError)
      cmd.error(`error: ${err.message}`, { exitCode: 2, code: 'lancelog.missingRepo' });
    throw err;
  }
}

export function registerReadCommands(program: Command): void {
  program
    .command('read')
    .description('run a named .gq read query on one published snapshot and print its rows')
    .requiredOption('--query <f.gq>', 'the .gq file')
    .requiredOption('--name <query>', 'the read query to run')
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
    .option('--uri <repo>', 'repo directory')
    .action(async (repoArg: string | undefined, opts: ReadOpts, cmd: Command) => {
      const format = chooseFormat(opts, cmd);
      const dir = repoOf(repoArg, opts, cmd);
      const source = readSourceFile(opts.query, 'query file');
      const params =
        opts.paramsFile !== undefined
          ? parseParams(readSourceFile(opts.paramsFile, 'params file'), opts.name, opts.paramsFile)
          : parseParams(opts.params ?? '{}', opts.name, '--params');
      const repo = await Repo.open(dir, { readOnly: true });
      try {
        const out = await repo.query({
          source,
          file: opts.query,
          name: opts.name,
          params,
          ...(opts.branch !== undefined ? { branch: opts.branch } : {}),
          ...(opts.version !== undefined ? { version: opts.version } : {}),
          ...(opts.commit !== undefined ? { commit: opts.commit } : {}),
        });
        const columns = out.columns.map((c) => c.name);
        const rows = out.rows.map((row) => {
          const o: OutObject = {};
          for (const c of out.columns) o[c.name] = formatValue(row[c.name], c.type, repo.catalog);
          return o;
        });
        const doc: ReadDocument = {
          query_name: out.query,
          target: {
            branch: out.target.branch,
            snapshot: out.target.commitId,
            manifest_version: out.target.manifestVersion,
            commit_id: out.target.commitId,
          },
          row_count: rows.length,
          columns,
          column_types: out.columns.map((c) => columnTypeText(c.type)),
          rows,
        };
        process.stdout.write(renderRead(doc, format, tableWidth()));
      } finally {
        await repo.close();
      }
    });
}
