/**
 * Deterministic JSONL graph generator for load benchmarks (not part of the test suite).
 *
 *   npx tsx scripts/bench/gen-graph.ts --nodes 1000000 --out /tmp/graph.jsonl [--seed 1] [--schema /tmp/graph.pg]
 *
 * Writes N `Person` nodes then 2N `Knows` edges (streaming, with backpressure), and
 * the matching schema (GRAPH_PG) next to it. Same arguments → byte-identical file.
 */
import { createWriteStream, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { mulberry32 } from '../../src/drill/random.js';

export const GRAPH_PG = `node Person {
  name: String @key
  age: I32? @range(0..150)
  email: String?
  city: enum(berlin, lisbon, osaka, paris, quito)?
  bio: String?
  joined: Date?
}
edge Knows: Person -> Person {
  since: Date?
  weight: F64?
}
`;

/** The drills' deterministic PRNG (mulberry32). */
const prng = mulberry32;

const CITIES = ['berlin', 'lisbon', 'osaka', 'paris', 'quito'];
const WORDS = [
  'graph',
  'lance',
  'table',
  'edge',
  'node',
  'commit',
  'branch',
  'journal',
  'vector',
  'query',
  'merge',
  'stream',
];

const name = (i: number): string => `p${i.toString(36).padStart(6, '0')}`;
const day = (r: number): string =>
  new Date(Date.UTC(2000, 0, 1) + Math.floor(r * 9000) * 86_400_000).toISOString().slice(0, 10);

export async function generate(
  nodes: number,
  out: string,
  seed = 1,
): Promise<{ bytes: number; lines: number }> {
  const rand = prng(seed);
  const stream = createWriteStream(out);
  let bytes = 0;
  let lines = 0;
  let buf = '';
  const push = async (line: string): Promise<void> => {
    buf += `${line}\n`;
    lines++;
    if (buf.length >= 1 << 20) {
      bytes += Buffer.byteLength(buf);
      if (!stream.write(buf)) await once(stream, 'drain');
      buf = '';
    }
  };
  for (let i = 0; i < nodes; i++) {
    const n = name(i);
    const bio = Array.from(
      { length: 4 + Math.floor(rand() * 6) },
      () => WORDS[Math.floor(rand() * WORDS.length)],
    ).join(' ');
    await push(
      JSON.stringify({
        type: 'Person',
        data: {
          name: n,
          age: Math.floor(rand() * 100),
          email: `${n}@example.org`,
          city: CITIES[Math.floor(rand() * CITIES.length)],
          bio,
          joined: day(rand()),
        },
      }),
    );
  }
  for (let i = 0; i < nodes; i++) {
    for (let k = 0; k < 2; k++) {
      const j = Math.floor(rand() * nodes);
      await push(
        JSON.stringify({
          edge: 'Knows',
          from: name(i),
          to: name(j),
          data: { since: day(rand()), weight: Math.round(rand() * 1000) / 1000 },
        }),
      );
    }
  }
  bytes += Buffer.byteLength(buf);
  stream.end(buf);
  await once(stream, 'finish');
  return { bytes, lines };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      nodes: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      schema: { type: 'string' },
    },
  });
  if (!values.nodes || !values.out) {
    process.stderr.write(
      'usage: gen-graph.ts --nodes N --out file.jsonl [--seed S] [--schema file.pg]\n',
    );
    process.exit(2);
  }
  const started = Date.now();
  const r = await generate(Number(values.nodes), values.out, Number(values.seed ?? 1));
  writeFileSync(values.schema ?? values.out.replace(/\.jsonl$/, '') + '.pg', GRAPH_PG);
  process.stdout.write(
    `${JSON.stringify({ out: values.out, nodes: Number(values.nodes), edges: 2 * Number(values.nodes), ...r, seconds: (Date.now() - started) / 1000 })}\n`,
  );
}
