/**
 * The actions of `init`, `schema show/plan/apply`, `version`: creating a repo, looking at
 * and changing its schema. Loaded when one of these commands runs (registered in repo.ts).
 */
import {
  Repo,
  compileSchema,
  planSchemaChange,
  typeText,
  type Catalog,
  type SchemaPlan,
  type SchemaApplyResult,
} from '../../src/index.js';
import { printResult } from '../output.js';
import { readSourceFile } from '../files.js';
import { resolveRepo } from '../repo-arg.js';
import { resolveTarget, type TargetOpts } from '../target.js';
import { withGraph } from '../with-graph.js';

interface JsonOpt {
  json?: boolean;
}
interface RepoOpts extends JsonOpt, TargetOpts {}

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
  opts: RepoOpts & { schema: string; journal?: string },
): Promise<void> {
  const dir = resolveRepo(repoArg, opts);
  const schemaSource = readSourceFile(opts.schema, 'schema file');
  const result = await Repo.init(dir, {
    schemaSource,
    schemaFile: opts.schema,
    ...(opts.journal === undefined ? {} : { journal: opts.journal }),
  });
  printResult(opts, result, () =>
    [
      `initialized ${result.repo} with ${result.tables.length} tables`,
      ...result.tables.map((t) => `  ${t.tableKey.padEnd(32)} ${t.tablePath}  v${t.version}`),
    ].join('\n'),
  );
}

export async function schemaShow(repoArg: string | undefined, opts: RepoOpts): Promise<void> {
  const { catalog, json } = await withGraph(resolveTarget(repoArg, opts), true, (g) => g.catalog());
  process.stdout.write(`${opts.json ? json : formatCatalog(catalog)}\n`);
}

export async function schemaPlan(
  repoArg: string | undefined,
  opts: RepoOpts & { schema: string },
): Promise<void> {
  const next = compileSchema(readSourceFile(opts.schema, 'schema file'), opts.schema);
  const { catalog } = await withGraph(resolveTarget(repoArg, opts), true, (g) => g.catalog());
  const plan = planSchemaChange(catalog, next);
  printResult(opts, plan, () => formatPlan(plan));
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

export async function schemaApply(
  repoArg: string | undefined,
  opts: RepoOpts & { schema: string; actor?: string; message?: string },
): Promise<void> {
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
}
