/**
 * The crash-drill harness: a seeded template repo copied per case, a writer child
 * killed by SIGKILL at exactly one armed failpoint (optionally a recovering child
 * killed at a recovery failpoint), then the outside checks (check.ts).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Repo } from '../repo.js';
import type { FailpointName } from '../failpoints.js';
import { checkRepo, INVARIANTS, type CheckResult, type Invariant } from './check.js';
import { runChild, WarmChildren, type ChildRun } from './spawn.js';
import type { ChildCommand } from './child.js';
import { POWER_LOSS_STRACE, powerCut } from './power-loss.js';
import { parseStrace } from './strace.js';
import { executeOp } from './exec.js';
import type { CheckSpec } from './check.js';

/** Where checks run: in this process (default) or in checker processes (CheckerPool). */
export type Checker = (spec: CheckSpec) => Promise<CheckResult>;
import {
  applyOp,
  DRILL_SCHEMA,
  DRILL_TABLES,
  MERGE_SOURCES,
  renderModel,
  seedModel,
  touchedTables,
  type DrillOp,
  type Model,
} from './model.js';

export const FEATURE_BRANCH = 'feat';
export const BRANCHES = ['main', FEATURE_BRANCH] as const;

/** A crash point: the failpoint, its hit, and optionally other failpoints armed alongside (e.g. an `error` that forces an in-process rollback). */
export interface CrashPoint {
  name: FailpointName;
  hit: number;
  with?: string;
}

export interface DrillCase {
  id: string;
  scenario: string;
  branch: string;
  ops: DrillOp[];
  /** The writer's crash point. */
  at: CrashPoint;
  /** A recovery crash point: crash the recovering process there, then recover again. */
  recoveryAt?: CrashPoint;
}

export type Outcome = 'crashed' | 'not-reached' | 'error';

export interface CaseResult {
  id: string;
  scenario: string;
  crashPoint: string;
  outcome: Outcome;
  decision: string;
  invariants: Record<Invariant, boolean> | null;
  ok: boolean;
  ms: number;
  problems: string[];
  dir?: string;
  repro?: string;
}

export function specOf(p: CrashPoint, action = 'crash'): string {
  return [p.with, `${p.name}=${action}@${p.hit}`].filter(Boolean).join(';');
}

export function crashPointText(c: Pick<DrillCase, 'at' | 'recoveryAt'>): string {
  return [
    specOf(c.at).replace(/=crash/, ''),
    c.recoveryAt ? `then ${c.recoveryAt.name}@${c.recoveryAt.hit}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** Creates the template: the drill schema, the seed graph on main, and a feature branch. */
export async function makeTemplate(dir: string): Promise<void> {
  await Repo.init(dir, { schemaSource: DRILL_SCHEMA, schemaFile: 'drill.pg', actor: 'drill' });
  const repo = await Repo.open(dir);
  try {
    const seed = seedModel();
    await repo.transaction(
      async (tx) => {
        for (const [name, data] of seed.Person) tx.insert('Person', { name, ...data });
        for (const [name, data] of seed.Company) tx.insert('Company', { name, ...data });
        for (const [k, data] of seed.WorksAt) {
          const [from, to] = k.split('\u0000');
          tx.link('WorksAt', from, to, { ...data });
        }
      },
      { actor: 'drill', message: 'drill seed' },
    );
    repo.createBranch(FEATURE_BRANCH);
    for (const [source, op] of Object.entries(MERGE_SOURCES)) {
      repo.createBranch(source);
      await executeOp(repo, op, source);
    }
  } finally {
    await repo.close();
  }
}

/**
 * A workspace: a root directory holding the template and one copy per case, and
 * optionally pre-started writer children (`warm`: how many are kept ready).
 */
export class Workspace {
  readonly template: string;
  private n = 0;
  private constructor(
    readonly root: string,
    readonly keep: boolean,
    private readonly warm: WarmChildren | null,
  ) {
    this.template = join(root, 'template');
  }

  static async create(
    opts: { root?: string; keep?: boolean; warm?: number } = {},
  ): Promise<Workspace> {
    const root = opts.root ?? mkdtempSync(join(tmpdir(), 'lancelog-drill-'));
    mkdirSync(root, { recursive: true });
    // The children start while the template is made.
    const warm = opts.warm ? await WarmChildren.start(opts.warm) : null;
    const ws = new Workspace(root, opts.keep ?? false, warm);
    try {
      await makeTemplate(ws.template);
    } catch (err) {
      warm?.stop();
      throw err;
    }
    return ws;
  }

  /** A writer child: a pre-started one when the workspace keeps some, else a fresh one. */
  runChild(command: ChildCommand, failpoints = '', timeoutMs = 180_000): Promise<ChildRun> {
    return this.warm
      ? this.warm.run(command, failpoints, timeoutMs)
      : runChild(command, failpoints, timeoutMs);
  }

  /** Lets the unused pre-started children exit. */
  stopChildren(): void {
    this.warm?.stop();
  }

  copy(name: string): string {
    const dir = join(
      this.root,
      `${String(++this.n).padStart(5, '0')}-${name.replace(/[^A-Za-z0-9_.@-]+/g, '_')}`,
    );
    cpSync(this.template, dir, { recursive: true });
    return dir;
  }

  discard(dir: string): void {
    if (!this.keep) rmSync(dir, { recursive: true, force: true });
  }

  dispose(): void {
    if (!this.keep) rmSync(this.root, { recursive: true, force: true });
  }
}

/** The tables a case's operations touch: what the model says changed, and every table a load file names. */
export function touchedOf(ops: DrillOp[]): string[] {
  const out = new Set<string>();
  let m = seedModel();
  for (const op of ops) {
    const next = applyOp(m, op);
    for (const t of touchedTables(m, next)) out.add(t);
    if ('nodes' in op) {
      for (const n of op.nodes) out.add(DRILL_TABLES[n.type]);
      if (op.edges.length) out.add(DRILL_TABLES.WorksAt);
    }
    m = next;
  }
  return [...out].sort();
}

/** M0…Mn of a case's branch. */
export function modelsOf(ops: DrillOp[], start: Model = seedModel()): string[][] {
  const out = [renderModel(start)];
  let m = start;
  for (const op of ops) {
    m = applyOp(m, op);
    out.push(renderModel(m));
  }
  return out;
}

export function parseAcks(run: ChildRun, caseNo = 0): { acked: number; failed: string | null } {
  let acked = 0;
  let failed: string | null = null;
  for (const l of run.lines) {
    const [tag, c, i, code] = l.split(' ');
    if (Number(c) !== caseNo) continue;
    if (tag === 'ack') acked = Math.max(acked, Number(i) + 1);
    if (tag === 'fail') failed = `op ${i}: ${code}`;
  }
  return { acked, failed };
}

export function otherBranches(branch: string): Array<{ branch: string; lines: string[] }> {
  const seed = renderModel(seedModel());
  return BRANCHES.filter((b) => b !== branch).map((b) => ({ branch: b, lines: seed }));
}

export function resultOf(
  c: DrillCase,
  outcome: Outcome,
  check: CheckResult | null,
  ms: number,
  problems: string[],
  dir: string,
): CaseResult {
  return {
    id: c.id,
    scenario: c.scenario,
    crashPoint: crashPointText(c),
    outcome,
    decision: check?.decision ?? '-',
    invariants: check?.invariants ?? null,
    ok: outcome !== 'error' && (check?.ok ?? false),
    ms,
    problems: [...problems, ...(check?.problems ?? [])],
    dir,
  };
}

/** Runs one case with real SIGKILLs (a process per crash). */
export async function runCaseExact(
  ws: Workspace,
  c: DrillCase,
  check$: Checker = checkRepo,
): Promise<CaseResult> {
  const started = performance.now();
  const dir = ws.copy(c.id);
  const problems: string[] = [];
  let outcome: Outcome = 'crashed';
  const run = await ws.runChild(
    { mode: 'run', repo: dir, branch: c.branch, ops: c.ops },
    specOf(c.at),
  );
  const { acked, failed } = parseAcks(run);
  if (run.signal !== 'SIGKILL') {
    if (run.status !== 0 || run.lines.some((l) => l.startsWith('error'))) {
      outcome = 'error';
      problems.push(
        `writer exited ${run.status ?? run.signal} without reaching ${c.at.name}: ${run.lines.join(' | ')} ${run.stderr.slice(0, 500)}`,
      );
    } else {
      outcome = 'not-reached';
      problems.push(
        `${c.at.name}@${c.at.hit} was not reached (writer finished${failed ? `; ${failed}` : ''})`,
      );
    }
  }
  if (outcome === 'crashed' && c.recoveryAt) {
    const rec = await ws.runChild({ mode: 'recover', repo: dir }, specOf(c.recoveryAt));
    if (rec.signal !== 'SIGKILL') {
      outcome = rec.status === 0 ? 'not-reached' : 'error';
      problems.push(
        `recovery ${rec.status === 0 ? 'finished without reaching' : 'failed before'} ${c.recoveryAt.name}@${c.recoveryAt.hit}: ${rec.lines.join(' | ')} ${rec.stderr.slice(0, 300)}`,
      );
    }
  }
  if (failed && !c.at.with)
    problems.push(`an operation failed (the workload is invalid): ${failed}`);
  const check =
    outcome === 'error'
      ? null
      : await check$({
          dir,
          branch: c.branch,
          models: modelsOf(c.ops),
          acked,
          others: otherBranches(c.branch),
          touched: touchedOf(c.ops),
        });
  const res = resultOf(c, outcome, check, performance.now() - started, problems, dir);
  if (failed && !c.at.with) res.ok = false;
  if (res.ok) ws.discard(dir);
  return res;
}

/** Where a batch stands: per case, its repo copy, its outcome so far and its problems. */
interface BatchState {
  dirs: string[];
  outcomes: Outcome[];
  problems: string[][];
}

/**
 * A copy of the template per case. One synchronous copy at a time, yielding in between:
 * 25 copies in one go can block the event loop of the process running the drill (a test
 * worker) for many seconds.
 */
async function copyPerCase(ws: Workspace, cases: DrillCase[]): Promise<BatchState> {
  const dirs: string[] = [];
  for (const c of cases) {
    dirs.push(ws.copy(c.id));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { dirs, outcomes: cases.map(() => 'crashed'), problems: cases.map(() => []) };
}

/** The batch writer: every case's ops, each suspended at its crash point; marks the cases that did not get there. */
async function runBatchWriter(
  ws: Workspace,
  cases: DrillCase[],
  state: BatchState,
): Promise<ChildRun> {
  const { dirs, outcomes, problems } = state;
  const run = await ws.runChild(
    {
      mode: 'batch',
      cases: cases.map((c, k) => ({
        repo: dirs[k],
        branch: c.branch,
        ops: c.ops,
        at: { name: c.at.name, hit: c.at.hit },
      })),
    },
    '',
    600_000,
  );
  const done = run.lines.includes('done');
  cases.forEach((c, k) => {
    if (c.at.with) {
      outcomes[k] = 'error';
      problems[k].push('batched runs do not support companion failpoints');
    } else if (run.lines.includes(`notreached ${k}`)) {
      outcomes[k] = 'not-reached';
      problems[k].push(`${c.at.name}@${c.at.hit} was not reached`);
    } else if (!run.lines.includes(`reached ${k}`)) {
      outcomes[k] = 'error';
      problems[k].push(
        `batch writer died before case ${k}: ${run.status ?? run.signal} ${run.lines.slice(-3).join(' | ')} ${run.stderr.slice(0, 300)}`,
      );
    }
  });
  if (!done && run.signal !== 'SIGKILL')
    problems.forEach((p) => p.push('the batch writer did not finish'));
  return run;
}

/** The batch recoverer: the crashed cases with a recovery crash point, each suspended there; marks the ones that did not get there. */
async function runBatchRecoverer(
  ws: Workspace,
  cases: DrillCase[],
  state: BatchState,
): Promise<void> {
  const { dirs, outcomes, problems } = state;
  const rec = cases
    .map((c, k) => ({ c, k }))
    .filter(({ c, k }) => c.recoveryAt && outcomes[k] === 'crashed');
  if (!rec.length) return;
  const r = await ws.runChild(
    {
      mode: 'batch-recover',
      cases: rec.map(({ c, k }) => ({
        repo: dirs[k],
        at: { name: c.recoveryAt!.name, hit: c.recoveryAt!.hit },
      })),
    },
    '',
    600_000,
  );
  rec.forEach(({ c, k }, j) => {
    if (r.lines.includes(`notreached ${j}`)) {
      outcomes[k] = 'not-reached';
      problems[k].push(`recovery point ${c.recoveryAt!.name}@${c.recoveryAt!.hit} was not reached`);
    } else if (!r.lines.includes(`reached ${j}`)) {
      outcomes[k] = 'error';
      problems[k].push(
        `batch recoverer died: ${r.lines.slice(-3).join(' | ')} ${r.stderr.slice(0, 300)}`,
      );
    }
  });
}

/** The light checks of case `k` of a batch; its time is its check plus its share of the batch's processes. */
async function checkBatchCase(
  ws: Workspace,
  c: DrillCase,
  k: number,
  run: ChildRun,
  state: BatchState,
  spawnShareMs: number,
  check$: Checker,
): Promise<CaseResult> {
  const t0 = performance.now();
  const { acked, failed } = parseAcks(run, k);
  const problems = state.problems[k];
  if (failed) problems.push(`an operation failed (the workload is invalid): ${failed}`);
  const check =
    state.outcomes[k] === 'error'
      ? null
      : await check$({
          dir: state.dirs[k],
          branch: c.branch,
          models: modelsOf(c.ops),
          acked,
          others: otherBranches(c.branch),
          touched: touchedOf(c.ops),
          light: true,
        });
  const ms = performance.now() - t0 + spawnShareMs;
  const res = resultOf(c, state.outcomes[k], check, ms, problems, state.dirs[k]);
  if (failed) res.ok = false;
  if (res.ok) ws.discard(state.dirs[k]);
  return res;
}

/**
 * Runs many cases with one writer process per batch: each case's crash point is armed
 * as an endless delay, so its operation is suspended exactly at the failpoint and
 * abandoned; the process SIGKILLs itself when every case got there. Same on-disk state
 * as a crash at that point, at a fraction of the process start-ups.
 */
export async function runBatch(
  ws: Workspace,
  cases: DrillCase[],
  check$: Checker = checkRepo,
): Promise<CaseResult[]> {
  const started = performance.now();
  const state = await copyPerCase(ws, cases);
  const run = await runBatchWriter(ws, cases, state);
  await runBatchRecoverer(ws, cases, state);
  const spawnMs = performance.now() - started;
  return Promise.all(
    cases.map((c, k) => checkBatchCase(ws, c, k, run, state, spawnMs / cases.length, check$)),
  );
}

/** Runs `fn` over `items` with at most `workers` at a time, in order of results. */
export async function pool<T, R>(
  items: T[],
  workers: number,
  fn: (item: T, i: number) => Promise<R>,
  onResult?: (r: R, i: number) => void,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
      onResult?.(results[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, items.length) }, worker));
  return results;
}

/** A job of `runQueue`: it may queue more jobs. */
export type QueuedJob = (enqueue: (job: QueuedJob) => void) => Promise<void>;

/** Runs `jobs`, and the jobs they queue (after those queued before), at most `workers` at a time. */
export function runQueue(jobs: QueuedJob[], workers: number): Promise<void> {
  const queue = [...jobs];
  let running = 0;
  return new Promise<void>((resolve, reject) => {
    const enqueue = (job: QueuedJob): void => {
      queue.push(job);
      next();
    };
    const next = (): void => {
      while (running < workers && queue.length > 0) {
        const job = queue.shift()!;
        running++;
        job(enqueue).then(() => {
          running--;
          next();
        }, reject);
      }
      if (running === 0 && queue.length === 0) resolve();
    };
    next();
  });
}

export function invariantCells(r: CaseResult): string[] {
  return INVARIANTS.map((i) => (r.invariants ? (r.invariants[i] ? '✓' : '✗') : '✗'));
}

/**
 * A power-loss case (docs/drills.md "Power-loss drills"): the writer runs under strace
 * and is killed at the case's failpoint; the repo is then cut back to what the writer
 * had fsync'd (power-loss.ts) in a copy, and that copy is recovered and checked. A
 * published (acknowledged) operation must survive every cut.
 */
export async function runPowerLossCase(
  ws: Workspace,
  c: DrillCase,
  check$: Checker = checkRepo,
  retryNotSimulable = true,
): Promise<CaseResult> {
  const started = performance.now();
  const dir = ws.copy(c.id);
  const log = `${dir}.strace`;
  const problems: string[] = [];
  let outcome: Outcome = 'crashed';
  const run = await runChild(
    { mode: 'run', repo: dir, branch: c.branch, ops: c.ops },
    specOf(c.at),
    300_000,
    ['strace', ...POWER_LOSS_STRACE, '-o', log],
  );
  const { acked, failed } = parseAcks(run);
  if (run.signal !== 'SIGKILL') {
    outcome = run.status === 0 && !failed ? 'not-reached' : 'error';
    problems.push(
      `writer ${outcome === 'not-reached' ? 'finished without reaching' : `exited ${run.status ?? run.signal} before`} ${c.at.name}@${c.at.hit}: ${run.lines.join(' | ')} ${run.stderr.slice(0, 300)}`,
    );
  }
  const cut = `${dir}-cut`;
  if (outcome === 'crashed') {
    try {
      powerCut(dir, ws.template, parseStrace(readFileSync(log, 'utf8')), cut);
    } catch (err) {
      // A log the simulator cannot replay (threads racing on an fd number) says nothing
      // about durability: run the case once more on a fresh copy; a second such log fails.
      if (retryNotSimulable)
        return runPowerLossCase(ws, { ...c, id: `${c.id}-again` }, check$, false);
      outcome = 'error';
      problems.push(`power cut not simulable: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const check =
    outcome === 'error'
      ? null
      : await check$({
          dir: outcome === 'crashed' ? cut : dir,
          branch: c.branch,
          models: modelsOf(c.ops),
          acked,
          others: otherBranches(c.branch),
          touched: touchedOf(c.ops),
        });
  const res = resultOf(c, outcome, check, performance.now() - started, problems, cut);
  if (res.ok) {
    ws.discard(dir);
    ws.discard(cut);
    ws.discard(log);
  }
  return res;
}
