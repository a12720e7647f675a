import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LancelogError, Repo } from '../../src/index.js';
import { FIXTURES_DIR, fixtureFiles } from '../helpers/fixtures.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();
const TEST_PG = readFileSync(join(FIXTURES_DIR, 'omnigraph', 'test.pg'), 'utf8');

async function initError(dir: string, schemaSource: string): Promise<LancelogError> {
  try {
    await Repo.init(dir, { schemaSource, schemaFile: 's.pg' });
  } catch (err) {
    expect(err).toBeInstanceOf(LancelogError);
    return err as LancelogError;
  }
  throw new Error('init unexpectedly succeeded');
}

describe('Repo.init', () => {
  for (const file of fixtureFiles('.pg')) {
    it(`creates one empty table per type for ${relative(FIXTURES_DIR, file)}`, async () => {
      const dir = join(tmp(), 'repo');
      const source = readFileSync(file, 'utf8');
      const result = await Repo.init(dir, { schemaSource: source, schemaFile: file });
      expect(readFileSync(join(dir, '_schema.pg'), 'utf8')).toBe(source);
      const repo = await Repo.open(dir);
      try {
        const expected = [...repo.catalog.nodes, ...repo.catalog.edges];
        expect(result.tables.map((t) => t.tableKey)).toEqual(expected.map((d) => d.tableKey));
        const tables = await repo.tables();
        expect(tables.map((t) => t.tableKey)).toEqual(expected.map((d) => d.tableKey));
        for (const t of tables) {
          expect(t.rows).toBe(0);
          expect(existsSync(join(dir, `${t.tablePath}.lance`))).toBe(true);
        }
        const onDisk = [
          ...readdirSync(join(dir, 'nodes')),
          ...(existsSync(join(dir, 'edges')) ? readdirSync(join(dir, 'edges')) : []),
        ];
        expect(onDisk.length).toBe(expected.length);
      } finally {
        await repo.close();
      }
    });
  }

  it('refuses a non-empty directory and leaves it untouched', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'keep.txt'), 'mine');
    const err = await initError(dir, TEST_PG);
    expect(err.code).toBe('RepoNotEmpty');
    expect(readdirSync(dir)).toEqual(['keep.txt']);
  });

  it('accepts an existing empty directory', async () => {
    const dir = join(tmp(), 'empty');
    mkdirSync(dir);
    await Repo.init(dir, { schemaSource: TEST_PG, schemaFile: 'test.pg' });
    expect(existsSync(join(dir, '_schema.pg'))).toBe(true);
  });

  it('creates nothing when the schema has an error', async () => {
    const dir = join(tmp(), 'repo');
    const err = await initError(dir, 'node A { x: I32 }\nedge E: A -> Missing');
    expect(err.code).toBe('UnknownEndpointType');
    expect(existsSync(dir)).toBe(false);
  });

  it('open refuses a directory that is not a repo', async () => {
    const dir = tmp();
    await expect(Repo.open(dir)).rejects.toMatchObject({ code: 'NotARepo' });
  });
});
