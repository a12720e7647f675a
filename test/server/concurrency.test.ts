/**
 * Concurrent /change requests to one table: each is answered 200 or 409 with the
 * conflict body, and the final state holds exactly the acknowledged ones.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  call,
  makeFixtureRepo,
  MUTATIONS_GQ,
  serveRepo,
  type TestServer,
} from '../helpers/server.js';

let dir: string;
let srv: TestServer;
beforeAll(async () => {
  dir = await makeFixtureRepo(mkdtempSync(join(tmpdir(), 'lancelog-conc-')));
  srv = await serveRepo(dir);
});
afterAll(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

it('concurrent /change to one table: 200 or 409 {manifest_conflict}; exactly the acknowledged rows land', async () => {
  const names = Array.from({ length: 12 }, (_, i) => `Conc${i}`);
  const answers = await Promise.all(
    names.map((name) =>
      call(srv.url, 'POST', '/change', {
        body: { query_source: MUTATIONS_GQ, query_name: 'add_person', params: { name, age: 1 } },
      }),
    ),
  );
  const acknowledged: string[] = [];
  answers.forEach((r, i) => {
    expect([200, 409]).toContain(r.status);
    if (r.status === 200) acknowledged.push(names[i]);
    else
      expect(r.body).toMatchObject({
        code: 'conflict',
        manifest_conflict: { table_key: 'node:Person' },
      });
  });
  expect(acknowledged.length).toBeGreaterThan(0);
  const exported = await call(srv.url, 'POST', '/export', { body: { type_names: ['Person'] } });
  const landed = (exported.body as string)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l).data.name as string)
    .filter((n) => n.startsWith('Conc'));
  expect(landed.sort()).toEqual(acknowledged.sort());
  // One commit per acknowledged change, no half-written ones.
  const health = await call(srv.url, 'GET', '/healthz');
  expect(health.body.repo.main_manifest_version).toBe(2 + acknowledged.length);
  expect(health.body.journal.pending_recovery).toBe(0);
});
