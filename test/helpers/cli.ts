import { join } from 'node:path';
import { nodeArgsFor } from './bundle.js';
import { runProcess } from './process.js';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: () => any;
}

/** The CLI's entry, cli/main.ts. */
export const CLI_ENTRY = join(ROOT, 'cli', 'main.ts');

/**
 * Runs the real CLI in a child process, asynchronously (never spawnSync: see
 * test/helpers/process.ts): a bundle of the current sources (test/helpers/bundle.ts), or,
 * with `viaTsx`, the TypeScript sources through tsx — `lancelog drill` needs that: from a
 * bundle it would start its writer children from dist/ (src/drill/spawn.ts).
 */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 5 * 60_000,
  opts: { viaTsx?: boolean } = {},
): Promise<CliResult> {
  const node = opts.viaTsx ? ['--import', 'tsx', CLI_ENTRY] : await nodeArgsFor(CLI_ENTRY);
  const r = await runProcess(process.execPath, [...node, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    timeoutMs,
  });
  return {
    code: r.status ?? -1,
    stdout: r.stdout,
    stderr: r.stderr,
    json: () => JSON.parse(r.stdout),
  };
}

/** The same as `runCli` (kept for the read-command tests, which pass $COLUMNS in env). */
export const runCliAsync = (args: string[], env: Record<string, string> = {}) => runCli(args, env);
