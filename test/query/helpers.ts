import { compileSchema } from '../../src/schema/index.js';

/** A schema exercising every kind of property the query compiler cares about. */
export const SCHEMA = `
node Person {
    name: String @key
    age: I32?
    email: String?
    tags: [String]?
    status: enum(active, retired)
    born: Date?
    score: F64?
}
node Company {
    name: String @key
    founded: I64?
}
node Doc {
    slug: String @key
    title: String
    body: String?
    embedding: Vector(4)
}
edge Knows: Person -> Person { since: Date? }
edge WorksAt: Person -> Company { role: String }
`;

export const catalog = compileSchema(SCHEMA, 'people.pg');

/** Removes the « marker from `src` and returns its 1-based line/column. */
export function marked(src: string): { source: string; line: number; column: number } {
  const at = src.indexOf('«');
  if (at < 0) throw new Error('no « marker');
  const before = src.slice(0, at);
  const lines = before.split('\n');
  return {
    source: src.slice(0, at) + src.slice(at + 1),
    line: lines.length,
    column: lines[lines.length - 1].length + 1,
  };
}
