/** Repos and identical raw LanceDB tables for the write benches. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Repo, compileSchema } from '../../src/index.js';
import { arrowSchemaFor } from '../../src/schema/index.js';
import { RawLance, type RawLanceTable } from '../../src/storage/index.js';

export const WRITE_PG = `node Person {
  name: String @key
  age: I32?
  email: String?
  city: String?
}
edge Knows: Person -> Person {
  since: Date?
  weight: F64?
}
`;

export function personRow(
  i: number,
  salt = 0,
): { name: string; age: number; email: string; city: string } {
  const name = `p${i.toString(36).padStart(6, '0')}`;
  return {
    name,
    age: (i * 7 + salt) % 100,
    email: `${name}.${salt}@example.org`,
    city: ['berlin', 'lisbon', 'osaka'][(i + salt) % 3],
  };
}

export interface WriteFixture {
  /** The lancelog repo's directory. */
  dir: string;
  repo: Repo;
  raw: RawLance;
  person: RawLanceTable;
  knows: RawLanceTable;
  close(): Promise<void>;
}

/**
 * A lancelog repo (WRITE_PG) and a raw LanceDB directory with tables of exactly the
 * same Arrow schemas, both seeded with `seed` Person rows in one commit.
 */
export async function writeFixture(dir: string, seed: number): Promise<WriteFixture> {
  const llDir = join(dir, 'lancelog');
  const rawDir = join(dir, 'raw');
  mkdirSync(rawDir, { recursive: true });
  await Repo.init(llDir, { schemaSource: WRITE_PG, schemaFile: 'bench.pg' });
  const repo = await Repo.open(llDir);
  const catalog = compileSchema(WRITE_PG, 'bench.pg');
  const raw = await RawLance.connect(rawDir);
  const person = await raw.createEmptyTable('person', arrowSchemaFor(catalog.nodes[0]));
  const knows = await raw.createEmptyTable('knows', arrowSchemaFor(catalog.edges[0]));
  if (seed > 0) {
    const rows = Array.from({ length: seed }, (_, i) => personRow(i));
    await repo.transaction((tx) => {
      for (const r of rows) tx.insert('Person', r);
    });
    await person.add(rows.map((r) => ({ id: r.name, ...r })));
  }
  const fx: WriteFixture = {
    dir: llDir,
    repo,
    raw,
    person,
    knows,
    async close() {
      person.close();
      knows.close();
      raw.close();
      // The reopen benches replace fx.repo: close whichever is current.
      await fx.repo.close();
    },
  };
  return fx;
}
