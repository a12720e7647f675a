/** `init`, `schema show/plan/apply`, `version`: creating a repo, looking at and changing its schema. */
import type { Command } from 'commander';
import {
  Repo,
  compileSchema,
  lancelogVersion,
  planSchemaChange,
  typeText,
  type Catalog,
  type SchemaPlan,
  type SchemaApplyResult,
} from '../../src/index.js';
import { printResult } from '../output.js';
import { readSourceFile } from '../files.js';
import { resolveRepo } from '../repo-arg.js';

interface JsonOpt {
  json?: boolean;
}
interface RepoOpts extends JsonOpt {
  uri?: string;
}

export function formatCatalog(catalog: Catalog): string {
  const lines: string[] = [];
  for (const n of catalog.nodes) {
    lines.push(
      `node ${n.name}${n.implements.length ? ` implements ${n.implements.join(', ')}` : ''}  [${n.tableKey} → ${n.tablePath}]`,
    );
    for (const p of n.properties)
      lines.push(
        `  ${p.name}: ${typeText(p.type)}${p.nullable ? '?' : ''}${n.constraints.key.includes(p.name) ? ' @key' : ''}`,
      );
  }
  for (const e of catalog.edges) {
    lines.push(
      `edge ${e.name}: ${e.from} -> ${e.to} @card(${e.card.min}..${e.card.max ?? '*'})  [${e.tableKey} → ${e.tablePath}]`,
    );
    for (const p of e.properties)
      lines.push(`  ${p.name}: ${typeText(p.type)}${p.nullable ? '?' : ''}`);
  }
  return lines.join('\n');
}

export function formatPlan(plan: SchemaPlan): string {
  if (plan.unchanged) return 'no changes: the schemas describe the same tables';
  const lines = plan.steps.map(
    (s) => `  ${s.safety.padEnd(16)} ${s.kind.padEnd(18)} ${s.type.padEnd(16)} ${s.detail}`,
  );
  const verdict = plan.unsupported
    ? 'unsupported steps: schema apply would refuse this plan'
    : plan.needsValidation
      ? 'schema apply checks the existing data first'
      : 'every step is safe';
  return [`${plan.steps.length} step(s):`, ...lines, verdict].join('\n');
}

export function formatApply(r: Omit<SchemaApplyResult, 'catalog'>): string {
  if (!r.applied) return 'no changes: the schemas describe the same tables; nothing written';
  const moved = r.tables.map((t) => `  ${t.tableKey}: ${t.from} → ${t.to}`);
  return [
    `applied ${r.plan.steps.length} step(s) in commit ${r.commitId ?? '-'} (operation ${r.opId ?? '-'})`,
    ...moved,
    ...(r.created.length ? [`  new tables: ${r.created.join(', ')}`] : []),
    ...(r.unpinned.length ? [`  no longer pinned: ${r.unpinned.join(', ')}`] : []),
    `schema ${r.previousHash.slice(0, 12)} → ${r.hash.slice(0, 12)}`,
  ].join('\n');
}

export function registerRepoCommands(program: Command): void {
  program
    .command('init')
    .description(
      'create a repo: store the schema and create one empty Lance table per node and edge type',
    )
    .requiredOption('--schema <file.pg>', 'the .pg schema file')
    .argument('[repo]', 'repo directory (must not exist or be empty)')
    .option('--uri <repo>', 'repo directory (alternative to the positional argument)')
    .option('--json', 'print JSON')
    .action(async (repoArg: string | undefined, opts: RepoOpts & { schema: string }) => {
      const dir = resolveRepo(repoArg, opts);
      const schemaSource = readSourceFile(opts.schema, 'schema file');
      const result = await Repo.init(dir, { schemaSource, schemaFile: opts.schema });
      printResult(opts, result, () =>
        [
          `initialized ${result.repo} with ${result.tables.length} tables`,
          ...result.tables.map((t) => `  ${t.tableKey.padEnd(32)} ${t.tablePath}  v${t.version}`),
        ].join('\n'),
      );
    });

  const schema = program
    .command('schema')
    .description('inspect the schema of a repo and plan changes to it');
  schema
    .command('show')
    .description('print the compiled schema (catalog) of a repo')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print the catalog as deterministic JSON')
    .action(async (repoArg: string | undefined, opts: RepoOpts) => {
      const repo = await Repo.open(resolveRepo(repoArg, opts), { readOnly: true });
      try {
        if (opts.json) process.stdout.write(`${repo.catalogJSON()}\n`);
        else process.stdout.write(`${formatCatalog(repo.catalog)}\n`);
      } finally {
        await repo.close();
      }
    });

  schema
    .command('plan')
    .description(
      "list the steps from the repo's schema to a new one, each safe, needs-validation or unsupported (changes nothing)",
    )
    .requiredOption('--schema <file.pg>', 'the new .pg schema file')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print the plan as JSON')
    .action(async (repoArg: string | undefined, opts: RepoOpts & { schema: string }) => {
      const next = compileSchema(readSourceFile(opts.schema, 'schema file'), opts.schema);
      const repo = await Repo.open(resolveRepo(repoArg, opts), { readOnly: true });
      try {
        const plan = planSchemaChange(repo.catalog, next);
        printResult(opts, plan, () => formatPlan(plan));
      } finally {
        await repo.close();
      }
    });

  schema
    .command('apply')
    .description(
      "change the repo's schema in place: check the existing data against the new rules, then migrate it as one journaled operation (repo-wide: only while main is the only branch)",
    )
    .requiredOption('--schema <file.pg>', 'the new .pg schema file')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--actor <name>', 'actor recorded with the commit')
    .option('-m, --message <text>', 'commit message')
    .option('--json', 'print the result as JSON')
    .action(
      async (
        repoArg: string | undefined,
        opts: RepoOpts & { schema: string; actor?: string; message?: string },
      ) => {
        const source = readSourceFile(opts.schema, 'schema file');
        const repo = await Repo.open(resolveRepo(repoArg, opts));
        try {
          const result = await repo.applySchema(source, opts.schema, {
            ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
            ...(opts.message !== undefined ? { message: opts.message } : {}),
          });
          printResult(opts, result, () => formatApply(result));
        } finally {
          await repo.close();
        }
      },
    );

  program
    .command('version')
    .description('print the lancelog version')
    .option('--json', 'print JSON')
    .action((opts: JsonOpt) => {
      const info = { lancelog: lancelogVersion(), node: process.version };
      printResult(opts, info, () => `lancelog ${info.lancelog} (node ${info.node})`);
    });
}
