/**
 * `GET`/`HEAD /blob?entity&type&id&property&branch|snapshot`: one Blob cell as bytes, with
 * one byte range (`Range: bytes=a-b`, `a-`, `-n`; 206 with `Content-Range`), a strong ETag
 * (the SHA-256 of the bytes), `If-None-Match` (304) and `If-Range` (the range only while the
 * ETag still matches). HEAD is fastify's from the GET route: the same headers, no body.
 * Guarded by `read` on the branch whose data is returned (a snapshot's own branch).
 */
import { z } from 'zod';
import { readBlob, type BlobCell, type ByteRange } from '../index.js';
import { HttpError } from './errors.js';
import { REPLY_SENT, route } from './route.js';
import { readAtOf } from './access.js';
import { readRefOf } from './routes-current.js';

const BlobQuerySchema = z.strictObject({
  entity: z.enum(['node', 'edge']),
  type: z.string().min(1),
  id: z.string().min(1),
  property: z.string().min(1),
  branch: z.string().min(1).optional(),
  /** A graph commit id; exclusive with `branch`. */
  snapshot: z.string().min(1).optional(),
});

/** One range of `Range: bytes=…` against a size; null when the header asks for none we serve. */
export function parseRange(header: string | undefined, sizeBytes: number): ByteRange | null {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges or another unit: the whole cell (RFC 9110 lets a server ignore Range).
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || sizeBytes === 0) throw unsatisfiable(header, sizeBytes);
    return { start: Math.max(0, sizeBytes - suffix), end: sizeBytes - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? sizeBytes - 1 : Math.min(Number(m[2]), sizeBytes - 1);
  if (start >= sizeBytes || (m[2] !== '' && Number(m[2]) < start))
    throw unsatisfiable(header, sizeBytes);
  return { start, end };
}

function unsatisfiable(range: string, size: number): HttpError {
  return new HttpError('RangeNotSatisfiable', `range ${range} is outside the ${size} bytes`, {
    range,
    size,
  });
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

function headerOf(headers: Record<string, string | string[] | undefined>, name: string) {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The range to serve: none when If-Range names another version (then the whole cell). */
function rangeFor(
  cell: BlobCell,
  headers: Record<string, string | string[] | undefined>,
): ByteRange | null {
  const ifRange = headerOf(headers, 'if-range');
  if (ifRange !== undefined && ifRange.trim() !== cell.etag) return null;
  return parseRange(headerOf(headers, 'range'), cell.sizeBytes);
}

export const blobRoutes = [
  route({
    method: 'GET',
    path: '/blob',
    operationId: 'getBlob',
    summary:
      'One Blob cell as bytes (HEAD: its headers): one byte range, ETag, If-None-Match, If-Range',
    tag: 'reference',
    query: BlobQuerySchema,
    response: 'binary',
    errors: [404, 416],
    policy: ({ query }) => ({
      action: 'read',
      name: 'at',
      at: readRefOf(query.branch, query.snapshot, 'query'),
    }),
    async handler({ query, server, reply, headers, reads }) {
      // Exactly the snapshot the policy authorized (a branch head it allowed, or the commit).
      const at = readAtOf(reads.at, readRefOf(query.branch, query.snapshot, 'query'));
      const cell = await readBlob(server.repo, {
        entity: query.entity,
        type: query.type,
        id: query.id,
        property: query.property,
        ...at,
      });
      void reply
        .header('accept-ranges', 'bytes')
        .header('etag', cell.etag)
        .header('x-lancelog-commit-id', cell.commitId)
        .header('cache-control', 'no-cache');
      if (etagMatches(headerOf(headers, 'if-none-match'), cell.etag)) {
        void reply.status(304).send();
        return REPLY_SENT;
      }
      let range: ByteRange | null;
      try {
        range = rangeFor(cell, headers);
      } catch (err) {
        void reply.header('content-range', `bytes */${cell.sizeBytes}`);
        throw err;
      }
      if (range !== null)
        void reply
          .status(206)
          .header('content-range', `bytes ${range.start}-${range.end}/${cell.sizeBytes}`);
      const length = range === null ? cell.sizeBytes : range.end - range.start + 1;
      void reply
        .type('application/octet-stream')
        .header('content-length', length)
        .send(length === 0 ? Buffer.alloc(0) : cell.stream(range ?? undefined));
      return REPLY_SENT;
    },
  }),
];
