/**
 * `GET`/`HEAD /blob` over real HTTP against a real repo, and `readBlob` (the public API the
 * CLI's `blob get|stat` uses): whole cells, one byte range, ETag, If-None-Match, If-Range,
 * time travel, and the bad selectors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBlob, Repo } from '../../src/index.js';
import { serveRepo, type TestServer } from '../helpers/server.js';

const SCHEMA = `
node Doc {
  name: String @key
  body: Blob?
  title: String?
}
edge Cites: Doc -> Doc {
  note: Blob?
}
`;
const BODY = randomBytes(200_000);
const NOTE = Buffer.from('because it said so');

let root: string;
let dir: string;
let server: TestServer;
let firstCommit: string;
let edgeId: string;

async function load(repo: Repo, lines: unknown[]): Promise<void> {
  await repo.load(
    { text: lines.map((l) => JSON.stringify(l)).join('\n') + '\n', file: 'docs.jsonl' },
    { mode: 'merge' },
  );
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lancelog-blob-'));
  dir = join(root, 'repo');
  await Repo.init(dir, { schemaSource: SCHEMA, schemaFile: 'docs.pg' });
  const repo = await Repo.open(dir);
  try {
    await load(repo, [
      { type: 'Doc', data: { name: 'a', body: BODY.toString('base64'), title: 'A' } },
      { type: 'Doc', data: { name: 'b' } },
      { edge: 'Cites', from: 'a', to: 'b', data: { note: NOTE.toString('base64') } },
    ]);
    firstCommit = repo.snapshot({ branch: 'main' }).commitId;
    repo.createBranch('pub');
    edgeId = String((await repo.scan('Cites'))[0].id);
    await load(repo, [
      { type: 'Doc', data: { name: 'a', body: Buffer.from('v2').toString('base64'), title: 'A' } },
    ]);
  } finally {
    await repo.close();
  }
  server = await serveRepo(dir);
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

function blobUrl(params: Record<string, string>, graph = false): string {
  return `${server.url}${graph ? '/graphs/default' : ''}/blob?${new URLSearchParams(params).toString()}`;
}
const AT_FIRST = { entity: 'node', type: 'Doc', id: 'a', property: 'body', snapshot: '' };

describe('GET /blob', () => {
  it('the whole cell with its ETag, Content-Length and Accept-Ranges; HEAD the same headers', async () => {
    const q = { ...AT_FIRST, snapshot: firstCommit };
    const res = await fetch(blobUrl(q));
    expect(res.status).toBe(200);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-length')).toBe(String(BODY.length));
    expect(res.headers.get('etag')).toMatch(/^"sha256-[0-9a-f]{64}"$/);
    expect(Buffer.from(await res.arrayBuffer()).equals(BODY)).toBe(true);
    const head = await fetch(blobUrl(q), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(res.headers.get('etag'));
    expect(head.headers.get('content-length')).toBe(String(BODY.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('the branch head by default; the same bytes keep their ETag, new bytes get another', async () => {
    const head = await fetch(blobUrl({ entity: 'node', type: 'Doc', id: 'a', property: 'body' }));
    expect(Buffer.from(await head.arrayBuffer()).toString()).toBe('v2');
    const old = await fetch(blobUrl({ ...AT_FIRST, snapshot: firstCommit }), { method: 'HEAD' });
    expect(head.headers.get('etag')).not.toBe(old.headers.get('etag'));
    const again = await fetch(blobUrl({ entity: 'node', type: 'Doc', id: 'a', property: 'body' }), {
      method: 'HEAD',
    });
    expect(again.headers.get('etag')).toBe(head.headers.get('etag'));
  });

  it('one byte range: a-b, a-, -n (206 with Content-Range); beyond the end is a 416', async () => {
    const url = blobUrl({ ...AT_FIRST, snapshot: firstCommit });
    const cases: Array<[string, number, number]> = [
      ['bytes=10-19', 10, 19],
      ['bytes=199990-', 199_990, 199_999],
      ['bytes=-5', 199_995, 199_999],
      ['bytes=100-999999', 100, 199_999],
    ];
    for (const [range, start, end] of cases) {
      const res = await fetch(url, { headers: { range } });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${BODY.length}`);
      expect(Buffer.from(await res.arrayBuffer()).equals(BODY.subarray(start, end + 1))).toBe(true);
    }
    const bad = await fetch(url, { headers: { range: 'bytes=200000-' } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe(`bytes */${BODY.length}`);
    expect(((await bad.json()) as any).lancelog_code).toBe('RangeNotSatisfiable');
    // Several ranges: the whole cell (a server may ignore Range).
    const multi = await fetch(url, { headers: { range: 'bytes=0-1,5-6' } });
    expect(multi.status).toBe(200);
  });

  it('If-None-Match answers 304; If-Range serves the range only while the ETag matches', async () => {
    const url = blobUrl({ ...AT_FIRST, snapshot: firstCommit });
    const etag = (await fetch(url, { method: 'HEAD' })).headers.get('etag')!;
    const cached = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(cached.status).toBe(304);
    expect(cached.headers.get('etag')).toBe(etag);
    const same = await fetch(url, { headers: { range: 'bytes=0-3', 'if-range': etag } });
    expect(same.status).toBe(206);
    const moved = await fetch(url, { headers: { range: 'bytes=0-3', 'if-range': '"sha256-0"' } });
    expect(moved.status).toBe(200);
    expect(moved.headers.get('content-length')).toBe(String(BODY.length));
    await moved.arrayBuffer();
  });

  it('an edge cell under /graphs/{graph_id}', async () => {
    const res = await fetch(
      blobUrl({ entity: 'edge', type: 'Cites', id: edgeId, property: 'note' }, true),
    );
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(NOTE)).toBe(true);
  });

  it('bad selectors: a null cell or missing entity 404, a non-Blob property or wrong kind 400', async () => {
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ entity: 'node', type: 'Doc', id: 'b', property: 'body' }, 404, 'BlobNotFound'],
      [{ entity: 'node', type: 'Doc', id: 'zz', property: 'body' }, 404, 'BlobNotFound'],
      [{ entity: 'node', type: 'Doc', id: 'a', property: 'title' }, 400, 'NotABlobProperty'],
      [{ entity: 'node', type: 'Doc', id: 'a', property: 'nope' }, 400, 'NotABlobProperty'],
      [{ entity: 'edge', type: 'Doc', id: 'a', property: 'body' }, 400, 'NotABlobProperty'],
      [{ entity: 'node', type: 'Doc', id: 'a' }, 400, 'InvalidRequest'],
    ];
    for (const [q, status, code] of cases) {
      const res = await fetch(blobUrl(q));
      expect({ q, status: res.status }).toEqual({ q, status });
      expect(((await res.json()) as any).lancelog_code).toBe(code);
    }
  });
});

describe('GET /blob under a policy: authorized by the commit read', () => {
  it('a reader of unprotected branches reads pub and its history, never main-only bytes', async () => {
    const policyFile = join(root, 'policy.yaml');
    writeFileSync(
      policyFile,
      `version: 1
groups:
  readers: [rita]
protected_branches: [main]
rules:
  - id: readers
    allow: { actors: { group: readers }, actions: [read], branch_scope: unprotected }
`,
    );
    const guarded = await serveRepo(dir, {
      policyFile,
      env: { LANCELOG_SERVER_TOKENS_JSON: JSON.stringify({ rita: 'rita-token-0123456789' }) },
    });
    try {
      const get = (q: Record<string, string>) =>
        fetch(
          `${guarded.url}/blob?${new URLSearchParams({ entity: 'node', type: 'Doc', id: 'a', property: 'body', ...q }).toString()}`,
          {
            headers: { authorization: 'Bearer rita-token-0123456789' },
          },
        );
      const pub = await get({ branch: 'pub' });
      expect(pub.status).toBe(200);
      expect(Buffer.from(await pub.arrayBuffer()).equals(BODY)).toBe(true);
      expect((await get({ snapshot: firstCommit })).status).toBe(200);
      const head = await fetch(
        blobUrl({ entity: 'node', type: 'Doc', id: 'a', property: 'body' }),
        {
          method: 'HEAD',
        },
      );
      const mainOnly = head.headers.get('x-lancelog-commit-id')!;
      for (const q of [{ snapshot: mainOnly }, { branch: 'main' }] as Array<
        Record<string, string>
      >) {
        const res = await get(q);
        expect({ q, status: res.status }).toEqual({ q, status: 403 });
        expect(Buffer.from(await res.arrayBuffer()).toString()).not.toContain('v2');
      }
    } finally {
      await guarded.close();
    }
  });
});

describe('readBlob (the API under blob get|stat)', () => {
  it('streams the cell in bounded chunks', async () => {
    const repo = await Repo.open(dir);
    try {
      const cell = await readBlob(repo, {
        type: 'Doc',
        id: 'a',
        property: 'body',
        commit: firstCommit,
      });
      expect(cell.sizeBytes).toBe(BODY.length);
      const sizes: number[] = [];
      const parts: Buffer[] = [];
      for await (const chunk of cell.stream(undefined, 16 * 1024)) {
        sizes.push((chunk as Buffer).length);
        parts.push(chunk as Buffer);
      }
      expect(Math.max(...sizes)).toBe(16 * 1024);
      expect(Buffer.concat(parts).equals(BODY)).toBe(true);
      const part: Buffer[] = [];
      for await (const chunk of cell.stream({ start: 5, end: 9 })) part.push(chunk as Buffer);
      expect(Buffer.concat(part).equals(BODY.subarray(5, 10))).toBe(true);
    } finally {
      await repo.close();
    }
  });
});
