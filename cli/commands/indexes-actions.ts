/**
 * The actions of `index ensure` and `index list`: the Lance indexes the schema asks for
 * (docs/indexes.md). Loaded when one of these commands runs (registered in indexes.ts).
 */
import {
  Repo,
  type GraphIndexListRow,
  type IndexListRow,
  type IndexProgress,
  DEFAULT_BRANCH,
} from '../../src/index.js';
import { formatTable } from '../format.js';
import { printResult } from '../output.js';
import { resolveRepo } from '../repo-arg.js';

interface EnsureOpts {
  branch?: string;
  type?: string[];
  actor?: string;
  message?: string;
  json?: boolean;
  uri?: string;
}

interface ListOpts {
  branch?: string;
  json?: boolean;
  uri?: string;
}

function progressLine(p: IndexProgress): string {
  const what = `${p.tableKey}.${p.column} (${p.kind})`;
  return p.phase === 'start'
    ? `[${p.step}/${p.of}] building ${what}…\n`
    : `[${p.step}/${p.of}] built ${what} in ${((p.ms ?? 0) / 1000).toFixed(2)}s\n`;
}

function humanList(rows: Array<IndexListRow | GraphIndexListRow>): string {
  if (rows.length === 0) return 'the schema asks for no index';
  return formatTable(
    ['table', 'column', 'index', 'state', 'version', 'indexed', 'unindexed'],
    rows.map((r) => [
      r.type,
      r.column,
      r.indexType ?? r.kind,
      r.state,
      r.builtAtVersion ?? '-',
      r.indexedRows ?? '-',
      r.unindexedRows ?? '-',
    ]),
  );
}

export async function indexEnsure(repoArg: string | undefined, opts: EnsureOpts): Promise<void> {
  const repo = await Repo.open(resolveRepo(repoArg, opts));
  try {
    const out = await repo.ensureIndexes({
      branch: opts.branch ?? DEFAULT_BRANCH,
      ...(opts.type !== undefined ? { types: opts.type } : {}),
      ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
      ...(opts.message !== undefined ? { message: opts.message } : {}),
      onProgress: (p) => process.stderr.write(progressLine(p)),
    });
    const { value, opId, commitId } = out;
    printResult(opts, { opId, commitId, ...value }, () =>
      [
        value.built.length === 0
          ? 'every index is up to date: nothing to build'
          : `built ${value.built.length} index(es)`,
        ...value.built.map(
          (b) =>
            `  ${b.type}.${b.column} ${b.kind} → version ${b.version} (${(b.ms / 1000).toFixed(2)}s)`,
        ),
        ...value.graphs.map(
          (g) =>
            `  ${g.type} graph index at version ${g.version}: ${g.state === 'written' ? `written (${(g.ms / 1000).toFixed(2)}s)` : 'current'}`,
        ),
        `op ${opId}`,
        commitId ? `commit ${commitId}` : 'nothing to commit',
      ].join('\n'),
    );
  } finally {
    await repo.close();
  }
}

export async function indexList(repoArg: string | undefined, opts: ListOpts): Promise<void> {
  const repo = await Repo.open(resolveRepo(repoArg, opts), { readOnly: true });
  try {
    const rows = await repo.indexes(opts.branch !== undefined ? { branch: opts.branch } : {});
    printResult(opts, rows, () => humanList(rows));
  } finally {
    await repo.close();
  }
}
