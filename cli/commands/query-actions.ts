/**
 * The actions of `lint`, `query lint`, `query check`, `query explain`: compile `.gq` files against
 * a schema or a repo's catalog. Loaded when one of these commands runs (registered in
 * query.ts).
 */
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

export async function lint(opts: JsonOpt & { query: string; schema: string }): Promise<void> {
  const catalog = compileSchema(readSourceFile(opts.schema, 'schema file'), opts.schema);
  report(
    opts,
    opts.query,
    lintQueries(readSourceFile(opts.query, 'query file'), opts.query, catalog),
  );
}

export async function check(
  repoArg: string | undefined,
  opts: JsonOpt & { query: string; uri?: string },
): Promise<void> {
  const source = readSourceFile(opts.query, 'query file');
  const catalog = await repoCatalog(resolveRepo(repoArg, opts));
  report(opts, opts.query, lintQueries(source, opts.query, catalog));
}

/** `lint` / `check`: against `--schema` or a repo (exactly one). */
export async function lintAny(
  repoArg: string | undefined,
  opts: JsonOpt & { query: string; schema?: string; uri?: string },
): Promise<void> {
  const source = readSourceFile(opts.query, 'query file');
  const catalog = await schemaOrRepoCatalog(repoArg, opts);
  report(opts, opts.query, lintQueries(source, opts.query, catalog));
}

/** The catalog of `--schema` or of a repo (positional or `--uri`); both is a UsageError. */
async function schemaOrRepoCatalog(
  repoArg: string | undefined,
  opts: { schema?: string; uri?: string },
): Promise<Catalog> {
  if (opts.schema && (repoArg || opts.uri))
    throw new UsageError('give either --schema or a repo, not both', { schema: opts.schema });
  if (!opts.schema && !repoArg && !opts.uri)
    throw new UsageError(
      'missing schema: pass --schema <file.pg> or a repo (last argument or --uri)',
    );
  return opts.schema
    ? compileSchema(readSourceFile(opts.schema, 'schema file'), opts.schema)
    : repoCatalog(resolveRepo(repoArg, opts));
}

export async function explain(
  repoArg: string | undefined,
  opts: JsonOpt & { query: string; name: string; schema?: string; uri?: string },
): Promise<void> {
  const source = readSourceFile(opts.query, 'query file');
  const catalog = await schemaOrRepoCatalog(repoArg, opts);
  const plan = compileQuery(source, opts.query, catalog, opts.name);
  printResult(opts, planToJSON(plan), () => explainQuery(plan));
}
