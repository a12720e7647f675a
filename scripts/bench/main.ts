/**
 * `npm run bench -- <name> [--json] [--scale S] [--runs N] [--dir D]`
 *
 * Benches: write-1row, history, load, open, journal, reads, search, contains-index, merge, cold-start, server, feed, json, scrub, scaleout (or `all`). Prints a table; with
 * --json prints one JSON object per metric, one per line (JSON Lines):
 * {name, metric, lancelog, baseline, ratio, target, met, runs, machine, unit, baselineIs, extra}.
 * --scale multiplies the full sizes of issue 8 (each bench has a smaller default
 * so that it runs in a few minutes; see docs/performance.md).
 */
import { parseArgs } from 'node:util';
import { formatTable, type BenchOptions, type BenchResult } from './lib.js';

export const BENCHES: Record<
  string,
  () => Promise<{ run: (o: BenchOptions) => Promise<BenchResult[]>; DEFAULT_SCALE: number }>
> = {
  'write-1row': () => import('./write-1row.js'),
  history: () => import('./history.js'),
  load: () => import('./load.js'),
  open: () => import('./open.js'),
  journal: () => import('./journal.js'),
  reads: () => import('./reads.js'),
  search: () => import('./search.js'),
  'contains-index': () => import('./contains-index.js'),
  merge: () => import('./merge.js'),
  'cold-start': () => import('./cold-start.js'),
  server: () => import('./server.js'),
  feed: () => import('./feed.js'),
  json: () => import('./json.js'),
  scrub: () => import('./scrub.js'),
  scaleout: () => import('./scaleout.js'),
};

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      scale: { type: 'string' },
      runs: { type: 'string' },
      dir: { type: 'string' },
      commits: { type: 'string' },
      quiet: { type: 'boolean' },
    },
  });
  const names = positionals[0] === 'all' ? Object.keys(BENCHES) : positionals;
  if (names.length === 0 || names.some((n) => !(n in BENCHES))) {
    process.stderr.write(
      `usage: npm run bench -- <${Object.keys(BENCHES).join('|')}|all> [--json] [--scale S] [--runs N] [--dir D] [--commits N (history)]\n`,
    );
    process.exit(2);
  }
  const log = values.quiet
    ? undefined
    : (m: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${m}\n`);
  for (const name of names) {
    const mod = await BENCHES[name]();
    const scale = values.scale !== undefined ? Number(values.scale) : mod.DEFAULT_SCALE;
    log?.(`${name}: scale ${scale}`);
    const started = Date.now();
    const results = await mod.run({
      scale,
      log,
      ...(values.runs !== undefined ? { runs: Number(values.runs) } : {}),
      ...(values.dir !== undefined ? { dir: values.dir } : {}),
      ...(values.commits !== undefined ? { commits: Number(values.commits) } : {}),
    });
    for (const r of results) (r.extra ??= {}).scale = scale;
    log?.(`${name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (values.json) for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
    else process.stdout.write(`${formatTable(results)}\n\n`);
  }
}

await main();
