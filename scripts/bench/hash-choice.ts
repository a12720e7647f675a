/**
 * Which digest the journal records for Lance files (docs/performance.md "Checksums and
 * the scrub"): MB/s of each candidate Node has, over one in-memory buffer (best of 3),
 * so only the hash is timed. `node --import tsx scripts/bench/hash-choice.ts [MiB]`.
 */
import { createHash, randomBytes } from 'node:crypto';
import zlib from 'node:zlib';

const mib = Number(process.argv[2] ?? '64');
const buf = randomBytes(mib << 20);
const candidates: Record<string, () => unknown> = {
  ...Object.fromEntries(
    ['sha256', 'sha1', 'md5', 'sha512', 'sha512-256', 'blake2b512', 'blake2s256', 'sha3-256'].map(
      (alg) => [alg, () => createHash(alg).update(buf).digest('hex')],
    ),
  ),
  'crc32 (zlib)': () => zlib.crc32(buf),
};
for (const [name, fn] of Object.entries(candidates)) {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  process.stdout.write(
    `${JSON.stringify({ hash: name, mbPerS: Math.round((mib * 1.048576) / (best / 1000)) })}\n`,
  );
}
