/**
 * The actions of `read`: run a named `.gq` read query against one published snapshot of a
 * repo. Loaded when one of these commands runs (registered in read.ts).
 */
import type { Command } from 'commander';
import { parseParamsJson, Repo, UsageError } from '../../src/index.js';
import { readSourceFile } from '../files.js';
import { resolveRepo } from '../repo-arg.js';
import { renderRead, type ReadDocument, type ReadFormat } from '../read-output.js';
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

export async function read(
  repoArg: string | undefined,
  opts: ReadOpts,
  cmd: Command,
): Promise<void> {
  const format = chooseFormat(opts, cmd);
  const dir = repoOf(repoArg, opts, cmd);
  const source = readSourceFile(opts.query, 'query file');
  const params =
    opts.paramsFile !== undefined
      ? parseParamsJson(readSourceFile(opts.paramsFile, 'params file'), opts.name, opts.paramsFile)
      : parseParamsJson(opts.params ?? '{}', opts.name, '--params');
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
}
