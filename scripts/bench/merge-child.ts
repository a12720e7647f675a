/**
 * One measured step of the merge bench in a fresh process, so that its peak RSS is the
 * step's own: `merge-child.ts <repo> open|diff|diff-full|merge [branch]` prints
 * `{ms, maxRssMiB, ...}`. `diff` is `repo.diff` (from the row lineage); `diff-full` is
 * the same diff through the exact full-table compare (no lineage), the bench's baseline.
 */
import { Repo } from '../../src/index.js';
import { diffSnapshots } from '../../src/read/diff.js';

const [repoDir, step, branch = 'feat'] = process.argv.slice(2);
const repo = await Repo.open(repoDir);
const started = performance.now();
let extra: Record<string, unknown> = {};
try {
  if (step === 'open') extra = { rows: (await repo.tables()).map((t) => t.rows) };
  else if (step === 'diff')
    extra = { stats: (await repo.diff({ from: 'main', to: branch })).stats };
  else if (step === 'diff-full') {
    const ctx = { catalog: repo.catalog, openPinned: repo.openPinned.bind(repo) };
    const d = await diffSnapshots(ctx, repo.resolveRef('main'), repo.resolveRef(branch));
    extra = { stats: d.stats };
  } else if (step === 'merge') {
    const r = await repo.merge({ source: branch });
    extra = { outcome: r.outcome, tables: r.tables };
  } else throw new Error(`unknown step ${step}`);
} finally {
  await repo.close();
}
const ms = performance.now() - started;
// ru_maxrss is in KiB on Linux.
const maxRssMiB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ step, ms, maxRssMiB, ...extra })}\n`);
