/**
 * Child processes for tests, always asynchronous: a test worker must keep its event
 * loop turning while a child runs. A worker blocked in `spawnSync` for longer than
 * Vitest's worker RPC timeout (60 s, birpc's default) cannot read the main process's
 * answer to its last `onTaskUpdate` before that call's timer fires, and the run ends
 * with "[vitest-worker]: Timeout calling "onTaskUpdate"" though every test passed
 * (issue 21; AGENTS.md §Conventions).
 */
import { spawn } from 'node:child_process';

export interface ProcessResult {
  /** Exit code, or null when the child was ended by a signal. */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the child outlived `timeoutMs` and was SIGKILLed. */
  timedOut: boolean;
}

export interface ProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** The child is SIGKILLed after this long (default 5 minutes). */
  timeoutMs?: number;
}

/** Runs `file args…` to completion, capturing stdout and stderr as UTF-8. */
export function runProcess(
  file: string,
  args: string[],
  opts: ProcessOptions = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => stdout.push(b));
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        child.kill('SIGKILL');
      },
      opts.timeoutMs ?? 5 * 60_000,
    );
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({
        status,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
      });
    });
  });
}

/** The pid of a process that has exited (for "dead owner" states). */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid;
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => resolve());
  });
  if (pid === undefined) throw new Error('could not start a child process');
  return pid;
}
