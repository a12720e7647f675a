/**
 * The actions of `init`, `schema show`, `version`: creating a repo and looking at its
 * schema. Loaded when one of these commands runs (registered in repo.ts).
 */
import {
  Repo,
  compileSchema,
  planSchemaChange,
  typeText,
  type Catalog,
  type SchemaPlan,
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

export async function init(
  repoArg: string | undefined,
  opts: RepoOpts & { schema: string },
): Promise<void> {
  const dir = resolveRepo(repoArg, opts);
  const schemaSource = readSourceFile(opts.schema, 'schema file');
  const result = await Repo.init(dir, { schemaSource, schemaFile: opts.schema });
  printResult(opts, result, () =>
    [
      `initialized ${result.repo} with ${result.tables.length} tables`,
      ...result.tables.map((t) => `  ${t.tableKey.padEnd(32)} ${t.tablePath}  v${t.version}`),
    ].join('\n'),
  );
}

export async function schemaShow(repoArg: string | undefined, opts: RepoOpts): Promise<void> {
  const repo = await Repo.open(resolveRepo(repoArg, opts), { readOnly: true });
  try {
    if (opts.json) process.stdout.write(`${repo.catalogJSON()}\n`);
    else process.stdout.write(`${formatCatalog(repo.catalog)}\n`);
  } finally {
    await repo.close();
  }
}

export async function schemaPlan(
  repoArg: string | undefined,
  opts: RepoOpts & { schema: string },
): Promise<void> {
  const next = compileSchema(readSourceFile(opts.schema, 'schema file'), opts.schema);
  const repo = await Repo.open(resolveRepo(repoArg, opts), { readOnly: true });
  try {
    const plan = planSchemaChange(repo.catalog, next);
    printResult(opts, plan, () => formatPlan(plan));
  } finally {
    await repo.close();
  }
}
