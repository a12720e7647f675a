/**
 * merge: one large table; for each changed fraction (0.1%, 1%, 10%) a branch changes
 * that fraction of the rows and main changes as many other rows, then `diff main → feat`
 * (from the row lineage), the same diff through the full-table compare (the baseline:
 * what every diff cost before row lineage), and `merge feat into main` (three-way: both
 * sides changed), each in a fresh child process: wall time and the process's peak RSS.
 * Targets at 1%: diff <= 0.05x the full compare (and <= 1 s at full size), merge <= 3 s.
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
    log?.(`merge: loading ${n} rows`);
    const text = lines(
      n,
      () => true,
      (i) => i,
    );
    await loadJsonl(repo.operationContext(), { text, file: 'base.jsonl' }, { mode: 'append' });
  } finally {
    await repo.close();
  }
}

/** Branch `branch` changes rows i % every == 1, main rows i % every == 2 (values `round`). */
async function diverge(dir: string, n: number, every: number, branch: string, round: number) {
  const repo = await Repo.open(dir);
  try {
    const ctx = repo.operationContext();
    repo.createBranch(branch);
    const mine = lines(
      n,
      (i) => i % every === 1,
      (i) => -i - round,
    );
    await loadJsonl(ctx, { text: mine, file: 'feat.jsonl' }, { mode: 'merge', branch });
    const theirs = lines(
      n,
      (i) => i % every === 2,
      (i) => -i - round,
    );
    await loadJsonl(ctx, { text: theirs, file: 'main.jsonl' }, { mode: 'merge' });
  } finally {
    await repo.close();
  }
}

interface Step {
  ms: number;
  maxRssMiB: number;
  [k: string]: unknown;
}

async function child(dir: string, step: string, branch = 'feat'): Promise<Step> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(HERE, 'merge-child.ts'), dir, step, branch],
    { cwd: ROOT, maxBuffer: 1 << 24 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as Step;
}

/** The changed fractions measured, as "rows changed per row" (1 in `every`). */
const FRACTIONS = [
  { label: '0.1%', every: 1000 },
  { label: '1%', every: 100 },
  { label: '10%', every: 10 },
];

function fractionResults(label: string, n: number, open: Step, s: Record<string, Step>) {
  const at = (m: string) => `${m}@${label}`;
  const one = label === '1%';
  return [
    result({
      name: 'merge',
      metric: at('diff_ms'),
      lancelog: s.diff.ms,
      baseline: s.full.ms,
      unit: 'ms',
      baselineIs: 'the same diff through the full-table compare (diff-full)',
      runs: 1,
      target: one ? { kind: 'ratio<=', value: 0.05 } : null,
      extra: { rows: n, stats: s.diff.stats, fullStats: s.full.stats },
    }),
    result({
      name: 'merge',
      metric: at('diff_peak_rss_mib'),
      lancelog: s.diff.maxRssMiB,
      baseline: open.maxRssMiB,
      unit: 'MiB',
      baselineIs: 'peak RSS of open + count rows',
      runs: 1,
      extra: { fullCompareMiB: s.full.maxRssMiB },
    }),
    result({
      name: 'merge',
      metric: at('merge_ms'),
      lancelog: s.merge.ms,
      baseline: null,
      unit: 'ms',
      baselineIs: 'n/a (target: <= 3000 ms at 1%, full size)',
      runs: 1,
      extra: { rows: n, outcome: s.merge.outcome, tables: s.merge.tables },
    }),
    result({
      name: 'merge',
      metric: at('merge_peak_rss_mib'),
      lancelog: s.merge.maxRssMiB,
      baseline: open.maxRssMiB,
      unit: 'MiB',
      baselineIs: 'peak RSS of open + count rows',
      runs: 1,
    }),
  ];
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const n = scaled(1_000_000, opts.scale ?? DEFAULT_SCALE, 1000);
  const work = workDir(opts.dir, 'merge');
  try {
    const dir = join(work.dir, 'repo');
    await build(dir, n, opts.log);
    const open = await child(dir, 'open');
    opts.log?.(`merge: open ${JSON.stringify(open)}`);
    const out: BenchResult[] = [];
    for (const [round, f] of FRACTIONS.entries()) {
      const branch = `feat${round}`;
      opts.log?.(`merge: ${f.label} changed on each side`);
      await diverge(dir, n, f.every, branch, round + 1);
      const steps: Record<string, Step> = {};
      for (const [key, step] of [
        ['diff', 'diff'],
        ['full', 'diff-full'],
        ['merge', 'merge'],
      ] as const) {
        steps[key] = await child(dir, step, branch);
        opts.log?.(`merge: ${f.label} ${step} ${JSON.stringify(steps[key])}`);
      }
      out.push(...fractionResults(f.label, n, open, steps));
    }
    return out;
  } finally {
    work.cleanup();
  }
}
