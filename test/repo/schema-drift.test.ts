import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Repo } from '../../src/index.js';
import { rejection } from '../helpers/errors.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();
const SCHEMA = 'node Person {\n  name: String @key\n  age: I32?\n}\n';

async function init(): Promise<string> {
  const dir = join(tmp(), 'repo');
  await Repo.init(dir, { schemaSource: SCHEMA, schemaFile: 'people.pg' });
  return dir;
}

const recorded = (dir: string): Array<{ hash: string; reason: string }> => {
  const db = new Database(join(dir, '_lancelog.db'), { readonly: true });
  try {
    return (
      db
        .prepare("SELECT payload FROM events WHERE kind = 'schema.recorded' ORDER BY seq")
        .all() as Array<{
        payload: string;
      }>
    ).map((r) => JSON.parse(r.payload) as { hash: string; reason: string });
  } finally {
    db.close();
  }
};

describe('schema fingerprint', () => {
  it('is recorded at init; open refuses an edited _schema.pg (SchemaDrift, both hashes), not a comment', async () => {
    const dir = await init();
    const [first] = recorded(dir);
    expect(first).toMatchObject({ reason: 'init' });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);

    // Layout and comments are not the schema.
    writeFileSync(join(dir, '_schema.pg'), `// people\n${SCHEMA.replace('  age', '\n  age')}`);
    await (await Repo.open(dir)).close();

    // A valid but different schema: a String property where the data has an I32.
    const drifted = SCHEMA.replace('age: I32?', 'age: String?');
    writeFileSync(join(dir, '_schema.pg'), drifted);
    for (const readOnly of [false, true]) {
      const err = await rejection(Repo.open(dir, { readOnly }));
      expect(err.code).toBe('SchemaDrift');
      expect(err.details).toMatchObject({ recorded: first.hash, repo: dir });
      expect(err.details.current).toMatch(/^[0-9a-f]{64}$/);
      expect(err.details.current).not.toBe(first.hash);
      expect(err.message).toContain(first.hash);
      expect(err.message).toContain(err.details.current as string);
      expect(err.message).toMatch(/Restore the original _schema\.pg/);
    }
    expect(recorded(dir)).toHaveLength(1); // nothing was written
  });

  it('a repo from before fingerprints adopts its schema at the first read-write open', async () => {
    const dir = await init();
    // Simulate an old journal: remove the recorded fingerprint (the test lifts the append-only trigger).
    const db = new Database(join(dir, '_lancelog.db'));
    db.exec("DROP TRIGGER events_no_delete; DELETE FROM events WHERE kind = 'schema.recorded';");
    db.close();
    await (await Repo.open(dir, { readOnly: true })).close();
    expect(recorded(dir)).toEqual([]);
    const repo = await Repo.open(dir);
    await repo.close();
    expect(recorded(dir)).toEqual([
      { hash: expect.stringMatching(/^[0-9a-f]{64}$/), reason: 'adopted' },
    ]);
    writeFileSync(
      join(dir, '_schema.pg'),
      readFileSync(join(dir, '_schema.pg'), 'utf8').replace('I32', 'I64'),
    );
    expect((await rejection(Repo.open(dir))).code).toBe('SchemaDrift');
  });
});
