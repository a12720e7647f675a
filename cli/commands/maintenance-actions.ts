/**
 * The actions of `optimize` and `cleanup`: Lance compaction and version GC
 * (docs/maintenance.md). Loaded when one of these commands runs (registered in
 * maintenance.ts).
 */
import { z } from 'zod';
import {
  Repo,
  UsageError,
  type CleanupResult,
  type GraphIndexReport,
  type OptimizeResult,
} from '../../src/index.js';
import { printResult } from '../output.js';
import { resolveRepo } from '../repo-arg.js';
import { parseIntOption } from '../options.js';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const Duration = z
  .string()
  .trim()
  .regex(/^\d+(s|m|h|d|w)$/);

/** `--older-than 7d`: a whole number of seconds, minutes, hours, days or weeks, in ms. */
export function parseDurationMs(option: string, raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const parsed = Duration.safeParse(raw);
  if (!parsed.success)
    throw new UsageError(`${option} must be a duration like 30m, 12h, 7d or 2w, got '${raw}'`, {
      option,
      value: raw,
    });
  const unit = parsed.data.slice(-1) as keyof typeof UNIT_MS;
  return Number(parsed.data.slice(0, -1)) * UNIT_MS[unit];
}

function humanOptimize(r: OptimizeResult & { graphs: GraphIndexReport[] }): string {
  const lines = r.tables.map(
    (t) =>
      `  ${t.tableKey.padEnd(32)} fragments ${t.fragmentsBefore} → ${t.fragmentsAfter}` +
      (t.commitId
        ? `  v${t.fromVersion} → v${t.toVersion}  commit ${t.commitId}`
        : '  (nothing to compact)'),
  );
  const graphs = r.graphs.map(
    (g) => `  ${g.tableKey.padEnd(32)} graph index at v${g.version}: ${g.state}`,
  );
  return [`optimized ${r.tables.length} tables on ${r.branch}`, ...lines, ...graphs].join('\n');
}

function humanCleanup(r: CleanupResult): string {
  const removed = r.tables.reduce((n, t) => n + t.versionsRemoved.length, 0);
  const bytes = r.tables.reduce((n, t) => n + t.bytesRemoved, 0);
  const head = r.confirmed
    ? `cleanup removed ${removed} version(s), ${bytes} bytes`
    : `cleanup preview (nothing removed; run with --confirm): ${removed} version(s) would go`;
  const lines = r.tables.map(
    (t) =>
      `  ${t.tableKey.padEnd(32)} ${t.versionsBefore} versions, ${t.versionsRemoved.length} ${r.confirmed ? 'removed' : 'to remove'}` +
      (t.versionsRemoved.length ? ` (${t.versionsRemoved.join(', ')})` : '') +
      `, protected ${t.protectedVersions.join(', ')}`,
  );
  return [head, ...lines].join('\n');
}

export async function optimize(
  repoArg: string | undefined,
  opts: { uri?: string; branch: string; actor?: string; json?: boolean },
): Promise<void> {
  const repo = await Repo.open(resolveRepo(repoArg, opts));
  try {
    const r = await repo.optimize({
      branch: opts.branch,
      ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
    });
    printResult(opts, r, () => humanOptimize(r));
  } finally {
    await repo.close();
  }
}

export async function cleanup(
  repoArg: string | undefined,
  opts: {
    uri?: string;
    keep: string;
    olderThan?: string;
    confirm?: boolean;
    actor?: string;
    json?: boolean;
  },
): Promise<void> {
  const keep = parseIntOption('--keep', opts.keep, 1)!;
  const olderThanMs = parseDurationMs('--older-than', opts.olderThan);
  const confirm = opts.confirm === true;
  const repo = await Repo.open(resolveRepo(repoArg, opts), { readOnly: !confirm });
  try {
    const r = await repo.cleanup({
      keep,
      olderThanMs,
      confirm,
      ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
    });
    printResult(opts, r, () => humanCleanup(r));
  } finally {
    await repo.close();
  }
}
