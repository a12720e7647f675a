/**
 * The actions of the history and audit commands (registered in history.ts): `snapshot`,
 * `commit list|show`, `branch create|list|delete`, `journal log|show|verify`. Thin over
 * the Repo API; reads open the repo read-only.
 */
import {
  eventDetail,
  LancelogError,
  operationTimeline,
  UsageError,
  type OperationRow,
  type Repo,
  type TablePin,
} from '../../src/index.js';
import { formatTable, isoFromUs } from '../format.js';
import { parseCommitFilters, parseIntOption, parseKind, parseSince, readAt } from '../options.js';
import { printResult } from '../output.js';
import { resolveRepo } from '../repo-arg.js';
import { withRepo } from '../with-repo.js';
import { commitJSON } from '../local-graph.js';
import { resolveTarget, type TargetOpts } from '../target.js';
import { withGraph } from '../with-graph.js';
import { eventJSON, formatTimeline } from './journal-format.js';

interface JsonOpt {
  json?: boolean;
}
interface RepoOpts extends JsonOpt, TargetOpts {}

/** Rows inserted, updated and deleted by a commit (against its first parent), per table. */
async function changeSummary(repo: Repo, parentId: string, id: string) {
  const { stats, changes } = await repo.diff({ from: parentId, to: id });
  const tables = [...new Set(changes.map((ch) => ch.tableKey))].map((tableKey) => {
    const n = (op: string) =>
      changes.filter((ch) => ch.tableKey === tableKey && ch.op === op).length;
    const counts = { inserts: n('insert'), updates: n('update'), deletes: n('delete') };
    return {
      tableKey,
      ...counts,
      text: `+${counts.inserts} ~${counts.updates} -${counts.deletes}`,
    };
  });
  return { inserts: stats.inserts, updates: stats.updates, deletes: stats.deletes, tables };
}

// ── JSON shapes: local-graph.ts (the same for a repo and a server) ────────

export async function snapshot(
  repoArg: string | undefined,
  opts: RepoOpts & { branch?: string; version?: string; commit?: string },
): Promise<void> {
  const at = readAt(opts);
  const result = await withGraph(resolveTarget(repoArg, opts), true, (g) => g.snapshot(at));
  printResult(opts, result, () =>
    [
      `branch ${result.branch}  manifest ${result.manifestVersion}  commit ${result.commitId}  ${result.time}`,
      formatTable(
        ['table', 'version', 'lance branch', 'rows'],
        result.tables.map((t) => [t.tableKey, t.pinnedVersion, t.lanceBranch, t.rows]),
      ),
    ].join('\n'),
  );
}

export async function commitList(
  repoArg: string | undefined,
  opts: RepoOpts & { branch?: string; filter: string[]; limit?: string },
): Promise<void> {
  const { actor } = parseCommitFilters(opts.filter);
  const limit = parseIntOption('--limit', opts.limit, 1);
  await withGraph(resolveTarget(repoArg, opts), true, async (graph) => {
    const commits = await graph.listCommits({
      ...(opts.branch !== undefined ? { branch: opts.branch } : {}),
      ...(actor !== undefined ? { actor } : {}),
      ...(limit !== undefined ? { limit } : {}),
    });
    printResult(opts, { commits }, () =>
      commits.length === 0
        ? 'no commits'
        : formatTable(
            ['commit', 'branch', 'manifest', 'actor', 'time', 'message'],
            commits.map((c) => [
              `${c.id}${c.mergedParentId ? ' (merge)' : ''}`,
              c.branch,
              c.manifestVersion,
              c.actor,
              c.time,
              c.message,
            ]),
          ),
    );
  });
}

export async function commitShow(
  id: string,
  repoArg: string | undefined,
  opts: RepoOpts,
): Promise<void> {
  const dir = resolveRepo(repoArg, opts);
  await withRepo(dir, true, async (repo) => {
    const c = repo.getCommit(id);
    const pins = repo.snapshot({ commit: id }, { allowCleaned: true }).pins;
    const before = new Map<string, TablePin>(
      c.parentId
        ? repo
            .snapshot({ commit: c.parentId }, { allowCleaned: true })
            .pins.map((p) => [p.tableKey, p])
        : [],
    );
    const changes = pins
      .filter((p) => {
        const b = before.get(p.tableKey);
        return !b || b.version !== p.version || b.lanceBranch !== p.lanceBranch;
      })
      .map((p) => ({
        tableKey: p.tableKey,
        from: before.get(p.tableKey)?.version ?? null,
        to: p.version,
        lanceBranch: p.lanceBranch,
      }));
    const summary = c.parentId ? await changeSummary(repo, c.parentId, c.id) : null;
    const result = { ...commitJSON(c), pins, changes, summary };
    printResult(opts, result, () =>
      [
        `commit    ${result.id}`,
        `branch    ${result.branch} (manifest ${result.manifestVersion})`,
        `parent    ${result.parentId ?? '-'}${result.mergedParentId ? `\nmerged    ${result.mergedParentId}` : ''}`,
        `actor     ${result.actor}`,
        `operation ${result.opId}`,
        `time      ${result.time}`,
        ...(result.message ? [`message   ${result.message}`] : []),
        '',
        formatTable(
          ['table', 'version', 'lance branch', 'changed', 'rows'],
          pins.map((p) => {
            const ch = changes.find((x) => x.tableKey === p.tableKey);
            return [
              p.tableKey,
              p.version,
              p.lanceBranch,
              ch ? (ch.from === null ? 'new' : `v${ch.from}→v${ch.to}`) : '',
              summary?.tables.find((t) => t.tableKey === p.tableKey)?.text ?? '',
            ];
          }),
        ),
      ].join('\n'),
    );
  });
}

export async function branchCreate(
  name: string,
  repoArg: string | undefined,
  opts: RepoOpts & { from?: string; version?: string; commit?: string },
): Promise<void> {
  const version = parseIntOption('--version', opts.version, 1);
  if (version !== undefined && opts.commit !== undefined)
    throw new UsageError('give --version or --commit, not both', {
      version,
      commit: opts.commit,
    });
  await withGraph(resolveTarget(repoArg, opts), false, async (graph) => {
    const result = await graph.createBranch(name, {
      ...(opts.from !== undefined ? { from: opts.from } : {}),
      ...(version !== undefined ? { version } : {}),
      ...(opts.commit !== undefined ? { commit: opts.commit } : {}),
    });
    printResult(
      opts,
      result,
      () =>
        `created branch ${result.branch} from ${result.parentBranch} at manifest ${result.parentManifestVersion} (commit ${result.commitId}); ${result.pins.length} tables share the parent's data`,
    );
  });
}

export async function branchList(repoArg: string | undefined, opts: RepoOpts): Promise<void> {
  await withGraph(resolveTarget(repoArg, opts), true, async (graph) => {
    const branches = await graph.listBranches();
    printResult(opts, { branches }, () =>
      formatTable(
        ['branch', 'parent', 'head manifest', 'head commit', 'created'],
        branches.map((b) => [
          b.name,
          b.parentBranch ? `${b.parentBranch}@${b.parentManifestVersion}` : null,
          b.headManifestVersion,
          b.headCommitId,
          b.created,
        ]),
      ),
    );
  });
}

export async function branchDelete(
  name: string,
  repoArg: string | undefined,
  opts: RepoOpts,
): Promise<void> {
  await withGraph(resolveTarget(repoArg, opts), false, async (graph) => {
    const { deletedLanceBranches } = await graph.deleteBranch(name);
    const result = { branch: name, deletedLanceBranches };
    printResult(opts, result, () =>
      [
        `deleted branch ${name}${deletedLanceBranches.length ? '' : ' (it owned no Lance branches)'}`,
        ...deletedLanceBranches.map(
          (d) => `  ${d.tableKey}: Lance branch ${d.lanceBranch} deleted`,
        ),
      ].join('\n'),
    );
  });
}

export async function journalLog(
  repoArg: string | undefined,
  opts: RepoOpts & { op?: string; kind?: string; since?: string; limit?: string },
): Promise<void> {
  const kind = parseKind(opts.kind);
  const sinceUs = parseSince(opts.since);
  const limit = parseIntOption('--limit', opts.limit, 1);
  const dir = resolveRepo(repoArg, opts);
  await withRepo(dir, true, (repo) => {
    const events = repo.listEvents({
      order: 'desc',
      ...(opts.op !== undefined ? { opId: opts.op } : {}),
      ...(kind !== undefined ? { kind } : {}),
      ...(sinceUs !== undefined ? { sinceUs } : {}),
      ...(limit !== undefined ? { limit } : {}),
    });
    printResult(opts, { events: events.map(eventJSON) }, () =>
      events.length === 0
        ? 'no events'
        : formatTable(
            ['#', 'time', 'event', 'branch', 'op', 'table', 'detail'],
            events.map((e) => [
              e.seq,
              isoFromUs(e.timeUs),
              e.kind,
              e.branch,
              e.opId,
              e.tableKey,
              eventDetail(e),
            ]),
          ),
    );
  });
}

export async function journalShow(
  opId: string,
  repoArg: string | undefined,
  opts: RepoOpts,
): Promise<void> {
  const dir = resolveRepo(repoArg, opts);
  await withRepo(dir, true, (repo) => {
    const events = repo.listEvents({ opId });
    if (events.length === 0)
      throw new LancelogError(
        'OperationNotFound',
        `operation ${opId} does not exist (no journal event has this op id)`,
        { op_id: opId },
      );
    let op: OperationRow | null = null;
    try {
      op = repo.getOperation(opId);
    } catch (err) {
      if (!(err instanceof LancelogError && err.code === 'OperationNotFound')) throw err;
    }
    const timeline = operationTimeline(
      opId,
      events,
      op,
      repo.listEvents({ kind: 'recovery.applied' }),
    );
    printResult(opts, timeline, () => formatTimeline(timeline));
  });
}

export async function journalVerify(repoArg: string | undefined, opts: RepoOpts): Promise<void> {
  const dir = resolveRepo(repoArg, opts);
  await withRepo(dir, true, async (repo) => {
    const result = await repo.verify();
    printResult(opts, result, () =>
      [
        `journal: ${result.events} events replayed; integrity_check: ${result.integrity}`,
        '',
        'I1 (Lance HEAD == pin):',
        formatTable(
          ['branch', 'table', 'pin', 'head', 'lance branch', 'I1'],
          result.i1.map((x) => [
            x.branch,
            x.tableKey,
            x.pin,
            x.head ?? 'missing',
            x.lanceBranch,
            x.ok ? (x.inherited ? 'ok (inherited)' : 'ok') : 'VIOLATED',
          ]),
        ),
        '',
        ...(result.ok
          ? ['ok: no differences']
          : [
              `NOT OK: ${result.differences.length} difference${result.differences.length === 1 ? '' : 's'}`,
              ...result.differences.map((d) => `  - ${d}`),
            ]),
      ].join('\n'),
    );
    if (!result.ok) process.exitCode = 1;
  });
}
