/**
 * The actions of `drill`: crash-recovery drills (docs/drills.md) — the matrix, or
 * randomized cases. Loaded when one of these commands runs (registered in drill.ts).
 */
import { UsageError, FAILPOINTS } from '../../src/index.js';
import {
  formatDrillTable,
  runMatrixDrill,
  runRandomDrill,
  WRITERS as DRILL_WRITERS,
  type DrillReport,
} from '../../src/drill/index.js';
import { printResult } from '../output.js';

interface Opts {
  all?: boolean;
  writer?: string;
  at?: string;
  cases?: string;
  seed?: string;
  case?: string;
  exact?: boolean;
  json?: boolean;
  keep?: boolean;
}

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v))
    throw new UsageError(`--${name} takes a non-negative integer, got '${v}'`, {
      option: name,
      value: v,
    });
  return Number(v);
}

export async function drill(dir: string | undefined, opts: Opts): Promise<void> {
  const cases = int('cases', opts.cases);
  const seed = int('seed', opts.seed);
  const only = int('case', opts.case);
  const random = cases !== undefined || seed !== undefined || only !== undefined;
  if (random && (opts.all || opts.writer || opts.at))
    throw new UsageError(
      '--cases/--seed/--case run randomized drills; --all, --writer and --at select matrix drills',
    );
  if (opts.writer && !(DRILL_WRITERS as readonly string[]).includes(opts.writer))
    throw new UsageError(`unknown writer '${opts.writer}' (writers: ${DRILL_WRITERS.join(', ')})`, {
      writer: opts.writer,
    });
  if (opts.at && !(FAILPOINTS as readonly string[]).includes(opts.at))
    throw new UsageError(`unknown failpoint '${opts.at}' (failpoints: ${FAILPOINTS.join(', ')})`, {
      failpoint: opts.at,
    });
  const progress = (r: { ok: boolean }): void => {
    if (!opts.json && process.stderr.isTTY) process.stderr.write(r.ok ? '.' : 'x');
  };
  const common = { root: dir, keep: opts.keep, onResult: progress };
  const report: DrillReport = random
    ? await runRandomDrill({
        ...common,
        seed: seed ?? 1,
        cases: Math.max(cases ?? 1, (only ?? -1) + 1),
        only,
        exact: opts.exact,
      })
    : await runMatrixDrill({ ...common, writer: opts.writer, at: opts.at });
  if (!opts.json && process.stderr.isTTY) process.stderr.write('\n');
  printResult(opts, report, () =>
    formatDrillTable(report, { onlyFailures: random && (cases ?? 0) > 50 }),
  );
  if (report.failed > 0) process.exitCode = 1;
}
