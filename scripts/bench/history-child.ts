/**
 * One cold process of the history bench: open the repo given as argv[2], write one
 * row, exit. Prints `{ms, maxRssMiB}`: the open + first write time and the process's
 * peak RSS (everything a one-write process such as the CLI holds at its peak). Arrow
 * and LanceDB are loaded before the clock starts (their load is the same on both
 * sides and only adds noise).
 */
import { createRequire } from 'node:module';
import { Repo } from '../../src/index.js';
import { personRow } from './fixtures.js';

const dir = process.argv[2];
const round = Number(process.argv[3] ?? 0);
await import('apache-arrow');
createRequire(import.meta.url)('@lancedb/lancedb');
const t0 = performance.now();
const repo = await Repo.open(dir);
await repo.transaction((tx) => {
  tx.upsert('Person', personRow(round % 10, 300_000 + round));
});
const ms = performance.now() - t0;
await repo.close();
process.stdout.write(
  `${JSON.stringify({ ms, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`,
);
