/**
 * What a hostile client sends `lancelog serve` (a real server on 127.0.0.1): invalid
 * UTF-8 bodies, exact 64-bit numbers, queries nested past the limit, and the requests
 * Node and fastify refuse before a route runs. Every answer is a typed error in the
 * documented `{error, code}` shape, and a refused write changes nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, serveRepo, type TestServer } from '../helpers/server.js';
import { makeRepo } from '../helpers/repo.js';
import { runCli } from '../helpers/cli.js';

const GQ = `
query add($name: String, $big: I64) {
  insert Person { name: $name, big: $big }
}
query get($name: String) {
  match { $p: Person { name: $name } }
  return { $p.name, $p.big }
}
`;
const REFERENCE_CODES = [
  'unauthorized',
  'forbidden',
  'bad_request',
  'not_found',
  'conflict',
  'internal',
];

let root: string;
let dir: string;
let srv: TestServer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lancelog-inputs-'));
  dir = join(root, 'repo');
  await (await makeRepo(dir)).close();
  srv = await serveRepo(dir);
}, 60_000);
afterAll(async () => {
  await srv.close();
  rmSync(root, { recursive: true, force: true });
});

/** A request with a body of raw bytes. */
async function rawPost(path: string, body: Buffer): Promise<{ status: number; body: any }> {
  const res = await fetch(`${srv.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: new Uint8Array(body),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) };
}

/** Raw bytes on a socket (what fetch refuses to send); the whole answer. */
function rawHttp(request: string | Buffer): Promise<{ status: number; body: any }> {
  const { port } = new URL(srv.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, ...rest] = out.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]);
      try {
        resolve({ status, body: JSON.parse(rest.join('\r\n\r\n')) });
      } catch {
        reject(new Error(`not a JSON answer: ${JSON.stringify(out)}`));
      }
    });
    socket.end(request);
  });
}

const commits = async (): Promise<number> =>
  ((await call(srv.url, 'GET', '/commits?branch=main')).body.commits as unknown[]).length;

/** Bytes of a JSON body with one invalid UTF-8 byte (0xff) inside a string. */
function withInvalidByte(json: string, marker: string): Buffer {
  const [before, after] = json.split(marker);
  return Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from(after)]);
}

describe('request bodies', () => {
  it("invalid UTF-8 in /change and /ingest is refused with load's error, and nothing is written", async () => {
    const file = join(root, 'bad.jsonl');
    writeFileSync(file, withInvalidByte('{"type": "Person", "data": {"name": "Zo@"}}\n', '@'));
    const load = await runCli(['load', '--data', file, '--json', dir]);
    expect(load.code).toBe(1);
    // With --json the error is printed as JSON on stdout.
    const loadError = JSON.parse(load.stdout) as {
      code: string;
      details: Record<string, unknown>;
    };
    expect(loadError).toMatchObject({ code: 'DataFileError', details: { rule: 'encoding' } });
    const before = await commits();
    const change = await rawPost(
      '/change',
      withInvalidByte(
        JSON.stringify({ query_source: GQ, query_name: 'add', params: { name: 'Zo@', big: 1 } }),
        '@',
      ),
    );
    const ingest = await rawPost(
      '/ingest',
      withInvalidByte(
        JSON.stringify({ data: '{"type": "Person", "data": {"name": "Zo@"}}\n' }),
        '@',
      ),
    );
    for (const res of [change, ingest]) {
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        code: 'bad_request',
        lancelog_code: loadError.code,
        details: { file: '<request>', line: 1, field: '$', rule: 'encoding' },
      });
      expect(res.body.error).toContain('is not valid UTF-8 text');
    }
    expect(await commits()).toBe(before);
  });

  it('/change params keep 64-bit integers exact, 2^53 and beyond', async () => {
    for (const big of ['9007199254740992', '9223372036854775807', '-9223372036854775808']) {
      const name = `big${big}`;
      const res = await rawPost(
        '/change',
        Buffer.from(
          `{"query_source": ${JSON.stringify(GQ)}, "query_name": "add", "params": {"name": "${name}", "big": ${big}}}`,
        ),
      );
      expect({ big, status: res.status, body: res.body }).toMatchObject({ big, status: 200 });
      const read = await call(srv.url, 'POST', '/read', {
        body: { query_source: GQ, query_name: 'get', params: { name } },
      });
      const value = read.body.rows[0]['p.big'] as number | string;
      expect(String(value)).toBe(big);
    }
  });

  it('a query nested past the limit is a 400 ParseError, not a 500', async () => {
    const deep = `query q() { match { $p: Person ${'not { '.repeat(10_000)}$p.age > 1${' }'.repeat(10_000)} } return { $p.name } }`;
    const res = await call(srv.url, 'POST', '/read', { body: { query_source: deep } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'bad_request', lancelog_code: 'ParseError' });
  });

  it('a body that is not JSON, or empty, is a 400 in the error shape', async () => {
    for (const body of ['{"query_source": ', '', '[1, 2']) {
      const res = await rawPost('/read', Buffer.from(body));
      expect({ body, status: res.status, code: res.body.code }).toEqual({
        body,
        status: 400,
        code: 'bad_request',
      });
      expect(typeof res.body.error).toBe('string');
    }
  });
});

describe('every error the server sends has the {error, code} shape', () => {
  const cases: Array<[string, () => Promise<{ status: number; body: any }>, number]> = [
    [
      'a URL fastify cannot decode (bad percent-encoding)',
      () => rawHttp('GET /branches/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      400,
    ],
    [
      'a path parameter past the length limit (414)',
      () =>
        rawHttp(
          `DELETE /branches/${'a'.repeat(600)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        ),
      414,
    ],
    [
      'headers past the size limit (431)',
      () =>
        rawHttp(
          `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
        ),
      431,
    ],
    [
      "a request Node's parser refuses (client error)",
      () => rawHttp('GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'),
      400,
    ],
    ['an unknown route', () => call(srv.url, 'GET', '/nope'), 404],
    [
      'an unsupported media type',
      () =>
        fetch(`${srv.url}/read`, {
          method: 'POST',
          headers: { 'content-type': 'application/xml' },
          body: 'x',
        }).then(async (r) => ({ status: r.status, body: await r.json() })),
      415,
    ],
  ];
  it.each(cases)('%s', async (_name, send, status) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(typeof res.body.error).toBe('string');
    expect(REFERENCE_CODES).toContain(res.body.code);
    expect(Object.keys(res.body)).toEqual(expect.arrayContaining(['code', 'error']));
  });
});
