/** `change`: run a `.gq` mutation against a repo as one atomic operation. */
import type { Command } from 'commander';
import { Repo, UsageError } from '../../src/index.js';
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
  json?: boolean;
  uri?: string;
}

export function registerChangeCommands(program: Command): void {
  program
    .command('change')
    .description('run a named .gq mutation (insert/update/delete) atomically')
    .requiredOption('--query <f.gq>', 'the .gq file')
    .requiredOption('--name <query>', 'the mutation to run')
    .option('--params <json>', 'parameters as a JSON object (64-bit integers may be strings)')
    .option('--params-file <file>', 'parameters from a JSON file')
    .option('--branch <branch>', 'branch to write to', 'main')
    .option('--actor <actor>', 'who is making the change (recorded in the commit)', 'lancelog')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(async (repoArg: string | undefined, opts: ChangeOpts) => {
      if (opts.params !== undefined && opts.paramsFile !== undefined)
        throw new UsageError('give --params or --params-file, not both');
      const paramsText =
        opts.paramsFile !== undefined
          ? readSourceFile(opts.paramsFile, 'params file')
          : (opts.params ?? '{}');
      const source = readSourceFile(opts.query, 'query file');
      const repo = await Repo.open(resolveRepo(repoArg, opts));
      try {
        const out = await repo.change({
          source,
          file: opts.query,
          name: opts.name,
          params: paramsText,
          branch: opts.branch,
          actor: opts.actor,
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
    });
}
