/**
 * open:
 *  1. read-write `Repo.open` with nothing to recover, then opening every table at its
 *     pin, vs opening the same tables plainly with raw LanceDB (`connect` +
 *     `openTable` per table) — target ≤ 2 ms extra.
 *  2. recovery time with 1 / 10 / 100 pending operations, roll-forward and roll-back:
 *     `Repo.open` of a copy of a crashed repo (Full recovery runs inside the open) vs
 *     the same open right after (nothing pending).
 *
 * Pending operations are made once per (N, kind) by a child (crash-child.ts) that
 * parks N concurrent transactions at a failpoint and is SIGKILLed; each measured run
 * then recovers a fresh copy of that crashed directory.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Repo } from '../../src/index.js';
import { RawLance } from '../../src/storage/index.js';
import { GRAPH_PG } from './gen-graph.js';
import {
  alternate,
  median,
  quantile,
  result,
  round,
  timeIt,
  workDir,
  type BenchOptions,
  type BenchResult,
} from './lib.js';

export const FULL = {
  pending: [1, 10, 100],
  runs: 21,
  warmup: 3,
  recoveryRuns: 7,
  recoveryWarmup: 1,
};
export const DEFAULT_SCALE = 1;

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');

function pendingSchema(n: number): string {
  return Array.from(
    { length: n },
    (_, i) =>
      `node A${i} { name: String @key\n v: I32? }\nnode B${i} { name: String @key\n v: I32? }\n`,
  ).join('');
}

/** Runs crash-child.ts until every operation is parked at `fp`, then SIGKILLs it. */
async function crashWithPending(repoDir: string, n: number, fp: string): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(HERE, 'crash-child.ts'), repoDir, String(n), fp],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LANCELOG_FAILPOINTS: `${fp}=delay:3600000` },
    },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`crash-child timed out: ${out} ${err}`));
    }, 300_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        child.kill('SIGKILL');
      }
      if (out.includes('error')) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        rej(new Error(`crash-child failed: ${out} ${err}`));
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      if (out.includes('ready')) res();
      else rej(new Error(`crash-child exited early: ${out} ${err}`));
    });
  });
}

/** Every table dataset of a repo: [parent dir, table name]. */
function tablesOf(repoDir: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const kind of ['nodes', 'edges']) {
    let names: string[] = [];
    try {
      names = readdirSync(join(repoDir, kind));
    } catch {
      continue;
    }
    for (const f of names)
      if (f.endsWith('.lance')) out.push([join(repoDir, kind), f.slice(0, -'.lance'.length)]);
  }
  return out;
}

async function rawOpenAll(tables: Array<[string, string]>): Promise<void> {
  const conns = new Map<string, RawLance>();
  for (const [dir, name] of tables) {
    let c = conns.get(dir);
    if (!c) {
      c = await RawLance.connect(dir);
      conns.set(dir, c);
    }
    (await c.openTable(name)).close();
  }
  for (const c of conns.values()) c.close();
}

async function lancelogOpenAll(dir: string): Promise<void> {
  const repo = await Repo.open(dir);
  const snap = repo.snapshot();
  for (const pin of snap.pins) await repo.openPinned(pin.tableKey, pin);
  await repo.close();
}

export async function run(opts: BenchOptions = {}): Promise<BenchResult[]> {
  const scale = opts.scale ?? DEFAULT_SCALE;
  const runs = Math.max(5, opts.runs ?? FULL.runs);
  const log = opts.log ?? (() => undefined);
  const work = workDir(opts.dir, 'open');
  const out: BenchResult[] = [];
  try {
    // 1. open with nothing to recover (a repo with some history: 20 commits)
    const dir = join(work.dir, 'graph');
    await Repo.init(dir, { schemaSource: GRAPH_PG, schemaFile: 'graph.pg' });
    const repo = await Repo.open(dir);
    for (let i = 0; i < 20; i++) {
      await repo.transaction((tx) => {
        tx.upsert('Person', { name: `p${i}` });
        if (i > 0) tx.link('Knows', `p${i}`, `p${i - 1}`);
      });
    }
    await repo.close();
    const tables = tablesOf(dir);
    const s = await alternate(
      {
        lancelog: () => timeIt(() => lancelogOpenAll(dir)),
        baseline: () => timeIt(() => rawOpenAll(tables)),
        openOnly: () => timeIt(async () => (await Repo.open(dir)).close()),
      },
      { runs, warmup: FULL.warmup, log, label: 'open' },
    );
    out.push(
      result({
        name: 'open',
        metric: 'open_rw_nothing_pending_ms',
        lancelog: median(s.lancelog),
        baseline: median(s.baseline),
        unit: 'ms',
        baselineIs: `raw LanceDB connect + openTable of the same ${tables.length} tables`,
        runs,
        target: { kind: 'extra<=', value: 2 },
        extra: {
          tables: tables.length,
          repoOpenAloneMs: round(median(s.openOnly)),
          extraMs: round(median(s.lancelog) - median(s.baseline)),
          lancelogSpread: {
            p10: round(quantile(s.lancelog, 0.1)),
            p90: round(quantile(s.lancelog, 0.9)),
          },
        },
      }),
    );

    // 2. recovery with N pending operations
    const pendings =
      scale >= 1
        ? FULL.pending
        : FULL.pending.filter((n) => n <= Math.max(1, Math.round(100 * scale)));
    const rRuns = Math.max(
      5,
      opts.runs !== undefined ? Math.min(opts.runs, FULL.recoveryRuns) : FULL.recoveryRuns,
    );
    for (const kind of ['rollforward', 'rollback'] as const) {
      const fp = kind === 'rollforward' ? 'write.before_publish' : 'write.after_table_commit';
      for (const n of pendings) {
        const template = join(work.dir, `crashed-${kind}-${n}`);
        await Repo.init(template, { schemaSource: pendingSchema(n), schemaFile: 'pending.pg' });
        await crashWithPending(template, n, fp);
        const pendingNow = await Repo.open(template, { readOnly: true });
        const nPending = pendingNow.pendingRecovery().length;
        await pendingNow.close();
        if (nPending !== n) throw new Error(`expected ${n} pending operations, found ${nPending}`);
        const times: number[] = [];
        const after: number[] = [];
        let decisions: string[] = [];
        for (let r = 0; r < FULL.recoveryWarmup + rRuns; r++) {
          const copy = join(work.dir, `run-${kind}-${n}`);
          rmSync(copy, { recursive: true, force: true });
          mkdirSync(copy);
          cpSync(template, copy, { recursive: true });
          let opened: Repo | undefined;
          const t = await timeIt(async () => {
            opened = await Repo.open(copy);
          });
          const audit = opened!.recoveryAudit();
          decisions = [...new Set(audit.map((a) => a.decision))];
          if (audit.length !== n)
            throw new Error(`recovery resolved ${audit.length} of ${n} operations`);
          await opened!.close();
          const t2 = await timeIt(async () => (await Repo.open(copy)).close());
          if (r >= FULL.recoveryWarmup) {
            times.push(t);
            after.push(t2);
          }
          rmSync(copy, { recursive: true, force: true });
        }
        log(`recovery ${kind} n=${n}: ${median(times).toFixed(1)} ms`);
        out.push(
          result({
            name: 'open',
            metric: `recover_${kind}_${n}_pending_ms`,
            lancelog: median(times),
            baseline: median(after),
            unit: 'ms',
            baselineIs: 'the same Repo.open right after, with nothing pending',
            runs: rRuns,
            extra: {
              pending: n,
              decisions,
              perOperationMs: round((median(times) - median(after)) / n),
            },
          }),
        );
        rmSync(template, { recursive: true, force: true });
      }
    }
  } finally {
    work.cleanup();
  }
  return out;
}
