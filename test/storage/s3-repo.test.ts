/**
 * A repo whose Lance tables live on S3-compatible storage, against a real S3 server on
 * 127.0.0.1 (s3rver, started here; scripts/s3-server.ts) with the SQLite journal
 * in a local directory: the one-machine deployment (docs/deployment.md).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, Repo, type LancelogError } from '../../src/index.js';
import { lanceStorageOptions, RawLance, S3Objects, s3Location } from '../../src/storage/index.js';
import { arrowSchemaFor, compileSchema } from '../../src/schema/index.js';
import { HOLD_BACK_LATER_TABLE_COMMITS } from '../../src/failpoints.js';
import { runCli } from '../helpers/cli.js';
import { runChild } from '../helpers/crash.js';
import { useS3Server } from '../helpers/s3.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();

const SCHEMA = `
node Person { name: String @key }
node Note { text: String @key }
edge Wrote: Person -> Note
`;

const s3 = useS3Server();

/** A fresh prefix of the test bucket. */
const newUri = () => s3().newUri();

/** Objects stored by the server under the bucket (s3rver keeps one file per object). */
function objectsUnder(prefix: string): string[] {
  const root = join(s3().dir, s3().server.bucket);
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(join(dir, e.name), r);
      else if (e.name.endsWith('._S3rver_object')) out.push(r.replace(/\._S3rver_object$/, ''));
    }
  };
  walk(join(root, prefix), prefix);
  return out;
}

async function seeded(): Promise<{ uri: string; dir: string }> {
  const uri = newUri();
  const dir = join(tmp(), 'journal');
  await Repo.init(uri, { schemaSource: SCHEMA, schemaFile: 'schema.pg', journal: dir });
  const repo = await Repo.open(dir);
  try {
    await repo.transaction((tx) => {
      tx.insert('Person', { name: 'a' });
      tx.insert('Note', { text: 'a' });
    });
  } finally {
    await repo.close();
  }
  return { uri, dir };
}

async function visible(repo: Repo): Promise<string[]> {
  const ids = [
    ...(await repo.scan('Person')).map((r) => `P:${r.id}`),
    ...(await repo.scan('Note')).map((r) => `N:${r.id}`),
  ];
  return ids.sort();
}

function codeOf(err: unknown): string {
  return (err as LancelogError).code;
}

describe('a repo whose tables live on S3-compatible storage (SQLite journal, one machine)', () => {
  it('init, write, read, time travel and verify: the Lance files are objects, none on the local disk', async () => {
    const { uri, dir } = await seeded();
    const prefix = uri.replace(`s3://${s3().server.bucket}/`, '');
    const objects = objectsUnder(prefix);
    expect(objects).toContain(`${prefix}/_lancelog.json`);
    expect(
      objects.some((o) => /^.*\/nodes\/[0-9a-f]+\.lance\/_versions\/\d+\.manifest$/.test(o)),
    ).toBe(true);
    // The journal, the schema, where the tables are, and the (empty) sidecar directory.
    expect(
      readdirSync(dir)
        .filter((f) => !f.startsWith('_lancelog.db-'))
        .sort(),
    ).toEqual(['__recovery', '_lancelog.db', '_schema.pg', '_storage.json']);
    expect(readdirSync(join(dir, '__recovery'))).toEqual([]);
    expect(existsSync(join(dir, 'nodes'))).toBe(false);

    const repo = await Repo.open(uri, { journal: dir });
    try {
      await repo.transaction((tx) => {
        tx.insert('Person', { name: 'b' });
        tx.link('Wrote', 'b', 'a');
      });
      expect(await visible(repo)).toEqual(['N:a', 'P:a', 'P:b']);
      // Time travel: manifest version 2 of main is the state before the second write.
      expect((await repo.scan('Person', { version: 2 })).map((r) => r.id)).toEqual(['a']);
      const q = await repo.query({
        source: 'query wrote() { match { $p: Person  $p wrote $n } return { $p.name, $n.text } }',
        name: 'wrote',
      });
      expect(q.rows).toEqual([{ 'p.name': 'b', 'n.text': 'a' }]);
      // A diff by row lineage: manifests, row ids and deletion files read from the server.
      await repo.transaction(async (tx) => {
        await tx.delete('Person', 'a');
        tx.insert('Note', { text: 'c' });
      });
      const diff = await repo.diff({ from: 'main@3', to: 'main' });
      expect(diff.changes.map((c) => `${c.op}:${c.type}:${c.id}`).sort()).toEqual([
        'delete:Person:a',
        'insert:Note:c',
      ]);
      expect(diff.stats.methods.fallbacks).toEqual([]);
      expect((await repo.verify()).differences).toEqual([]);
    } finally {
      await repo.close();
    }
  });

  it('lancelog init s3://… --journal <dir>; the data commands then name the journal directory', async () => {
    const uri = newUri();
    const dir = join(tmp(), 'j');
    const schema = join(tmp(), 'schema.pg');
    writeFileSync(schema, SCHEMA);
    const init = await runCli(['init', uri, '--journal', dir, '--schema', schema, '--json']);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.json().tables).toHaveLength(3);
    const data = join(tmp(), 'data.jsonl');
    writeFileSync(
      data,
      [
        '{"type":"Person","data":{"name":"x"}}',
        '{"type":"Note","data":{"text":"n"}}',
        '{"edge":"Wrote","from":"x","to":"n"}',
      ].join('\n'),
    );
    const load = await runCli(['load', dir, '--data', data, '--json']);
    expect(load.stderr).toBe('');
    expect(load.code).toBe(0);
    const repo = await Repo.open(dir, { readOnly: true });
    try {
      expect(await visible(repo)).toEqual(['N:n', 'P:x']);
    } finally {
      await repo.close();
    }
  });

  describe('refuses what it cannot do safely, with a typed error, creating nothing', () => {
    it('an s3:// repo without a journal directory', async () => {
      const err = await Repo.init(newUri(), { schemaSource: SCHEMA, schemaFile: 's.pg' }).catch(
        (e: unknown) => e,
      );
      expect(codeOf(err)).toBe('InvalidStorageUri');
      const cli = await runCli(['init', newUri(), '--schema', '/dev/null', '--json']);
      expect(cli.code).not.toBe(0);
    });

    it('a plain-http endpoint unless AWS_ALLOW_HTTP=true, and missing credentials', async () => {
      const dir = join(tmp(), 'j');
      const schema = join(tmp(), 'schema.pg');
      writeFileSync(schema, SCHEMA);
      const noHttp = await runCli(
        ['init', newUri(), '--journal', dir, '--schema', schema, '--json'],
        {
          AWS_ALLOW_HTTP: 'false',
        },
      );
      expect(noHttp.code).not.toBe(0);
      expect(JSON.parse(noHttp.stderr || noHttp.stdout)).toMatchObject({
        code: 'InvalidStorageUri',
        details: { variable: 'AWS_ALLOW_HTTP' },
      });
      const noKey = await runCli(
        ['init', newUri(), '--journal', dir, '--schema', schema, '--json'],
        {
          AWS_ACCESS_KEY_ID: '',
        },
      );
      expect(JSON.parse(noKey.stderr || noKey.stdout)).toMatchObject({
        code: 'InvalidStorageUri',
        details: { variable: 'AWS_ACCESS_KEY_ID' },
      });
      expect(existsSync(dir)).toBe(false);
    });

    it('an unreachable store: ObjectStoreFailure naming the bucket and key, nothing created', async () => {
      const { dir } = await seeded();
      const saved = process.env.AWS_ENDPOINT_URL;
      // A port nothing listens on: the store of this repo and of a new one are unreachable.
      process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
      try {
        const open = await Repo.open(dir).catch((e: unknown) => e);
        expect(open).toMatchObject({ code: 'ObjectStoreFailure', details: { action: 'GET' } });
        const fresh = join(tmp(), 'fresh');
        const init = await Repo.init(newUri(), {
          schemaSource: SCHEMA,
          schemaFile: 's.pg',
          journal: fresh,
        }).catch((e: unknown) => e);
        expect(codeOf(init)).toBe('ObjectStoreFailure');
        expect(existsSync(fresh)).toBe(false);
      } finally {
        process.env.AWS_ENDPOINT_URL = saved;
      }
      const repo = await Repo.open(dir);
      expect(await visible(repo)).toEqual(['N:a', 'P:a']);
      await repo.close();
    });

    it('a second journal for tables another journal claims (init races: one wins)', async () => {
      const uri = newUri();
      const dirs = [join(tmp(), 'a'), join(tmp(), 'b')];
      const results = await Promise.allSettled(
        dirs.map((journal) =>
          Repo.init(uri, { schemaSource: SCHEMA, schemaFile: 's.pg', journal }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(codeOf(lost.reason), String(lost.reason)).toBe('RepoNotEmpty');
      // Later, too: the prefix is not empty.
      const again = await Repo.init(uri, {
        schemaSource: SCHEMA,
        schemaFile: 's.pg',
        journal: join(tmp(), 'c'),
      }).catch((e: unknown) => e);
      expect(codeOf(again), String(again)).toBe('RepoNotEmpty');
    });

    it('a journal the claim does not name, and a journal directory opened as another URI', async () => {
      const { uri, dir } = await seeded();
      const other = await seeded();
      // The other repo's journal pointed at this repo's tables.
      const file = join(other.dir, '_storage.json');
      const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      writeFileSync(file, JSON.stringify({ ...stored, tables: uri }));
      const err = await Repo.open(other.dir).catch((e: unknown) => e);
      expect(codeOf(err)).toBe('StorageClaimMismatch');
      const wrongUri = await Repo.open(other.uri, { journal: dir }).catch((e: unknown) => e);
      expect(codeOf(wrongUri)).toBe('StorageClaimMismatch');
      // The rightful journal still opens.
      const repo = await Repo.open(uri, { journal: dir });
      expect(await visible(repo)).toEqual(['N:a', 'P:a']);
      await repo.close();
    });
  });

  it("Lance's own commit: two writers of one table version cannot both commit it (conditional PUT), none is lost", async () => {
    const uri = newUri();
    const options = lanceStorageOptions(s3Location(uri));
    const def = compileSchema(SCHEMA, 's.pg').nodes[0];
    const first = await RawLance.connect(uri, options);
    const second = await RawLance.connect(uri, options);
    const created = await first.createEmptyTable('t', arrowSchemaFor(def));
    const [a, b] = [created, await second.openTable('t')];
    const v = await a.version();
    expect(await b.version()).toBe(v);
    const refusedBefore = s3().server.refusedPuts;
    const versions = await Promise.all([
      a.add([{ id: 'x', name: 'x' }]),
      b.add([{ id: 'y', name: 'y' }]),
    ]);
    // One manifest PUT of version v + 1 was refused (412); Lance made that commit v + 2.
    expect(s3().server.refusedPuts).toBeGreaterThan(refusedBefore);
    expect(versions.sort()).toEqual([v + 1, v + 2]);
    const check = await (await RawLance.connect(uri, options)).openTable('t');
    expect(await check.countRows()).toBe(2);
    for (const t of [a, b, check]) t.close();
    for (const c of [first, second]) c.close();
  });

  /** [failpoint spec, decision, visible after recovery]: tables start in order Note, Person. */
  const CRASHES: Array<[string, string, string[]]> = [
    ['write.after_intent', 'RollBack', ['N:a', 'P:a']],
    [`${HOLD_BACK_LATER_TABLE_COMMITS};write.after_table_commit@1`, 'RollBack', ['N:a', 'P:a']],
    ['write.before_publish', 'RollForward', ['N:a', 'N:b', 'P:a', 'P:b']],
  ];
  for (const [point, decision, after] of CRASHES) {
    it(`a writer SIGKILLed at ${point} is recovered (${decision}); I1 holds and the next write succeeds`, async () => {
      const { dir } = await seeded();
      const also = point.includes(';') ? `${point.slice(0, point.lastIndexOf(';'))};` : '';
      const [name, hit] = point.slice(point.lastIndexOf(';') + 1).split('@');
      const child = await runChild(
        {
          repo: dir,
          action: 'insert',
          rows: [
            { type: 'Person', data: { name: 'b' } },
            { type: 'Note', data: { text: 'b' } },
          ],
        },
        `${also}${name}=crash${hit ? `@${hit}` : ''}`,
      );
      expect(child.signal, child.stderr).toBe('SIGKILL');
      const repo = await Repo.open(dir);
      try {
        expect(repo.recoveryAudit().map((a) => a.decision)).toEqual([decision]);
        expect(await visible(repo)).toEqual(after);
        expect(repo.pendingRecovery()).toEqual([]);
        expect((await repo.verify()).differences).toEqual([]);
        await repo.transaction((tx) => {
          tx.insert('Person', { name: 'z' });
          tx.insert('Note', { text: 'z' });
        });
        expect(await visible(repo)).toEqual([...after, 'N:z', 'P:z'].sort());
      } finally {
        await repo.close();
      }
    });
  }
});

describe('checksums and the scrub on S3 (docs/recovery.md "doctor")', () => {
  it('a write records the sha256 of every object it created; doctor --deep verifies them and finds a flipped and a deleted object', async () => {
    const { uri, dir } = await seeded();
    const healthy = await doctor(dir, { deep: true });
    expect(healthy.problems).toEqual([]);
    expect(healthy.ok).toBe(true);
    // init's and the write's manifests, transactions and data files, all with a record.
    expect(healthy.scrub!.files).toBeGreaterThan(6);
    expect(healthy.scrub!.hashed).toBe(healthy.scrub!.files);
    expect(healthy.scrub!.withoutChecksum).toBe(0);

    // The write's data objects of Person and Note: a byte flipped in one (on the
    // server's disk: same size), the other deleted through the S3 API.
    const bucket = s3().server.bucket;
    const prefix = uri.replace(`s3://${bucket}/`, '');
    const data = objectsUnder(prefix).filter((o) => /\.lance\/data\/[^/]+\.lance$/.test(o));
    expect(data).toHaveLength(2);
    const [flipped, deleted] = data;
    const rel = (o: string) => o.slice(o.indexOf('.lance/') + '.lance/'.length);
    const stored = join(s3().dir, bucket, `${flipped}._S3rver_object`);
    const bytes = readFileSync(stored);
    // What the write recorded is the digest of the bytes the server holds.
    const repo = await Repo.open(dir, { readOnly: true });
    const records = [...repo.journal.fileRecords().values()].flatMap((m) => [...m.values()]);
    await repo.close();
    expect(records.find((f) => f.path === rel(flipped))).toEqual({
      path: rel(flipped),
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(stored, bytes);
    await new S3Objects(s3Location(uri)).delete(bucket, deleted);

    const r = await doctor(dir, { deep: true });
    expect(r.ok).toBe(false);
    const found = r.problems
      .filter((p) => p.kind === 'damaged-version')
      .flatMap((p) => p.files!.map((f) => `${f.path}:${f.problem}`));
    expect(found.sort()).toEqual([`${rel(flipped)}:checksum`, `${rel(deleted)}:missing`].sort());
  });
});
