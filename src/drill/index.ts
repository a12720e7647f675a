/** Crash-recovery drills (docs/drills.md): the matrix, randomized drills, and their report. */
import type { FailpointName } from '../failpoints.js';
import { FAILPOINTS } from '../failpoints.js';
import { checkRepo, INVARIANTS } from './check.js';
import { damageCases, runDamageCase } from './damage.js';
import {
  invariantCells,
  pool,
  runQueue,
  runBatch,
  runCaseExact,
  runPowerLossCase,
  BRANCHES,
  Workspace,
  type CaseResult,
  type DrillCase,
} from './harness.js';
import { combos, enumerateCombo, matrixOp, SHAPES, type Skipped } from './matrix.js';
import { generateCase, reproCommand } from './random.js';
import { CheckerPool, childLauncher } from './spawn.js';
import { WRITERS, type DrillOp } from './model.js';

export { INVARIANTS } from './check.js';
export { damageCases, operationFiles } from './damage.js';
export { WRITERS } from './model.js';
export type { CaseResult, DrillCase } from './harness.js';
export type { Skipped } from './matrix.js';

export interface DrillReport {
  kind: 'matrix' | 'random';
  runner: string;
  results: CaseResult[];
  skipped: Skipped[];
  passed: number;
  failed: number;
  notReached: number;
  totalMs: number;
  seed?: number;
  root: string;
}

export interface DrillOptions {
  /** Where drill repos are made (default: a new temp directory). */
  root?: string;
  /** Keep every case's repo (failed cases' repos are always kept). */
  keep?: boolean;
  workers?: number;
  /** Checker processes (default: as many as workers; 0 checks in this process). */
  checkers?: number;
  onResult?: (r: CaseResult) => void;
}

async function withCheckers<T>(
  opts: DrillOptions,
  fn: (check: Parameters<typeof runCaseExact>[2]) => Promise<T>,
): Promise<T> {
  const n = opts.checkers ?? opts.workers ?? 2;
  // (random drills pass their worker count explicitly; see runRandomDrill)
  if (n === 0) return fn(undefined);
  const pool = await CheckerPool.start(n);
  try {
    return await fn((spec) => pool.check(spec));
  } finally {
    await pool.stop();
  }
}

/**
 * Runs `fn` in a new workspace keeping `warm` writer children ready. Failed cases' repos
 * are kept (the report names them), so the root is removed only when none failed.
 */
async function withWorkspace(
  opts: DrillOptions,
  warm: number,
  fn: (ws: Workspace) => Promise<DrillReport>,
): Promise<DrillReport> {
  const ws = await Workspace.create({ root: opts.root, keep: opts.keep, warm });
  let failedSomething = false;
  try {
    const report = await fn(ws);
    failedSomething = report.failed > 0;
    return report;
  } finally {
    ws.stopChildren();
    if (!opts.keep && !failedSomething) ws.dispose();
  }
}

function summarize(
  kind: DrillReport['kind'],
  runner: string,
  results: CaseResult[],
  skipped: Skipped[],
  started: number,
  root: string,
  seed?: number,
): DrillReport {
  return {
    kind,
    runner,
    results,
    skipped,
    root,
    ...(seed !== undefined ? { seed } : {}),
    passed: results.filter((r) => r.ok && r.outcome === 'crashed').length,
    failed: results.filter((r) => !r.ok).length,
    notReached: results.filter((r) => r.outcome === 'not-reached').length,
    totalMs: performance.now() - started,
  };
}

function validate(opts: { writer?: string; at?: string }): void {
  if (opts.writer && !(WRITERS as readonly string[]).includes(opts.writer))
    throw new Error(`unknown writer '${opts.writer}' (writers: ${WRITERS.join(', ')})`);
  if (opts.at && !(FAILPOINTS as readonly string[]).includes(opts.at))
    throw new Error(`unknown failpoint '${opts.at}' (failpoints: ${FAILPOINTS.join(', ')})`);
}

/** The full matrix (or the part of it one writer / one failpoint selects). */
export async function runMatrixDrill(
  opts: DrillOptions & { writer?: string; at?: string } = {},
): Promise<DrillReport> {
  validate(opts);
  const started = performance.now();
  const { how } = await childLauncher();
  const workers = opts.workers ?? 2;
  return withWorkspace(opts, workers, (ws) =>
    withCheckers(opts, async (check) => {
      const list = combos({ writer: opts.writer });
      const skipped: Skipped[][] = list.map(() => []);
      const results: CaseResult[][] = list.map(() => []);
      const runCase = async (c: DrillCase, i: number, j: number): Promise<void> => {
        const r = await runCaseExact(ws, c, check);
        // The dry pass said the point is on this path: not reaching it is a failure here.
        if (r.outcome === 'not-reached') r.ok = false;
        results[i][j] = r;
        opts.onResult?.(r);
      };
      // A combination's cases are queued as soon as its dry passes are done: workers
      // run cases while the last combinations are still being enumerated.
      await runQueue(
        list.map((combo, i) => async (enqueue) => {
          const e = await enumerateCombo(ws, combo, opts.at as FailpointName | undefined);
          skipped[i] = e.skipped;
          e.cases.forEach((c, j) => enqueue(() => runCase(c, i, j)));
        }),
        workers,
      );
      return summarize('matrix', how, results.flat(), skipped.flat(), started, ws.root);
    }),
  );
}

/**
 * Randomized drills: cases `from`…`cases-1` of `seed` (or only case `only`). Batched
 * (default): one writer process per `batchSize` cases, each case suspended at its crash
 * point and the process SIGKILLed once all are; exact: a process per case, killed by
 * the `crash` action itself (what `--case K` uses to reproduce).
 */
export async function runRandomDrill(
  opts: DrillOptions & {
    seed: number;
    cases: number;
    only?: number;
    exact?: boolean;
    batchSize?: number;
  },
): Promise<DrillReport> {
  const started = performance.now();
  const { how } = await childLauncher();
  opts = { ...opts, workers: opts.workers ?? 4 };
  return withWorkspace(opts, opts.workers ?? 4, async (ws) => {
    const ks =
      opts.only !== undefined ? [opts.only] : Array.from({ length: opts.cases }, (_, k) => k);
    const cases = ks.map((k) => generateCase(opts.seed, k));
    const withRepro = (r: CaseResult, k: number): CaseResult => ({
      ...r,
      repro: reproCommand(opts.seed, k),
    });
    let results: CaseResult[];
    if (opts.exact || opts.only !== undefined) {
      results = await withCheckers(opts, (check) =>
        pool(
          cases,
          opts.workers ?? 4,
          async (c, i) => withRepro(await runCaseExact(ws, c, check), ks[i]),
          (r) => opts.onResult?.(r),
        ),
      );
    } else {
      const size = opts.batchSize ?? 25;
      const batches: Array<{ cases: DrillCase[]; first: number }> = [];
      for (let i = 0; i < cases.length; i += size)
        batches.push({ cases: cases.slice(i, i + size), first: i });
      const nested = await withCheckers(opts, (check) =>
        pool(
          batches,
          opts.workers ?? 4,
          async (b) =>
            (await runBatch(ws, b.cases, check)).map((r, j) => withRepro(r, ks[b.first + j])),
          (rs) => rs.forEach((r) => opts.onResult?.(r)),
        ),
      );
      results = nested.flat();
    }
    return summarize(
      'random',
      opts.exact || opts.only !== undefined ? how : `${how}, batched`,
      results,
      [],
      started,
      ws.root,
      opts.seed,
    );
  });
}

/** The first, acknowledged operation of a power-loss case: an update (a deletion file). */
const POWER_LOSS_FIRST: DrillOp = {
  writer: 'tx',
  inserts: [],
  links: [],
  updates: [{ type: 'Person', name: 'p1', patch: { age: 99 } }],
  deletes: [],
};

/**
 * Power-loss cases: op 1 (acknowledged), then the matrix's `tx` op cut at every write
 * failpoint of its protocol (hits counted over both ops: op 1 hits each once).
 */
export function powerLossCases(): DrillCase[] {
  const points: Record<(typeof SHAPES)[number], Array<[FailpointName, number]>> = {
    'one-table': [
      ['write.after_intent', 2],
      ['write.after_table_commit', 2],
      ['write.before_publish', 2],
      ['write.after_publish', 2],
      ['write.after_cleanup', 2],
    ],
    // Three tables: after_table_commit hits 2, 3, 4 in op 2.
    'multi-table': [
      ['write.after_table_commit', 2],
      ['write.after_table_commit', 4],
      ['write.before_publish', 2],
      ['write.after_publish', 2],
    ],
  };
  const tx = BRANCHES.flatMap((branch) =>
    SHAPES.flatMap((shape) =>
      points[shape].map(([name, hit]) => ({
        id: `power-${branch}-${shape}-${name}@${hit}`,
        scenario: `power-loss/tx/${branch}/${shape}`,
        branch,
        ops: [POWER_LOSS_FIRST, matrixOp('tx', shape)],
        at: { name, hit },
      })),
    ),
  );
  return [...tx, ...graphIndexPowerLossCases()];
}

/**
 * Graph index files through a power cut (on main): `index ensure` cut while it writes
 * WorksAt's file (before and after the rename); and an acknowledged `index ensure`
 * followed by a transaction cut after its publish, so the next reads patch the file.
 */
function graphIndexPowerLossCases(): DrillCase[] {
  const index: DrillOp = { writer: 'index', types: ['Company'] };
  const at = (name: FailpointName, hit: number, ops: DrillOp[], what: string): DrillCase => ({
    id: `power-main-${what}-${name}@${hit}`,
    scenario: `power-loss/${what}/main`,
    branch: 'main',
    ops,
    at: { name, hit },
  });
  return [
    at('graph_index.before_rename', 1, [POWER_LOSS_FIRST, index], 'index'),
    at('graph_index.after_rename', 1, [POWER_LOSS_FIRST, index], 'index'),
    // The index op publishes once (Company's indexes): the transaction's publish is hit 2.
    at('write.after_publish', 2, [index, matrixOp('tx', 'multi-table')], 'index+tx'),
  ];
}

/**
 * The damage mode of the power-loss drill (docs/drills.md "Damage mode", damage.ts):
 * each crashed state's undamaged copy and one copy per (file of the crashed operation,
 * truncate | delete | flip) are recovered and checked. `cut`: also a power-cut state
 * (needs strace).
 */
export async function runDamageDrill(
  opts: DrillOptions & { cut?: boolean } = {},
): Promise<DrillReport> {
  const started = performance.now();
  const ws = await Workspace.create({ root: opts.root, keep: opts.keep });
  let failedSomething = false;
  try {
    const workers = opts.workers ?? 2;
    const results = await withCheckers(opts, async (check) => {
      const out: CaseResult[] = [];
      for (const c of damageCases({ cut: opts.cut ?? false })) {
        const rs = await runDamageCase(ws, c, check ?? checkRepo, workers);
        for (const r of rs) opts.onResult?.(r);
        out.push(...rs);
      }
      return out;
    });
    const report = summarize('matrix', 'damage after the crash', results, [], started, ws.root);
    failedSomething = report.failed > 0;
    return report;
  } finally {
    if (!opts.keep && !failedSomething) ws.dispose();
  }
}

/**
 * Power-loss drills (docs/drills.md): each case's writer runs under strace, is killed
 * at its failpoint, and the repo is cut back to what had been fsync'd before it is
 * recovered and checked. Needs strace.
 */
export async function runPowerLossDrill(
  opts: DrillOptions & { at?: string } = {},
): Promise<DrillReport> {
  validate(opts);
  const started = performance.now();
  // No pre-started children: each writer must run under strace from its start.
  return withWorkspace(opts, 0, async (ws) => {
    const cases = powerLossCases().filter((c) => !opts.at || c.at.name === opts.at);
    const results = await withCheckers(opts, (check) =>
      pool(
        cases,
        opts.workers ?? 2,
        async (c) => {
          const r = await runPowerLossCase(ws, c, check);
          if (r.outcome === 'not-reached') r.ok = false;
          return r;
        },
        (r) => opts.onResult?.(r),
      ),
    );
    return summarize('matrix', 'strace power cut', results, [], started, ws.root);
  });
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** The report as a table: scenario, crash point, outcome, recovery decision, I1…I6, time. */
export function formatDrillTable(
  report: DrillReport,
  opts: { onlyFailures?: boolean } = {},
): string {
  const rows = (
    opts.onlyFailures
      ? report.results.filter((r) => !r.ok || r.outcome !== 'crashed')
      : report.results
  ).map((r) => [
    r.scenario,
    r.crashPoint,
    r.outcome,
    r.decision,
    ...invariantCells(r),
    `${(r.ms / 1000).toFixed(1)}s`,
  ]);
  const head = ['scenario', 'crash point', 'outcome', 'decision', ...INVARIANTS, 'time'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => pad(c, widths[i])).join(' | ')} |`;
  const out = [
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
  ];
  for (const s of report.skipped) out.push(`skipped: ${s.scenario} ${s.failpoint}: ${s.reason}`);
  for (const r of report.results.filter((x) => !x.ok)) {
    out.push(`FAILED ${r.id}: ${r.problems.join('; ')}${r.dir ? ` (repo kept at ${r.dir})` : ''}`);
    if (r.repro) out.push(`  reproduce: ${r.repro}`);
  }
  const per = report.results.length ? report.totalMs / report.results.length : 0;
  out.push(
    `${report.results.length} cases (${report.runner}): ${report.passed} passed, ${report.failed} failed, ${report.notReached} did not reach their crash point; ${report.skipped.length} combinations skipped; ${(report.totalMs / 1000).toFixed(1)} s (${(per / 1000).toFixed(2)} s per case)`,
  );
  return out.join('\n');
}
