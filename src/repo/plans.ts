/**
 * Compiling the queries a Repo runs: named `.gq` reads (cached per source) and
 * mutations, each checked to be of the kind its caller runs; and what a
 * transaction's own reads see of what it staged.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compileQuery, bindParams } from '../query/index.js';
import type { MutationPlan, QueryPlan, ReadPlan } from '../query/index.js';
import type { Catalog } from '../schema/types.js';
import type { QuerySource, TableOverlay } from '../read/index.js';
import type { StagedOperation } from '../write/protocol/index.js';
import { RepoError } from '../errors.js';

type BoundParams = ReturnType<typeof bindParams>;

/** At most this many compiled plans are kept (the oldest is dropped first). */
const MAX_CACHED_PLANS = 256;

export class PlanCache {
  private readonly plans = new Map<string, QueryPlan>();

  constructor(private readonly catalog: Catalog) {}

  /** Compiles the named query of a `.gq` source (or file) and checks it is a read. */
  readPlan(q: QuerySource): { plan: ReadPlan; params: BoundParams } {
    if (q.source === undefined && q.file === undefined)
      throw new RepoError('QuerySourceMissing', 'a query needs its .gq source text or a file', {
        query: q.name,
      });
    const file = q.file ?? '<query>';
    const source = q.source ?? readFileSync(resolve(file), 'utf8');
    // Compiled plans are kept per (file, name, source): a warm query does not re-parse its file.
    const planKey = `${file}\u0000${q.name}\u0000${source}`;
    let plan = this.plans.get(planKey);
    if (!plan) {
      plan = compileQuery(source, file, this.catalog, q.name);
      if (this.plans.size >= MAX_CACHED_PLANS) this.plans.delete(this.plans.keys().next().value!);
      this.plans.set(planKey, plan);
    }
    if (plan.kind !== 'read') {
      throw new RepoError(
        'QueryNotRead',
        `query ${q.name} in ${file} is a mutation; 'read' runs read queries (match … return …), 'change' runs mutations`,
        { query: q.name, file },
      );
    }
    return { plan, params: bindParams(plan, q.params ?? {}) };
  }

  /** Compiles the named mutation of a `.gq` source and binds its parameters. */
  mutationPlan(args: { source: string; file: string; name: string; params?: unknown }): {
    plan: MutationPlan;
    params: BoundParams;
  } {
    const plan = compileQuery(args.source, args.file, this.catalog, args.name);
    if (plan.kind !== 'mutation') {
      throw new RepoError(
        'QueryNotMutation',
        `query ${args.name} in ${args.file} is a read query; 'change' runs mutations (insert/update/delete)`,
        { query: args.name, file: args.file },
      );
    }
    return { plan, params: bindParams(plan, args.params ?? {}) };
  }
}

/** tx.query: what a transaction has staged for a table, laid over its snapshot. */
export function stagedOverlay(
  staged: StagedOperation,
): (tableKey: string) => TableOverlay | undefined {
  return (tableKey) => {
    const t = staged.tables.get(tableKey);
    if (!t || (t.upserts.size === 0 && t.deletes.size === 0)) return undefined;
    return {
      upserts: t.upserts.rows(),
      isUpserted: (id) => t.upserts.has(id),
      deletes: t.deletes,
    };
  };
}
