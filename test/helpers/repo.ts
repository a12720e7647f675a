import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Repo } from '../../src/index.js';
import { FIXTURES_DIR } from './fixtures.js';

/** A schema exercising every rule the write path validates. */
export const RULES_PG = `
node Person {
  name: String @key
  age: I32? @range(0..150)
  email: String? @unique @check("^[^@]+@[^@]+$")
  born: Date?
  seen: DateTime?
  score: F64?
  big: I64?
  tags: [String]?
  level: enum(junior, senior)?
  photo: Blob?
  embedding: Vector(3)?
}
node Company { name: String @key }
node Note { text: String }
edge Knows: Person -> Person { since: Date? }
edge WorksAt: Person -> Company @card(0..1)
edge Owns: Company -> Person @card(1..)
`;

export async function makeRepo(
  dir: string,
  schema: string | { fixture: string } = RULES_PG,
): Promise<Repo> {
  const source =
    typeof schema === 'string' ? schema : readFileSync(join(FIXTURES_DIR, schema.fixture), 'utf8');
  await Repo.init(dir, { schemaSource: source, schemaFile: 'schema.pg' });
  return Repo.open(dir);
}
