/**
 * feed: the change feed followed live (`followChanges`, what `lancelog changes poll
 * --follow` and `GET /changes/stream` run): a writer in another process makes one-row
 * commits; the follower, in this process, records for each block the time from the
 * commit's publish (its `authoredAt`, the journal's clock at the publish transaction)
 * to its delivery. p50 and p99 over the commits. Target: p50 <= 100 ms.
 * No baseline (a polling follower's latency would be its interval).
 */
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Repo, followChanges, pollChanges } from '../../src/index.js';
import { quantile, result, scaled, workDir, type BenchOptions, type BenchResult } from './lib.js';

export const DEFAULT_SCALE = 1;
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const n = scaled(100, opts.scale ?? DEFAULT_SCALE, 5);
  const work = workDir(opts.dir, 'feed');
  try {
    const dir = join(work.dir, 'repo');
    await Repo.init(dir, { schemaSource: 'node Note { text: String }\n', schemaFile: 'b.pg' });
    const repo = await Repo.open(dir, { readOnly: true });
    const latenciesMs: number[] = [];
    const stop = new AbortController();
    try {
      const start = (await pollChanges(repo, {})).cursor!;
      const following = followChanges(repo, { cursor: start, signal: stop.signal }, (page) => {
        const nowUs = (performance.timeOrigin + performance.now()) * 1000;
        for (const b of page.blocks) latenciesMs.push((nowUs - b.cause.authoredAt) / 1000);
        if (latenciesMs.length >= n) stop.abort();
      });
      opts.log?.(`feed: ${n} commits from another process, 50 ms apart`);
      await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', join(HERE, 'feed-writer.ts'), dir, String(n), '50'],
        { cwd: ROOT },
      );
      const deadline = setTimeout(() => stop.abort(), 10_000);
      await following;
      clearTimeout(deadline);
    } finally {
      stop.abort();
      await repo.close();
    }
    const common = { unit: 'ms', baseline: null, runs: latenciesMs.length } as const;
    const extra = { commits: latenciesMs.length, maxMs: Math.max(...latenciesMs) };
    return [
      result({
        name: 'feed',
        metric: 'follow_latency_p50_ms',
        lancelog: quantile(latenciesMs, 0.5),
        baselineIs: 'n/a (target: p50 <= 100 ms)',
        ...common,
        extra,
      }),
      result({
        name: 'feed',
        metric: 'follow_latency_p99_ms',
        lancelog: quantile(latenciesMs, 0.99),
        baselineIs: 'n/a (reported)',
        ...common,
        extra,
      }),
    ];
  } finally {
    work.cleanup();
  }
}
