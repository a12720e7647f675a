/**
 * Executes a compiled `.gq` mutation through the write protocol: statements run in
 * order against one staged operation (an update sees an insert before it, a delete
 * sees both), and everything commits atomically — one Lance commit per touched
 * table — or not at all. Mixed insert/update/delete in one query is accepted.
 */
import type { MutationPlan, Predicate, QueryValue, ValueExpr, Assignment } from '../query/index.js';
import type { PropType } from '../schema/types.js';
import { ParamError } from '../query/errors.js';
import {
  embedJobs,
  embedTargetsOf,
  lazyEmbeddingClient,
  runEmbedJobs,
  runWrite,
  sourceText,
  stagingAt,
  type Filter,
  type OperationContext,
  type OperationOptions,
  type OperationOutcome,
  type StagedOperation,
} from './protocol/index.js';
import type { EmbeddingClient } from '../embed/index.js';

export interface MutationResult {
  /** Per statement: how many rows it inserted, updated or deleted (cascaded edges not included). */
  statements: Array<{ op: string; type: string; rows: number }>;
}

function resolve(
  v: ValueExpr,
  params: Map<string, QueryValue>,
  type: PropType,
  nowMs: number,
): unknown {
  switch (v.kind) {
    case 'literal':
      return v.value;
    case 'param': {
      if (!params.has(v.name))
        throw new ParamError('ParamMissing', `parameter $${v.name} has no value`, {
          param: v.name,
        });
      return params.get(v.name);
    }
    case 'now': {
      // One timestamp per operation.
      const d = new Date(nowMs);
      return type.kind === 'scalar' && type.name === 'Date'
        ? d.toISOString().slice(0, 10)
        : d.toISOString();
    }
  }
}

function values(
  assignments: Assignment[],
  params: Map<string, QueryValue>,
  nowMs: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of assignments) out[a.property] = resolve(a.value, params, a.type, nowMs);
  return out;
}

function toFilter(where: Predicate[], params: Map<string, QueryValue>, nowMs: number): Filter {
  return where.map((p) => ({
    column: p.column,
    op: p.op,
    value: resolve(p.value, params, p.type, nowMs),
  }));
}

/**
 * An update that sets an @embed source and not its vector re-embeds the new text (the
 * old vector described the old text); setting the source to null or blank clears it.
 */
async function embedPatch(
  staged: StagedOperation,
  typeName: string,
  patch: Record<string, unknown>,
  client: () => EmbeddingClient,
): Promise<void> {
  const def = staged.typeDef(typeName);
  for (const t of embedTargetsOf(def))
    if (t.source in patch && !(t.property in patch) && sourceText(patch[t.source]) === undefined)
      patch[t.property] = null;
  await runEmbedJobs(client, embedJobs(def, patch));
}

async function stageMutation(
  staged: StagedOperation,
  plan: MutationPlan,
  params: Map<string, QueryValue>,
  client: () => EmbeddingClient,
): Promise<MutationResult> {
  const statements: MutationResult['statements'] = [];
  for (const op of plan.ops) {
    switch (op.op) {
      case 'insert_node': {
        const data = values(op.values, params, staged.nowMs);
        await runEmbedJobs(client, embedJobs(staged.typeDef(op.nodeType), data));
        staged.putNode(op.nodeType, data, 'insert');
        statements.push({ op: 'insert', type: op.nodeType, rows: 1 });
        break;
      }
      case 'insert_edge': {
        const from = resolve(op.from, params, { kind: 'scalar', name: 'String' }, staged.nowMs);
        const to = resolve(op.to, params, { kind: 'scalar', name: 'String' }, staged.nowMs);
        staged.putEdge(
          op.edgeType,
          from === null ? undefined : from,
          to === null ? undefined : to,
          values(op.values, params, staged.nowMs),
        );
        statements.push({ op: 'insert', type: op.edgeType, rows: 1 });
        break;
      }
      case 'update': {
        const rows = await staged.scan(op.typeName, toFilter(op.where, params, staged.nowMs));
        const patch = values(op.set, params, staged.nowMs);
        if (rows.length > 0) await embedPatch(staged, op.typeName, patch, client);
        for (const r of rows) await staged.updateRow(op.typeName, String(r.id), patch);
        statements.push({ op: 'update', type: op.typeName, rows: rows.length });
        break;
      }
      case 'delete': {
        const rows = await staged.scan(op.typeName, toFilter(op.where, params, staged.nowMs));
        for (const r of rows) await staged.deleteRow(op.typeName, String(r.id));
        statements.push({ op: 'delete', type: op.typeName, rows: rows.length });
        break;
      }
    }
  }
  return { statements };
}

export function executeMutation(
  ctx: OperationContext,
  plan: MutationPlan,
  params: Map<string, QueryValue>,
  opts: OperationOptions = {},
): Promise<OperationOutcome<MutationResult>> {
  return runWrite(
    ctx,
    'Mutation',
    { message: opts.message ?? `mutation ${plan.name}`, ...opts },
    async (snapshot) => {
      const staged = stagingAt(ctx, snapshot);
      const client = ctx.embeddings ?? lazyEmbeddingClient();
      return { value: await stageMutation(staged, plan, params, client), staged };
    },
  );
}
