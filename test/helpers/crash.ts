import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './cli.js';
import { nodeArgsFor } from './bundle.js';
import { runProcess } from './process.js';

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const CHILD = join(ROOT, 'test', 'helpers', 'child.ts');

/** Runs the child to completion with failpoints armed through the environment. */
export async function runChild(
  command: Record<string, unknown>,
  failpoints = '',
): Promise<ChildResult> {
  const r = await runProcess(
    process.execPath,
    [...(await nodeArgsFor(CHILD)), JSON.stringify(command)],
    {
      cwd: ROOT,
      timeoutMs: 120_000,
      env: { ...process.env, LANCELOG_FAILPOINTS: failpoints },
    },
  );
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
