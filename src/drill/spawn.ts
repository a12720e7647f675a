/**
 * How the harness starts a drill child: `node dist/src/drill/child.js` when running
 * from the build; from the TypeScript sources, a one-file ESM bundle of child.ts made
 * with esbuild (tsx's own dependency) and cached under node_modules/.cache — it starts
 * in about half the CPU time of `node --import tsx` — or `node --import tsx child.ts`
 * when esbuild is not there (or LANCELOG_DRILL_RUNNER=tsx).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../version.js';
import type { ChildCommand } from './child.js';
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
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) { const s = statSync(p); h.update(`${p}:${s.size}:${s.mtimeMs}\n`); }
    }
  };
  walk(dir);
  return h.digest('hex').slice(0, 16);
}

async function bundle(): Promise<string | null> {
  const root = packageRoot();
  const outDir = join(root, 'node_modules', '.cache', 'lancelog-drill', sourceStamp(join(root, 'src')));
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
    entryPoints: [join(HERE, 'child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20',
    packages: 'external', outfile: tmp, logLevel: 'silent', sourcemap: false,
  });
  renameSync(tmp, outFile);
  return outFile;
}

/** The command line of a drill child (resolved once per process). */
export function childLauncher(): Promise<{ cmd: string; args: string[]; how: string }> {
  launcher ??= (async () => {
    if (!FROM_SOURCE) return { cmd: process.execPath, args: [join(HERE, 'child.js')], how: 'dist' };
    const runner = process.env.LANCELOG_DRILL_RUNNER;
    if (runner !== 'tsx') {
      const file = await bundle().catch(() => null);
      if (file) return { cmd: process.execPath, args: [file], how: 'bundle' };
    }
    return { cmd: process.execPath, args: ['--import', 'tsx', join(HERE, 'child.ts')], how: 'tsx' };
  })();
  return launcher;
}

/** Runs a child with `failpoints` as LANCELOG_FAILPOINTS; resolves when it exited or was killed. */
export async function runChild(command: ChildCommand, failpoints = '', timeoutMs = 180_000): Promise<ChildRun> {
  const { cmd, args } = await childLauncher();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const env = { ...process.env, LANCELOG_FAILPOINTS: failpoints };
    const child = spawn(cmd, args, { cwd: packageRoot(), env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, lines: stdout.split('\n').filter(Boolean), stderr, ms: performance.now() - started });
    });
    child.stdin.end(JSON.stringify(command));
  });
}

/** Long-lived checker processes (`child --check-server`): checks run on every core. */
export class CheckerPool {
  private readonly procs: Array<{ child: ReturnType<typeof spawn>; busy: number; waiting: Map<number, { resolve: (r: CheckResult) => void; reject: (e: Error) => void }>; sent: number; buf: string }> = [];

  private constructor() {}

  static async start(size: number): Promise<CheckerPool> {
    const pool = new CheckerPool();
    const { cmd, args } = await childLauncher();
    for (let i = 0; i < size; i++) {
      const child = spawn(cmd, [...args, '--check-server'], { cwd: packageRoot(), env: { ...process.env, LANCELOG_FAILPOINTS: '' }, stdio: ['pipe', 'pipe', 'inherit'] });
      const proc = { child, busy: 0, waiting: new Map<number, { resolve: (r: CheckResult) => void; reject: (e: Error) => void }>(), sent: 0, buf: '' };
      child.once('exit', (code, signal) => {
        for (const w of proc.waiting.values()) w.reject(new Error(`drill checker exited (${code ?? signal})`));
        proc.waiting.clear();
      });
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        proc.buf += d;
        let nl: number;
        while ((nl = proc.buf.indexOf('\n')) >= 0) {
          const line = proc.buf.slice(0, nl);
          proc.buf = proc.buf.slice(nl + 1);
          const m = /^result (\d+) (.*)$/.exec(line);
          if (!m) continue;
          const parsed = JSON.parse(m[2]) as CheckResult & { crashed?: string };
          const done = proc.waiting.get(Number(m[1]));
          proc.waiting.delete(Number(m[1]));
          proc.busy--;
          done?.resolve(parsed.crashed ? { ok: false, invariants: { I1: false, I2: false, I3: false, I4: false, I5: false, I6: false }, decision: 'check failed', visible: null, problems: [`checker: ${parsed.crashed}`], pendingBefore: 0 } : parsed);
        }
      });
      pool.procs.push(proc);
    }
    return pool;
  }

  check(spec: CheckSpec): Promise<CheckResult> {
    const proc = this.procs.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = proc.sent++;
    proc.busy++;
    return new Promise((resolve, reject) => {
      proc.waiting.set(id, { resolve, reject });
      proc.child.stdin!.write(`${JSON.stringify(spec)}\n`);
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.procs.map((p) => new Promise<void>((resolve) => {
      if (p.child.exitCode !== null) { resolve(); return; }
      p.child.once('exit', () => resolve());
      p.child.stdin!.end();
    })));
  }
}
