/**
 * The seeded graph of the reads bench, loaded the same way into a Lancelog repo
 * (JSONL through `loadJsonl`, one atomic load) and into a Kuzu database (CSV through
 * `COPY`): N `Person` nodes {name (key), age, city} and E `Knows` edges {weight}.
 * Out-degree is skewed: a source is `floor(N · u²)` for uniform u (node 0 has about
 * E/√N edges, half the nodes have fewer than E/N); destinations are uniform.
 */
import { createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import kuzu from 'kuzu';
import { Repo, loadJsonl } from '../../src/index.js';
import { mulberry32 } from '../../src/drill/random.js';

export const READS_PG = `node Person {
  name: String @key
  age: I32?
  city: enum(berlin, lisbon, osaka, paris, quito)?
}
edge Knows: Person -> Person {
  weight: F64?
}
`;

const CITIES = ['berlin', 'lisbon', 'osaka', 'paris', 'quito'];

export const personName = (i: number): string => `p${i.toString(36).padStart(6, '0')}`;

export interface GraphFiles {
  jsonl: string;
  personsCsv: string;
  knowsCsv: string;
  /** Out-degree per node index (for picking query sources). */
  outDegree: Uint32Array;
}

/** Writes the same graph as JSONL (Lancelog) and two CSVs (Kuzu). Same seed → same graph. */
export async function writeGraph(
  dir: string,
  nodes: number,
  edges: number,
  seed = 7,
): Promise<GraphFiles> {
  const rand = mulberry32(seed);
  const files = {
    jsonl: join(dir, 'graph.jsonl'),
    personsCsv: join(dir, 'persons.csv'),
    knowsCsv: join(dir, 'knows.csv'),
  };
  const jsonl = createWriteStream(files.jsonl);
  const persons = createWriteStream(files.personsCsv);
  const knows = createWriteStream(files.knowsCsv);
  const bufs = new Map<typeof jsonl, string>([
    [jsonl, ''],
    [persons, ''],
    [knows, ''],
  ]);
  const push = async (s: typeof jsonl, line: string): Promise<void> => {
    const b = `${bufs.get(s)}${line}\n`;
    if (b.length < 1 << 20) return void bufs.set(s, b);
    bufs.set(s, '');
    if (!s.write(b)) await once(s, 'drain');
  };
  for (let i = 0; i < nodes; i++) {
    const name = personName(i);
    const age = Math.floor(rand() * 100);
    const city = CITIES[Math.floor(rand() * CITIES.length)];
    await push(jsonl, JSON.stringify({ type: 'Person', data: { name, age, city } }));
    await push(persons, `${name},${age},${city}`);
  }
  const outDegree = new Uint32Array(nodes);
  for (let e = 0; e < edges; e++) {
    const u = rand();
    const src = Math.min(nodes - 1, Math.floor(nodes * u * u));
    const dst = Math.floor(rand() * nodes);
    const weight = Math.round(rand() * 1000) / 1000;
    outDegree[src]++;
    const from = personName(src);
    const to = personName(dst);
    await push(jsonl, JSON.stringify({ edge: 'Knows', from, to, data: { weight } }));
    await push(knows, `${from},${to},${weight}`);
  }
  for (const [s, b] of bufs) {
    s.end(b);
    await once(s, 'finish');
  }
  return { ...files, outDegree };
}

/** A fresh Lancelog repo at `dir` holding the graph (one atomic load). */
export async function loadLancelog(dir: string, jsonl: string): Promise<void> {
  await Repo.init(dir, { schemaSource: READS_PG, schemaFile: 'reads.pg' });
  const repo = await Repo.open(dir);
  try {
    await loadJsonl(repo.operationContext(), { path: jsonl }, { mode: 'append' });
  } finally {
    await repo.close();
  }
}

/**
 * `index ensure` on the loaded repo: the key's BTREE and the graph index file (what
 * Kuzu's COPY builds while it loads: its primary-key index and its CSR). Returns each
 * file's size and each build's time.
 */
export async function ensureLancelogIndexes(dir: string): Promise<Record<string, number>> {
  const repo = await Repo.open(dir);
  try {
    const out = await repo.ensureIndexes();
    const sizes: Record<string, number> = {};
    for (const b of out.value.built) sizes[`${b.type}.${b.column}.${b.kind}Ms`] = b.ms;
    for (const g of out.value.graphs) {
      const def = repo.catalog.edges.find((e) => e.name === g.type)!;
      sizes[`${g.type}.graphMs`] = g.ms;
      sizes[`${g.type}.graphFileBytes`] = statSync(
        join(dir, `${def.tablePath}.graph`, `~main@${g.version}.lgi`),
      ).size;
    }
    return sizes;
  } finally {
    await repo.close();
  }
}

/** A fresh Kuzu database at `path` holding the same graph. */
export async function loadKuzu(path: string, files: GraphFiles): Promise<void> {
  const db = new kuzu.Database(path);
  const conn = new kuzu.Connection(db);
  try {
    for (const q of [
      'CREATE NODE TABLE Person(name STRING, age INT32, city STRING, PRIMARY KEY(name))',
      'CREATE REL TABLE Knows(FROM Person TO Person, weight DOUBLE)',
      `COPY Person FROM '${files.personsCsv}' (header=false)`,
      `COPY Knows FROM '${files.knowsCsv}' (header=false)`,
    ])
      await conn.query(q);
  } finally {
    await conn.close();
    await db.close();
  }
}
