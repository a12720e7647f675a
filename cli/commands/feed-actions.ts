/**
 * The change feed, the actions: `commit changes`, `changes poll [--follow]`, `changes
 * baseline`. Pages are fetched one at a time and printed before the next is fetched
 * (JSON keeps one output document open; `--follow --json` prints JSON Lines), and the
 * cursor is printed only after the last page, so a failure never advances it.
 * Loaded when one of these commands runs (registered in feed.ts).
 */
import { z } from 'zod';
import {
  changeBaseline,
  commitChanges,
  followChanges,
  pollChanges,
  stringifyJsonExact,
  UsageError,
  writeStreamAtomic,
  type ChangeBlock,
  type ChangeCause,
  type ChangeFilter,
  type EntityChange,
  type PollPage,
  type Repo,
  DEFAULT_BRANCH,
} from '../../src/index.js';
import { isoFromUs } from '../format.js';
import { parseIntOption } from '../options.js';
import { printResult } from '../output.js';
import { resolveRepo } from '../repo-arg.js';
import { withRepo } from '../with-repo.js';
import { parseOps } from './changes-actions.js';

interface FilterOpts {
  kind: string[];
  type: string[];
  op: string[];
  limit?: string;
  json?: boolean;
  uri?: string;
}

const KINDS = z.enum(['node', 'edge']);

export function parseFilter(opts: FilterOpts): ChangeFilter {
  const kinds = opts.kind
    .flatMap((k) => k.split(','))
    .map((k) => {
      const p = KINDS.safeParse(k.trim());
      if (!p.success)
        throw new UsageError(`--kind must be node or edge, got '${k}'`, {
          option: '--kind',
          value: k,
        });
      return p.data;
    });
  const ops = parseOps(opts.op);
  return {
    ...(kinds.length ? { kinds } : {}),
    ...(opts.type.length ? { types: opts.type } : {}),
    ...(ops.length ? { ops } : {}),
  };
}

export function causeJSON(c: ChangeCause) {
  return {
    graph_commit_id: c.graphCommitId,
    parent_commit_id: c.parentCommitId,
    merged_parent_commit_id: c.mergedParentCommitId,
    authored_branch: c.authoredBranch,
    actor_id: c.actorId,
    authored_at: c.authoredAt,
  };
}

export function blockJSON(b: ChangeBlock) {
  return { cause: causeJSON(b.cause), changes: b.changes };
}

function changeText(c: EntityChange): string {
  const sign = { insert: '+', update: '~', delete: '-' }[c.op];
  const img = (i: EntityChange['before']) =>
    i === undefined
      ? ''
      : (i.endpoints ? `(${i.endpoints.from} → ${i.endpoints.to}) ` : '') +
        stringifyJsonExact(i.properties);
  const body = c.op === 'update' ? `${img(c.before)} => ${img(c.after)}` : img(c.after ?? c.before);
  return `${sign} ${c.kind} ${c.type.name} ${c.id} ${body}`;
}

function causeText(c: ChangeCause, n: number): string {
  return `commit ${c.graphCommitId} on ${c.authoredBranch} by ${c.actorId} at ${isoFromUs(c.authoredAt)}: ${n} change(s)`;
}

const out = (s: string): boolean => process.stdout.write(s);

export async function commitChangesAction(
  id: string,
  repoArg: string | undefined,
  opts: FilterOpts & { pageToken?: string },
): Promise<void> {
  const filter = parseFilter(opts);
  const limit = parseIntOption('--limit', opts.limit, 1);
  await withRepo(resolveRepo(repoArg, opts), true, async (repo) => {
    const args = { filter, ...(limit !== undefined ? { limit } : {}) };
    if (opts.pageToken !== undefined) {
      const p = await commitChanges(repo, id, { ...args, pageToken: opts.pageToken });
      const raw = { ...blockJSON(p), next_page_token: p.nextPageToken };
      printResult(opts, raw, () =>
        [causeText(p.cause, p.changes.length), ...p.changes.map(changeText)].join('\n'),
      );
      return;
    }
    let token: string | undefined;
    let first = true;
    do {
      const p = await commitChanges(repo, id, { ...args, ...(token ? { pageToken: token } : {}) });
      if (first) {
        if (opts.json) out(`{"cause":${stringifyJsonExact(causeJSON(p.cause))},"changes":[`);
        else out(`commit ${p.cause.graphCommitId} (parent ${p.cause.parentCommitId})\n`);
      }
      for (const [i, c] of p.changes.entries())
        out(
          opts.json
            ? `${first && i === 0 ? '' : ','}\n${stringifyJsonExact(c)}`
            : `${changeText(c)}\n`,
        );
      if (p.changes.length > 0) first = false;
      else if (first) first = false;
      token = p.nextPageToken ?? undefined;
    } while (token !== undefined);
    if (opts.json) out('\n]}\n');
  });
}

interface PollOpts extends FilterOpts {
  branch?: string;
  start?: string;
  cursor?: string;
  follow?: boolean;
}

function pollArgs(opts: PollOpts, filter: ChangeFilter) {
  if (opts.start !== undefined && opts.cursor !== undefined)
    throw new UsageError('give --start or --cursor, not both', { option: '--cursor' });
  const limit = parseIntOption('--limit', opts.limit, 1);
  return {
    filter,
    ...(opts.branch !== undefined ? { branch: opts.branch } : {}),
    ...(opts.start !== undefined ? { start: opts.start } : {}),
    ...(opts.cursor !== undefined ? { cursor: opts.cursor } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}

/** Prints a page's blocks; a block continued by the next page prints its cause once. */
function printBlocks(page: PollPage, json: boolean, state: { open: string | null; n: number }) {
  for (const b of page.blocks) {
    if (json) {
      const same = state.open === b.cause.graphCommitId;
      if (!same) {
        if (state.open !== null) out(']}');
        out(
          `${state.n++ === 0 ? '' : ','}\n{"cause":${stringifyJsonExact(causeJSON(b.cause))},"changes":[`,
        );
      }
      b.changes.forEach((c, i) => out(`${same || i > 0 ? ',' : ''}${stringifyJsonExact(c)}`));
    } else {
      if (state.open !== b.cause.graphCommitId) out(`${causeText(b.cause, b.changes.length)}\n`);
      for (const c of b.changes) out(`  ${changeText(c)}\n`);
    }
    state.open = b.cause.graphCommitId;
  }
}

async function pollOnce(repo: Repo, opts: PollOpts, filter: ChangeFilter): Promise<void> {
  const state = { open: null as string | null, n: 0 };
  let args: Parameters<typeof pollChanges>[1] = pollArgs(opts, filter);
  // The first page is fetched before anything is printed: a rejected cursor prints only its error.
  let started = false;
  for (;;) {
    const page = await pollChanges(repo, args);
    if (!started && opts.json)
      out(`{"branch":${JSON.stringify(opts.branch ?? DEFAULT_BRANCH)},"blocks":[`);
    started = true;
    printBlocks(page, opts.json === true, state);
    if (page.nextPageToken === null) {
      if (opts.json) {
        if (state.open !== null) out(']}');
        out(`\n],"cursor":${JSON.stringify(page.cursor)},"caught_up":${String(page.caughtUp)}}\n`);
      } else
        out(
          `cursor ${page.cursor}\n${page.caughtUp ? 'caught up' : 'more commits are waiting: poll again'}\n`,
        );
      return;
    }
    args = {
      ...pollArgs({ ...opts, start: undefined, cursor: undefined }, filter),
      pageToken: page.nextPageToken,
    };
  }
}

export async function poll(repoArg: string | undefined, opts: PollOpts): Promise<void> {
  const filter = parseFilter(opts);
  pollArgs(opts, filter);
  await withRepo(resolveRepo(repoArg, opts), true, async (repo) => {
    if (!opts.follow) return pollOnce(repo, opts, filter);
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await followChanges(repo, { ...pollArgs(opts, filter), signal: stop.signal }, (page) => {
        for (const b of page.blocks)
          out(
            opts.json
              ? `${stringifyJsonExact(blockJSON(b))}\n`
              : `${causeText(b.cause, b.changes.length)}\n${b.changes.map((c) => `  ${changeText(c)}\n`).join('')}`,
          );
        if (page.cursor !== null)
          out(
            opts.json
              ? `${JSON.stringify({ cursor: page.cursor, caught_up: page.caughtUp })}\n`
              : `cursor ${page.cursor}\n`,
          );
      });
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  });
}

export async function baseline(
  repoArg: string | undefined,
  opts: FilterOpts & { out: string; branch?: string },
): Promise<void> {
  const filter = parseFilter(opts);
  await withRepo(resolveRepo(repoArg, opts), true, async (repo) => {
    // The snapshot is installed durably (fsync, rename, fsync the directory) before the
    // cursor is printed: an interrupted baseline never yields a usable cursor.
    const r = await writeStreamAtomic(opts.out, (file) =>
      changeBaseline(repo, file, { filter, ...(opts.branch ? { branch: opts.branch } : {}) }),
    );
    const result = {
      baseline: { snapshot_commit_id: r.snapshotCommitId, resume_cursor: r.resumeCursor },
      out: opts.out,
      nodes: r.nodes,
      edges: r.edges,
    };
    printResult(opts, result, () =>
      [
        `snapshot of commit ${r.snapshotCommitId} written to ${opts.out}`,
        `cursor ${r.resumeCursor}`,
      ].join('\n'),
    );
  });
}

export { commitChangesAction as commitChanges };
