/**
 * One measured step of the merge bench in a fresh process, so that its peak RSS is the
 * step's own: `merge-child.ts <repo> open|diff|merge` prints `{ms, maxRssMiB, ...}`.
 */
import { Repo } from '../../src/index.js';

const [repoDir, step] = process.argv.slice(2);
const repo = await Repo.open(repoDir);
const started = performance.now();
let extra: Record<string, unknown> = {};
try {
  if (step === 'open') extra = { rows: (await repo.tables()).map((t) => t.rows) };
  else if (step === 'diff')
    extra = { stats: (await repo.diff({ from: 'main', to: 'feat' })).stats };
  else if (step === 'merge') {
    const r = await repo.merge({ source: 'feat' });
    extra = { outcome: r.outcome, tables: r.tables };
  } else throw new Error(`unknown step ${step}`);
} finally {
  await repo.close();
}
const ms = performance.now() - started;
// ru_maxrss is in KiB on Linux.
const maxRssMiB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ step, ms, maxRssMiB, ...extra })}\n`);
