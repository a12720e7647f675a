/** `POST /schema/apply` against a repo with only main: applied, then the new schema is served. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { apiSchemas as S } from '../../src/server/index.js';
import { call, serveRepo, type TestServer } from '../helpers/server.js';

const V1 = 'node Person {\n  name: String @key\n  age: I32?\n}\n';
const V2 = 'node Person {\n  name: String @key\n  age: I64? @range(0..120)\n  bio: String?\n}\n';

let dir: string;
let srv: TestServer | undefined;
afterEach(async () => {
  await srv?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /schema/apply', () => {
  it('refuses breaking data with 409, applies a valid change, and later writes use it', async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'lancelog-serve-schema-')), 'r');
    await Repo.init(dir, { schemaSource: V1, schemaFile: 'v1.pg' });
    const repo = await Repo.open(dir);
    await repo.transaction((tx) => {
      tx.insert('Person', { name: 'ann', age: 300 });
      return Promise.resolve();
    });
    await repo.close();
    srv = await serveRepo(dir);
    const post = (path: string, body: unknown) => call(srv!.url, 'POST', path, { body });

    const refused = await post('/schema/apply', { schema_source: V2 });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      lancelog_code: 'SchemaApplyRefused',
    });
    expect(readFileSync(join(dir, '_schema.pg'), 'utf8')).toBe(V1);

    const ok = await post('/schema/apply', { schema_source: V2.replace(' @range(0..120)', '') });
    expect(ok.status).toBe(200);
    const out = S.SchemaApplyOutputSchema.parse(ok.body);
    expect(out).toMatchObject({ supported: true, applied: true, step_count: 2, uri: dir });
    const same = await post('/schema/apply', { schema_source: V2.replace(' @range(0..120)', '') });
    expect(same.body).toMatchObject({ applied: false, manifest_version: out.manifest_version });
    const shown = await call(srv.url, 'GET', '/schema');
    expect(JSON.stringify(shown.body)).toContain('bio: String?');
  }, 120_000);
});
