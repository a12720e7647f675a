/**
 * reads (issue 13 §6): `.gq` reads through `repo.query` vs the same questions in Kuzu
 * (the embedded property-graph database, npm `kuzu`), both loaded with the same seeded
 * graph (reads-graph.ts: 100k nodes, 1M edges at scale 1, skewed out-degree).
 *
 * Per query two metrics:
 *  - warm: the median of runs after one unmeasured run (caches and the graph index built);
 *  - cold: the first query after opening the repo / the database (Lancelog's graph index
 *    build included), each sample on a freshly opened handle.
 * The sides alternate (ABBA) and every result is checked equal (row counts and, for
 * counts, the values) on both sides, so both answer the same question.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import kuzu from 'kuzu';
import { Repo } from '../../src/index.js';
import {
  alternate,
  median,
  nowMs,
  quantile,
  result,
  round,
  scaled,
  workDir,
  type BenchOptions,
  type BenchResult,
} from './lib.js';
import { loadKuzu, loadLancelog, personName, writeGraph } from './reads-graph.js';
import { profileColdQuery } from './reads-profile.js';

export const FULL = { nodes: 100_000, edges: 1_000_000, runs: 21, coldRuns: 5 };
export const DEFAULT_SCALE = 0.1;

export const READS_GQ = `
query point($name: String) {
  match { $p: Person { name: $name } }
  return { $p.name, $p.age, $p.city }
}
query one_hop($name: String) {
  match {
    $p: Person { name: $name }
    $p knows $f
  }
  return { $f.name, $f.age }
}
query two_hop($name: String) {
  match {
    $p: Person { name: $name }
    $p knows{2} $f
  }
  return { count($f) as n }
}
query var_hop($name: String) {
  match {
    $p: Person { name: $name }
    $p knows{1,3} $f
  }
  return { count($f) as n }
}
query undirected_one_hop($name: String) {
  match {
    $p: Person { name: $name }
    $p <knows> $f
  }
  return { $f.name, $f.age }
}
query edge_weight($name: String, $x: F64) {
  match {
    $p: Person { name: $name }
    $p $w:<knows> $f
    $w.weight > $x
  }
  return { $f.name, $w.weight }
}
query per_city() {
  match { $p: Person }
  return { $p.city, count($p) as n }
}
`;

/**
 * The same questions in Cypher, with Lancelog's semantics: a traversal yields each
 * destination once per source (parallel edges do not repeat it) and never the source
 * itself on a Person→Person edge; `{2}` is the nodes whose shortest distance is exactly
 * 2, `{1,3}` those at distance 1..3.
 */
const CYPHER: Record<string, string> = {
  point: 'MATCH (p:Person {name: $name}) RETURN p.name, p.age, p.city',
  one_hop:
    'MATCH (p:Person {name: $name})-[:Knows]->(f:Person) WHERE f <> p RETURN DISTINCT f.name, f.age',
  two_hop:
    'MATCH (p:Person {name: $name})-[:Knows*2..2]->(f:Person) WHERE f <> p AND NOT EXISTS { MATCH (p)-[:Knows]->(f) } RETURN count(DISTINCT f) AS n',
  var_hop:
    'MATCH (p:Person {name: $name})-[:Knows*1..3]->(f:Person) WHERE f <> p RETURN count(DISTINCT f) AS n',
  undirected_one_hop:
    'MATCH (p:Person {name: $name})-[:Knows]-(f:Person) WHERE f <> p RETURN DISTINCT f.name, f.age',
  // An edge binding is one row per edge (parallel edges apart), either direction here.
  edge_weight:
    'MATCH (p:Person {name: $name})-[w:Knows]-(f:Person) WHERE w.weight > $x RETURN f.name, w.weight',
  per_city: 'MATCH (p:Person) RETURN p.city, count(*) AS n',
};

const METRICS: Array<{ query: string; metric: string; warmTarget: number }> = [
  { query: 'point', metric: 'point_lookup', warmTarget: 1.5 },
  { query: 'one_hop', metric: 'one_hop_with_property', warmTarget: 1.0 },
  { query: 'two_hop', metric: 'two_hop_distinct_count', warmTarget: 1.0 },
  { query: 'var_hop', metric: 'var_hop_1_3_distinct_count', warmTarget: 1.0 },
  { query: 'undirected_one_hop', metric: 'undirected_one_hop_with_property', warmTarget: 1.0 },
  { query: 'edge_weight', metric: 'edge_property_filter', warmTarget: 1.0 },
  { query: 'per_city', metric: 'count_per_city', warmTarget: 1.0 },
];
const COLD_TARGET = 3;

/** Query sources: nodes of median-ish out-degree, spread over the id range (same for both sides). */
function pickSources(outDegree: Uint32Array, n: number): string[] {
  const out: string[] = [];
  const step = Math.max(1, Math.floor(outDegree.length / (4 * n)));
  for (let i = Math.floor(outDegree.length / 8); i < outDegree.length && out.length < n; i += step)
    if (outDegree[i] >= 2) out.push(personName(i));
  return out.length ? out : [personName(0)];
}

type Params = Record<string, string | number>;

interface Answer {
  rows: number;
  /** The value of the single `n` column for count queries (stringified). */
  n: string | null;
}

function answerOf(rows: Array<Record<string, unknown>>): Answer {
  const n = rows.length === 1 && 'n' in rows[0] ? String(rows[0].n) : null;
  return { rows: rows.length, n };
}

class Sides {
  repo!: Repo;
  db!: kuzu.Database;
  conn!: kuzu.Connection;
  readonly prepared = new Map<string, kuzu.PreparedStatement>();
  /** Per query: the answers seen per params key, to check both sides agree. */
  readonly answers = new Map<string, Answer>();
  readonly stats = new Map<
    string,
    { rowsScanned: number[]; tablesRead: number; engineMs: number[] }
  >();

  constructor(
    readonly repoDir: string,
    readonly kuzuPath: string,
  ) {}

  async openLancelog(): Promise<void> {
    this.repo = await Repo.open(this.repoDir, { readOnly: true });
  }

  async openKuzu(): Promise<void> {
    this.db = new kuzu.Database(this.kuzuPath, 0, true, true);
    await this.db.init();
    this.conn = new kuzu.Connection(this.db);
    await this.conn.init();
    this.prepared.clear();
  }

  async close(): Promise<void> {
    await this.repo.close();
    await this.conn.close();
    await this.db.close();
  }

  check(side: string, query: string, params: Params, a: Answer): void {
    const key = `${query} ${JSON.stringify(params)}`;
    const seen = this.answers.get(key);
    if (!seen) this.answers.set(key, a);
    else if (seen.rows !== a.rows || seen.n !== a.n)
      throw new Error(
        `reads bench: ${side} answered ${key} with ${JSON.stringify(a)}, the other side with ${JSON.stringify(seen)}`,
      );
  }

  async lancelog(query: string, params: Params): Promise<number> {
    const t0 = nowMs();
    const out = await this.repo.query({ source: READS_GQ, file: 'reads.gq', name: query, params });
    const ms = nowMs() - t0;
    this.check('lancelog', query, params, answerOf(out.rows));
    let s = this.stats.get(query);
    if (!s) this.stats.set(query, (s = { rowsScanned: [], tablesRead: 0, engineMs: [] }));
    s.rowsScanned.push(out.stats.rowsScanned);
    s.tablesRead = out.stats.tablesRead;
    s.engineMs.push(out.stats.ms);
    return ms;
  }

  async kuzu(query: string, params: Params): Promise<number> {
    const t0 = nowMs();
    let stmt = this.prepared.get(query);
    if (!stmt) {
      stmt = await this.conn.prepare(CYPHER[query]);
      this.prepared.set(query, stmt);
    }
    const res = await this.conn.execute(stmt, params);
    const rows = await (Array.isArray(res) ? res[0] : res).getAll();
    const ms = nowMs() - t0;
    this.check('kuzu', query, params, answerOf(rows));
    return ms;
  }
}

/** The threshold of `edge_weight`: weights are uniform in [0, 1], so about half the edges pass. */
const WEIGHT_OVER = 0.5;

function paramsFor(query: string, sources: string[], round: number): Params {
  if (query === 'per_city') return {};
  const name = sources[round % sources.length];
  return query === 'edge_weight' ? { name, x: WEIGHT_OVER } : { name };
}

async function warmMetrics(
  s: Sides,
  sources: string[],
  runs: number,
  log?: (m: string) => void,
): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const m of METRICS) {
    // One unmeasured run per source first: "warm" = after one run.
    for (let i = 0; i < (m.query === 'per_city' ? 1 : sources.length); i++) {
      const p = paramsFor(m.query, sources, i);
      await s.lancelog(m.query, p);
      await s.kuzu(m.query, p);
    }
    const samples = await alternate(
      {
        lancelog: (r) => s.lancelog(m.query, paramsFor(m.query, sources, r)),
        kuzu: (r) => s.kuzu(m.query, paramsFor(m.query, sources, r)),
      },
      { runs, warmup: 0, log, label: `reads ${m.metric} warm` },
    );
    const st = s.stats.get(m.query);
    out.push(
      result({
        name: 'reads',
        metric: `${m.metric}_warm_ms`,
        lancelog: median(samples.lancelog),
        baseline: median(samples.kuzu),
        unit: 'ms',
        baselineIs: 'Kuzu 0.11.3 (npm kuzu), same graph, prepared statement, warm',
        runs,
        target: { kind: 'ratio<=', value: m.warmTarget },
        extra: {
          lancelogP90: round(quantile(samples.lancelog, 0.9)),
          kuzuP90: round(quantile(samples.kuzu, 0.9)),
          lancelogEngineMs: st ? round(median(st.engineMs)) : null,
          rowsScanned: st ? median(st.rowsScanned) : null,
          tablesRead: st?.tablesRead ?? null,
          answer: s.answers.get(`${m.query} ${JSON.stringify(paramsFor(m.query, sources, 0))}`),
        },
      }),
    );
  }
  return out;
}

/** Each sample: open both fresh (untimed), time the first query on each, close. */
async function coldMetrics(
  s: Sides,
  sources: string[],
  runs: number,
  log?: (m: string) => void,
): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const m of METRICS) {
    const opens = { lancelog: [] as number[], kuzu: [] as number[] };
    const samples = await alternate(
      {
        lancelog: async (r) => {
          const t0 = nowMs();
          await s.openLancelog();
          opens.lancelog.push(nowMs() - t0);
          try {
            return await s.lancelog(m.query, paramsFor(m.query, sources, r));
          } finally {
            await s.repo.close();
          }
        },
        kuzu: async (r) => {
          const t0 = nowMs();
          await s.openKuzu();
          opens.kuzu.push(nowMs() - t0);
          try {
            return await s.kuzu(m.query, paramsFor(m.query, sources, r));
          } finally {
            await s.conn.close();
            await s.db.close();
          }
        },
      },
      { runs, warmup: 1, log, label: `reads ${m.metric} cold` },
    );
    out.push(
      result({
        name: 'reads',
        metric: `${m.metric}_cold_ms`,
        lancelog: median(samples.lancelog),
        baseline: median(samples.kuzu),
        unit: 'ms',
        baselineIs:
          'Kuzu 0.11.3: first query (prepare + execute) after opening the database; Lancelog: first query after Repo.open (index build included)',
        runs,
        target: { kind: 'ratio<=', value: COLD_TARGET },
        extra: {
          lancelogOpenMs: round(median(opens.lancelog)),
          kuzuOpenMs: round(median(opens.kuzu)),
          // One more cold query, instrumented: where the first query's time goes.
          lancelogColdPhasesMs: await profileColdQuery(s.repoDir, {
            source: READS_GQ,
            file: 'reads.gq',
            name: m.query,
            params: paramsFor(m.query, sources, 0),
          }),
        },
      }),
    );
  }
  return out;
}

export async function run(opts: BenchOptions = {}): Promise<BenchResult[]> {
  const scale = opts.scale ?? DEFAULT_SCALE;
  const runs = Math.max(5, opts.runs ?? FULL.runs);
  const coldRuns = Math.max(5, Math.min(runs, FULL.coldRuns));
  const nodes = scaled(FULL.nodes, scale, 50);
  const edges = scaled(FULL.edges, scale, 500);
  const work = workDir(opts.dir, 'reads');
  const log = opts.log;
  try {
    mkdirSync(work.dir, { recursive: true });
    log?.(`reads: writing the graph (${nodes} nodes, ${edges} edges)`);
    const files = await writeGraph(work.dir, nodes, edges);
    const repoDir = join(work.dir, 'repo');
    const kuzuPath = join(work.dir, 'kuzu.db');
    let t0 = nowMs();
    await loadLancelog(repoDir, files.jsonl);
    const lancelogLoadMs = nowMs() - t0;
    t0 = nowMs();
    await loadKuzu(kuzuPath, files);
    const kuzuLoadMs = nowMs() - t0;
    log?.(
      `reads: loaded (lancelog ${round(lancelogLoadMs, 0)} ms, kuzu ${round(kuzuLoadMs, 0)} ms)`,
    );
    const sources = pickSources(files.outDegree, 7);
    const s = new Sides(repoDir, kuzuPath);
    const cold = await coldMetrics(s, sources, coldRuns, log);
    await s.openLancelog();
    await s.openKuzu();
    let warm: BenchResult[];
    try {
      warm = await warmMetrics(s, sources, runs, log);
    } finally {
      await s.close();
    }
    const all = [...warm, ...cold];
    for (const r of all)
      Object.assign((r.extra ??= {}), {
        nodes,
        edges,
        lancelogLoadMs: round(lancelogLoadMs, 0),
        kuzuLoadMs: round(kuzuLoadMs, 0),
      });
    return all;
  } finally {
    work.cleanup();
  }
}
