/**
 * `schema apply` killed at every failpoint of its operation (a real CLI child process,
 * SIGKILL): after recovery the repo has the old schema with the old data or the new
 * schema with the migrated data, never a mix, and `_schema.pg` agrees with the journal.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { compileSchema, schemaFingerprint } from '../../src/schema/index.js';
import { runCli } from '../helpers/cli.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();
const OLD =
  'node Person {\n  name: String @key\n  age: I32?\n  nick: String?\n}\nnode Pet { name: String @key }\n';
const NEW =
  'node Person {\n  name: String @key\n  age: I64?\n  rank: I32 @default(3)\n}\nnode Toy { name: String @key }\n';

const BEFORE_PUBLISH = [
  'write.after_begin',
  'write.after_lease',
  'write.after_intent',
  'write.before_table_commit',
  'write.after_table_commit',
  'write.before_publish',
];
const AFTER_PUBLISH = ['write.after_publish', 'write.after_cleanup'];

let seed: string;
beforeAll(async () => {
  // Outlives each test (tmp() dirs are removed after every test).
  seed = join(mkdtempSync(join(tmpdir(), 'lancelog-seed-')), 'seed');
  await Repo.init(seed, { schemaSource: OLD, schemaFile: 'old.pg' });
  const repo = await Repo.open(seed);
  await repo.transaction((tx) => {
    tx.insert('Person', { name: 'ann', age: 30, nick: 'a' });
    tx.insert('Person', { name: 'bob' });
    tx.insert('Pet', { name: 'rex' });
    return Promise.resolve();
  });
  await repo.close();
}, 120_000);
afterAll(() => rmSync(join(seed, '..'), { recursive: true, force: true }));

describe('schema apply under crashes', () => {
  for (const fp of [...BEFORE_PUBLISH, ...AFTER_PUBLISH])
    it(`a crash at ${fp} ends with ${AFTER_PUBLISH.includes(fp) ? 'the new' : 'the old'} schema and its data`, async () => {
      const dir = join(tmp(), 'r');
      cpSync(seed, dir, { recursive: true });
      const file = join(tmp(), 'new.pg');
      writeFileSync(file, NEW);
      const r = await runCli(['schema', 'apply', '--schema', file, dir], {
        LANCELOG_FAILPOINTS: `${fp}=crash`,
      });
      expect(r.code).not.toBe(0); // killed
      const repo = await Repo.open(dir); // recovery runs here
      const people = (await repo.scan('Person')).sort((a, b) =>
        String(a.name).localeCompare(String(b.name)),
      );
      if (AFTER_PUBLISH.includes(fp)) {
        expect(schemaFingerprint(repo.catalog)).toBe(schemaFingerprint(compileSchema(NEW, 'x')));
        expect(readFileSync(join(dir, '_schema.pg'), 'utf8')).toBe(NEW);
        expect(people.map((p) => [p.name, Number(p.age ?? -1), Number(p.rank)])).toEqual([
          ['ann', 30, 3],
          ['bob', -1, 3],
        ]);
        expect(people[0]).not.toHaveProperty('nick');
        expect(await repo.scan('Toy')).toEqual([]);
      } else {
        expect(readFileSync(join(dir, '_schema.pg'), 'utf8')).toBe(OLD);
        expect(people.map((p) => [p.name, p.age, p.nick])).toEqual([
          ['ann', 30, 'a'],
          ['bob', null, null],
        ]);
        expect(people[0]).not.toHaveProperty('rank');
        expect((await repo.scan('Pet')).map((p) => p.name)).toEqual(['rex']);
      }
      expect((await repo.verify()).ok).toBe(true);
      expect(repo.pendingRecovery()).toEqual([]);
      await repo.close();
      // And the change can be (re)applied afterwards.
      const again = await Repo.open(dir);
      const out = await again.applySchema(NEW, 'new.pg');
      expect(out.applied).toBe(!AFTER_PUBLISH.includes(fp));
      expect((await again.verify()).ok).toBe(true);
      await again.close();
    }, 180_000);
});
