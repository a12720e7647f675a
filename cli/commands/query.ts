/** `query lint`, `query check`, `query explain`: compile `.gq` files against a schema or a repo's catalog. */
import type { Command } from 'commander';
import {
  Repo,
  UsageError,
  compileQuery,
  compileSchema,
  explainQuery,
  lintQueries,
  planToJSON,
  type Catalog,
  type QueryLintResult,
} from '../../src/index.js';
import { printResult } from '../output.js';
import { readSourceFile } from '../files.js';
import { resolveRepo } from '../repo-arg.js';

interface JsonOpt {
  json?: boolean;
}

async function repoCatalog(dir: string): Promise<Catalog> {
  const repo = await Repo.open(dir, { readOnly: true });
  try {
    return repo.catalog;
  } finally {
    await repo.close();
  }
}

export function formatLint(file: string, results: QueryLintResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.status === 'ok' ? 'ok   ' : 'ERROR'} ${r.kind.padEnd(8)} ${r.name}`);
    for (const e of r.errors)
      lines.push(`  error [${e.code}] ${file}:${e.line}:${e.column}: ${e.message}`);
    for (const w of r.warnings)
      lines.push(`  warning [${w.code}] ${file}:${w.line}:${w.column}: ${w.message}`);
  }
  const errors = results.filter((r) => r.status === 'error').length;
  const warnings = results.reduce((n, r) => n + r.warnings.length, 0);
  lines.push(
    `${results.length} quer${results.length === 1 ? 'y' : 'ies'}: ${errors} with errors, ${warnings} warning${warnings === 1 ? '' : 's'}`,
  );
  return lines.join('\n');
}

function report(opts: JsonOpt, file: string, results: QueryLintResult[]): void {
  printResult(opts, { file, queries: results }, () => formatLint(file, results));
  if (results.some((r) => r.status === 'error')) process.exitCode = 1;
}

export function registerQueryCommands(program: Command): void {
  const query = program.command('query').description('compile, check and explain .gq query files');

  query
    .command('lint')
    .description(
      'type-check every query of a .gq file against a .pg schema; report errors and warnings per query',
    )
    .requiredOption('--query <file.gq>', 'the .gq query file')
    .requiredOption('--schema <file.pg>', 'the .pg schema file')
    .option('--json', 'print JSON')
    .action((opts: JsonOpt & { query: string; schema: string }) => {
      const catalog = compileSchema(readSourceFile(opts.schema, 'schema file'), opts.schema);
      report(
        opts,
        opts.query,
        lintQueries(readSourceFile(opts.query, 'query file'), opts.query, catalog),
      );
    });

  query
    .command('check')
    .description("type-check every query of a .gq file against a repo's schema")
    .requiredOption('--query <file.gq>', 'the .gq query file')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(
      async (repoArg: string | undefined, opts: JsonOpt & { query: string; uri?: string }) => {
        const source = readSourceFile(opts.query, 'query file');
        const catalog = await repoCatalog(resolveRepo(repoArg, opts));
        report(opts, opts.query, lintQueries(source, opts.query, catalog));
      },
    );

  query
    .command('explain')
    .description('print the typed plan (IR) of one query')
    .requiredOption('--query <file.gq>', 'the .gq query file')
    .requiredOption('--name <query>', 'the query name')
    .option('--schema <file.pg>', 'the .pg schema file (instead of a repo)')
    .argument('[repo]', 'repo directory (instead of --schema)')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print the plan as JSON')
    .action(
      async (
        repoArg: string | undefined,
        opts: JsonOpt & { query: string; name: string; schema?: string; uri?: string },
      ) => {
        if (opts.schema && (repoArg || opts.uri))
          throw new UsageError('give either --schema or a repo, not both', { schema: opts.schema });
        const source = readSourceFile(opts.query, 'query file');
        const catalog = opts.schema
          ? compileSchema(readSourceFile(opts.schema, 'schema file'), opts.schema)
          : await repoCatalog(resolveRepo(repoArg, opts));
        const plan = compileQuery(source, opts.query, catalog, opts.name);
        printResult(opts, planToJSON(plan), () => explainQuery(plan));
      },
    );
}
