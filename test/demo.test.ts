import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

/** A child process through async spawn (a blocked worker trips Vitest's RPC timeout). */
function run(
  args: string[],
  timeoutMs: number,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe('the README demo (npm run demo)', () => {
  it('builds, then runs end to end: init, load, journal show, a read, a SIGKILLed writer, recover, audit, verify', async () => {
    const build = await run(
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      240_000,
    );
    expect(build.stdout + build.stderr).toBe('');
    expect(build.status).toBe(0);
    const demo = await run([join(ROOT, 'dist', 'scripts', 'demo.js')], 240_000);
    expect(demo.stderr).toBe('');
    expect(demo.status).toBe(0);
    for (const step of [
      'lancelog init',
      'lancelog load',
      'lancelog journal show',
      'lancelog read',
      'Launch private AI offering',
      's.observed_at  2026-03-27',
      'killed by SIGKILL',
      'decision: RollBack   status: planned',
      'decision: RollBack   status: applied',
      'lancelog recovery list',
      'ok: no differences',
    ]) {
      expect(demo.stdout).toContain(step);
    }
  }, 300_000);
});
