/** `index ensure` and `index list`: the Lance indexes the schema asks for (docs/indexes.md). */
import type { Command } from 'commander';
import { Repo, type IndexListRow, type IndexProgress } from '../../src/index.js';
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

function humanList(rows: IndexListRow[]): string {
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

export function registerIndexCommands(program: Command): void {
  const index = program
    .command('index')
    .description('the indexes the schema asks for: BTREE, inverted (full-text) and vector');

  index
    .command('ensure')
    .description('build every missing or stale index as one operation (progress on stderr)')
    .option('--branch <branch>', 'branch whose tables to index', 'main')
    .option(
      '--type <type>',
      'only this node type (repeat for several)',
      (v: string, acc: string[] = []) => [...acc, v],
    )
    .option('--actor <actor>', 'who is building (recorded in the journal)')
    .option('--message <text>', 'commit message')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(async (repoArg: string | undefined, opts: EnsureOpts) => {
      const repo = await Repo.open(resolveRepo(repoArg, opts));
      try {
        const out = await repo.ensureIndexes({
          branch: opts.branch ?? 'main',
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
            `op ${opId}`,
            commitId ? `commit ${commitId}` : 'nothing to commit',
          ].join('\n'),
        );
      } finally {
        await repo.close();
      }
    });

  index
    .command('list')
    .description('each index the schema asks for: table, column, type, state, version it covers')
    .option('--branch <branch>', 'branch to list (default main)')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(async (repoArg: string | undefined, opts: ListOpts) => {
      const repo = await Repo.open(resolveRepo(repoArg, opts), { readOnly: true });
      try {
        const rows = await repo.indexes(opts.branch !== undefined ? { branch: opts.branch } : {});
        printResult(opts, rows, () => humanList(rows));
      } finally {
        await repo.close();
      }
    });
}
