import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const CHILD = join(ROOT, 'test', 'helpers', 'child.ts');

/** Runs the child synchronously with failpoints armed through the environment. */
export function runChild(command: Record<string, unknown>, failpoints = ''): ChildResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(command)], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, LANCELOG_FAILPOINTS: failpoints },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the child in the background (for live-owner tests). */
export function startChild(command: Record<string, unknown>, failpoints = ''): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(command)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LANCELOG_FAILPOINTS: failpoints },
  });
}
