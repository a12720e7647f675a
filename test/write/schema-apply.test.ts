/**
 * `schema apply` as a write (src/write/schema-apply/schema-apply.ts): the data migrates in one
 * journaled operation, refusals change nothing at all, and a writer holding the old
 * catalog cannot publish after the change.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { applySchemaChange } from '../../src/write/schema-apply/schema-apply.js';
import { runWrite, stagingAt } from '../../src/write/protocol/index.js';
import { schemaOfRecord } from '../../src/write/schema-apply/schema-file.js';
import { compileSchema, schemaFingerprint } from '../../src/schema/index.js';
import { makeRepo } from '../helpers/repo.js';
import { useTmpDirs } from '../helpers/tmp.js';

const makeDir = useTmpDirs();

const OLD = `node Person {
  name: String @key
  age: I32?
  score: F32?
  nick: String?
  level: enum(junior, senior)?
  email: String?
}
node Company { name: String @key }
edge WorksAt: Person -> Company
edge Likes: Person -> Person
`;

const NEW = `node Person {
  name: String @key
  age: I64? @range(0..150)
  score: F64?
  level: enum(junior, senior, staff)?
  email: String?
  city: String?
  rank: I32 @default(3)
}
node Company { name: String @key }
node Pet { name: String @key }
edge WorksAt: Person -> Company
edge Owns: Person -> Pet
`;

async function seeded(): Promise<{ repo: Repo; dir: string }> {
  const dir = makeDir();
  const repo = await makeRepo(dir, OLD);
  await repo.transaction(async (tx) => {
    tx.insert('Person', { name: 'ann', age: 30, score: 1.5, nick: 'a', level: 'senior' });
    tx.insert('Person', { name: 'bob', age: null, score: null, nick: null, level: 'junior' });
    tx.insert('Company', { name: 'acme' });
    tx.link('WorksAt', 'ann', 'acme');
    tx.link('Likes', 'ann', 'bob');
    return Promise.resolve();
  });
  return { repo, dir };
}

/** Everything a refusal must leave as it was. */
async function state(repo: Repo, dir: string) {
  return {
    events: repo.listEvents().length,
    pins: repo.snapshot().pins,
    heads: await Promise.all(
      repo
        .snapshot()
        .pins.map((p) => repo.store.headVersion(p.tableKey, repo.typeDef(p.tableKey).tablePath)),
    ),
    file: readFileSync(join(dir, '_schema.pg'), 'utf8'),
  };
}

describe('applySchemaChange', () => {
  it('migrates the data in one operation and one publish, and records the new schema', async () => {
    const { repo, dir } = await seeded();
    const before = repo.snapshot();
    const r = await applySchemaChange(repo.operationContext(), NEW, 'new.pg');
    expect(r.applied).toBe(true);
    expect(r.created).toEqual(['node:Pet', 'edge:Owns']);
    expect(r.unpinned).toEqual(['edge:Likes']);
    expect(r.tables.map((t) => t.tableKey)).toEqual(['node:Person']);
    expect(readFileSync(join(dir, '_schema.pg'), 'utf8')).toBe(NEW);
    const op = repo.getOperation(r.opId!);
    expect(op).toMatchObject({ kind: 'SchemaApply', state: 'completed' });
    expect(repo.listEvents({ kind: 'op.published', opId: r.opId! })).toHaveLength(1);
    const recorded = repo.listEvents({ kind: 'schema.recorded' }).at(-1)!;
    expect(recorded.payload).toMatchObject({ reason: 'changed', hash: r.hash, source: NEW });
    expect(recorded.opId).toBe(r.opId);
    await repo.close();

    const reopened = await Repo.open(dir);
    expect(schemaFingerprint(reopened.catalog)).toBe(r.hash);
    const after = reopened.snapshot();
    expect(after.manifestVersion).toBe(before.manifestVersion + 1);
    expect(after.pins.map((p) => p.tableKey).sort()).toEqual(
      ['edge:Owns', 'edge:WorksAt', 'node:Company', 'node:Person', 'node:Pet'].sort(),
    );
    const people = (await reopened.scan('Person')).sort((a, b) =>
      String(a.name).localeCompare(String(b.name)),
    );
    expect(
      people.map((p) => [p.name, Number(p.age ?? NaN), p.score, p.city, Number(p.rank)]),
    ).toEqual([
      ['ann', 30, 1.5, null, 3],
      ['bob', NaN, null, null, 3],
    ]);
    expect(people[0]).not.toHaveProperty('nick');
    // Writes under the new schema: a widened value, a new enum value, the new type.
    await reopened.transaction(async (tx) => {
      tx.insert('Person', { name: 'cy', age: 120, score: 1e300, level: 'staff', rank: 1 });
      tx.insert('Pet', { name: 'rex' });
      tx.link('Owns', 'cy', 'rex');
      return Promise.resolve();
    });
    expect((await reopened.get('Person', 'cy'))?.score).toBe(1e300); // F64 now
    expect((await reopened.verify()).ok).toBe(true);
    await reopened.close();
  });

  it('changes nothing for the same schema (comments and layout do not count)', async () => {
    const { repo } = await seeded();
    const events = repo.listEvents().length;
    const r = await applySchemaChange(repo.operationContext(), `// same\n${OLD}`, 'same.pg');
    expect(r).toMatchObject({ applied: false, opId: null, commitId: null });
    expect(repo.listEvents()).toHaveLength(events);
    await repo.close();
  });

  const refusals: Array<[string, string, string, Record<string, unknown>]> = [
    [
      'a new @range existing rows break',
      OLD.replace('age: I32?', 'age: I32? @range(0..10)'),
      'SchemaApplyRefused',
      { type: 'Person', property: 'age', step: 'AddRange', row_ids: ['ann'], rows: 1 },
    ],
    [
      'a property becoming required while rows hold null',
      OLD.replace('nick: String?', 'nick: String'),
      'SchemaApplyRefused',
      { type: 'Person', property: 'nick', step: 'MakeRequired', row_ids: ['bob'] },
    ],
    [
      'an enum value removed while used',
      OLD.replace('enum(junior, senior)', 'enum(senior)'),
      'SchemaApplyRefused',
      { type: 'Person', property: 'level', step: 'RemoveEnumValues', row_ids: ['bob'] },
    ],
    [
      '@unique newly added over duplicates',
      OLD.replace('email: String?', 'email: String? @unique'),
      'SchemaApplyRefused',
      { type: 'Person', property: 'email', step: 'AddUnique', rows: 2 },
    ],
    [
      'a required property without @default on a table with rows',
      OLD.replace('email: String?', 'email: String?\n  zip: String'),
      'SchemaApplyRefused',
      { type: 'Person', property: 'zip', step: 'AddProperty', rows: 2 },
    ],
    [
      'a narrower @card',
      OLD.replace('edge Likes: Person -> Person', 'edge Likes: Person -> Person @card(1..1)'),
      'SchemaApplyRefused',
      { type: 'Likes', step: 'ChangeCardinality', row_ids: ['bob'] },
    ],
    [
      'an unsupported step (a type change that is not a widening)',
      OLD.replace('nick: String?', 'nick: I32?'),
      'SchemaApplyUnsupported',
      {},
    ],
  ];

  for (const [what, schema, code, details] of refusals)
    it(`refuses ${what}: typed error, journal, tables and _schema.pg untouched`, async () => {
      const { repo, dir } = await seeded();
      await repo.transaction(async (tx) => {
        // Two people with the same email for the @unique case.
        await tx.update('Person', 'ann', { email: 'x@y' });
        await tx.update('Person', 'bob', { email: 'x@y' });
      });
      const before = await state(repo, dir);
      const err = await applySchemaChange(repo.operationContext(), schema, 'new.pg').catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code, details });
      expect(await state(repo, dir)).toEqual(before);
      await repo.close();
    });

  it('refuses while a branch other than main exists (the schema is repo-wide)', async () => {
    const { repo, dir } = await seeded();
    repo.createBranch('feature');
    const before = await state(repo, dir);
    const err = await applySchemaChange(repo.operationContext(), NEW, 'new.pg').catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'SchemaApplyBlocked',
      details: { reason: 'branches', branches: ['feature'] },
    });
    expect(await state(repo, dir)).toEqual(before);
    await repo.close();
  });

  it('a second Repo holding the old catalog adopts the new one before its next write', async () => {
    const { repo, dir } = await seeded();
    const other = await Repo.open(dir);
    expect(other.catalog.nodes.map((n) => n.name)).not.toContain('Pet');
    await repo.applySchema(NEW, 'new.pg');
    await other.transaction((tx) => {
      tx.insert('Pet', { name: 'rex' });
      tx.insert('Person', { name: 'dee', rank: 2 });
      return Promise.resolve();
    });
    expect(other.catalog.nodes.map((n) => n.name)).toContain('Pet');
    expect((await repo.get('Pet', 'rex'))?.name).toBe('rex');
    await other.close();
    await repo.close();
  });

  it('a write staged with the old catalog cannot publish after the change (SchemaChanged)', async () => {
    const { repo, dir } = await seeded();
    const stale = await Repo.open(dir);
    const ctx = stale.operationContext(); // captured before the change
    await repo.applySchema(NEW, 'new.pg');
    const pins = stale.snapshot().pins;
    const err = await runWrite(ctx, 'Mutation', {}, (snapshot) => {
      const staged = stagingAt(ctx, snapshot);
      staged.putNode('Company', { name: 'late' }, 'insert');
      return Promise.resolve({ value: null, staged });
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SchemaChanged' });
    expect(stale.snapshot().pins).toEqual(pins);
    expect(stale.pendingRecovery()).toEqual([]);
    expect(repo.journal.listLeases()).toEqual([]);
    await stale.close();
    await repo.close();
  });

  it('open completes a _schema.pg the journal is ahead of (a crash after the publish)', async () => {
    const { repo, dir } = await seeded();
    await repo.applySchema(NEW, 'new.pg');
    await repo.close();
    writeFileSync(join(dir, '_schema.pg'), OLD); // as if the rename never happened
    const ro = await Repo.open(dir, { readOnly: true });
    expect(ro.catalog.nodes.map((n) => n.name)).toContain('Pet');
    expect(readFileSync(join(dir, '_schema.pg'), 'utf8')).toBe(OLD);
    await ro.close();
    const rw = await Repo.open(dir);
    expect(readFileSync(join(dir, '_schema.pg'), 'utf8')).toBe(NEW);
    expect((await rw.verify()).ok).toBe(true);
    await rw.close();
  });
});

describe('schemaOfRecord', () => {
  it('completes a _schema.pg left behind by a crash after the publish; never overwrites an edited one', async () => {
    const { repo, dir } = await seeded();
    await applySchemaChange(repo.operationContext(), NEW, 'new.pg');
    const journal = repo.journal;
    const path = join(dir, '_schema.pg');
    const old = { source: OLD, catalog: compileSchema(OLD, path) };
    // Read-only: the recorded schema, the file untouched.
    writeFileSync(path, OLD);
    expect(schemaOfRecord(dir, journal, old, true)).toMatchObject({
      source: NEW,
      completed: false,
    });
    expect(readFileSync(path, 'utf8')).toBe(OLD);
    // Read-write: the file is rewritten from the journal.
    expect(schemaOfRecord(dir, journal, old, false)).toMatchObject({
      source: NEW,
      completed: true,
    });
    expect(readFileSync(path, 'utf8')).toBe(NEW);
    // A file that is neither the recorded schema nor the one it replaced: drift.
    const edited = OLD.replace('email: String?', 'mail: String?');
    expect(
      schemaOfRecord(dir, journal, { source: edited, catalog: compileSchema(edited, path) }, false),
    ).toBeNull();
    await repo.close();
  });
});
