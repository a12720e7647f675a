/**
 * Profile helper for the batched append path (not part of `npm run bench`):
 * `node [--cpu-prof] --import tsx scripts/bench/journal-append-prof.ts [ops] [batch]
 * [verify|noverify] [rounds]`. Each round appends `ops` 7-event operations through
 * `Journal.appendEvents` in transactions of `batch` events, then the same rows as raw
 * better-sqlite3 INSERTs — the journal bench's two sides (`LancelogSide`, `RawSide`:
 * identical `events` table, same pragmas, same transaction size) — and prints both
 * rates and their ratio; the median ratio last. Unlike the journal bench at its
 * default scale (1,400 events per run) it runs long enough for the JIT to warm up, so
 * later rounds show the steady state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LancelogSide, RawSide } from './journal.js';

const ops = Number(process.argv[2] ?? 2000);
const batch = Number(process.argv[3] ?? 1000);
const rounds = Number(process.argv[5] ?? 1);
const dir = mkdtempSync(join(tmpdir(), 'journal-prof-'));
const lancelog = new LancelogSide(dir);
const raw = new RawSide(join(dir, 'raw.db'));

/** Wall milliseconds of `fn`, and the events it appended. */
function timed(fn: () => number): { ms: number; events: number } {
  const t0 = performance.now();
  const events = fn();
  return { ms: performance.now() - t0, events };
}

const ratios: number[] = [];
for (let round = 0; round < rounds; round++) {
  const ours = timed(() => lancelog.batchedOps(ops, batch));
  const theirs = timed(() => raw.batchedOps(ops, batch));
  ratios.push(theirs.ms / ours.ms);
  console.log(
    JSON.stringify({
      events: ours.events,
      evPerS: Math.round(ours.events / (ours.ms / 1000)),
      rawEvPerS: Math.round(theirs.events / (theirs.ms / 1000)),
      ratio: +(theirs.ms / ours.ms).toFixed(3),
    }),
  );
}
ratios.sort((a, b) => a - b);
console.log(JSON.stringify({ medianRatio: +ratios[Math.floor(ratios.length / 2)].toFixed(3) }));
raw.db.close();
if (process.argv[4] !== 'noverify')
  console.log(JSON.stringify({ verifyOk: lancelog.journal.verify().ok }));
lancelog.journal.close();
rmSync(dir, { recursive: true, force: true });
