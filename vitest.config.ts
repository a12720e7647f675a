import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Two projects, both run by `npm test` (`vitest run`):
 * - `unit`: everything but the long suites, for quick feedback (`npm run test:unit`);
 * - `long`: the crash-drill matrix and randomized drills, the README demo and the
 *   benchmarks' tiny runs (`npm run test:long`), with longer default timeouts.
 * No test blocks its worker's event loop (see test/helpers/process.ts and
 * test/setup/event-loop-watch.ts).
 */
const LONG = ['test/drills/**/*.test.ts', 'test/demo.test.ts', 'test/bench/**/*.test.ts'];

/**
 * The files that take minutes, slowest first. Vitest orders files it has no timings for
 * (a fresh clone: CI) largest first, which started the 1-KiB drill matrix last, alone
 * for its last quarter hour. Started first, the slow files run beside the many short
 * ones instead of after them. A new drill that takes minutes belongs in this list.
 */
const SLOWEST_FIRST = [
  'test/drills/matrix.test.ts',
  'test/drills/random.test.ts',
  'test/bench/bench.test.ts',
  'test/server/export-memory.test.ts',
  'test/demo.test.ts',
  'test/drills/power-loss.test.ts',
  'test/drills/cli.test.ts',
];

/** Vitest's order (timings of the last run, else size), with SLOWEST_FIRST in front. */
class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification): number => {
      const i = SLOWEST_FIRST.indexOf(relative(this.ctx.config.root, f.moduleId));
      return i < 0 ? SLOWEST_FIRST.length : i;
    };
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    sequence: { sequencer: SlowestFirst },
    // Lance and SQLite work is I/O bound; two workers match the 2-core machines.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: LONG,
          setupFiles: ['test/setup/event-loop-watch.ts'],
          // A timeout only catches a hang: tests never assert durations. On a shared
          // 2-core machine under load a CLI child process can take 20 s to start, and
          // some tests run a dozen of them.
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'long',
          include: LONG,
          setupFiles: ['test/setup/event-loop-watch.ts'],
          testTimeout: 900_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
