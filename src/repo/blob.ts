/**
 * One Blob cell (a node's or edge's `Blob` property) at a branch head or a commit: its
 * size, a strong validator (the SHA-256 of its bytes, so equal bytes have equal ETags
 * across commits) and its bytes as a stream of bounded chunks, whole or one byte range.
 * Only the one column of the one row is read from Lance; the cell's value is held once in
 * memory (Lance returns a LargeBinary value whole), never the table or a copy per chunk.
 * The server's `GET /blob` and the CLI's `blob get|stat` are thin over this.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DEFAULT_BRANCH } from '../defaults.js';
import { RepoError } from '../errors.js';
import type { Snapshot } from '../journal/index.js';
import type { TypeDef } from '../schema/types.js';
import { sqlIdent, sqlString } from '../storage/index.js';

/** What reading a cell needs of a Repo (this layer never imports src/repo.ts). */
export interface BlobRepo {
  typeDef(typeOrKey: string): TypeDef;
  snapshot(at: { branch?: string; commit?: string }): Snapshot;
  scan(
    type: string,
    opts: { commit?: string; where?: string; columns?: string[]; limit?: number },
  ): Promise<Record<string, unknown>[]>;
}

export interface BlobSelector {
  /** `node` or `edge`: must be the kind of `type` (a guard against reading the wrong table). */
  entity?: 'node' | 'edge';
  type: string;
  /** The node's id (its key value for keyed nodes) or the edge's id. */
  id: string;
  property: string;
  /** Read at this branch's head (default main) … */
  branch?: string;
  /** … or at this graph commit. */
  commit?: string;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface BlobCell {
  type: string;
  id: string;
  property: string;
  /** The commit the cell was read at. */
  commitId: string;
  sizeBytes: number;
  /** A strong entity tag, quoted: `"sha256-<hex>"`. */
  etag: string;
  /** The bytes (or one range of them) in chunks of at most `chunkBytes` (default 64 KiB). */
  stream(range?: ByteRange, chunkBytes?: number): Readable;
}

const DEFAULT_CHUNK_BYTES = 64 * 1024;

function checkProperty(def: TypeDef, sel: BlobSelector): void {
  if (sel.entity !== undefined && sel.entity !== def.kind)
    throw new RepoError(
      'NotABlobProperty',
      `'${def.name}' is a ${def.kind} type, not a ${sel.entity} type`,
      {
        type: def.name,
        property: sel.property,
        property_type: def.kind,
      },
    );
  const prop = def.properties.find((p) => p.name === sel.property);
  if (!prop)
    throw new RepoError('NotABlobProperty', `${def.name} has no property '${sel.property}'`, {
      type: def.name,
      property: sel.property,
      property_type: null,
    });
  if (prop.type.kind !== 'scalar' || prop.type.name !== 'Blob')
    throw new RepoError('NotABlobProperty', `${def.name}.${sel.property} is not a Blob property`, {
      type: def.name,
      property: sel.property,
      property_type: prop.type.kind === 'scalar' ? prop.type.name : prop.type.kind,
    });
}

/** Reads one Blob cell; a missing entity or a null cell is `BlobNotFound`. */
export async function readBlob(repo: BlobRepo, sel: BlobSelector): Promise<BlobCell> {
  const def = repo.typeDef(sel.type);
  checkProperty(def, sel);
  const snap = repo.snapshot(
    sel.commit ? { commit: sel.commit } : { branch: sel.branch ?? DEFAULT_BRANCH },
  );
  const rows = await repo.scan(def.name, {
    commit: snap.commitId,
    where: `${sqlIdent('id')} = ${sqlString(sel.id)}`,
    columns: [sel.property],
    limit: 1,
  });
  const value = rows[0]?.[sel.property];
  if (!(value instanceof Uint8Array))
    throw new RepoError(
      'BlobNotFound',
      rows.length === 0
        ? `no ${def.name} '${sel.id}' at commit ${snap.commitId}`
        : `${def.name} '${sel.id}' has no ${sel.property} (null) at commit ${snap.commitId}`,
      { type: def.name, id: sel.id, property: sel.property, commit_id: snap.commitId },
    );
  const bytes = value;
  return {
    type: def.name,
    id: sel.id,
    property: sel.property,
    commitId: snap.commitId,
    sizeBytes: bytes.byteLength,
    etag: `"sha256-${createHash('sha256').update(bytes).digest('hex')}"`,
    stream: (range, chunkBytes = DEFAULT_CHUNK_BYTES) =>
      Readable.from(chunks(bytes, range ?? { start: 0, end: bytes.byteLength - 1 }, chunkBytes)),
  };
}

/** Views of the cell's bytes (no copies), one chunk at a time as the reader pulls. */
function* chunks(bytes: Uint8Array, range: ByteRange, chunkBytes: number): Generator<Buffer> {
  for (let at = range.start; at <= range.end; at += chunkBytes)
    yield Buffer.from(
      bytes.buffer,
      bytes.byteOffset + at,
      Math.min(chunkBytes, range.end + 1 - at),
    );
}
