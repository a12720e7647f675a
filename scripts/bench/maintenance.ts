/**
 * Maintenance bench (docs/performance.md §Optimize and cleanup): point read and 1-hop
 * read latency after N one-row commits, before and after `optimize`, and the disk
 * `cleanup` reclaims. Reads run with a zero-byte read cache, so every query reads its
 * tables from Lance (what fragment counts change).
 *
 *   npx tsx scripts/bench/maintenance.ts [commits=2000] [reads=30]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Repo } from '../../src/index.js';

const SCHEMA = 'node Person {\n  name: String @key\n  age: I32?\n}\nedge Knows: Person -> Person\n';
const GQ = `query point($n: String) { match { $p: Person { name: $n } } return { $p.age } }
query hop($n: String) { match { $p: Person { name: $n } $p knows $q } return { $q.name } }`;

async function du(dir: string): Promise<number> {
  const { stdout } = await promisify(execFile)('du', ['-sb', dir]);
  return Number(stdout.split('\t')[0]);
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

async function readLatency(dir: string, people: number, reads: number) {
  const repo = await Repo.open(dir, { readCacheBytes: 0 });
  const out: Record<string, { firstMs: number; p50Ms: number; p95Ms: number }> = {};
  for (const name of ['point', 'hop']) {
    const times: number[] = [];
    for (let i = 0; i <= reads; i++) {
      const t0 = performance.now();
      await repo.query({
        source: GQ,
        file: 'bench.gq',
        name,
        params: { n: `p${(i * 7) % people}` },
      });
      times.push(performance.now() - t0);
    }
    out[name] = {
      firstMs: times[0],
      p50Ms: pct(times.slice(1), 0.5),
      p95Ms: pct(times.slice(1), 0.95),
    };
  }
  await repo.close();
  return out;
}

async function main(): Promise<void> {
  const commits = Number(process.argv[2] ?? 2000);
  const reads = Number(process.argv[3] ?? 30);
  const dir = join(mkdtempSync(join(tmpdir(), 'lancelog-maint-')), 'repo');
  await Repo.init(dir, { schemaSource: SCHEMA, schemaFile: 'bench.pg' });
  const repo = await Repo.open(dir);
  const t0 = performance.now();
  let people = 0;
  for (let i = 0; i < commits; i++) {
    // Every third commit links two existing people; the others insert one person.
    await repo.transaction((tx) => {
      if (i % 3 === 2) tx.link('Knows', `p${people - 1}`, `p${people - 2}`);
      else tx.insert('Person', { name: `p${people++}`, age: i % 90 });
      return Promise.resolve();
    });
  }
  const buildS = (performance.now() - t0) / 1000;
  await repo.close();
  const before = await readLatency(dir, people, reads);
  const r1 = await Repo.open(dir);
  const t1 = performance.now();
  const opt = await r1.optimize();
  const optimizeS = (performance.now() - t1) / 1000;
  await r1.close();
  const after = await readLatency(dir, people, reads);
  const diskBefore = await du(dir);
  const r2 = await Repo.open(dir);
  const t2 = performance.now();
  const clean = await r2.cleanup({ keep: 10, olderThanMs: null, confirm: true });
  const cleanupS = (performance.now() - t2) / 1000;
  await r2.close();
  const diskAfter = await du(dir);
  console.log(
    JSON.stringify(
      {
        commits,
        people,
        buildS,
        fragments: opt.tables.map((t) => `${t.tableKey} ${t.fragmentsBefore}→${t.fragmentsAfter}`),
        optimizeS,
        before,
        after,
        cleanup: {
          keep: 10,
          versionsRemoved: clean.tables.map((t) => `${t.tableKey} ${t.versionsRemoved.length}`),
          bytesRemovedByLance: clean.tables.reduce((n, t) => n + t.bytesRemoved, 0),
          diskBeforeBytes: diskBefore,
          diskAfterBytes: diskAfter,
          cleanupS,
        },
      },
      null,
      2,
    ),
  );
  rmSync(join(dir, '..'), { recursive: true, force: true });
}

await main();
