/**
 * load: a deterministic generated graph (gen-graph.ts: N Person nodes, 2N Knows
 * edges; N = 1M at scale 1) as JSONL. Rows/s of `loadJsonl` vs raw LanceDB — target
 * ratio ≥ 0.9 — against two baselines (see load-sides.ts): the minimal raw loader of
 * the same file (parse + makeArrowTable + add), and `add` of the same Arrow tables
 * prebuilt (pure Lance). Then peak RSS of one load per process at ¼, ½ and 1× the
 * file, to show how memory grows with the file.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './gen-graph.js';
import { dirs, initRepo, lancelogLoad, prebuild, rawAddPrebuilt, rawLoad } from './load-sides.js';
import {
  alternate,
  median,
  result,
  round,
  scaled,
  workDir,
  type BenchOptions,
  type BenchResult,
} from './lib.js';

export const FULL = { nodes: 1_000_000, runs: 5, warmup: 1 };
export const DEFAULT_SCALE = 0.1;

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');

function child(
  side: string,
  data: string,
  dir: string,
): { rows: number; ms: number; maxRssMiB: number } {
  const r = spawnSync(
    process.execPath,
    ['--max-old-space-size=16384', '--import', 'tsx', join(HERE, 'load-child.ts'), side, data, dir],
    { cwd: ROOT, encoding: 'utf8', timeout: 3_600_000 },
  );
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`load-child ${side} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
    rows: number;
    ms: number;
    maxRssMiB: number;
  };
}

export async function run(opts: BenchOptions & { rss?: boolean } = {}): Promise<BenchResult[]> {
  const scale = opts.scale ?? DEFAULT_SCALE;
  const nodes = scaled(FULL.nodes, scale, 100);
  const runs = Math.max(5, opts.runs ?? FULL.runs);
  const log = opts.log ?? (() => undefined);
  const work = workDir(opts.dir, 'load');
  try {
    const data = join(work.dir, `graph-${nodes}.jsonl`);
    const g = await generate(nodes, data, 1);
    log(`load: ${nodes} nodes + ${2 * nodes} edges, ${(g.bytes / 2 ** 20).toFixed(0)} MiB`);
    const prebuilt = await prebuild(data);
    const clean = (d: string) => rmSync(d, { recursive: true, force: true });
    const s = await alternate(
      {
        lancelog: async (r) => {
          const d = dirs(work.dir, 'lancelog', r);
          await initRepo(d);
          const o = await lancelogLoad(d, data);
          clean(d);
          return o.rows / (o.ms / 1000);
        },
        raw: async (r) => {
          const d = dirs(work.dir, 'raw', r);
          const o = await rawLoad(d, data);
          clean(d);
          return o.rows / (o.ms / 1000);
        },
        prebuilt: async (r) => {
          const d = dirs(work.dir, 'pre', r);
          const o = await rawAddPrebuilt(d, prebuilt);
          clean(d);
          return o.rows / (o.ms / 1000);
        },
      },
      { runs, warmup: FULL.warmup, log, label: 'load' },
    );

    const rss: Array<{
      nodes: number;
      rows: number;
      mib: number;
      lancelogMaxRssMiB: number;
      rawMaxRssMiB: number;
    }> = [];
    if (opts.rss !== false) {
      for (const f of [0.25, 0.5, 1]) {
        const n = Math.max(100, Math.round(nodes * f));
        const file = n === nodes ? data : join(work.dir, `graph-${n}.jsonl`);
        if (file !== data) await generate(n, file, 1);
        const ll = child('lancelog', file, join(work.dir, `rss-ll-${n}`));
        const raw = child('raw', file, join(work.dir, `rss-raw-${n}`));
        rss.push({
          nodes: n,
          rows: ll.rows,
          mib: round(statSync(file).size / 2 ** 20, 1),
          lancelogMaxRssMiB: ll.maxRssMiB,
          rawMaxRssMiB: raw.maxRssMiB,
        });
        log(`load rss: ${n} nodes: lancelog ${ll.maxRssMiB} MiB, raw ${raw.maxRssMiB} MiB`);
      }
    }
    const rows = 3 * nodes;
    const extra = {
      nodes,
      edges: 2 * nodes,
      rows,
      fileMiB: round(g.bytes / 2 ** 20, 1),
      peakRss: rss,
    };
    return [
      result({
        name: 'load',
        metric: 'rows_per_s_vs_raw_jsonl_loader',
        lancelog: median(s.lancelog),
        baseline: median(s.raw),
        unit: 'rows/s',
        baselineIs:
          'raw LanceDB loader of the same JSONL: JSON.parse, same rows, makeArrowTable + add (one commit per table)',
        runs,
        target: { kind: 'ratio>=', value: 0.9 },
        extra,
      }),
      result({
        name: 'load',
        metric: 'rows_per_s_vs_raw_add_prebuilt',
        lancelog: median(s.lancelog),
        baseline: median(s.prebuilt),
        unit: 'rows/s',
        baselineIs:
          'raw LanceDB add of the same Arrow tables, prebuilt (pure Lance write; no parsing)',
        runs,
        target: { kind: 'ratio>=', value: 0.9 },
      }),
    ];
  } finally {
    work.cleanup();
  }
}
