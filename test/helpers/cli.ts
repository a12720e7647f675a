import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: () => any;
}

/** Runs the real CLI (TypeScript sources through tsx) in a child process. */
export function runCli(args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), ...args],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 120_000,
    },
  );
  return {
    code: r.status ?? -1,
    stdout: r.stdout,
    stderr: r.stderr,
    json: () => JSON.parse(r.stdout),
  };
}
