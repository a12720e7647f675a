import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';
import { runProcess } from './helpers/process.js';

describe('the README demo (npm run demo)', () => {
  it('builds, then runs end to end: init, load, journal show, reads, indexes, a branch diff and merge, a search, lint, the change feed, a SIGKILLed writer, recover, audit, verify, the scrub', async () => {
    const build = await runProcess(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      { cwd: ROOT, timeoutMs: 240_000 },
    );
    expect(build.stdout + build.stderr).toBe('');
    expect(build.status).toBe(0);
    const demo = await runProcess(process.execPath, [join(ROOT, 'dist', 'scripts', 'demo.js')], {
      cwd: ROOT,
      timeoutMs: 240_000,
    });
    expect(demo.stderr).toBe('');
    expect(demo.status).toBe(0);
    for (const step of [
      'lancelog init',
      'lancelog load',
      'lancelog journal show',
      'lancelog read',
      'ok    read     signals_since',
      'Launch private AI offering',
      's.observed_at  2026-03-27',
      'lancelog index ensure',
      'Signal.title fts',
      '+ node:Signal customer-private-deployment',
      'fast-forwarded review into main',
      'customer-private-deployment  Customer asks for a private AI deployment on premises',
      '+ node Signal regulator-audit-guidance',
      'killed by SIGKILL',
      'decision: RollBack   status: planned',
      'decision: RollBack   status: applied',
      'lancelog recovery list',
      'ok: no differences',
      'lancelog doctor --deep',
      'checked against their sha256',
      'no problems found',
      "'npx lancelog ui <the kept repo>'",
    ]) {
      expect(demo.stdout).toContain(step);
    }
  });
});
