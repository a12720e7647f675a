import { join } from 'node:path';
import { runProcess } from './process.js';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: () => any;
}

/**
 * Runs the real CLI (TypeScript sources through tsx) in a child process, asynchronously
 * (never spawnSync: see test/helpers/process.ts).
 */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 5 * 60_000,
): Promise<CliResult> {
  const r = await runProcess(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), ...args],
    { cwd: ROOT, env: { ...process.env, ...env }, timeoutMs },
  );
  return {
    code: r.status ?? -1,
    stdout: r.stdout,
    stderr: r.stderr,
    json: () => JSON.parse(r.stdout),
  };
}

/** The same as `runCli` (kept for the read-command tests, which pass $COLUMNS in env). */
export const runCliAsync = (args: string[], env: Record<string, string> = {}) => runCli(args, env);
