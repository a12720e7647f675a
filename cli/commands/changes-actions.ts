/**
 * What changed, the actions: `diff` (row changes between any two states), `history` (one
 * entity's versions along a branch) and `branch merge`. Thin over the Repo API. Loaded when
 * one of these commands runs (registered in changes.ts).
 */
import { z } from 'zod';
import {
  UsageError,
  type Change,
  type ChangeOp,
  type Repo,
  DEFAULT_BRANCH,
} from '../../src/index.js';
import { formatTable, isoFromUs } from '../format.js';
import { printResult } from '../output.js';
import { resolveRepo } from '../repo-arg.js';
import { withRepo } from '../with-repo.js';

interface RepoOpts {
  json?: boolean;
  uri?: string;
}

const OPS = z.enum(['insert', 'update', 'delete']);

/** `--op` values (repeatable, or comma-separated), checked against insert|update|delete. */
export function parseOps(raw: string[]): ChangeOp[] {
  const ops = raw.flatMap((r) => r.split(',')).map((s) => s.trim());
  return ops.map((op) => {
    const parsed = OPS.safeParse(op);
    if (!parsed.success)
      throw new UsageError(`--op must be insert, update or delete, got '${op}'`, {
        option: '--op',
        value: op,
      });
    return parsed.data;
  });
}

function changeJSON(c: Change) {
  return {
    table_key: c.tableKey,
    kind: c.kind,
    type: c.type,
    id: c.id,
    op: c.op,
    ...(c.endpoints ? { endpoints: c.endpoints } : {}),
    ...(c.changedProperties ? { changed_properties: c.changedProperties } : {}),
  };
}

async function runDiff(
  repo: Repo,
  opts: RepoOpts & { from: string; to: string; type: string[]; op: string[] },
): Promise<void> {
  const ops = parseOps(opts.op);
  const d = await repo.diff({
    from: opts.from,
    to: opts.to,
    filter: {
      ...(opts.type.length ? { types: opts.type } : {}),
      ...(ops.length ? { ops } : {}),
    },
  });
  const ref = (s: typeof d.from) => ({
    branch: s.branch,
    manifest_version: s.manifestVersion,
    commit: s.commitId,
  });
  const result = {
    from: ref(d.from),
    to: ref(d.to),
    changes: d.changes.map(changeJSON),
    stats: d.stats,
  };
  const sign = { insert: '+', update: '~', delete: '-' } as const;
  printResult(opts, result, () =>
    [
      `diff ${d.from.branch}@${d.from.manifestVersion} → ${d.to.branch}@${d.to.manifestVersion}: ` +
        `${d.stats.inserts} inserted, ${d.stats.updates} updated, ${d.stats.deletes} deleted`,
      ...d.changes.map(
        (c) =>
          `${sign[c.op]} ${c.tableKey} ${c.id}` +
          (c.endpoints ? ` (${c.endpoints.src} → ${c.endpoints.dst})` : '') +
          (c.changedProperties ? ` [${c.changedProperties.join(', ')}]` : ''),
      ),
    ].join('\n'),
  );
}

function rowText(row: Record<string, unknown>): string {
  return Object.entries(row)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(
      ([k, v]) =>
        `${k}=${v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) : String(v)}`,
    )
    .join(' ');
}

export async function merge(
  source: string,
  repoArg: string | undefined,
  opts: RepoOpts & { into?: string; actor?: string; message?: string },
): Promise<void> {
  await withRepo(resolveRepo(repoArg, opts), false, async (repo) => {
    const r = await repo.merge({
      source,
      ...(opts.into !== undefined ? { target: opts.into } : {}),
      ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
      ...(opts.message !== undefined ? { message: opts.message } : {}),
    });
    printResult(opts, r, () =>
      [
        r.outcome === 'AlreadyUpToDate'
          ? `${r.target} is already up to date with ${r.source}`
          : `${r.outcome === 'FastForward' ? 'fast-forwarded' : 'merged'} ${r.source} into ${r.target}: commit ${r.commitId} (manifest ${r.manifestVersion}), base ${r.baseCommitId}`,
        ...r.tables.map((t) => `  ${t.tableKey}: ${t.upserts} upserted, ${t.deletes} deleted`),
      ].join('\n'),
    );
  });
}

export async function diff(
  repoArg: string | undefined,
  opts: RepoOpts & { from: string; to: string; type: string[]; op: string[] },
): Promise<void> {
  parseOps(opts.op);
  await withRepo(resolveRepo(repoArg, opts), true, (repo) => runDiff(repo, opts));
}

export async function history(
  repoArg: string | undefined,
  opts: RepoOpts & { type: string; id: string; branch?: string },
): Promise<void> {
  await withRepo(resolveRepo(repoArg, opts), true, async (repo) => {
    const versions = await repo.entityHistory(opts.type, opts.id, {
      ...(opts.branch !== undefined ? { branch: opts.branch } : {}),
    });
    const out = versions.map((v) => ({
      commit: v.commitId,
      branch: v.branch,
      manifest_version: v.manifestVersion,
      time: isoFromUs(v.timeUs),
      actor: v.actor,
      message: v.message,
      op: v.op,
      ...(v.changedProperties ? { changed_properties: v.changedProperties } : {}),
      row: v.row,
    }));
    printResult(opts, { type: opts.type, id: opts.id, versions: out }, () =>
      out.length === 0
        ? `no commit on ${opts.branch ?? DEFAULT_BRANCH} changed ${opts.type} ${opts.id}`
        : formatTable(
            ['commit', 'manifest', 'time', 'actor', 'op', 'values'],
            out.map((v) => [
              v.commit,
              v.manifest_version,
              v.time,
              v.actor,
              v.op + (v.changed_properties ? ` (${v.changed_properties.join(', ')})` : ''),
              v.row ? rowText(v.row) : '-',
            ]),
          ),
    );
  });
}
