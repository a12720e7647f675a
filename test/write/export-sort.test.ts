/**
 * The export's table order in bounded memory: LineSorter sorts in memory, then
 * through the scratch SQLite sort (SortSpill) past its row limit; both give
 * JavaScript's UTF-16 code-unit order of the keys, which UTF-8 byte order is not
 * (astral characters vs U+E000..U+FFFF), and both are stable.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { PassThrough, Writable } from 'node:stream';
import { join } from 'node:path';
import { exportJsonl, Repo } from '../../src/index.js';
import { LineSorter } from '../../src/write/export/export-sort.js';
import { makeFixtureRepo } from '../helpers/server.js';
import { SortSpill } from '../../src/journal/index.js';
import { useTmpDirs } from '../helpers/tmp.js';

const tmp = useTmpDirs();

/** Strings mixing ASCII, U+E000..U+FFFF and astral characters (where UTF-8 and UTF-16 orders differ). */
const key = fc
  .array(fc.constantFrom('a', 'b', '\uE000', '\uFFFD', '\u{1F600}', '\u{10000}', ''), {
    maxLength: 4,
  })
  .map((parts) => parts.join(''));

const jsOrder = (rows: Array<[string[], string]>): string[] =>
  rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => {
      for (let k = 0; k < a.r[0].length; k++)
        if (a.r[0][k] !== b.r[0][k]) return a.r[0][k] < b.r[0][k] ? -1 : 1;
      return a.i - b.i;
    })
    .map(({ r }) => r[1]);

const exportDirs = () =>
  readdirSync(tmpdir()).filter((name) => name.startsWith('lancelog-export-')).length;

describe('LineSorter and SortSpill', () => {
  it('SortSpill orders by the keys in UTF-16 code-unit order; ties keep the order added', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, key), { maxLength: 40 }),
        (pairs: Array<[string, string]>) => {
          const rows = pairs.map(([a, b], i): [string[], string] => [[a, b], `line ${i}`]);
          const spill = SortSpill.open(tmp(), 2);
          try {
            for (const [keys, line] of rows) spill.add(keys, line);
            expect([...spill.sorted()]).toEqual(jsOrder(rows));
          } finally {
            spill.close();
          }
        },
      ),
      { numRuns: 60 },
    );
    // The case that separates the orders: U+1F600 (surrogates D83D DE00) sorts before U+FFFD in
    // UTF-16, after it in UTF-8 (F0 9F 98 80 vs EF BF BD).
    const spill = SortSpill.open(tmp(), 1);
    spill.add(['\u{1F600}'], 'astral');
    spill.add(['\uFFFD'], 'bmp');
    expect('\u{1F600}' < '\uFFFD').toBe(true);
    expect([...spill.sorted()]).toEqual(['astral', 'bmp']);
    expect(() => spill.add(['a', 'b'], 'x')).toThrow(/2 keys, expected 1/);
    spill.close();
  });

  it('LineSorter gives the same order in memory and spilled, and removes its scratch file', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, key, key), { maxLength: 30 }), (triples) => {
        const rows = triples.map((keys, i): [string[], string] => [keys, `l${i}`]);
        const inMemory = new LineSorter(3, 1_000);
        const spilled = new LineSorter(3, 2);
        try {
          for (const [keys, line] of rows) {
            inMemory.add(keys, line);
            spilled.add(keys, line);
          }
          expect(inMemory.spilled).toBe(false);
          expect(spilled.spilled).toBe(rows.length > 2);
          expect([...spilled.sorted()]).toEqual(jsOrder(rows));
          expect([...inMemory.sorted()]).toEqual(jsOrder(rows));
        } finally {
          inMemory.close();
          spilled.close();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('close() deletes the scratch directory', () => {
    const before = exportDirs();
    const sorter = new LineSorter(1, 0);
    sorter.add(['b'], 'B');
    expect(sorter.spilled).toBe(true);
    expect(exportDirs()).toBe(before + 1);
    sorter.close();
    expect(exportDirs()).toBe(before);
    expect(existsSync(tmpdir())).toBe(true);
  });

  it('an export whose output closes stops with an error and leaves no scratch file', async () => {
    const repo = await Repo.open(await makeFixtureRepo(join(tmp(), 'repo')));
    try {
      const before = exportDirs();
      // Closed before the first write.
      const gone = new PassThrough();
      gone.destroy();
      await expect(exportJsonl(repo, gone, {}, { sortInMemoryRows: 0 })).rejects.toThrow(
        /output was closed/,
      );
      // Closed while the export waits for it to drain (a reader that never reads).
      const stuck = new Writable({ highWaterMark: 1, write: () => undefined });
      const pending = exportJsonl(repo, stuck, {}, { sortInMemoryRows: 0 });
      await new Promise((r) => setTimeout(r, 200));
      stuck.destroy();
      await expect(pending).rejects.toThrow(/output was closed/);
      expect(exportDirs()).toBe(before);
    } finally {
      await repo.close();
    }
  });
});
