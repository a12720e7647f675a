/**
 * The actions of `change`: run a `.gq` mutation against a repo as one atomic operation.
 * Loaded when one of these commands runs (registered in change.ts).
 */
import { parseParamsJson, Repo, UsageError } from '../../src/index.js';
import { printResult } from '../output.js';
import { readSourceFile } from '../files.js';
import { resolveRepo } from '../repo-arg.js';

interface ChangeOpts {
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

export async function change(repoArg: string | undefined, opts: ChangeOpts): Promise<void> {
  if (opts.params !== undefined && opts.paramsFile !== undefined)
    throw new UsageError('give --params or --params-file, not both');
  // The same parser as `read`'s: the error names where the text came from.
  const params =
    opts.paramsFile !== undefined
      ? parseParamsJson(readSourceFile(opts.paramsFile, 'params file'), opts.name, opts.paramsFile)
      : parseParamsJson(opts.params ?? '{}', opts.name, '--params');
  const source = readSourceFile(opts.query, 'query file');
  const repo = await Repo.open(resolveRepo(repoArg, opts));
  try {
    const out = await repo.change({
      source,
      file: opts.query,
      name: opts.name,
      params,
      branch: opts.branch,
      actor: opts.actor,
      ...(opts.ifCommit !== undefined ? { ifCommit: opts.ifCommit } : {}),
    });
    const result = {
      affectedNodes: out.affectedNodes,
      affectedEdges: out.affectedEdges,
      opId: out.opId,
      commitId: out.commitId,
      manifestVersion: out.manifestVersion,
      statements: out.value.statements,
    };
    printResult(opts, result, () =>
      [
        `${opts.name}: ${out.affectedNodes} node(s), ${out.affectedEdges} edge(s) affected`,
        ...out.value.statements.map((s) => `  ${s.op} ${s.type}: ${s.rows} row(s)`),
        `  op ${out.opId}${out.commitId ? `, commit ${out.commitId}` : ' (nothing to commit)'}`,
      ].join('\n'),
    );
  } finally {
    await repo.close();
  }
}
