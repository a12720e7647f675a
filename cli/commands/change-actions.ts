/**
 * The actions of `change`: run a `.gq` mutation against a repo as one atomic operation.
 * Loaded when one of these commands runs (registered in change.ts).
 */
import type { Command } from 'commander';
import { parseParamsJson, UsageError } from '../../src/index.js';
import { printResult } from '../output.js';
import { readSourceFile } from '../files.js';
import { resolveTarget, type TargetOpts } from '../target.js';
import { withGraph } from '../with-graph.js';
import type { ChangeResult } from '../graph-source.js';

interface ChangeOpts extends TargetOpts {
  query: string;
  name: string;
  params?: string;
  paramsFile?: string;
  branch?: string;
  actor?: string;
  ifCommit?: string;
  json?: boolean;
  uri?: string;
}

export async function change(
  repoArg: string | undefined,
  opts: ChangeOpts,
  cmd: Command,
): Promise<void> {
  if (opts.params !== undefined && opts.paramsFile !== undefined)
    throw new UsageError('give --params or --params-file, not both');
  const target = resolveTarget(repoArg, opts);
  // A server records the caller its token names; it takes no actor from the request.
  if (target.kind === 'remote' && cmd.getOptionValueSource('actor') === 'cli')
    throw new UsageError(
      '--actor is not accepted on a served write: the server records the actor of your token',
      {
        option: '--actor',
      },
    );
  // The same parser as `read`'s: the error names where the text came from.
  const params =
    opts.paramsFile !== undefined
      ? parseParamsJson(readSourceFile(opts.paramsFile, 'params file'), opts.name, opts.paramsFile)
      : parseParamsJson(opts.params ?? '{}', opts.name, '--params');
  const source = readSourceFile(opts.query, 'query file');
  const result = await withGraph(target, false, (graph) =>
    graph.change({
      source,
      file: opts.query,
      name: opts.name,
      params,
      branch: opts.branch,
      actor: opts.actor,
      ...(opts.ifCommit !== undefined ? { ifCommit: opts.ifCommit } : {}),
    }),
  );
  printChange(opts, opts.name, result);
}

/** A mutation's result: JSON, or a line per statement and the operation and commit. */
export function printChange(opts: { json?: boolean }, name: string, result: ChangeResult): void {
  printResult(opts, result, () =>
    [
      `${name}: ${result.affectedNodes} node(s), ${result.affectedEdges} edge(s) affected`,
      ...result.statements.map((s) => `  ${s.op} ${s.type}: ${s.rows} row(s)`),
      `  op ${result.opId}${result.commitId ? `, commit ${result.commitId}` : ' (nothing to commit)'}`,
    ].join('\n'),
  );
}
