/**
 * The change feed's continuations (docs/branches-commits.md "The change feed"): opaque,
 * checksummed, versioned strings the caller owns; the repo keeps no consumer state.
 *
 * - a feed **cursor** says "every complete commit up to `last` was delivered": it binds
 *   the graph (its initial commit), the branch and its incarnation (creation time), the
 *   filter, and the purpose `changes/forward`;
 * - a **page token** continues one bounded response only: a commit's changes past a
 *   position (`commit-page`), or a feed poll past a position inside the next commit,
 *   with the poll's captured cut (`feed-page`). A token is never accepted as a cursor.
 *
 * Anything malformed, tampered with, or of another scope is ChangeCursorRejected (400),
 * message prefix `change cursor rejected:`.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { RepoError } from '../errors.js';
import type { ChangeFilter, ChangeKey } from './change-blocks.js';

const KEY = z.tuple([z.number(), z.string(), z.string(), z.number()]);

const Scope = {
  g: z.string(),
  b: z.string(),
  i: z.number(),
  f: z.string(),
};

const Payload = z.discriminatedUnion('p', [
  z.strictObject({ v: z.literal(1), p: z.literal('changes/forward'), ...Scope, c: z.string() }),
  z.strictObject({
    v: z.literal(1),
    p: z.literal('commit-page'),
    c: z.string(),
    f: z.string(),
    k: KEY,
  }),
  z.strictObject({
    v: z.literal(1),
    p: z.literal('feed-page'),
    ...Scope,
    h: z.string(),
    c: z.string(),
    n: z.string(),
    k: KEY,
  }),
]);
export type Continuation = z.infer<typeof Payload>;

/** Where a feed is: the graph, the branch incarnation and the filter it was started with. */
export interface FeedScope {
  genesis: string;
  branch: string;
  incarnation: number;
  filter: string;
}

/** The canonical digest of a filter: equal filters, whatever their order, give equal digests. */
export function filterDigest(f: ChangeFilter): string {
  const sorted = (xs: string[] | undefined) => [...new Set(xs ?? [])].sort();
  const canon = JSON.stringify([sorted(f.kinds), sorted(f.types), sorted(f.ops)]);
  return createHash('sha256').update(canon).digest('base64url').slice(0, 22);
}

function checksum(body: string): string {
  return createHash('sha256')
    .update(`lancelog-change-continuation\0${body}`)
    .digest('base64url')
    .slice(0, 16);
}

export function encode(c: Continuation): string {
  const body = Buffer.from(JSON.stringify(c)).toString('base64url');
  return `${body}.${checksum(body)}`;
}

export function rejected(reason: string, extra: Record<string, unknown> = {}): RepoError {
  return new RepoError('ChangeCursorRejected', `change cursor rejected: ${reason}`, {
    reason,
    ...extra,
  });
}

export function decode(text: string): Continuation {
  const [body, sum, more] = text.split('.');
  if (!body || !sum || more !== undefined || checksum(body) !== sum)
    throw rejected('not a change cursor or page token (malformed or altered)');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw rejected('not a change cursor or page token (undecodable)');
  }
  const parsed = Payload.safeParse(json);
  if (!parsed.success) throw rejected('unknown continuation version or shape');
  return parsed.data;
}

export function cursorOf(scope: FeedScope, lastCommit: string): string {
  return encode({
    v: 1,
    p: 'changes/forward',
    g: scope.genesis,
    b: scope.branch,
    i: scope.incarnation,
    f: scope.filter,
    c: lastCommit,
  });
}

/** Checks a decoded cursor or feed page token against the scope it is used in. */
export function assertScope(c: { g: string; b: string; i: number; f: string }, s: FeedScope): void {
  if (c.g !== s.genesis) throw rejected('it belongs to another graph');
  if (c.b !== s.branch)
    throw rejected(`it belongs to branch ${JSON.stringify(c.b)}`, { branch: s.branch });
  if (c.i !== s.incarnation)
    throw rejected('the branch was deleted and created again since', { branch: s.branch });
  if (c.f !== s.filter) throw rejected('it was issued for another filter');
}

export function keyArg(k: ChangeKey): ChangeKey {
  return [k[0], k[1], k[2], k[3]];
}
