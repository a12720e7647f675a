/**
 * History and audit: `snapshot`, `commit list|show`, `branch create|list|delete`,
 * `journal log|show|verify`. Thin over the Repo API; reads open the repo read-only.
 */
import type { Command } from 'commander';
import {
  EVENT_KINDS,
  LancelogError,
  Repo,
  UsageError,
  type BranchInfo,
  type CommitRow,
  type EventKind,
  type JournalEvent,
  type OperationRow,
  type ReadAt,
  type TablePin,
} from '../../src/index.js';
import { formatDurationUs, formatTable, isoFromUs } from '../format.js';
import { printResult } from '../output.js';
import { resolveRepo } from '../repo-arg.js';

interface JsonOpt {
  json?: boolean;
}
interface RepoOpts extends JsonOpt {
  uri?: string;
}

// ── input parsing ─────────────────────────────────────────────────────────

/** A decimal integer ≥ `min` given to `option`, else UsageError. */
export function parseIntOption(
  option: string,
  raw: string | undefined,
  min: number,
): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${option} must be an integer ≥ ${min}, got '${raw}'`, {
      option,
      value: raw,
    });
  }
  return n;
}

/**
 * `--since T`: an ISO-8601 time (`2025-01-31`, `2025-01-31T12:00:00Z`, with up to
 * microsecond fractions) or a number of microseconds since the epoch.
 */
export function parseSince(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const s = raw.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (Number.isSafeInteger(n)) return n;
  } else if (
    /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(s)
  ) {
    const ms = Date.parse(s);
    if (!Number.isNaN(ms)) {
      // Date.parse keeps milliseconds; add the 4th–6th fraction digits back.
      const extra = /\.\d{3}(\d{1,3})/.exec(s)?.[1];
      return ms * 1000 + (extra ? Number(extra.padEnd(3, '0')) : 0);
    }
  }
  throw new UsageError(
    `--since must be an ISO-8601 time (e.g. 2025-01-31T12:00:00Z) or microseconds since the epoch, got '${raw}'`,
    { option: '--since', value: raw },
  );
}

export function parseKind(raw: string | undefined): EventKind | undefined {
  if (raw === undefined) return undefined;
  if (!(EVENT_KINDS as string[]).includes(raw)) {
    throw new UsageError(
      `unknown event kind '${raw}'; expected one of: ${EVENT_KINDS.join(', ')}`,
      { option: '--kind', value: raw, allowed: EVENT_KINDS },
    );
  }
  return raw as EventKind;
}

const COMMIT_FILTER_KEYS = ['actor'] as const;

/** `--filter key=value` (repeatable); the only key is `actor`. */
export function parseCommitFilters(raw: string[]): { actor?: string } {
  const out: { actor?: string } = {};
  for (const f of raw) {
    const eq = f.indexOf('=');
    const key = eq > 0 ? f.slice(0, eq).trim() : '';
    const value = eq > 0 ? f.slice(eq + 1) : '';
    if (!(COMMIT_FILTER_KEYS as readonly string[]).includes(key) || value === '') {
      throw new UsageError(
        `bad --filter '${f}': expected key=value with key one of ${COMMIT_FILTER_KEYS.join(', ')}`,
        { option: '--filter', value: f, allowed: COMMIT_FILTER_KEYS },
      );
    }
    if (out.actor !== undefined && out.actor !== value) {
      throw new UsageError(`--filter actor given twice ('${out.actor}' and '${value}')`, {
        option: '--filter',
        value: f,
      });
    }
    out.actor = value;
  }
  return out;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** --branch / --version / --commit → a ReadAt; --version and --commit exclude each other. */
function readAt(opts: { branch?: string; version?: string; commit?: string }): ReadAt {
  const version = parseIntOption('--version', opts.version, 1);
  if (version !== undefined && opts.commit !== undefined) {
    throw new UsageError('give --version or --commit, not both', { version, commit: opts.commit });
  }
  return {
    ...(opts.branch !== undefined ? { branch: opts.branch } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(opts.commit !== undefined ? { commit: opts.commit } : {}),
  };
}

async function withRepo<T>(
  dir: string,
  readOnly: boolean,
  fn: (repo: Repo) => Promise<T> | T,
): Promise<T> {
  const repo = await Repo.open(dir, { readOnly });
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

// ── JSON shapes ───────────────────────────────────────────────────────────

export function commitJSON(c: CommitRow) {
  return {
    id: c.id,
    branch: c.branch,
    manifestVersion: c.manifestVersion,
    parentId: c.parentId,
    mergedParentId: c.mergedParentId,
    actor: c.actor,
    opId: c.opId,
    message: c.message,
    time: isoFromUs(c.timeUs),
    timeUs: c.timeUs,
  };
}

function branchJSON(b: BranchInfo) {
  return {
    name: b.name,
    parentBranch: b.parentBranch,
    parentManifestVersion: b.parentManifestVersion,
    headManifestVersion: b.headManifestVersion,
    headCommitId: b.headCommitId,
    created: isoFromUs(b.createdUs),
    createdUs: b.createdUs,
  };
}

function eventJSON(e: JournalEvent) {
  return {
    seq: e.seq,
    opId: e.opId,
    time: isoFromUs(e.timeUs),
    timeUs: e.timeUs,
    kind: e.kind,
    branch: e.branch,
    tableKey: e.tableKey,
    payload: e.payload,
  };
}

const lb = (b: string | null) => (b === null ? '' : `@${b}`);

/** One line describing what an event says (human output). */
export function eventDetail(e: JournalEvent): string {
  switch (e.kind) {
    case 'repo.initialized':
      return `${e.payload.tables.length} tables, commit ${e.payload.commit_id} by ${e.payload.actor}`;
    case 'op.begun':
      return `${e.payload.kind} by ${e.payload.actor}`;
    case 'lease.acquired':
      return `${e.payload.tables.map((t) => t.table_key).join(', ')} (pid ${e.payload.owner.pid} on ${e.payload.owner.host})`;
    case 'lease.heartbeat':
      return '';
    case 'lease.released':
      return e.payload.tables.map((t) => t.table_key).join(', ');
    case 'op.intent_recorded':
      return e.payload.tables
        .map(
          (t) =>
            `${t.table_key}${lb(t.lance_branch)} v${t.expected_version}→${t.post_commit_version === null ? 'several commits' : `v${t.post_commit_version}`}`,
        )
        .join(', ');
    case 'table.commit_started':
      return '';
    case 'table.committed':
      return `v${e.payload.version}`;
    case 'op.published':
      return `manifest ${e.payload.manifest_version}, commit ${e.payload.commit_id} by ${e.payload.actor}${e.payload.pins.length ? `: ${e.payload.pins.map((p) => `${p.table_key}${lb(p.lance_branch)}→v${p.version}`).join(', ')}` : ''}`;
    case 'op.completed':
      return '';
    case 'op.failed':
      return `[${e.payload.error.code}] ${e.payload.error.message} (phase ${e.payload.phase})`;
    case 'op.rolled_back':
      return e.payload.tables.map((t) => `${t.table_key} v${t.from}→v${t.to}`).join(', ');
    case 'recovery.classified':
      return `op ${e.payload.original_op_id}: ${e.payload.tables.map((t) => `${t.table_key} ${t.class}`).join(', ')}`;
    case 'recovery.decided':
      return `op ${e.payload.original_op_id}: ${e.payload.decision}`;
    case 'recovery.applied':
      return `op ${e.payload.original_op_id}: ${e.payload.decision}${e.payload.tables.length ? ` ${e.payload.tables.map((t) => `${t.table_key} v${t.from}→v${t.to}`).join(', ')}` : ''}`;
    case 'branch.created':
      return `${e.payload.name} from ${e.payload.from_branch} at manifest ${e.payload.from_manifest_version}`;
    case 'branch.deleted':
      return e.payload.name;
    case 'table.forked':
      return `Lance branch ${e.payload.lance_branch} from v${e.payload.from_version}`;
    case 'schema.recorded':
      return `schema ${e.payload.hash.slice(0, 12)} (${e.payload.reason})`;
  }
}

/** The protocol phase (docs/architecture.md §Life of a write) an event belongs to. */
export function phaseOf(kind: EventKind): string {
  switch (kind) {
    case 'op.begun':
      return 'begin';
    case 'lease.acquired':
    case 'lease.heartbeat':
    case 'lease.released':
      return 'lease';
    case 'op.intent_recorded':
      return 'intent';
    case 'table.commit_started':
    case 'table.committed':
    case 'table.forked':
      return 'table_commit';
    case 'op.published':
    case 'repo.initialized':
      return 'publish';
    case 'op.completed':
      return 'cleanup';
    case 'op.failed':
      return 'failed';
    case 'op.rolled_back':
      return 'rollback';
    case 'recovery.classified':
    case 'recovery.decided':
    case 'recovery.applied':
      return 'recovery';
    case 'branch.created':
    case 'branch.deleted':
      return 'branch';
    case 'schema.recorded':
      return 'schema';
  }
}

/** Table keys an event names (envelope and payload). */
function tablesOf(e: JournalEvent): string[] {
  const keys = new Set<string>();
  if (e.tableKey) keys.add(e.tableKey);
  const p = e.payload as {
    tables?: Array<{ table_key: string }>;
    pins?: Array<{ table_key: string }>;
  };
  for (const t of [...(p.tables ?? []), ...(p.pins ?? [])]) keys.add(t.table_key);
  return [...keys];
}

/** `journal show`: the timeline of one operation. */
export function operationTimeline(
  opId: string,
  events: JournalEvent[],
  op: OperationRow | null,
  recoveries: JournalEvent[],
) {
  const start = events[0].timeUs;
  let prev = start;
  const steps = events.map((e) => {
    const step = {
      seq: e.seq,
      kind: e.kind,
      phase: phaseOf(e.kind),
      time: isoFromUs(e.timeUs),
      timeUs: e.timeUs,
      sincePreviousUs: e.timeUs - prev,
      sinceStartUs: e.timeUs - start,
      tableKey: e.tableKey,
      detail: eventDetail(e),
      payload: e.payload,
    };
    prev = e.timeUs;
    return step;
  });
  const tables = [...new Set(events.flatMap(tablesOf))].sort();
  const failed = [...events].reverse().find((e) => e.kind === 'op.failed');
  const error = op?.errorCode
    ? { code: op.errorCode, message: op.errorMessage ?? '', phase: op.errorPhase }
    : failed?.kind === 'op.failed'
      ? {
          code: failed.payload.error.code,
          message: failed.payload.error.message,
          phase: failed.payload.phase,
        }
      : null;
  const published = events.find((e) => e.kind === 'op.published');
  const first = events[0];
  // Events outside the write protocol (init, branch admin, a bare publish) have no operation row.
  const outcome = op ? op.state : published ? 'published' : first.kind;
  const last = events[events.length - 1];
  return {
    opId,
    kind: op?.kind ?? null,
    branch: op?.branch ?? first.branch,
    actor:
      op?.actor ??
      (published?.kind === 'op.published'
        ? published.payload.actor
        : first.kind === 'repo.initialized'
          ? first.payload.actor
          : null),
    state: op?.state ?? null,
    outcome,
    inFlight: op !== null && op.state !== 'completed' && op.state !== 'rolled_back',
    started: isoFromUs(start),
    ended: isoFromUs(last.timeUs),
    durationUs: last.timeUs - start,
    tables,
    commitId: published?.kind === 'op.published' ? published.payload.commit_id : null,
    manifestVersion: published?.kind === 'op.published' ? published.payload.manifest_version : null,
    error,
    steps,
    recoveredBy: recoveries.flatMap((r) =>
      r.kind === 'recovery.applied' && r.payload.original_op_id === opId
        ? [{ recoveryOpId: r.opId, decision: r.payload.decision, time: isoFromUs(r.timeUs) }]
        : [],
    ),
  };
}

type Timeline = ReturnType<typeof operationTimeline>;

function formatTimeline(t: Timeline): string {
  const head = [
    `operation ${t.opId}${t.kind ? ` (${t.kind})` : ''} on branch ${t.branch}${t.actor ? ` by ${t.actor}` : ''}`,
    `outcome:  ${t.outcome}${t.inFlight ? ' (in flight)' : ''}${t.commitId ? ` — commit ${t.commitId}, manifest ${t.manifestVersion}` : ''}`,
    `time:     ${t.started} → ${t.ended} (${formatDurationUs(t.durationUs)})`,
    `tables:   ${t.tables.length ? t.tables.join(', ') : '-'}`,
  ];
  if (t.error)
    head.push(
      `error:    [${t.error.code}] ${t.error.message}${t.error.phase ? ` (phase ${t.error.phase})` : ''}`,
    );
  for (const r of t.recoveredBy)
    head.push(`recovered by ${r.recoveryOpId}: ${r.decision} at ${r.time}`);
  const table = formatTable(
    ['#', 'time', '+since prev', 'phase', 'event', 'table', 'detail'],
    t.steps.map((s) => [
      s.seq,
      s.time,
      `+${formatDurationUs(s.sincePreviousUs)}`,
      s.phase,
      s.kind,
      s.tableKey,
      s.detail,
    ]),
  );
  return `${head.join('\n')}\n\n${table}`;
}

// ── commands ──────────────────────────────────────────────────────────────

export function registerHistoryCommands(program: Command): void {
  program
    .command('snapshot')
    .description(
      'the published state of a branch: per table its pinned Lance version, Lance branch and row count',
    )
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--branch <name>', 'branch to read (default main)')
    .option('--version <n>', 'manifest version of the branch (default: its latest)')
    .option('--commit <id>', 'the snapshot a commit published (time travel by commit)')
    .option('--json', 'print JSON')
    .action(
      async (
        repoArg: string | undefined,
        opts: RepoOpts & { branch?: string; version?: string; commit?: string },
      ) => {
        const at = readAt(opts);
        const dir = resolveRepo(repoArg, opts);
        await withRepo(dir, true, async (repo) => {
          const snap = repo.snapshot(at);
          const tables = await repo.tables({ branch: snap.branch, version: snap.manifestVersion });
          const result = {
            branch: snap.branch,
            manifestVersion: snap.manifestVersion,
            commitId: snap.commitId,
            time: isoFromUs(snap.timeUs),
            timeUs: snap.timeUs,
            tables: tables.map((t) => ({
              tableKey: t.tableKey,
              kind: t.kind,
              name: t.name,
              tablePath: t.tablePath,
              pinnedVersion: t.pinnedVersion,
              lanceBranch: t.lanceBranch,
              rows: t.rows,
            })),
          };
          printResult(opts, result, () =>
            [
              `branch ${result.branch}  manifest ${result.manifestVersion}  commit ${result.commitId}  ${result.time}`,
              formatTable(
                ['table', 'version', 'lance branch', 'rows'],
                result.tables.map((t) => [t.tableKey, t.pinnedVersion, t.lanceBranch, t.rows]),
              ),
            ].join('\n'),
          );
        });
      },
    );

  // ── commit ──
  const commit = program.command('commit').description('graph commits: one per publish');
  commit
    .command('list')
    .description(
      "commits, newest first; with --branch, the branch's history (first parents from its head, including inherited commits)",
    )
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--branch <name>', 'only the history of this branch')
    .option(
      '--filter <key=value>',
      'filter (repeatable); supported: actor=<name>',
      collect,
      [] as string[],
    )
    .option('--limit <n>', 'at most n commits')
    .option('--json', 'print JSON')
    .action(
      async (
        repoArg: string | undefined,
        opts: RepoOpts & { branch?: string; filter: string[]; limit?: string },
      ) => {
        const { actor } = parseCommitFilters(opts.filter);
        const limit = parseIntOption('--limit', opts.limit, 1);
        const dir = resolveRepo(repoArg, opts);
        await withRepo(dir, true, (repo) => {
          const commits = repo
            .listCommits({
              ...(opts.branch !== undefined ? { branch: opts.branch } : {}),
              ...(actor !== undefined ? { actor } : {}),
              ...(limit !== undefined ? { limit } : {}),
            })
            .map(commitJSON);
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
      },
    );

  commit
    .command('show')
    .description(
      'one commit: parent(s), actor, operation, the pins it published and what changed since its parent',
    )
    .argument('<id>', 'commit id (ULID)')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(async (id: string, repoArg: string | undefined, opts: RepoOpts) => {
      const dir = resolveRepo(repoArg, opts);
      await withRepo(dir, true, (repo) => {
        const c = repo.getCommit(id);
        const pins = repo.snapshot({ commit: id }).pins;
        const before = new Map<string, TablePin>(
          c.parentId ? repo.snapshot({ commit: c.parentId }).pins.map((p) => [p.tableKey, p]) : [],
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
        const result = { ...commitJSON(c), pins, changes };
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
              ['table', 'version', 'lance branch', 'changed'],
              pins.map((p) => {
                const ch = changes.find((x) => x.tableKey === p.tableKey);
                return [
                  p.tableKey,
                  p.version,
                  p.lanceBranch,
                  ch ? (ch.from === null ? 'new' : `v${ch.from}→v${ch.to}`) : '',
                ];
              }),
            ),
          ].join('\n'),
        );
      });
    });

  // ── branch ──
  const branch = program
    .command('branch')
    .description('create, list and delete branches (lazy forks: nothing is copied)');
  branch
    .command('create')
    .description(
      "create a branch from another branch (its latest or a manifest version) or from a commit; it starts with the source's pins",
    )
    .argument('<name>', 'new branch name ([A-Za-z0-9._/-], not main, not starting with __)')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--from <branch>', 'source branch (default main)')
    .option('--version <n>', 'manifest version of the source branch (default: its latest)')
    .option('--commit <id>', 'fork at this commit (must be in the history of --from, when given)')
    .option('--json', 'print JSON')
    .action(
      async (
        name: string,
        repoArg: string | undefined,
        opts: RepoOpts & { from?: string; version?: string; commit?: string },
      ) => {
        const version = parseIntOption('--version', opts.version, 1);
        if (version !== undefined && opts.commit !== undefined)
          throw new UsageError('give --version or --commit, not both', {
            version,
            commit: opts.commit,
          });
        const dir = resolveRepo(repoArg, opts);
        await withRepo(dir, false, (repo) => {
          // The Repo checks that --commit is in the history of --from.
          const snap = repo.createBranch(
            name,
            opts.commit !== undefined
              ? { commit: opts.commit, ...(opts.from !== undefined ? { from: opts.from } : {}) }
              : { from: opts.from ?? 'main', ...(version !== undefined ? { version } : {}) },
          );
          const info = repo.listBranches().find((b) => b.name === name);
          const result = {
            branch: snap.branch,
            parentBranch: info?.parentBranch ?? null,
            parentManifestVersion: info?.parentManifestVersion ?? null,
            manifestVersion: snap.manifestVersion,
            commitId: snap.commitId,
            pins: snap.pins,
          };
          printResult(
            opts,
            result,
            () =>
              `created branch ${result.branch} from ${result.parentBranch} at manifest ${result.parentManifestVersion} (commit ${result.commitId}); ${result.pins.length} tables share the parent's data`,
          );
        });
      },
    );

  branch
    .command('list')
    .description('live branches with their parent and head')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(async (repoArg: string | undefined, opts: RepoOpts) => {
      const dir = resolveRepo(repoArg, opts);
      await withRepo(dir, true, (repo) => {
        const branches = repo.listBranches().map(branchJSON);
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
    });

  branch
    .command('delete')
    .description(
      'delete a branch (not main, not a branch others were forked from) and the Lance branches it owns',
    )
    .argument('<name>', 'branch name')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(async (name: string, repoArg: string | undefined, opts: RepoOpts) => {
      const dir = resolveRepo(repoArg, opts);
      await withRepo(dir, false, async (repo) => {
        const { deletedLanceBranches } = await repo.deleteBranch(name);
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
    });

  // ── journal ──
  const journal = program
    .command('journal')
    .description('the event log: browse it, follow one operation, verify it');
  journal
    .command('log')
    .description('journal events, newest first')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--op <id>', 'only events of this operation')
    .option('--kind <kind>', `only events of this kind (${EVENT_KINDS.join(', ')})`)
    .option(
      '--since <time>',
      'only events at or after this time (ISO-8601, or microseconds since the epoch)',
    )
    .option('--limit <n>', 'at most n events (the newest)')
    .option('--json', 'print JSON')
    .action(
      async (
        repoArg: string | undefined,
        opts: RepoOpts & { op?: string; kind?: string; since?: string; limit?: string },
      ) => {
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
      },
    );

  journal
    .command('show')
    .description(
      'the timeline of one operation: each step with its time and duration, tables touched, outcome, error',
    )
    .argument('<op-id>', 'operation id (ULID)')
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(async (opId: string, repoArg: string | undefined, opts: RepoOpts) => {
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
    });

  journal
    .command('verify')
    .description(
      "replay every event and compare with the stored projections, run SQLite's integrity check, check I1 (Lance HEAD == pin) per table and branch; exit 1 on any difference",
    )
    .argument('[repo]', 'repo directory')
    .option('--uri <repo>', 'repo directory')
    .option('--json', 'print JSON')
    .action(async (repoArg: string | undefined, opts: RepoOpts) => {
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
    });
}
