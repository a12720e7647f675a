/**
 * Power-loss drills (docs/drills.md): a writer killed under strace, its repo cut back
 * to what it had fsync'd, then recovered and checked. The cut itself is tested on
 * synthetic logs first, so the drill cannot pass by cutting nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatDrillTable, runDamageDrill, runPowerLossDrill } from '../../src/drill/index.js';
import { powerCut } from '../../src/drill/power-loss.js';
import { parseStrace } from '../../src/drill/strace.js';
import { useTmpDirs } from '../helpers/tmp.js';

const execFileAsync = promisify(execFile);
async function canTrace(): Promise<boolean> {
  try {
    await execFileAsync('strace', ['-f', '-qq', '-o', '/dev/null', 'true']);
    return true;
  } catch {
    return false;
  }
}
const hasStrace = await canTrace();
if (!hasStrace)
  console.warn(
    'test/drills/power-loss.test.ts: strace is not installed; power-loss drills are skipped',
  );

describe('parseStrace', () => {
  it('counts a close where it started: an open that reuses its fd number in another thread keeps its fd', () => {
    const calls = parseStrace(
      [
        '11 close(7</r/old.tmp> <unfinished ...>',
        '12 openat(AT_FDCWD</x>, "/r/new.tmp", O_WRONLY|O_CREAT, 0666) = 7</r/new.tmp>',
        '11 <... close resumed>) = 0',
        '12 write(7</r/new.tmp>, "x", 1) = 1',
        '13 fsync(8</r/a> <unfinished ...>',
        '14 write(9</r/b>, "y", 1) = 1',
        '13 <... fsync resumed>) = 0',
      ].join('\n'),
    );
    expect(calls.map((c) => `${c.pid} ${c.name}`)).toEqual([
      '11 close',
      '12 openat',
      '12 write',
      '14 write',
      '13 fsync',
    ]);
  });
});

describe('the power cut (synthetic strace logs)', () => {
  const tmp = useTmpDirs();

  function setup(): { repo: string; pre: string; out: string } {
    const dir = tmp();
    const pre = join(dir, 'pre');
    mkdirSync(join(pre, 'd'), { recursive: true });
    writeFileSync(join(pre, 'old.txt'), 'old');
    return { repo: join(dir, 'repo'), pre, out: join(dir, 'out') };
  }
  const log = (lines: string[]) => parseStrace(lines.map((l) => `7 ${l}`).join('\n'));

  it('keeps what was fsync’d, empties files and drops entries that were not, undoes unsynced removals', () => {
    const { repo, pre, out } = setup();
    powerCut(
      repo,
      pre,
      log([
        // a.txt: written, fsync'd, its directory fsync'd: survives whole.
        `openat(AT_FDCWD</x>, "${repo}/d/a.txt", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 3<${repo}/d/a.txt>`,
        `write(3<${repo}/d/a.txt>, "hello\\n", 6) = 6`,
        `fsync(3<${repo}/d/a.txt>) = 0`,
        `write(3<${repo}/d/a.txt>, "more", 4) = 4`,
        `close(3<${repo}/d/a.txt>) = 0`,
        // b.txt: its entry is made durable, its content never is: an empty file.
        `openat(AT_FDCWD</x>, "${repo}/d/b.txt", O_WRONLY|O_CREAT|O_EXCL, 0666) = 4<${repo}/d/b.txt>`,
        `pwrite64(4<${repo}/d/b.txt>, "\\0\\1x", 3, 0) = 3`,
        `openat(AT_FDCWD</x>, "${repo}/d", O_RDONLY|O_DIRECTORY) = 5<${repo}/d>`,
        `fsync(5<${repo}/d>) = 0`,
        // c.txt: written and fsync'd but its directory entry never: gone.
        `openat(AT_FDCWD</x>, "${repo}/d/c.txt", O_WRONLY|O_CREAT, 0666) = 6<${repo}/d/c.txt>`,
        `write(6<${repo}/d/c.txt>, "c", 1) = 1`,
        `fsync(6<${repo}/d/c.txt>) = 0`,
        // old.txt removed without an fsync of the repo directory: back after the cut.
        `unlink("${repo}/old.txt") = 0`,
      ]),
      out,
    );
    expect(readFileSync(join(out, 'd', 'a.txt'), 'utf8')).toBe('hello\n');
    expect(readFileSync(join(out, 'd', 'b.txt')).length).toBe(0);
    expect(existsSync(join(out, 'd', 'c.txt'))).toBe(false);
    expect(readFileSync(join(out, 'old.txt'), 'utf8')).toBe('old');
  });

  it('follows content through a rename and a hard link, and decodes octal escapes', () => {
    const { repo, pre, out } = setup();
    powerCut(
      repo,
      pre,
      log([
        `openat(AT_FDCWD</x>, "${repo}/d/.tmp1", O_RDWR|O_CREAT|O_EXCL, 0600) = 3<${repo}/d/.tmp1>`,
        `write(3<${repo}/d/.tmp1>, "\\0\\0\\0\\4LANC", 8) = 8`,
        `renameat(AT_FDCWD</x>, "${repo}/d/.tmp1", AT_FDCWD</x>, "${repo}/d/f.lance") = 0`,
        `openat(AT_FDCWD</x>, "${repo}/d/m#1", O_RDWR|O_CREAT|O_EXCL, 0666) = 4<${repo}/d/m#1>`,
        `write(4<${repo}/d/m#1>, "m", 1) = 1`,
        `linkat(AT_FDCWD</x>, "${repo}/d/m#1", AT_FDCWD</x>, "${repo}/d/m", 0) = 0`,
        `unlink("${repo}/d/m#1") = 0`,
        `openat(AT_FDCWD</x>, "${repo}/d/f.lance", O_RDONLY) = 5<${repo}/d/f.lance>`,
        `fsync(5<${repo}/d/f.lance>) = 0`,
        `openat(AT_FDCWD</x>, "${repo}/d/m", O_RDONLY) = 6<${repo}/d/m>`,
        `fsync(6<${repo}/d/m>) = 0`,
        `openat(AT_FDCWD</x>, "${repo}/d", O_RDONLY|O_DIRECTORY) = 7<${repo}/d>`,
        `fsync(7<${repo}/d>) = 0`,
      ]),
      out,
    );
    expect([...readFileSync(join(out, 'd', 'f.lance'))]).toEqual([0, 0, 0, 4, 76, 65, 78, 67]);
    expect(readFileSync(join(out, 'd', 'm'), 'utf8')).toBe('m');
    expect(existsSync(join(out, 'd', '.tmp1'))).toBe(false);
    expect(existsSync(join(out, 'd', 'm#1'))).toBe(false);
  });
});

describe.skipIf(!hasStrace)('power-loss drills (strace, real processes)', () => {
  it(
    'an acknowledged commit survives a power cut at every write failpoint of the next operation, and so do graph index files',
    async () => {
      const report = await runPowerLossDrill({ workers: 4 });
      console.log(formatDrillTable(report));
      expect(
        report.results.filter((r) => !r.ok).map((r) => `${r.id}: ${r.problems.join('; ')}`),
      ).toEqual([]);
      expect(report.results.length).toBe(21);
      expect(report.results.every((r) => r.outcome === 'crashed')).toBe(true);
    },
    20 * 60_000,
  );
});

describe('the damage mode (docs/drills.md "Damage mode")', () => {
  it(
    'after the crash each file of the operation truncated, deleted or byte-flipped: recovery rolls back, publishes nothing unreadable, leaves the repo writable',
    async () => {
      const report = await runDamageDrill({ workers: 4, cut: hasStrace });
      console.log(formatDrillTable(report, { onlyFailures: true }));
      expect(
        report.results.filter((r) => !r.ok).map((r) => `${r.id}: ${r.problems.join('; ')}`),
      ).toEqual([]);
      // Every crashed state has its undamaged control and damaged copies of every kind of file.
      const states = hasStrace ? 5 : 4;
      expect(report.results.filter((r) => r.id.endsWith('/intact'))).toHaveLength(states);
      for (const kind of ['/data/', '/_deletions/', '/_versions/', '/_transactions/'])
        for (const how of ['truncate', 'delete', 'flip'])
          expect(report.results.some((r) => r.id.includes(`/${how}:`) && r.id.includes(kind))).toBe(
            true,
          );
      expect(report.results.length).toBeGreaterThan(60);
    },
    20 * 60_000,
  );
});
