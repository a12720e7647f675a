/**
 * Per-commit changes and the change feed (docs/branches-commits.md "Commit changes",
 * "The change feed"), over the journal's commits and the tables' row lineage:
 *
 * - `commitChanges(repo, id)`: the entity changes one commit made relative to its first
 *   parent, in bounded pages (a page token continues one response);
 * - `pollChanges(repo, …)`: those blocks in first-parent order along one branch, from a
 *   start (`now`, `beginning`, `after:<commit>`) or a cursor; each poll captures the
 *   branch head as its cut; the cursor comes only on a page that ends on a complete
 *   commit; delivery is at least once;
 * - `changeBaseline(repo, out, …)`: an exact data-only export at a captured head and the
 *   cursor that resumes right after it.
 *
 * Only published commits exist in the journal, so the feed never shows an operation that
 * recovery rolls back. A version `lancelog cleanup` removed is a ChangeFeedGap (410).
 */
import type { Catalog } from '../schema/types.js';
import { findType } from '../schema/lookup.js';
import { unknownTypeError } from '../query/errors.js';
import type { CommitRow, Journal, Snapshot, TablePin } from '../journal/index.js';
import type { TableHandle, TableStore } from '../storage/index.js';
import { LancelogError, RepoError } from '../errors.js';
import { DEFAULT_BRANCH } from '../defaults.js';
import { exportJsonl, type ExportSource } from '../write/export/export.js';
import {
  commitBlockChanges,
  compareKeys,
  keyOf,
  type ChangeFilter,
  type ChangeKey,
  type EntityChange,
} from './change-blocks.js';
import {
  assertScope,
  cursorOf,
  decode,
  encode,
  filterDigest,
  rejected,
  type FeedScope,
} from './change-cursor.js';

/** What the changes need of a repo (Repo satisfies it). */
export interface ChangesRepo extends ExportSource {
  readonly journal: Journal;
  readonly store: TableStore;
  readonly catalog: Catalog;
  openPinned(tableKey: string, pin: TablePin): Promise<TableHandle>;
}

/** Who made a commit and where: stated once per block. */
export interface ChangeCause {
  graphCommitId: string;
  parentCommitId: string | null;
  mergedParentCommitId: string | null;
  /** The branch the commit landed on (not the branch a feed follows). */
  authoredBranch: string;
  actorId: string;
  /** When the commit was published, microseconds since the epoch. */
  authoredAt: number;
}

export interface ChangeBlock {
  cause: ChangeCause;
  changes: EntityChange[];
}

export interface CommitChangesPage extends ChangeBlock {
  /** Continues this block (null on its last page). */
  nextPageToken: string | null;
}

export const DEFAULT_PAGE_CHANGES = 1000;
export const MAX_PAGE_CHANGES = 10_000;
const DEFAULT_POLL_COMMITS = 128;

function causeOf(c: CommitRow): ChangeCause {
  return {
    graphCommitId: c.id,
    parentCommitId: c.parentId,
    mergedParentCommitId: c.mergedParentId,
    authoredBranch: c.branch,
    actorId: c.actor,
    authoredAt: c.timeUs,
  };
}

/** Checks a filter's types against the catalog (UnknownType). */
export function checkFilter(catalog: Catalog, filter: ChangeFilter): void {
  for (const t of filter.types ?? []) if (!findType(catalog, t)) throw unknownTypeError(t);
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_CHANGES;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_CHANGES)
    throw new RepoError('InvalidFilter', `limit must be 1..${MAX_PAGE_CHANGES}, got ${limit}`, {});
  return limit;
}

/** A version cleanup removed, as the feed's gap. */
function gapOf(err: unknown, commitId: string, cursor: string | null): unknown {
  if (!(err instanceof LancelogError)) return err;
  if (err.code !== 'VersionCleanedUp' && err.code !== 'VersionNotFound') return err;
  return new RepoError(
    'ChangeFeedGap',
    `commit ${commitId} can no longer be diffed: cleanup removed a version it needs; take a new baseline (lancelog changes baseline)`,
    {
      cursor,
      first_unreadable_commit_id: commitId,
      table_key: err.details.table_key ?? null,
      version: err.details.version ?? null,
    },
  );
}

/** Every change of one commit against its first parent, sorted and filtered. */
async function blockOf(
  repo: ChangesRepo,
  commit: CommitRow,
  filter: ChangeFilter,
  cursor: string | null,
): Promise<EntityChange[]> {
  if (commit.parentId === null)
    throw new RepoError(
      'ParentlessCommit',
      `commit ${commit.id} is the initial commit: it has no first parent to diff against; bootstrap from a baseline (lancelog changes baseline)`,
      { commit: commit.id, reason: 'parentless_commit' },
    );
  try {
    const parent = repo.snapshot({ commit: commit.parentId });
    const child = repo.snapshot({ commit: commit.id });
    const ctx = {
      catalog: repo.catalog,
      store: repo.store,
      openPinned: repo.openPinned.bind(repo),
    };
    return await commitBlockChanges(ctx, {
      commitId: commit.id,
      parent,
      child,
      opKind: repo.journal.getOperation(commit.opId).kind,
      filter,
    });
  } catch (err) {
    throw gapOf(err, commit.id, cursor);
  }
}

/** The changes of `changes` after `after` (all when null). */
function pastKey(changes: EntityChange[], after: ChangeKey | null): EntityChange[] {
  if (after === null) return changes;
  return changes.filter((c) => compareKeys(keyOf(c), after) > 0);
}

/** One page of the entity changes commit `commitId` made relative to its first parent. */
export async function commitChanges(
  repo: ChangesRepo,
  commitId: string,
  opts: { filter?: ChangeFilter; pageToken?: string; limit?: number } = {},
): Promise<CommitChangesPage> {
  const filter = opts.filter ?? {};
  checkFilter(repo.catalog, filter);
  const limit = pageSize(opts.limit);
  const digest = filterDigest(filter);
  let after: ChangeKey | null = null;
  if (opts.pageToken !== undefined) {
    const t = decode(opts.pageToken);
    if (t.p !== 'commit-page')
      throw rejected('a feed cursor or feed page token is not a commit page token');
    if (t.c !== commitId)
      throw rejected(`the page token continues commit ${t.c}`, { commit: commitId });
    if (t.f !== digest) throw rejected('the page token was issued for another filter');
    after = t.k;
  }
  const commit = repo.journal.getCommit(commitId);
  const all = pastKey(await blockOf(repo, commit, filter, null), after);
  const changes = all.slice(0, limit);
  const more = all.length > limit;
  return {
    cause: causeOf(commit),
    changes,
    nextPageToken: more
      ? encode({
          v: 1,
          p: 'commit-page',
          c: commitId,
          f: digest,
          k: keyOf(changes[changes.length - 1]),
        })
      : null,
  };
}

// ── the feed ──────────────────────────────────────────────────────────────

export interface PollOptions {
  branch?: string;
  /** `now` (default), `beginning` or `after:<commit id>`; only without a cursor or token. */
  start?: string;
  cursor?: string;
  pageToken?: string;
  filter?: ChangeFilter;
  /** Changes per page (default 1000). */
  limit?: number;
  /** Commits examined per poll (default 128). */
  maxCommits?: number;
}

export interface PollPage {
  branch: string;
  /** Complete blocks, and on a page with a page token a last one that continues. */
  blocks: ChangeBlock[];
  /** Continues this poll inside a commit (the page carries no cursor then). */
  nextPageToken: string | null;
  /** Resumes the feed after the last complete commit (only on a page without a token). */
  cursor: string | null;
  /** Whether the cut was reached (null on a page that continues). */
  caughtUp: boolean | null;
}

function scopeOf(
  repo: ChangesRepo,
  branch: string,
  filter: ChangeFilter,
  chain: CommitRow[],
): FeedScope {
  return {
    genesis: chain[0].id,
    branch,
    incarnation: repo.journal.getBranch(branch).createdUs,
    filter: filterDigest(filter),
  };
}

/** Where a poll starts: the last complete commit, the cut, and a key inside the next commit. */
interface Position {
  last: string;
  cut: string;
  after: ChangeKey | null;
}

function positionOf(opts: PollOptions, scope: FeedScope, chain: CommitRow[]): Position {
  const head = chain[chain.length - 1].id;
  const given = [opts.cursor, opts.pageToken, opts.start].filter((x) => x !== undefined).length;
  if (given > 1) throw rejected('give one of a start, a cursor or a page token');
  const onChain = (id: string) => chain.some((c) => c.id === id);
  if (opts.cursor !== undefined || opts.pageToken !== undefined) {
    const c = decode((opts.cursor ?? opts.pageToken)!);
    if (c.p === 'commit-page') throw rejected('a commit page token is not a feed cursor');
    if (opts.cursor !== undefined && c.p !== 'changes/forward')
      throw rejected('a page token is not a feed cursor: pass it as the page token');
    if (opts.pageToken !== undefined && c.p !== 'feed-page')
      throw rejected('a feed cursor is not a page token: pass it as the cursor');
    assertScope(c, scope);
    if (!onChain(c.c))
      throw rejected(`commit ${c.c} is not on the first-parent history of ${scope.branch}`, {
        commit: c.c,
      });
    if (c.p === 'feed-page') return { last: c.c, cut: c.h, after: c.k };
    return { last: c.c, cut: head, after: null };
  }
  const start = opts.start ?? 'now';
  if (start === 'now') return { last: head, cut: head, after: null };
  if (start === 'beginning') return { last: chain[0].id, cut: head, after: null };
  if (start.startsWith('after:') && onChain(start.slice(6)))
    return { last: start.slice(6), cut: head, after: null };
  if (start.startsWith('after:'))
    throw new RepoError(
      'CommitNotOnBranch',
      `commit ${start.slice(6)} is not on the first-parent history of ${scope.branch}`,
      { commit: start.slice(6), branch: scope.branch },
    );
  throw rejected(`start must be now, beginning or after:<commit>, got ${JSON.stringify(start)}`);
}

/** One page of the change feed of a branch (see the module comment). */
export async function pollChanges(repo: ChangesRepo, opts: PollOptions = {}): Promise<PollPage> {
  const branch = opts.branch ?? DEFAULT_BRANCH;
  const filter = opts.filter ?? {};
  checkFilter(repo.catalog, filter);
  const limit = pageSize(opts.limit);
  // Oldest first: the branch's first-parent history, inherited commits included.
  const chain = repo.journal.listCommits({ branch }).reverse();
  const scope = scopeOf(repo, branch, filter, chain);
  const pos = positionOf(opts, scope, chain);
  const from = chain.findIndex((c) => c.id === pos.last);
  const cutAt = chain.findIndex((c) => c.id === pos.cut);
  const todo = chain.slice(from + 1, cutAt + 1).slice(0, opts.maxCommits ?? DEFAULT_POLL_COMMITS);
  const page: PollPage = { branch, blocks: [], nextPageToken: null, cursor: null, caughtUp: null };
  let last = pos.last;
  let room = limit;
  let after = pos.after;
  for (const [i, commit] of todo.entries()) {
    let changes: EntityChange[];
    try {
      changes = pastKey(await blockOf(repo, commit, filter, cursorOf(scope, last)), after);
    } catch (err) {
      // A commit that cannot be read ends the page at the last complete one; alone, it is the error.
      if (i === 0 || !(err instanceof LancelogError)) throw err;
      break;
    }
    after = null;
    if (changes.length > room) {
      // A page ends on a complete commit when it can; a block larger than what is left
      // is split (at least one change per page, so every block is crossed).
      if (page.blocks.length > 0 && room === 0) break;
      const take = Math.max(room, 1);
      page.blocks.push({ cause: causeOf(commit), changes: changes.slice(0, take) });
      page.nextPageToken = encode({
        v: 1,
        p: 'feed-page',
        g: scope.genesis,
        b: scope.branch,
        i: scope.incarnation,
        f: scope.filter,
        h: pos.cut,
        c: last,
        n: commit.id,
        k: keyOf(changes[take - 1]),
      });
      return page;
    }
    page.blocks.push({ cause: causeOf(commit), changes });
    room -= changes.length;
    last = commit.id;
  }
  page.cursor = cursorOf(scope, last);
  page.caughtUp = last === pos.cut;
  return page;
}

// ── baseline ──────────────────────────────────────────────────────────────

export interface BaselineResult {
  snapshotCommitId: string;
  /** Resumes the feed right after the snapshot (install the snapshot durably first). */
  resumeCursor: string;
  nodes: Record<string, number>;
  edges: Record<string, number>;
}

/**
 * Writes an exact data-only export of `branch` at its head, captured once, to `out` (the
 * load format of `lancelog export`, only the filter's kinds and types), and returns the
 * cursor that resumes the feed right after that head. The op filter binds the cursor.
 */
export async function changeBaseline(
  repo: ChangesRepo,
  out: NodeJS.WritableStream,
  opts: { branch?: string; filter?: ChangeFilter } = {},
): Promise<BaselineResult> {
  const branch = opts.branch ?? DEFAULT_BRANCH;
  const filter = opts.filter ?? {};
  checkFilter(repo.catalog, filter);
  const head: Snapshot = repo.snapshot({ branch });
  const chain = repo.journal.listCommits({ branch }).reverse();
  const scope = scopeOf(repo, branch, filter, chain);
  const types = [...repo.catalog.nodes, ...repo.catalog.edges]
    .filter((d) => !filter.kinds?.length || filter.kinds.includes(d.kind))
    .filter(
      (d) => !filter.types?.length || filter.types.some((t) => findType(repo.catalog, t) === d),
    )
    .map((d) => d.name);
  const r = await exportJsonl(repo, out, { branch, version: head.manifestVersion }, { types });
  return {
    snapshotCommitId: head.commitId,
    resumeCursor: cursorOf(scope, head.commitId),
    nodes: r.nodes,
    edges: r.edges,
  };
}
