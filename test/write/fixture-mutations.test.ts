/**
 * Issue 5's bar: every fixture mutation runs against a loaded fixture repo. Parameters
 * are generated from each mutation's own plan: a fresh key for inserted nodes, an
 * existing key (from the loaded seed) for edge endpoints and update/delete targets,
 * and a valid enum value where a String parameter lands in an enum column.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compileQueries,
  lintQueries,
  loadJsonl,
  type MutationPlan,
  type Repo,
} from '../../src/index.js';
import type { PropType } from '../../src/schema/types.js';
import { FIXTURES_DIR } from '../helpers/fixtures.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();

function sample(type: PropType | { kind: 'scalar'; name: string }, fresh: string): unknown {
  if (type.kind === 'enum') return type.values[0];
  if (type.kind === 'vector') return Array.from({ length: type.dim }, () => 0.5);
  if (type.kind === 'list') return [sample(type.element, fresh)];
  switch (type.name) {
    case 'String':
      return fresh;
    case 'Bool':
      return true;
    case 'Date':
      return '2026-04-09';
    case 'DateTime':
      return '2026-04-09T12:00:00Z';
    case 'Blob':
      return 'AAE=';
    case 'F32':
    case 'F64':
      return 1.5;
    default:
      return 1;
  }
}

async function paramsFor(
  repo: Repo,
  plan: MutationPlan,
  n: number,
): Promise<Record<string, unknown>> {
  const params: Record<string, unknown> = {};
  const firstKey = async (type: string) =>
    String((await repo.scan(type, { limit: 1 }))[0]?.id ?? `missing-${type}`);
  for (const op of plan.ops) {
    const bind = async (
      value: { kind: string; name?: string },
      type: PropType,
      existingOf?: string,
    ) => {
      if (value.kind !== 'param' || value.name === undefined || value.name in params) return;
      params[value.name] = existingOf
        ? await firstKey(existingOf)
        : sample(type, `${plan.name}-${value.name}-${n}`);
    };
    if (op.op === 'insert_node') for (const a of op.values) await bind(a.value, a.type);
    if (op.op === 'insert_edge') {
      // A source that has no edge of this type yet, so an @card(0..1) edge fits.
      if (op.from.kind === 'param' && !(op.from.name in params)) {
        const used = new Set((await repo.scan(op.edgeType)).map((r) => String(r.src)));
        const free = (await repo.scan(op.fromType))
          .map((r) => String(r.id))
          .find((id) => !used.has(id));
        params[op.from.name] = free ?? (await firstKey(op.fromType));
      }
      await bind(op.to, { kind: 'scalar', name: 'String' }, op.toType);
      for (const a of op.values) await bind(a.value, a.type);
    }
    if (op.op === 'update' || op.op === 'delete') {
      for (const p of op.where)
        await bind(
          p.value,
          p.type,
          p.column === 'slug' || p.column === 'id' || p.column === 'name' ? op.typeName : undefined,
        );
      if (op.op === 'update') for (const a of op.set) await bind(a.value, a.type);
    }
  }
  return params;
}

for (const cookbook of ['industry-intel', 'pharma-intel']) {
  describe(`fixture mutations: ${cookbook}`, () => {
    it('lint clean, and every mutation runs against the loaded seed', async () => {
      const repo = await makeRepo(join(tmp(), 'repo'), {
        fixture: `cookbooks/${cookbook}/schema.pg`,
      });
      try {
        await loadJsonl(
          repo.operationContext(),
          { path: join(FIXTURES_DIR, 'cookbooks', cookbook, 'seed.jsonl') },
          { mode: 'append' },
        );
        const file = join(FIXTURES_DIR, 'cookbooks', cookbook, 'queries', 'mutations.gq');
        const source = readFileSync(file, 'utf8');
        expect(lintQueries(source, file, repo.catalog).filter((q) => q.status !== 'ok')).toEqual(
          [],
        );
        const mutations = compileQueries(source, file, repo.catalog).filter(
          (p): p is MutationPlan => p.kind === 'mutation',
        );
        expect(mutations.length).toBeGreaterThan(20);
        let n = 0;
        for (const plan of mutations) {
          const params = await paramsFor(repo, plan, n++);
          const out = await repo
            .change({ source, file, name: plan.name, params, actor: 'fixture' })
            .catch((err: unknown) => err);
          expect({ name: plan.name, error: out instanceof Error ? out.message : null }).toEqual({
            name: plan.name,
            error: null,
          });
        }
        expect((await repo.verify()).ok).toBe(true);
      } finally {
        await repo.close();
      }
    });
  });
}
