/**
 * One load in its own process, for peak RSS (used by the load bench):
 *   node --max-old-space-size=16384 --import tsx scripts/bench/load-child.ts <lancelog|raw> <data.jsonl> <dir>
 * Prints {rows, ms, maxRssMiB}.
 */
import { initRepo, lancelogLoad, rawLoad } from './load-sides.js';

const [side, data, dir] = process.argv.slice(2);
let r;
if (side === 'lancelog') {
  await initRepo(dir);
  r = await lancelogLoad(dir, data);
} else {
  r = await rawLoad(dir, data);
}
process.stdout.write(
  `${JSON.stringify({ ...r, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
);
