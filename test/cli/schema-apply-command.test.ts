/** `lancelog schema apply` through the real CLI (child processes). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { runCli } from '../helpers/cli.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();
const V1 = 'node Person {\n  name: String @key\n  age: I32?\n}\n';
const V2 = 'node Person {\n  name: String @key\n  age: I64? @range(0..120)\n  bio: String?\n}\n';

async function repoWith(ages: number[]): Promise<string> {
  const dir = join(tmp(), 'r');
  await Repo.init(dir, { schemaSource: V1, schemaFile: 'v1.pg' });
  const repo = await Repo.open(dir);
  await repo.transaction((tx) => {
    ages.forEach((age, i) => tx.insert('Person', { name: `p${i}`, age }));
    return Promise.resolve();
  });
  await repo.close();
  return dir;
}

describe('lancelog schema apply', () => {
  it('refuses data that breaks the new rules, then applies; a process holding the old catalog adopts it', async () => {
    const dir = await repoWith([30, 200]);
    const v2 = join(tmp(), 'v2.pg');
    writeFileSync(v2, V2);
    // This process opened the repo before the change (the other process applies it).
    const holder = await Repo.open(dir);
    const refused = await runCli(['schema', 'apply', '--schema', v2, dir, '--json']);
    expect(refused.code).toBe(1);
    expect(refused.json()).toMatchObject({
      code: 'SchemaApplyRefused',
      details: { type: 'Person', property: 'age', row_ids: ['p1'], rows: 1 },
    });
    expect(readFileSync(join(dir, '_schema.pg'), 'utf8')).toBe(V1);

    await holder.transaction(async (tx) => {
      await tx.update('Person', 'p1', { age: 99 });
    });
    const applied = await runCli(['schema', 'apply', '--schema', v2, dir, '--json']);
    expect(applied.code).toBe(0);
    expect(applied.json()).toMatchObject({
      applied: true,
      tables: [{ tableKey: 'node:Person' }],
      created: [],
      unpinned: [],
    });
    expect(readFileSync(join(dir, '_schema.pg'), 'utf8')).toBe(V2);
    // The holder's next write uses the new schema (bio exists, the new @range holds).
    await holder.transaction((tx) => {
      tx.insert('Person', { name: 'q', age: 5, bio: 'hi' });
      return Promise.resolve();
    });
    const bad = await holder
      .transaction((tx) => {
        tx.insert('Person', { name: 'r', age: 500 });
        return Promise.resolve();
      })
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'ValidationError' });
    await holder.close();

    const again = await runCli(['schema', 'apply', '--schema', v2, dir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('no changes');
    const show = await runCli(['schema', 'show', dir]);
    expect(show.stdout).toContain('bio: String?');
  });
});
