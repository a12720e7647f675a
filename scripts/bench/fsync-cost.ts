/**
 * `node --import tsx scripts/bench/fsync-cost.ts DIR [ROUNDS]`: what an fsync costs on
 * the disk holding DIR — one fsync of a new 1 KB file, and the Sync step's pattern for
 * a one-row upsert (5 new files and 5 directories fsync'd at once through fs.promises).
 * Prints medians as one JSON line (docs/performance.md "Power-loss durability").
 */
import { closeSync, fsyncSync, mkdirSync, openSync, promises as fs, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.argv[2];
const rounds = Number(process.argv[3] ?? 100);
if (!root) {
  process.stderr.write('usage: fsync-cost.ts DIR [ROUNDS]\n');
  process.exit(2);
}
const dirs = ['data', '_deletions', '_transactions', '_versions'].map((d) => join(root, d));
for (const d of dirs) mkdirSync(d, { recursive: true });

async function fsyncPath(p: string): Promise<void> {
  const fh = await fs.open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const one: number[] = [];
const step: number[] = [];
for (let i = 0; i < rounds; i++) {
  const f = join(dirs[0], `one-${i}`);
  writeFileSync(f, Buffer.alloc(1000, i));
  let t = performance.now();
  const fd = openSync(f, 'r');
  fsyncSync(fd);
  closeSync(fd);
  one.push(performance.now() - t);
  const files = [...dirs.map((d, k) => join(d, `f-${i}-${k}`)), join(dirs[3], 'hint.json')];
  for (const p of files) writeFileSync(p, Buffer.alloc(600, i));
  t = performance.now();
  await Promise.all([...files, ...dirs, root].map(fsyncPath));
  step.push(performance.now() - t);
}
process.stdout.write(
  `${JSON.stringify({ rounds, oneFsyncMs: +median(one).toFixed(3), syncStepMs: +median(step).toFixed(3), fsyncsInStep: dirs.length * 2 + 2 })}\n`,
);
