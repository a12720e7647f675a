/**
 * How the harness starts a drill child: `node dist/src/drill/child.js` when running
 * from the build; from the TypeScript sources, a one-file ESM bundle of child.ts made
 * with esbuild (tsx's own dependency) and cached under node_modules/.cache — it starts
 * in about half the CPU time of `node --import tsx` — or `node --import tsx child.ts`
 * when esbuild is not there (or LANCELOG_DRILL_RUNNER=tsx).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../version.js';
import type { ChildCommand, WarmCommand } from './child.js';
import type { CheckResult, CheckSpec } from './check.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FROM_SOURCE = import.meta.url.endsWith('.ts');

export interface ChildRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
  ms: number;
}

let launcher: Promise<{ cmd: string; args: string[]; how: string }> | undefined;

function sourceStamp(dir: string): string {
  const h = createHash('sha1');
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) {
        const s = statSync(p);
        h.update(`${p}:${s.size}:${s.mtimeMs}\n`);
      }
    }
  };
  walk(dir);
  return h.digest('hex').slice(0, 16);
}

async function bundle(): Promise<string | null> {
  const root = packageRoot();
  const outDir = join(
    root,
    'node_modules',
    '.cache',
    'lancelog-drill',
    sourceStamp(join(root, 'src')),
  );
  const outFile = join(outDir, 'child.mjs');
  if (existsSync(outFile)) return outFile;
  let esbuild: { build(opts: Record<string, unknown>): Promise<unknown> };
  try {
    const name = 'esbuild';
    esbuild = (await import(name)) as typeof esbuild;
  } catch {
    return null;
  }
  mkdirSync(outDir, { recursive: true });
  const tmp = join(outDir, `child.${process.pid}.${Date.now()}.mjs`);
  await esbuild.build({
    entryPoints: [join(HERE, 'child.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: tmp,
    logLevel: 'silent',
    sourcemap: false,
  });
  renameSync(tmp, outFile);
  return outFile;
}

/** The command line of a drill child (resolved once per process). */
export function childLauncher(): Promise<{ cmd: string; args: string[]; how: string }> {
  launcher ??= (async () => {
    // From the package root, not this module: the CLI bundle (dist/cli/lancelog.mjs) runs this code too.
    if (!FROM_SOURCE)
      return {
        cmd: process.execPath,
        args: [join(packageRoot(), 'dist', 'src', 'drill', 'child.js')],
        how: 'dist',
      };
    const runner = process.env.LANCELOG_DRILL_RUNNER;
    if (runner !== 'tsx') {
      const file = await bundle().catch(() => null);
      if (file) return { cmd: process.execPath, args: [file], how: 'bundle' };
    }
    return { cmd: process.execPath, args: ['--import', 'tsx', join(HERE, 'child.ts')], how: 'tsx' };
  })();
  return launcher;
}

/**
 * Runs a child with `failpoints` as LANCELOG_FAILPOINTS; resolves when it exited or was
 * killed. `wrapper` runs it under another command (the power-loss drill's strace).
 */
export async function runChild(
  command: ChildCommand,
  failpoints = '',
  timeoutMs = 180_000,
  wrapper: string[] = [],
): Promise<ChildRun> {
  const launched = await childLauncher();
  const [cmd, ...args] = [...wrapper, launched.cmd, ...launched.args];
  const env = { ...process.env, LANCELOG_FAILPOINTS: failpoints };
  const child = spawn(cmd, args, { cwd: packageRoot(), env, stdio: ['pipe', 'pipe', 'pipe'] });
  return collect(child, JSON.stringify(command), timeoutMs);
}

/** Writes `input` as a started child's whole stdin and collects its output until it exits or is killed. */
function collect(child: ChildProcess, input: string, timeoutMs: number): Promise<ChildRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({
        status,
        signal,
        lines: stdout.split('\n').filter(Boolean),
        stderr,
        ms: performance.now() - started,
      });
    });
    child.stdin!.end(input);
  });
}

interface Spare {
  child: ChildProcess;
  exited: boolean;
}

/**
 * Pre-started writer children (`child --warm`): each loads the engine and its heavy
 * dependencies (LanceDB, Arrow) before its case is known, so a case waits only for its
 * own work. A child still runs exactly one command and then dies (killed at its crash
 * point) or exits, as a fresh one would; each child taken is replaced at once.
 */
export class WarmChildren {
  private readonly spares: Spare[] = [];
  private stopped = false;

  private constructor(
    private readonly launch: { cmd: string; args: string[] },
    private readonly size: number,
  ) {}

  /** A pool keeping `size` children ready (`size` ≥ the cases run at a time). */
  static async start(size: number): Promise<WarmChildren> {
    const pool = new WarmChildren(await childLauncher(), size);
    pool.refill();
    return pool;
  }

  private refill(): void {
    while (!this.stopped && this.spares.length < this.size) {
      const child = spawn(this.launch.cmd, [...this.launch.args, '--warm'], {
        cwd: packageRoot(),
        env: { ...process.env, LANCELOG_FAILPOINTS: '' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const spare: Spare = { child, exited: false };
      child.once('exit', () => {
        spare.exited = true;
      });
      // A write to a child that died: its close event reports it.
      child.stdin.on('error', () => undefined);
      this.spares.push(spare);
    }
  }

  /** `runChild` in a ready child (a fresh one when none is alive); another starts in its place. */
  run(command: ChildCommand, failpoints = '', timeoutMs = 180_000): Promise<ChildRun> {
    let spare = this.spares.shift();
    while (spare?.exited) spare = this.spares.shift();
    this.refill();
    if (!spare) return runChild(command, failpoints, timeoutMs);
    const warm: WarmCommand = { failpoints, command };
    return collect(spare.child, JSON.stringify(warm), timeoutMs);
  }

  /** The pids of the children waiting for a case (for tests that kill one). */
  pids(): number[] {
    return this.spares.filter((s) => !s.exited).map((s) => s.child.pid!);
  }

  /** The unused children read an empty command and exit. */
  stop(): void {
    this.stopped = true;
    for (const s of this.spares.splice(0)) s.child.stdin!.end();
  }
}

type Waiting = {
  resolve: (r: CheckResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
};
interface CheckerProc {
  child: ReturnType<typeof spawn>;
  busy: number;
  waiting: Map<number, Waiting>;
  sent: number;
  buf: string;
  dead: boolean;
}

/** A check the checker could not answer: the case fails with the reason, the run goes on. */
export function checkerFailure(reason: string): CheckResult {
  return {
    ok: false,
    invariants: { I1: false, I2: false, I3: false, I4: false, I5: false, I6: false },
    decision: 'check failed',
    visible: null,
    problems: [`checker: ${reason}`],
    pendingBefore: 0,
  };
}

/**
 * Long-lived checker processes (`child --check-server`): checks run on every core.
 * A checker that exits (or is killed) while checks are in flight fails those checks
 * and is replaced, and a check that takes longer than `checkTimeoutMs` kills its
 * checker: a drill run always finishes, it never waits forever on a dead process.
 */
export class CheckerPool {
  private readonly procs: CheckerProc[] = [];
  private stopping = false;

  private constructor(
    private readonly launch: { cmd: string; args: string[] },
    private readonly checkTimeoutMs: number,
  ) {}

  static async start(size: number, checkTimeoutMs = 600_000): Promise<CheckerPool> {
    const pool = new CheckerPool(await childLauncher(), checkTimeoutMs);
    for (let i = 0; i < size; i++) pool.procs.push(pool.spawnChecker());
    return pool;
  }

  private spawnChecker(): CheckerProc {
    const { cmd, args } = this.launch;
    const child = spawn(cmd, [...args, '--check-server'], {
      cwd: packageRoot(),
      env: { ...process.env, LANCELOG_FAILPOINTS: '' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const proc: CheckerProc = { child, busy: 0, waiting: new Map(), sent: 0, buf: '', dead: false };
    const settle = (id: number, r: CheckResult): void => {
      const w = proc.waiting.get(id);
      if (!w) return;
      clearTimeout(w.timer);
      proc.waiting.delete(id);
      proc.busy--;
      w.resolve(r);
    };
    child.once('exit', (code, signal) => {
      proc.dead = true;
      for (const id of [...proc.waiting.keys()])
        settle(
          id,
          checkerFailure(`the checker process exited (${code ?? signal}) during the check`),
        );
      const at = this.procs.indexOf(proc);
      if (!this.stopping && at >= 0) this.procs[at] = this.spawnChecker();
    });
    // A write to a checker that just died: its exit handler fails the check.
    child.stdin!.on('error', () => undefined);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      proc.buf += d;
      let nl: number;
      while ((nl = proc.buf.indexOf('\n')) >= 0) {
        const line = proc.buf.slice(0, nl);
        proc.buf = proc.buf.slice(nl + 1);
        const m = /^result (\d+) (.*)$/.exec(line);
        if (!m) continue;
        const parsed = JSON.parse(m[2]) as CheckResult & { crashed?: string };
        settle(Number(m[1]), parsed.crashed ? checkerFailure(parsed.crashed) : parsed);
      }
    });
    return proc;
  }

  check(spec: CheckSpec): Promise<CheckResult> {
    if (this.stopping) return Promise.resolve(checkerFailure('the checker pool is stopped'));
    const live = this.procs.filter((p) => !p.dead);
    if (live.length === 0) return Promise.resolve(checkerFailure('no checker process is running'));
    const proc = live.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = proc.sent++;
    proc.busy++;
    return new Promise((resolve, reject) => {
      // The watchdog: a check that never answers kills its checker (whose exit fails it).
      const timer = setTimeout(() => proc.child.kill('SIGKILL'), this.checkTimeoutMs);
      timer.unref();
      proc.waiting.set(id, { resolve, reject, timer });
      proc.child.stdin!.write(`${JSON.stringify(spec)}\n`);
    });
  }

  /** Checker pids (for tests that kill one). */
  pids(): number[] {
    return this.procs.filter((p) => !p.dead).map((p) => p.child.pid!);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.dead || p.child.exitCode !== null || p.child.signalCode !== null) {
              resolve();
              return;
            }
            p.child.once('exit', () => resolve());
            p.child.stdin!.end();
          }),
      ),
    );
  }
}
