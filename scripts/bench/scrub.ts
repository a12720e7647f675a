/**
 * scrub: the speed of `lancelog doctor --deep`'s scrub (src/repo/scrub.ts: every file
 * every pinned version needs, read and sha256'd in Node) beside `sha256sum` and `cat`
 * of the same files, all from a warm page cache, alternating. Reports MB/s per side;
 * the ratio is the scrub's time over the baseline's (docs/performance.md "Checksums and
 * the scrub").
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Repo } from '../../src/index.js';
import { scrub } from '../../src/repo/scrub.js';
import { WRITE_PG } from './fixtures.js';
import {
  alternate,
  median,
  quantile,
  result,
  round,
  scaled,
  timeIt,
  workDir,
  type BenchOptions,
  type BenchResult,
} from './lib.js';

/** Scale 1: 200,000 Person rows of ~1 KB each (≈ 200 MB of data files), in 10 commits. */
export const FULL = { rows: 200_000, commits: 10, runs: 9, warmup: 2 };
export const DEFAULT_SCALE = 0.1;

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, out);
    else if (!e.name.endsWith('.json')) out.push(p);
  }
  return out;
}

/** Runs a command over the files, its output discarded; resolves when it exits 0. */
function runOver(cmd: string, files: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, files, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`)),
    );
  });
}

async function seed(dir: string, rows: number, commits: number): Promise<Repo> {
  await Repo.init(dir, { schemaSource: WRITE_PG, schemaFile: 'bench.pg' });
  const repo = await Repo.open(dir);
  const per = Math.ceil(rows / commits);
  // Incompressible text, so the tables hold ~1 KB per row on disk (Lance compresses a
  // repeated padding away).
  const text = (i: number): string =>
    createHash('sha512').update(String(i)).digest('base64').repeat(11).slice(0, 960);
  for (let c = 0; c < commits; c++)
    await repo.transaction((tx) => {
      for (let i = c * per; i < Math.min(rows, (c + 1) * per); i++)
        tx.insert('Person', { name: `p${i}`, age: i % 100, email: text(i), city: 'oslo' });
    });
  return repo;
}

export async function run(opts: BenchOptions = {}): Promise<BenchResult[]> {
  const scale = opts.scale ?? DEFAULT_SCALE;
  const runs = Math.max(5, opts.runs ?? FULL.runs);
  const rows = scaled(FULL.rows, scale, 100);
  const log = opts.log ?? (() => undefined);
  const work = workDir(opts.dir, 'scrub');
  const dir = join(work.dir, 'repo');
  log(`scrub: seeding ${rows} rows in ${FULL.commits} commits`);
  const repo = await seed(dir, rows, FULL.commits);
  try {
    const files = ['nodes', 'edges'].flatMap((d) => filesUnder(join(dir, d)));
    let bytes = 0;
    const sides = await alternate(
      {
        lancelog: () =>
          timeIt(async () => {
            const r = await scrub(repo);
            if (r.damaged.length > 0) throw new Error('the bench repo is damaged');
            bytes = r.bytes;
          }),
        sha256sum: () => timeIt(() => runOver('sha256sum', files)),
        cat: () => timeIt(() => runOver('cat', files)),
      },
      { runs, warmup: FULL.warmup, log, label: 'scrub' },
    );
    const ms = median(sides.lancelog);
    const mbps = (t: number): number => round(bytes / 1e6 / (t / 1000));
    const extra = {
      bytes,
      files: files.length,
      rows,
      mbPerS: {
        scrub: mbps(ms),
        sha256sum: mbps(median(sides.sha256sum)),
        cat: mbps(median(sides.cat)),
      },
      p90Ms: { scrub: round(quantile(sides.lancelog, 0.9)) },
    };
    const common = { name: 'scrub', unit: 'ms', runs, extra };
    return [
      result({
        ...common,
        metric: 'scrub vs sha256sum of the same files (warm cache)',
        lancelog: ms,
        baseline: median(sides.sha256sum),
        baselineIs: '`sha256sum` over every file of the tables (one process)',
      }),
      result({
        ...common,
        metric: 'scrub vs cat of the same files (warm cache)',
        lancelog: ms,
        baseline: median(sides.cat),
        baselineIs: '`cat` of every file of the tables to /dev/null',
      }),
    ];
  } finally {
    await repo.close();
    work.cleanup();
  }
}
