import { defineConfig } from 'vitest/config';

/**
 * Two projects, both run by `npm test` (`vitest run`):
 * - `unit`: everything but the long suites, for quick feedback (`npm run test:unit`);
 * - `long`: the crash-drill matrix and randomized drills, the README demo and the
 *   benchmarks' tiny runs (`npm run test:long`), with longer default timeouts.
 * No test blocks its worker's event loop (see test/helpers/process.ts and
 * test/setup/event-loop-watch.ts).
 */
const LONG = ['test/drills/**/*.test.ts', 'test/demo.test.ts', 'test/bench/**/*.test.ts'];

export default defineConfig({
  test: {
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
