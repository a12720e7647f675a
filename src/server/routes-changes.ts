/**
 * The change endpoints (docs/server.md "Changes"): a commit's entity changes, the change
 * feed (poll, a server-sent-events stream that follows live, the baseline), and the
 * conditional mutation route. Thin over the public API (src/repo/changes.ts).
 */
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import {
  changeBaseline,
  commitChanges,
  followChanges,
  pollChanges,
  stringifyJsonExact,
  type ChangeBlock,
  type ChangeFilter,
  type PollPage,
  DEFAULT_BRANCH,
} from '../index.js';
import { REPLY_SENT, route } from './route.js';
import { ChangeRequestSchema, ChangeOutputSchema } from './api-schemas.js';
import { ifCommitOf, runChange } from './routes-data.js';

const many = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));
const filterQuery = {
  kind: many.pipe(z.array(z.enum(['node', 'edge']))),
  type: many,
  op: many.pipe(z.array(z.enum(['insert', 'update', 'delete']))),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
};

export const CommitChangesQuerySchema = z.strictObject({
  ...filterQuery,
  page_token: z.string().min(1).optional(),
});
export const FeedQuerySchema = z.strictObject({
  ...filterQuery,
  branch: z.string().min(1).optional(),
  start: z.string().min(1).optional(),
  cursor: z.string().min(1).optional(),
  page_token: z.string().min(1).optional(),
});
const StreamQuerySchema = FeedQuerySchema.omit({ page_token: true, limit: true });
export const BaselineRequestSchema = z
  .strictObject({
    branch: z.string().min(1).nullable().optional(),
    kind: z.array(z.enum(['node', 'edge'])).optional(),
    type: z.array(z.string()).optional(),
    op: z.array(z.enum(['insert', 'update', 'delete'])).optional(),
  })
  .meta({ id: 'ChangeBaselineRequest' });

const Image = z.object({
  properties: z.record(z.string(), z.unknown()),
  endpoints: z.object({ from: z.string(), to: z.string() }).optional(),
});
const EntityChangeSchema = z
  .object({
    kind: z.enum(['node', 'edge']),
    type: z.object({ id: z.string(), name: z.string() }),
    id: z.string(),
    op: z.enum(['insert', 'update', 'delete']),
    before: Image.optional(),
    after: Image.optional(),
  })
  .meta({ id: 'EntityChange' });
const CauseSchema = z
  .object({
    graph_commit_id: z.string(),
    parent_commit_id: z.string().nullable(),
    merged_parent_commit_id: z.string().nullable(),
    authored_branch: z.string(),
    actor_id: z.string(),
    authored_at: z.number().int(),
  })
  .meta({ id: 'ChangeCause' });
const BlockSchema = z.object({ cause: CauseSchema, changes: z.array(EntityChangeSchema) });
export const CommitChangesSchema = BlockSchema.extend({
  next_page_token: z.string().nullable(),
}).meta({ id: 'CommitChangesOutput' });
export const FeedPageSchema = z
  .object({
    branch: z.string(),
    blocks: z.array(BlockSchema),
    next_page_token: z.string().nullable(),
    cursor: z.string().nullable(),
    caught_up: z.boolean().nullable(),
  })
  .meta({ id: 'ChangeFeedPage' });

function filterOf(q: { kind: string[]; type: string[]; op: string[] }): ChangeFilter {
  return {
    ...(q.kind.length ? { kinds: q.kind as ChangeFilter['kinds'] } : {}),
    ...(q.type.length ? { types: q.type } : {}),
    ...(q.op.length ? { ops: q.op as ChangeFilter['ops'] } : {}),
  };
}

export function blockOut(b: ChangeBlock) {
  const c = b.cause;
  return {
    cause: {
      graph_commit_id: c.graphCommitId,
      parent_commit_id: c.parentCommitId,
      merged_parent_commit_id: c.mergedParentCommitId,
      authored_branch: c.authoredBranch,
      actor_id: c.actorId,
      authored_at: c.authoredAt,
    },
    changes: b.changes,
  };
}

function pageOut(p: PollPage) {
  return {
    branch: p.branch,
    blocks: p.blocks.map(blockOut),
    next_page_token: p.nextPageToken,
    cursor: p.cursor,
    caught_up: p.caughtUp,
  };
}

/** Live streams, aborted when the server closes (they never finish by themselves). */
const streams = new Set<AbortController>();

export function abortChangeStreams(): void {
  for (const s of streams) s.abort();
}

export const changeRoutes = [
  route({
    method: 'GET',
    path: '/commits/{commit_id}/changes',
    operationId: 'getCommitChanges',
    summary: 'The entity changes one commit made relative to its first parent (one page)',
    tag: 'lancelog',
    params: z.object({ commit_id: z.string().min(1) }),
    query: CommitChangesQuerySchema,
    response: CommitChangesSchema,
    errors: [404, 409, 410],
    // The images are the commit's and its first parent's data: a read of the commit
    // (src/server/access.ts: a branch whose history has it).
    policy: ({ params }) => ({ action: 'read', name: 'commit', at: { commit: params.commit_id } }),
    async handler({ params, query, server }) {
      const p = await commitChanges(server.repo, params.commit_id, {
        filter: filterOf(query),
        ...(query.page_token !== undefined ? { pageToken: query.page_token } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
      });
      return { ...blockOut(p), next_page_token: p.nextPageToken };
    },
  }),
  route({
    method: 'GET',
    path: '/changes',
    operationId: 'pollChanges',
    summary:
      'One page of the change feed of a branch (first-parent order, up to the head captured now)',
    tag: 'lancelog',
    query: FeedQuerySchema,
    response: FeedPageSchema,
    errors: [404, 410],
    // The feed reads the branch's history up to its head when polled: only it can allow it.
    policy: ({ query }) => ({
      action: 'read',
      name: 'feed',
      at: { branch: query.branch ?? DEFAULT_BRANCH },
      live: true,
    }),
    async handler({ query, server }) {
      const page = await pollChanges(server.repo, {
        filter: filterOf(query),
        branch: query.branch ?? DEFAULT_BRANCH,
        ...(query.start !== undefined ? { start: query.start } : {}),
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
        ...(query.page_token !== undefined ? { pageToken: query.page_token } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
      });
      return pageOut(page);
    },
  }),
  route({
    method: 'GET',
    path: '/changes/stream',
    operationId: 'streamChanges',
    summary:
      'The change feed followed live as server-sent events (event: block, then event: cursor with id = the cursor); resumable with Last-Event-ID',
    tag: 'lancelog',
    query: StreamQuerySchema,
    response: 'ndjson',
    errors: [404, 410],
    policy: ({ query }) => ({
      action: 'read',
      name: 'feed',
      at: { branch: query.branch ?? DEFAULT_BRANCH },
      live: true,
    }),
    async handler({ query, server, reply, headers }) {
      const last = headers['last-event-id'];
      const cursor = typeof last === 'string' && last !== '' ? last : query.cursor;
      const opts = {
        filter: filterOf(query),
        branch: query.branch ?? DEFAULT_BRANCH,
        ...(cursor !== undefined
          ? { cursor }
          : query.start !== undefined
            ? { start: query.start }
            : {}),
      };
      // The first poll runs before the stream opens: a bad cursor is a plain 400.
      const first = await pollChanges(server.repo, opts);
      const stop = new AbortController();
      streams.add(stop);
      const out = new PassThrough();
      const send = (p: PollPage): void => {
        for (const b of p.blocks)
          out.write(`event: block\ndata: ${stringifyJsonExact(blockOut(b))}\n\n`);
        if (p.cursor !== null)
          out.write(
            `id: ${p.cursor}\nevent: cursor\ndata: ${JSON.stringify({ cursor: p.cursor, caught_up: p.caughtUp })}\n\n`,
          );
      };
      reply.raw.on('close', () => stop.abort());
      const keepAlive = setInterval(() => out.write(': keep-alive\n\n'), 15_000);
      followChanges(server.repo, { ...opts, firstPage: first, signal: stop.signal }, send)
        .catch((err: unknown) => {
          const e = err as { code?: string; message?: string };
          out.write(
            `event: error\ndata: ${JSON.stringify({ code: e.code ?? 'InternalError', error: e.message ?? String(err) })}\n\n`,
          );
        })
        .finally(() => {
          clearInterval(keepAlive);
          streams.delete(stop);
          out.end();
        });
      void reply
        .header('cache-control', 'no-cache')
        .header('x-accel-buffering', 'no')
        .type('text/event-stream')
        .send(out);
      return REPLY_SENT;
    },
  }),
  route({
    method: 'POST',
    path: '/changes/baseline',
    operationId: 'changeBaseline',
    summary:
      'An exact snapshot of a branch at its head (NDJSON, the load format), then one terminal {"baseline": {snapshot_commit_id, resume_cursor}} record',
    tag: 'lancelog',
    body: BaselineRequestSchema,
    response: 'ndjson',
    errors: [404],
    // The baseline reads the branch at its head when it runs: only the branch can allow it.
    // (An unknown branch is a 404 there, before the stream.)
    policy: ({ body }) => ({
      action: 'export',
      name: 'branch',
      at: { branch: body.branch ?? DEFAULT_BRANCH },
      live: true,
    }),
    async handler({ body, server, reply }) {
      const filter = filterOf({ kind: body.kind ?? [], type: body.type ?? [], op: body.op ?? [] });
      const branch = body.branch ?? DEFAULT_BRANCH;
      const out = new PassThrough({ highWaterMark: 1 << 16 });
      // The terminal record is written only after every snapshot line succeeded.
      changeBaseline(server.repo, out, { branch, filter }).then(
        (r) =>
          out.end(
            `${JSON.stringify({ baseline: { snapshot_commit_id: r.snapshotCommitId, resume_cursor: r.resumeCursor } })}\n`,
          ),
        (err: unknown) => out.destroy(err as Error),
      );
      void reply.type('application/x-ndjson').send(out);
      return REPLY_SENT;
    },
  }),
  route({
    method: 'POST',
    path: '/mutate/if-graph-commit',
    operationId: 'mutateIfGraphCommit',
    summary:
      'Run a named .gq mutation only if the branch head is still the commit in Omnigraph-If-Graph-Commit (412 precondition_failure otherwise)',
    tag: 'lancelog',
    body: ChangeRequestSchema,
    response: ChangeOutputSchema,
    errors: [404, 409, 412],
    write: true,
    policy: ({ body }) => ({ action: 'change', branch: body.branch ?? DEFAULT_BRANCH }),
    async handler({ body, server, actor, headers }) {
      return runChange(server.repo, body, actor, ifCommitOf(headers));
    },
  }),
];
