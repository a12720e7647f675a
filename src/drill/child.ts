/**
 * The drill child process. Reads one JSON command from stdin and runs it; every
 * acknowledgement is written with a synchronous write to fd 1 before anything else
 * happens, so the parent knows exactly which operations returned success before a
 * SIGKILL. Lines: `ack <case> <op> <opId>`, `fail <case> <op> <code>`, `reached <case>`,
 * `notreached <case>`, `hits <json>`, `done`.
 *
 * Modes:
 *   run            ops in order on one repo; failpoints armed from LANCELOG_FAILPOINTS (a `crash` kills us)
 *   recover        Repo.open read-write (Full recovery) with LANCELOG_FAILPOINTS armed
 *   count          like run, with every failpoint not armed by the environment armed as delay:0; prints hits
 *   count-recover  like recover, counting hits
 *   batch          many cases, each with its crash point armed as an endless delay (the
 *                  operation is suspended exactly at the failpoint and abandoned); when every
 *                  case has reached its point or finished, the process SIGKILLs itself
 *   batch-recover  the same for recovery crash points
 *
 * Started with `--warm` (spawn.ts WarmChildren), it loads its heavy dependencies first and
 * then reads `{ failpoints, command }`: the failpoints a fresh child reads from
 * LANCELOG_FAILPOINTS come with the command. `--check-server`: a long-lived checker.
 */
import { writeSync } from 'node:fs';
import { Repo } from '../repo.js';
import {
  armFailpoint,
  disarmAllFailpoints,
  failpointHits,
  FAILPOINTS,
  parseFailpointSpec,
  type FailpointName,
} from '../failpoints.js';
import { loadEveryLazy } from '../lazy.js';
import { createInterface } from 'node:readline';
import { executeOp } from './exec.js';
import { checkRepo, type CheckSpec } from './check.js';
import type { DrillOp } from './model.js';

export interface RunCommand {
  mode: 'run' | 'count';
  repo: string;
  branch: string;
  ops: DrillOp[];
  /** Keep going after a failed op (concurrency drills). */ continueOnError?: boolean;
  /** Open without recovery (to build a state several crashed writers leave). */ noRecover?: boolean;
}
export interface RecoverCommand {
  mode: 'recover' | 'count-recover';
  repo: string;
}
export interface BatchCase {
  repo: string;
  branch: string;
  ops: DrillOp[];
  at: { name: FailpointName; hit: number };
}
export interface BatchCommand {
  mode: 'batch';
  cases: BatchCase[];
}
export interface BatchRecoverCommand {
  mode: 'batch-recover';
  cases: Array<{ repo: string; at: { name: FailpointName; hit: number } }>;
}
export type ChildCommand = RunCommand | RecoverCommand | BatchCommand | BatchRecoverCommand;

const FOREVER_MS = 2_147_483_647;

function out(line: string): void {
  writeSync(1, `${line}\n`);
}

function codeOf(err: unknown): string {
  return (err as { code?: string }).code ?? 'InternalError';
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function envArmed(): Set<string> {
  const spec = process.env.LANCELOG_FAILPOINTS ?? '';
  return new Set(
    spec
      .split(';')
      .map((s) => s.trim().split('=')[0])
      .filter(Boolean),
  );
}

function armCounters(names: readonly FailpointName[]): void {
  const skip = envArmed();
  for (const n of names) if (!skip.has(n)) armFailpoint(n, { kind: 'delay', ms: 0 });
}

function printHits(names: readonly FailpointName[]): void {
  out(`hits ${JSON.stringify(Object.fromEntries(names.map((n) => [n, failpointHits(n)])))}`);
}

async function runOps(
  repo: Repo,
  caseNo: number,
  branch: string,
  ops: DrillOp[],
  continueOnError = false,
): Promise<boolean> {
  for (let i = 0; i < ops.length; i++) {
    try {
      const r = await executeOp(repo, ops[i], branch);
      out(`ack ${caseNo} ${i} ${r.opId}`);
    } catch (err) {
      out(
        `fail ${caseNo} ${i} ${codeOf(err)} ${JSON.stringify(String((err as Error).message ?? err)).slice(0, 300)}`,
      );
      if (!continueOnError) return false;
    }
  }
  return true;
}

/** Resolves when `name` has been hit `hit` times (the operation is then suspended there). */
async function reached(name: FailpointName, hit: number, work: Promise<unknown>): Promise<boolean> {
  let finished = false;
  void work.then(
    () => {
      finished = true;
    },
    () => {
      finished = true;
    },
  );
  for (;;) {
    if (failpointHits(name) >= hit) return true;
    if (finished) return failpointHits(name) >= hit;
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** `run` / `count`: the ops in order on one repo (`count`: then the hits of every write failpoint). */
async function runMode(cmd: RunCommand): Promise<void> {
  const writeNames = FAILPOINTS.filter((n) => !n.startsWith('recovery.'));
  // Open first without counting: a crash drill measures the write, not the open.
  const repo = await Repo.open(cmd.repo, { recover: !cmd.noRecover });
  if (cmd.mode === 'count') armCounters(FAILPOINTS);
  await runOps(repo, 0, cmd.branch, cmd.ops, cmd.continueOnError);
  if (cmd.mode === 'count') printHits(writeNames);
  await repo.close();
  out('done');
}

/** `recover` / `count-recover`: a read-write open (`count-recover`: then the hits of every recovery failpoint). */
async function recoverMode(cmd: RecoverCommand): Promise<void> {
  if (cmd.mode === 'count-recover')
    armCounters(FAILPOINTS.filter((n) => n.startsWith('recovery.')));
  const repo = await Repo.open(cmd.repo);
  if (cmd.mode === 'count-recover') printHits(FAILPOINTS.filter((n) => n.startsWith('recovery.')));
  await repo.close();
  out('done');
}

/** Every case of a batch got to its point or finished: `done`, then die as a crash would. */
async function doneThenDie(): Promise<never> {
  out('done');
  process.kill(process.pid, 'SIGKILL');
  return new Promise<never>(() => {
    /* wait for the signal */
  });
}

/** `batch`: each case's ops with its crash point armed as an endless delay. */
async function batchMode(cmd: BatchCommand): Promise<void> {
  for (let k = 0; k < cmd.cases.length; k++) {
    const c = cmd.cases[k];
    disarmAllFailpoints();
    const repo = await Repo.open(c.repo);
    armFailpoint(c.at.name, { kind: 'delay', ms: FOREVER_MS }, { onHit: c.at.hit });
    const work = runOps(repo, k, c.branch, c.ops);
    if (await reached(c.at.name, c.at.hit, work)) out(`reached ${k}`);
    else {
      out(`notreached ${k}`);
      await repo.close();
    }
    // A suspended operation is abandoned with its repo open: it dies with this process.
  }
  await doneThenDie();
}

/** `batch-recover`: each case's recovery (a read-write open) with its crash point armed as an endless delay. */
async function batchRecoverMode(cmd: BatchRecoverCommand): Promise<void> {
  for (let k = 0; k < cmd.cases.length; k++) {
    const c = cmd.cases[k];
    disarmAllFailpoints();
    armFailpoint(c.at.name, { kind: 'delay', ms: FOREVER_MS }, { onHit: c.at.hit });
    const work = Repo.open(c.repo);
    if (await reached(c.at.name, c.at.hit, work)) out(`reached ${k}`);
    else {
      out(`notreached ${k}`);
      try {
        await (await work).close();
      } catch {
        /* reported by the checker */
      }
    }
  }
  await doneThenDie();
}

async function run(cmd: ChildCommand): Promise<void> {
  switch (cmd.mode) {
    case 'run':
    case 'count':
      return runMode(cmd);
    case 'recover':
    case 'count-recover':
      return recoverMode(cmd);
    case 'batch':
      return batchMode(cmd);
    case 'batch-recover':
      return batchRecoverMode(cmd);
  }
}

/**
 * `child.js --check-server`: a long-lived checker. Reads one CheckSpec per line and
 * answers `result <n> <json>`; it never runs a writer, so for every repo it checks it is
 * a fresh process. Lets the harness run checks on every core.
 */
async function checkServer(): Promise<void> {
  let n = 0;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const id = n++;
    try {
      const result = await checkRepo(JSON.parse(line) as CheckSpec);
      out(`result ${id} ${JSON.stringify(result)}`);
    } catch (err) {
      out(
        `result ${id} ${JSON.stringify({ crashed: `${codeOf(err)}: ${String((err as Error)?.message ?? err)}` })}`,
      );
    }
  }
}

/** What a pre-started child (`--warm`) reads: its command and the failpoints a fresh child would have had in LANCELOG_FAILPOINTS. */
export interface WarmCommand {
  failpoints: string;
  command: ChildCommand;
}

/** Arms `spec` (the LANCELOG_FAILPOINTS format) as in a child started with it in its environment. */
function armFromSpec(spec: string): void {
  process.env.LANCELOG_FAILPOINTS = spec;
  disarmAllFailpoints();
  for (const f of parseFailpointSpec(spec))
    armFailpoint(f.name, f.action, { onHit: f.onHit, andLater: f.andLater });
}

/**
 * `child.js --warm`: a pre-started writer (spawn.ts WarmChildren). It loads the engine's
 * heavy dependencies before its case is known, then runs the one command it reads
 * exactly as a fresh child would. Empty input: it was not needed, and exits.
 */
async function warm(): Promise<void> {
  loadEveryLazy();
  const input = await readStdin();
  if (!input.trim()) return;
  const { failpoints, command } = JSON.parse(input) as WarmCommand;
  armFromSpec(failpoints);
  await run(command);
}

const entry: Record<string, () => Promise<void>> = {
  '--check-server': checkServer,
  '--warm': warm,
};
(
  entry[process.argv[2]] ?? (async () => run(JSON.parse(await readStdin()) as ChildCommand))
)().catch((err: unknown) => {
  out(`error ${codeOf(err)} ${JSON.stringify(String((err as Error)?.message ?? err))}`);
  process.exitCode = 1;
});
