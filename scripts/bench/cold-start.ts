/**
 * cold-start: wall time (and CPU time, user + sys) of `lancelog version`,
 * `lancelog --help` and two real commands on a small repo — `journal log` (SQLite only)
 * and `snapshot` (opens the Lance tables for their row counts) — as the package
 * installs them (the esbuild bundle dist/cli/lancelog.mjs, whose commands load the API
 * lazily), beside `node -e 0` (Node's own start-up: the floor) and the unbundled
 * dist/cli/main.js (tsc's output, one file per module). Runs alternate so load on a
 * shared machine hits every side alike; medians are reported. Target (issue 15): ≤ 0.3 s
 * for `version` and `--help`.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/version.js';
import {
  median,
  nowMs,
  result,
  round,
  workDir,
  type BenchOptions,
  type BenchResult,
} from './lib.js';

export const DEFAULT_SCALE = 1;
const TARGET_S = 0.3;
const TIME_BIN = '/usr/bin/time';

interface Sample {
  wallS: number;
  cpuS: number | null;
}

/** One run; CPU from /usr/bin/time when the machine has it (Node cannot read a child's rusage). */
function runOnce(args: string[]): Promise<Sample> {
  const timed = existsSync(TIME_BIN);
  const [cmd, argv] = timed
    ? [TIME_BIN, ['-f', 'cpu %U %S', process.execPath, ...args]]
    : [process.execPath, args];
  return new Promise((resolve, reject) => {
    const started = nowMs();
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallS = (nowMs() - started) / 1000;
      if (code !== 0) return reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`));
      const m = /cpu ([\d.]+) ([\d.]+)/.exec(stderr);
      resolve({ wallS, cpuS: m ? Number(m[1]) + Number(m[2]) : null });
    });
  });
}

/** A small repo (one node table, two rows) made with the bundle itself. */
async function smallRepo(bundle: string, dir: string): Promise<string> {
  const schema = join(dir, 'schema.pg');
  const data = join(dir, 'data.jsonl');
  const repo = join(dir, `cold-start-repo-${process.pid}`);
  writeFileSync(schema, 'node Tag {\n  name: String @key\n}\n');
  writeFileSync(data, '{"type":"Tag","data":{"name":"a"}}\n{"type":"Tag","data":{"name":"b"}}\n');
  await runOnce([bundle, 'init', '--schema', schema, repo]);
  await runOnce([bundle, 'load', '--data', data, repo]);
  return repo;
}

export async function run(o: BenchOptions): Promise<BenchResult[]> {
  const root = packageRoot();
  const bundle = join(root, 'dist', 'cli', 'lancelog.mjs');
  const unbundled = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build first`);
  const runs = Math.max(5, o.runs ?? 15);
  const work = workDir(o.dir, 'cold-start');
  try {
    const repo = await smallRepo(bundle, work.dir);
    const commands: Array<[label: string, args: string[]]> = [
      ['version', ['version']],
      ['--help', ['--help']],
      ['journal log', ['journal', 'log', repo]],
      ['snapshot', ['snapshot', repo]],
    ];
    const out: BenchResult[] = [];
    for (const [label, args] of commands)
      out.push(await measure(label, args, { bundle, unbundled, runs, o }));
    return out;
  } finally {
    work.cleanup();
  }
}

/** Medians of `runs` alternating runs of the three sides (after two warm-up rounds). */
async function measure(
  label: string,
  command: string[],
  c: { bundle: string; unbundled: string; runs: number; o: BenchOptions },
): Promise<BenchResult> {
  const { runs, o } = c;
  const sides: Record<string, string[]> = {
    node: ['-e', '0'],
    bundle: [c.bundle, ...command],
    unbundled: [c.unbundled, ...command],
  };
  const samples: Record<string, Sample[]> = { node: [], bundle: [], unbundled: [] };
  for (let i = 0; i < runs + 2; i++) {
    for (const [side, args] of Object.entries(sides)) {
      const s = await runOnce(args);
      if (i >= 2) samples[side].push(s); // two warm-up rounds (page cache)
    }
  }
  const wall = (side: string) => median(samples[side].map((s) => s.wallS));
  const cpu = (side: string) =>
    samples[side][0].cpuS === null ? null : round(median(samples[side].map((s) => s.cpuS!)));
  o.log?.(`cold-start ${label}: bundle ${wall('bundle')} s, node ${wall('node')} s`);
  const r = result({
    name: 'cold-start',
    metric: `lancelog ${label} wall`,
    lancelog: wall('bundle'),
    baseline: wall('node'),
    unit: 's',
    baselineIs: 'node -e 0 (Node start-up alone)',
    runs,
    extra: {
      unbundled_wall_s: round(wall('unbundled')),
      cpu_s: { bundle: cpu('bundle'), node: cpu('node'), unbundled: cpu('unbundled') },
    },
  });
  // The target is for commands that touch no repo; the others are reported beside them.
  if (command.length > 1) return r;
  return { ...r, target: `lancelog <= ${TARGET_S} s`, met: wall('bundle') <= TARGET_S };
}
