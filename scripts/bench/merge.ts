/**
 * merge: two branches of one large table each change 1% of its rows (disjoint rows),
 * then `diff main → feat` and `merge feat into main` (a three-way merge: both sides
 * changed), each in a fresh child process: wall time and the process's peak RSS.
 * The baseline is the peak RSS of a child that only opens the repo and counts rows.
 * Full size: 1M rows. One run per step (each step changes the repo), so `runs` is 1.
 */
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Repo, loadJsonl } from '../../src/index.js';
import { result, scaled, workDir, type BenchOptions, type BenchResult } from './lib.js';

export const DEFAULT_SCALE = 0.1;
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const PG = 'node Item { name: String @key  v: I64?  tag: String? }\n';

function lines(n: number, pick: (i: number) => boolean, v: (i: number) => number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++)
    if (pick(i))
      out.push(
        `{"type":"Item","data":{"name":"i${String(i).padStart(8, '0')}","v":${v(i)},"tag":"t${i % 7}"}}`,
      );
  return `${out.join('\n')}\n`;
}

async function build(dir: string, n: number, log?: (m: string) => void): Promise<void> {
  await Repo.init(dir, { schemaSource: PG, schemaFile: 'bench.pg' });
  const repo = await Repo.open(dir);
  try {
    const ctx = repo.operationContext();
    log?.(`merge: loading ${n} rows`);
    await loadJsonl(
      ctx,
      {
        text: lines(
          n,
          () => true,
          (i) => i,
        ),
        file: 'base.jsonl',
      },
      { mode: 'append' },
    );
    repo.createBranch('feat');
    log?.('merge: 1% changed on each branch');
    const feat = lines(
      n,
      (i) => i % 100 === 1,
      (i) => -i,
    );
    await loadJsonl(ctx, { text: feat, file: 'feat.jsonl' }, { mode: 'merge', branch: 'feat' });
    const main = lines(
      n,
      (i) => i % 100 === 2,
      (i) => -i,
    );
    await loadJsonl(ctx, { text: main, file: 'main.jsonl' }, { mode: 'merge' });
  } finally {
    await repo.close();
  }
}

interface Step {
  ms: number;
  maxRssMiB: number;
  [k: string]: unknown;
}

async function child(dir: string, step: string): Promise<Step> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(HERE, 'merge-child.ts'), dir, step],
    { cwd: ROOT, maxBuffer: 1 << 24 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as Step;
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const n = scaled(1_000_000, opts.scale ?? DEFAULT_SCALE, 1000);
  const work = workDir(opts.dir, 'merge');
  try {
    const dir = join(work.dir, 'repo');
    await build(dir, n, opts.log);
    const open = await child(dir, 'open');
    opts.log?.(`merge: open ${JSON.stringify(open)}`);
    const diff = await child(dir, 'diff');
    opts.log?.(`merge: diff ${JSON.stringify(diff)}`);
    const merge = await child(dir, 'merge');
    opts.log?.(`merge: merge ${JSON.stringify(merge)}`);
    const common = { baselineIs: 'n/a (informative)', runs: 1, baseline: null } as const;
    return [
      result({
        name: 'merge',
        metric: 'diff_ms',
        lancelog: diff.ms,
        unit: 'ms',
        ...common,
        extra: { rows: n, stats: diff.stats },
      }),
      result({
        name: 'merge',
        metric: 'diff_peak_rss_mib',
        lancelog: diff.maxRssMiB,
        baseline: open.maxRssMiB,
        unit: 'MiB',
        baselineIs: 'peak RSS of open + count rows',
        runs: 1,
      }),
      result({
        name: 'merge',
        metric: 'merge_ms',
        lancelog: merge.ms,
        unit: 'ms',
        ...common,
        extra: { rows: n, outcome: merge.outcome, tables: merge.tables },
      }),
      result({
        name: 'merge',
        metric: 'merge_peak_rss_mib',
        lancelog: merge.maxRssMiB,
        baseline: open.maxRssMiB,
        unit: 'MiB',
        baselineIs: 'peak RSS of open + count rows',
        runs: 1,
      }),
    ];
  } finally {
    work.cleanup();
  }
}
